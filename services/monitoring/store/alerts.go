package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/acme/bpo/kit/sqlstore"
)

// AlertKey is what makes an alert unique: one per contract, period,
// service level and condition.
type AlertKey struct {
	Contract, Period, Level, Condition string
}

// ErrRaised is returned by RaiseAlert when the alert of the key exists.
var ErrRaised = errors.New("alert already raised")

// RaiseAlert appends alert (its resource name) under key to the alert feed
// and returns its sequence number, or ErrRaised when the key is taken. Two
// raises racing for the same sequence number: the later fails with a
// conflict (sqlstore.RetryConflicts retries it).
func RaiseAlert(ctx context.Context, tx *sqlstore.Tx, key AlertKey, alert string, now time.Time) (int64, error) {
	var n int
	err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM alert_feed WHERE contract = ? AND period = ? AND service_level_key = ? AND alert_condition = ?`,
		key.Contract, key.Period, key.Level, key.Condition).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("alert feed: %w", err)
	}
	if n > 0 {
		return 0, ErrRaised
	}
	var last sql.NullInt64
	if err := tx.QueryRow(ctx, `SELECT MAX(seq) FROM alert_feed`).Scan(&last); err != nil {
		return 0, fmt.Errorf("alert feed: %w", err)
	}
	seq := last.Int64 + 1
	_, err = tx.Exec(ctx, `INSERT INTO alert_feed (seq, contract, period, service_level_key, alert_condition, alert, create_time) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		seq, key.Contract, key.Period, key.Level, key.Condition, alert, sqlstore.Time(now))
	if sqlstore.IsUniqueViolation(err) {
		return 0, sqlstore.Conflict("alert %s/%s/%s/%s raised concurrently", key.Contract, key.Period, key.Level, key.Condition)
	}
	if err != nil {
		return 0, fmt.Errorf("alert feed: %w", err)
	}
	return seq, nil
}

// FeedEntry is one alert of the feed.
type FeedEntry struct {
	Seq   int64
	Alert string
}

// AlertsAfter returns up to limit alerts of contract raised after seq, in
// order.
func AlertsAfter(ctx context.Context, tx *sqlstore.Tx, contract string, seq int64, limit int) ([]FeedEntry, error) {
	rows, err := tx.Query(ctx, fmt.Sprintf(`SELECT seq, alert FROM alert_feed WHERE contract = ? AND seq > ? ORDER BY seq LIMIT %d`, limit), contract, seq)
	if err != nil {
		return nil, fmt.Errorf("alert feed: %w", err)
	}
	defer rows.Close()
	var out []FeedEntry
	for rows.Next() {
		var e FeedEntry
		if err := rows.Scan(&e.Seq, &e.Alert); err != nil {
			return nil, fmt.Errorf("alert feed: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// LatestEventTime is the event time of contract's latest measurement of
// level key at or before now; ok is false when there is none.
func LatestEventTime(ctx context.Context, tx *sqlstore.Tx, contract, key string, now time.Time) (time.Time, bool, error) {
	var ns sql.NullInt64
	err := tx.QueryRow(ctx, `SELECT MAX(event_time) FROM measurements WHERE contract = ? AND service_level_key = ? AND event_time <= ?`,
		contract, key, now.UnixNano()).Scan(&ns)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("latest measurement of %s: %w", key, err)
	}
	if !ns.Valid {
		return time.Time{}, false, nil
	}
	return time.Unix(0, ns.Int64), true, nil
}
