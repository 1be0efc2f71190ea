// Package store keeps monitoring's raw measurements in their own table
// (see ../migrations): batch writes that tell accepted from duplicate and
// conflicting items, and the range scan a period evaluation reads.
package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/monitoring/evaluation"
)

// Fate is what happened to one measurement of a batch.
type Fate int

// The fates.
const (
	// Accepted: stored by this batch.
	Accepted Fate = iota + 1
	// Duplicate: already stored (or earlier in the batch) with the same content.
	Duplicate
	// Conflict: its event id is already stored with different content.
	Conflict
)

// chunk bounds the rows of one statement on SQLite (and of a look-up on
// both): 200 rows × 9 values stays far below the limits on bound
// parameters. Statements of 1 000 rows measured no faster on SQLite and a
// third slower on PostgreSQL (README, "Performance"), which now inserts a
// batch as arrays (insertArrays).
const chunk = 200

// Save stores the new measurements of items for contract in tx and answers,
// per item in order, its fate. An item whose (key, event id) is already
// stored, or appears earlier in items, is a Duplicate when its content is
// the same and a Conflict otherwise; nothing is overwritten. spec:
// monitoring.md "Measurements": re-sending the same event_id with the same
// content is a no-op; with different content it is rejected.
//
// Each item's fate follows from what its INSERT … ON CONFLICT DO NOTHING
// did, not from a look-up before it: on PostgreSQL another batch may store
// the same event id between such a look-up and the insert, which then
// fails the whole batch with a duplicate key (issue 7 item 2). The insert
// waits for a concurrent transaction that holds the same key and skips the
// row once that one commits; READ COMMITTED, the write transactions'
// level, lets the look-up of the skipped rows that follows see it.
//
// The summaries of the measurements it stores are kept in the same
// transaction (rollup.go), by day in loc, the contract's service time zone.
func Save(ctx context.Context, tx *sqlstore.Tx, contract string, items []evaluation.Stored, now time.Time, loc *time.Location) ([]Fate, error) {
	first := make(map[id]int, len(items)) // the index of each id's first item
	var fresh []evaluation.Stored
	for i, it := range items {
		if _, ok := first[idOf(it)]; !ok {
			first[idOf(it)] = i
			fresh = append(fresh, it)
		}
	}
	// Two transactions inserting overlapping ids in different orders would
	// each wait for a row the other holds (a deadlock on PostgreSQL); in
	// one order, the later one only waits.
	slices.SortFunc(fresh, func(a, b evaluation.Stored) int {
		return cmp.Or(strings.Compare(a.Key, b.Key), strings.Compare(a.EventID, b.EventID))
	})
	inserted, err := insert(ctx, tx, contract, fresh, now)
	if err != nil {
		return nil, err
	}
	var skipped []evaluation.Stored
	for _, it := range fresh {
		if !inserted[idOf(it)] {
			skipped = append(skipped, it)
		}
	}
	known, err := existing(ctx, tx, contract, skipped)
	if err != nil {
		return nil, err
	}
	// stored is what each id now holds: the row found, or the item this
	// batch inserted.
	stored := make(map[id]evaluation.Stored, len(fresh))
	for _, k := range known {
		stored[idOf(k)] = k
	}
	fates := make([]Fate, len(items))
	var accepted []evaluation.Stored
	for i, it := range items {
		if inserted[idOf(it)] && first[idOf(it)] == i {
			stored[idOf(it)] = it
			fates[i] = Accepted
			accepted = append(accepted, it)
		}
	}
	if loc == nil {
		loc = time.UTC
	}
	if err := rollUp(ctx, tx, contract, accepted, loc); err != nil {
		return nil, err
	}
	for i, it := range items {
		if fates[i] == Accepted {
			continue
		}
		prior, ok := stored[idOf(it)]
		if !ok {
			return nil, fmt.Errorf("store measurements: %s %s was neither inserted nor found", it.Key, it.EventID)
		}
		fates[i] = Conflict
		if prior.SameContent(it) {
			fates[i] = Duplicate
		}
	}
	return fates, nil
}

// id names a measurement within a contract.
type id struct{ key, event string }

func idOf(s evaluation.Stored) id { return id{s.Key, s.EventID} }

