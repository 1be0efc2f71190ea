// Package store keeps monitoring's raw measurements in their own table
// (see ../migrations): batch writes that tell accepted from duplicate and
// conflicting items, and the range scan a period evaluation reads.
package store

import (
	"context"
	"fmt"
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

// chunk bounds the rows of one statement: 200 rows × 6 values stays far
// below both dialects' limits on bound parameters.
const chunk = 200

// Save stores the new measurements of items for contract in tx and answers,
// per item in order, its fate. An item whose (key, event id) is already
// stored, or appears earlier in items, is a Duplicate when its content is
// the same and a Conflict otherwise; nothing is overwritten. spec:
// monitoring.md "Measurements": re-sending the same event_id with the same
// content is a no-op; with different content it is rejected.
func Save(ctx context.Context, tx *sqlstore.Tx, contract string, items []evaluation.Stored, now time.Time) ([]Fate, error) {
	type id struct{ key, event string }
	known, err := existing(ctx, tx, contract, items)
	if err != nil {
		return nil, err
	}
	seen := make(map[id]evaluation.Stored, len(items)+len(known))
	for _, k := range known {
		seen[id{k.Key, k.EventID}] = k
	}
	fates := make([]Fate, len(items))
	var fresh []evaluation.Stored
	for i, it := range items {
		if prior, ok := seen[id{it.Key, it.EventID}]; ok {
			fates[i] = Conflict
			if prior.SameContent(it) {
				fates[i] = Duplicate
			}
			continue
		}
		seen[id{it.Key, it.EventID}] = it
		fates[i] = Accepted
		fresh = append(fresh, it)
	}
	created := sqlstore.Time(now)
	for start := 0; start < len(fresh); start += chunk {
		part := fresh[start:min(start+chunk, len(fresh))]
		args := make([]any, 0, len(part)*6)
		for _, m := range part {
			args = append(args, contract, m.Key, m.EventID, m.Time.UnixNano(), m.Value, created)
		}
		q := `INSERT INTO measurements (contract, service_level_key, event_id, event_time, value, create_time) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?), ", len(part)), ", ")
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return nil, fmt.Errorf("store measurements: %w", err)
		}
	}
	return fates, nil
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
			rows, err := tx.Query(ctx, `SELECT event_id, event_time, value FROM measurements WHERE contract = ? AND service_level_key = ? AND event_id IN (`+
				strings.TrimSuffix(strings.Repeat("?, ", len(part)), ", ")+`)`, args...)
			if err != nil {
				return nil, fmt.Errorf("look up measurements: %w", err)
			}
			for rows.Next() {
				s := evaluation.Stored{Key: key}
				var ns int64
				if err := rows.Scan(&s.EventID, &ns, &s.Value); err != nil {
					rows.Close()
					return nil, fmt.Errorf("look up measurements: %w", err)
				}
				s.Time = time.Unix(0, ns)
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
// level key whose event time is in [start, end), in event-time order.
func Values(ctx context.Context, tx *sqlstore.Tx, contract, key string, start, end time.Time, add func(value string) error) error {
	rows, err := tx.Query(ctx, `SELECT value FROM measurements WHERE contract = ? AND service_level_key = ? AND event_time >= ? AND event_time < ? ORDER BY event_time`,
		contract, key, start.UnixNano(), end.UnixNano())
	if err != nil {
		return fmt.Errorf("read measurements of %s: %w", key, err)
	}
	defer rows.Close()
	var v string
	for rows.Next() {
		if err := rows.Scan(&v); err != nil {
			return fmt.Errorf("read measurements of %s: %w", key, err)
		}
		if err := add(v); err != nil {
			return err
		}
	}
	return rows.Err()
}