// insert stores each of items whose id is not stored yet and returns the
// ids it stored. items have distinct ids.
func insert(ctx context.Context, tx *sqlstore.Tx, contract string, items []evaluation.Stored, now time.Time) (map[id]bool, error) {
	inserted := make(map[id]bool, len(items))
	created := sqlstore.Time(now)
	if tx.Dialect() == sqlstore.Postgres {
		return inserted, insertArrays(ctx, tx, contract, items, created, inserted)
	}
	for start := 0; start < len(items); start += chunk {
		part := items[start:min(start+chunk, len(items))]
		args := make([]any, 0, len(part)*9)
		for _, m := range part {
			var den, from, to any // NULL unless the measurement has them
			if m.Denominator != "" {
				den = m.Denominator
			}
			if m.Outage != nil {
				from, to = m.Outage.Start.UnixNano(), m.Outage.End.UnixNano()
			}
			args = append(args, contract, m.Key, m.EventID, m.Time.UnixNano(), m.Value, den, from, to, created)
		}
		rows, err := tx.Query(ctx, `INSERT INTO measurements (contract, service_level_key, event_id, event_time, value, denominator, outage_start, outage_end, create_time) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?), ", len(part)), ", ")+
			` ON CONFLICT (contract, service_level_key, event_id) DO NOTHING RETURNING service_level_key, event_id`, args...)
		if err != nil {
			return nil, fmt.Errorf("store measurements: %w", err)
		}
		for rows.Next() {
			var k id
			if err := rows.Scan(&k.key, &k.event); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store measurements: %w", err)
			}
			inserted[k] = true
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("store measurements: %w", err)
		}
	}
	return inserted, nil
}

// insertArrays is insert on PostgreSQL: the batch as one array a column,
// unnested into rows by the database. One statement of the same text
// whatever the batch's size (planned once per connection), nine
// parameters in binary instead of nine a row.
func insertArrays(ctx context.Context, tx *sqlstore.Tx, contract string, items []evaluation.Stored, created string, inserted map[id]bool) error {
	n := len(items)
	var (
		keys, events, values = make([]string, n), make([]string, n), make([]string, n)
		times                = make([]int64, n)
		dens                 = make([]*string, n)
		froms, tos           = make([]*int64, n), make([]*int64, n)
	)
	for i, m := range items {
		keys[i], events[i], times[i], values[i] = m.Key, m.EventID, m.Time.UnixNano(), m.Value
		if m.Denominator != "" {
			dens[i] = &m.Denominator
		}
		if m.Outage != nil {
			from, to := m.Outage.Start.UnixNano(), m.Outage.End.UnixNano()
			froms[i], tos[i] = &from, &to
		}
	}
	rows, err := tx.Query(ctx, `INSERT INTO measurements (contract, service_level_key, event_id, event_time, value, denominator, outage_start, outage_end, create_time)
		SELECT ?, k, e, t, v, d, f, u, ? FROM unnest(?::text[], ?::text[], ?::bigint[], ?::text[], ?::text[], ?::bigint[], ?::bigint[]) WITH ORDINALITY AS m(k, e, t, v, d, f, u, i)
		ORDER BY i -- in items' order: see Save on deadlocks
		ON CONFLICT (contract, service_level_key, event_id) DO NOTHING RETURNING service_level_key, event_id`,
		contract, created, keys, events, times, values, dens, froms, tos)
	if err != nil {
		return fmt.Errorf("store measurements: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k id
		if err := rows.Scan(&k.key, &k.event); err != nil {
			return fmt.Errorf("store measurements: %w", err)
		}
		inserted[k] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store measurements: %w", err)
	}
	return nil
}

// existing returns the stored measurements of contract that share a key
// and event id with items.
func existing(ctx context.Context, tx *sqlstore.Tx, contract string, items []evaluation.Stored) ([]evaluation.Stored, error) {
	byKey := map[string][]string{}
	for _, it := range items {
		byKey[it.Key] = append(byKey[it.Key], it.EventID)
	}
	var out []evaluation.Stored
	for key, ids := range byKey {
		for start := 0; start < len(ids); start += chunk {
			part := ids[start:min(start+chunk, len(ids))]
			args := make([]any, 0, len(part)+2)
			args = append(args, contract, key)
			for _, e := range part {
				args = append(args, e)
			}
			rows, err := tx.Query(ctx, `SELECT event_id, event_time, value, denominator, outage_start, outage_end FROM measurements WHERE contract = ? AND service_level_key = ? AND event_id IN (`+
				strings.TrimSuffix(strings.Repeat("?, ", len(part)), ", ")+`)`, args...)
			if err != nil {
				return nil, fmt.Errorf("look up measurements: %w", err)
			}
			for rows.Next() {
				s := evaluation.Stored{Key: key}
				var (
					ns       int64
					den      sql.NullString
					from, to sql.NullInt64
				)
				if err := rows.Scan(&s.EventID, &ns, &s.Value, &den, &from, &to); err != nil {
					rows.Close()
					return nil, fmt.Errorf("look up measurements: %w", err)
				}
				s.Time = time.Unix(0, ns)
				s.Denominator = den.String
				s.Outage = outage(from, to)
				out = append(out, s)
			}
			err = rows.Err()
			rows.Close()
			if err != nil {
				return nil, fmt.Errorf("look up measurements: %w", err)
			}
		}
	}
	return out, nil
}

// Values calls add with the value of each stored measurement of contract's
// level key whose event time is in [start, end), in no particular order.
func Values(ctx context.Context, tx *sqlstore.Tx, contract, key string, start, end time.Time, add func(value string) error) error {
	return columns(ctx, tx, contract, key, start, end, []string{"value"}, func(cols []string) error { return add(cols[0]) })
}

// Feed reads what a's aggregation needs of contract's level key for the
// window [start, end) and adds it to a. spec: monitoring.md "Metric
// definitions".
func Feed(ctx context.Context, tx *sqlstore.Tx, contract, key string, start, end time.Time, a *evaluation.Aggregate) error {
	switch a.Input() {
	case evaluation.Ratios:
		return Ratios(ctx, tx, contract, key, start, end, a.AddRatio)
	case evaluation.Outages:
		return Outages(ctx, tx, contract, key, start, end, a.AddOutage)
	}
	return Values(ctx, tx, contract, key, start, end, a.Add)
}

// Ratios calls add with the value (numerator) and denominator of each
// stored measurement of contract's level key whose event time is in
// [start, end), in no particular order. A row stored without a denominator
// (before its level was a RATIO, or by an older server) counts as 1.
func Ratios(ctx context.Context, tx *sqlstore.Tx, contract, key string, start, end time.Time, add func(num, den string) error) error {
	return columns(ctx, tx, contract, key, start, end, []string{"value", "COALESCE(denominator, '1')"}, func(cols []string) error { return add(cols[0], cols[1]) })
}

// Outages calls add with each stored outage of contract's level key that
// overlaps [start, end) — whenever it was reported, since an outage may
// span two periods — and with nil for each measurement without an outage
// (a report that the service was up) whose event time is in [start, end).
func Outages(ctx context.Context, tx *sqlstore.Tx, contract, key string, start, end time.Time, add func(o *evaluation.Interval) error) error {
	// The reports that the service was up are counted, not read: all
	// measurements in the window less those with an outage (a small index).
	var all, down int64
	err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM measurements WHERE contract = ? AND service_level_key = ? AND event_time >= ? AND event_time < ?`,
		contract, key, start.UnixNano(), end.UnixNano()).Scan(&all)
	if err == nil {
		err = tx.QueryRow(ctx, `SELECT COUNT(*) FROM measurements WHERE contract = ? AND service_level_key = ? AND outage_start IS NOT NULL AND event_time >= ? AND event_time < ?`,
			contract, key, start.UnixNano(), end.UnixNano()).Scan(&down)
	}
	if err != nil {
		return fmt.Errorf("count measurements of %s: %w", key, err)
	}
	for range all - down {
		if err := add(nil); err != nil {
			return err
		}
	}
	return outagesOnly(ctx, tx, contract, key, evaluation.Interval{Start: start, End: end}, add)
}

// outage is the stored outage of a row, or nil when it has none.
func outage(from, to sql.NullInt64) *evaluation.Interval {
	if !from.Valid || !to.Valid {
		return nil
	}
	return &evaluation.Interval{Start: time.Unix(0, from.Int64), End: time.Unix(0, to.Int64)}
}

// Count is the number of stored measurements of contract's level key whose
// event time is in [start, end): what an exclusion over that stretch
// leaves out of an evaluation.
func Count(ctx context.Context, tx *sqlstore.Tx, contract, key string, start, end time.Time) (int64, error) {
	var n int64
	err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM measurements WHERE contract = ? AND service_level_key = ? AND event_time >= ? AND event_time < ?`,
		contract, key, start.UnixNano(), end.UnixNano()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count measurements of %s: %w", key, err)
	}
	return n, nil
}
