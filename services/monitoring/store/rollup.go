package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/monitoring/evaluation"
)

// Summaries of measurements, kept as they arrive (../migrations/
// 00005_rollups.sql): one per level and day of the contract's service time
// zone. A stored batch adds one row per level and day it touches — an
// insert of its own, so that concurrent batches never wait on each other's
// rows — and once a day has mergeAt of them, the batch that notices merges
// them into the day's one merged row. An evaluation then reads, for a
// month, about 30 merged rows and the last few unmerged ones of each day.
//
// Every summary is exact (evaluation.Summary): a period's value from the
// summaries equals its value from the rows to the last digit, which the
// randomized test in rollup_test.go checks against Feed on both
// databases.

// mergeAt is how many batch rows a day gathers before they are merged:
// few enough that an evaluation reads little, many enough that merging
// (which rewrites the day's value counts) is rare.
const mergeAt = 4

// unit is the day of t in loc: [local midnight, next local midnight).
func unit(t time.Time, loc *time.Location) (start, end time.Time) {
	l := t.In(loc)
	start = time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	return start, start.AddDate(0, 0, 1)
}

// dayKey names a level's day.
type dayKey struct {
	key        string
	start, end int64
}

// rollUp adds the summaries of items, just stored for contract, to the
// days (in loc) they fall in.
func rollUp(ctx context.Context, tx *sqlstore.Tx, contract string, items []evaluation.Stored, loc *time.Location) error {
	type acc struct {
		s           *evaluation.Summary
		first, last int64
	}
	days := map[dayKey]*acc{}
	for _, it := range items {
		s, e := unit(it.Time, loc)
		k := dayKey{it.Key, s.UnixNano(), e.UnixNano()}
		a := days[k]
		if a == nil {
			a = &acc{s: evaluation.NewSummary(), first: math.MaxInt64, last: math.MinInt64}
			days[k] = a
		}
		if err := a.s.Add(it.Value, it.Denominator, it.Outage != nil); err != nil {
			return err
		}
		t := it.Time.UnixNano()
		a.first, a.last = min(a.first, t), max(a.last, t)
	}
	keys := make([]dayKey, 0, len(days))
	for k := range days {
		keys = append(keys, k)
	}
	// One order for every batch: merges lock their day (below), and two
	// batches locking days in different orders could deadlock.
	slices.SortFunc(keys, func(a, b dayKey) int { return cmp.Or(strings.Compare(a.key, b.key), cmp.Compare(a.start, b.start)) })
	for _, k := range keys {
		a := days[k]
		if err := insertRollup(ctx, tx, contract, k, rand.Int64N(math.MaxInt64-1)+1, a.first, a.last, a.s); err != nil {
			return err
		}
	}
	for _, k := range keys {
		var parts int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM measurement_rollups WHERE contract = ? AND service_level_key = ? AND unit_start = ? AND part > 0`,
			contract, k.key, k.start).Scan(&parts); err != nil {
			return fmt.Errorf("count summaries of %s: %w", k.key, err)
		}
		if parts >= mergeAt {
			if err := merge(ctx, tx, contract, k); err != nil {
				return err
			}
		}
	}
	return nil
}

func insertRollup(ctx context.Context, tx *sqlstore.Tx, contract string, k dayKey, part, first, last int64, s *evaluation.Summary) error {
	var counts any // NULL when not kept
	if s.Values != nil {
		counts = s.ValuesText()
	}
	_, err := tx.Exec(ctx, `INSERT INTO measurement_rollups (contract, service_level_key, unit_start, unit_end, part, exact, first_time, last_time, n, outages, value_sum, den_sum, value_counts)
		VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)`,
		contract, k.key, k.start, k.end, part, first, last, s.N, s.Outages, s.SumText(), s.DenText(), counts)
	if err != nil {
		return fmt.Errorf("store summary of %s: %w", k.key, err)
	}
	return nil
}

// merge folds the exact rows of a day into its merged row (part 0). On
// PostgreSQL two batches may notice the same day at once: the lock makes
// the second wait and then merge what the first left, read afresh under
// READ COMMITTED.
func merge(ctx context.Context, tx *sqlstore.Tx, contract string, k dayKey) error {
	if err := tx.Lock(ctx, fmt.Sprintf("rollup:%s:%s:%d", contract, k.key, k.start), false); err != nil {
		return err
	}
	rows, err := readRollups(ctx, tx, `SELECT `+rollupColumns(true)+`
		FROM measurement_rollups WHERE contract = ? AND service_level_key = ? AND unit_start = ? AND part >= 0`, contract, k.key, k.start)
	if err != nil {
		return err
	}
	if len(rows) < 2 {
		return nil // merged meanwhile
	}
	all := evaluation.NewSummary()
	first, last := int64(math.MaxInt64), int64(math.MinInt64)
	parts := make([]any, 0, len(rows)+3)
	parts = append(parts, contract, k.key, k.start)
	for _, r := range rows {
		all.Plus(r.s)
		if !r.counts.Valid {
			all.Values = nil
		} else if all.Values != nil {
			if err := all.AddValuesText(r.counts.String); err != nil {
				return err
			}
			if len(all.Values) > evaluation.MaxValues {
				all.Values = nil
			}
		}
		first, last = min(first, r.first), max(last, r.last)
		parts = append(parts, r.part)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM measurement_rollups WHERE contract = ? AND service_level_key = ? AND unit_start = ? AND part IN (`+
		strings.TrimSuffix(strings.Repeat("?, ", len(rows)), ", ")+`)`, parts...); err != nil {
		return fmt.Errorf("merge summaries of %s: %w", k.key, err)
	}
	return insertRollup(ctx, tx, contract, k, 0, first, last, all)
}

// rollup is one stored row of summaries. Its value counts are kept as
// the stored text (counts; valid when kept) until a reader needs them.
type rollup struct {
	start, end  int64
	part        int64
	exact       bool
	first, last int64
	s           *evaluation.Summary
	counts      sql.NullString
}

// rollupColumns are what readRollups scans, in order; withCounts says
// whether to read the value counts (the longest column) or NULL.
func rollupColumns(withCounts bool) string {
	counts := "NULL"
	if withCounts {
		counts = "value_counts"
	}
	return "unit_start, unit_end, part, exact, first_time, last_time, n, outages, value_sum, den_sum, " + counts
}

func readRollups(ctx context.Context, tx *sqlstore.Tx, query string, args ...any) ([]rollup, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read summaries: %w", err)
	}
	defer rows.Close()
	var out []rollup
	for rows.Next() {
		var (
			r        rollup
			exact    int
			sum, den string
		)
		r.s = &evaluation.Summary{}
		if err := rows.Scan(&r.start, &r.end, &r.part, &exact, &r.first, &r.last, &r.s.N, &r.s.Outages, &sum, &den, &r.counts); err != nil {
			return nil, fmt.Errorf("read summaries: %w", err)
		}
		r.exact = exact == 1
		if err := r.s.SetSums(sum, den); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// FeedSummarized adds to a what contract's level key measured in span,
// less the stretches cut (approved exclusions; nil for AVAILABILITY, whose
// exclusions shorten its service time instead), as Feed over each part
// would, from the kept summaries where they cover it and from the rows
// elsewhere:
//   - a day counts from its summaries when every measurement in them lies
//     in span (a whole day of the period, or the first day of service);
//     the measurements of such a day that fall in a cut stretch are read
//     and taken away;
//   - the rest of span less cut (a period boundary within a day: another
//     time zone, a level's week) is read row by row;
//   - when days overlap (the service time zone was changed by amendment),
//     or a day was stored before summaries were kept, or a needed value
//     count was not kept, all of span is read row by row.
//
// The result is the same as Feed's to the last digit.
func FeedSummarized(ctx context.Context, tx *sqlstore.Tx, contract, key string, span evaluation.Interval, cut []evaluation.Interval, a *evaluation.Aggregate) error {
	parts := evaluation.Subtract([]evaluation.Interval{span}, cut)
	s, e := span.Start.UnixNano(), span.End.UnixNano()
	values := a.NeedsValues()
	// Days are at most 25 hours long, so a day overlapping span starts
	// after span's start less 25 hours.
	rows, err := readRollups(ctx, tx, `SELECT `+rollupColumns(values)+`
		FROM measurement_rollups WHERE contract = ? AND service_level_key = ? AND unit_start > ? AND unit_start < ? ORDER BY unit_start, part`,
		contract, key, s-int64(25*time.Hour), e)
	if err != nil {
		return err
	}
	raw := func() error {
		for _, p := range parts {
			if err := Feed(ctx, tx, contract, key, p.Start, p.End, a); err != nil {
				return err
			}
		}
		return nil
	}
	// The rows of one day are consecutive (ORDER BY unit_start).
	type day struct {
		start, end  int64
		first, last int64
		exact       bool
		counted     bool // every row of the day kept its value counts
		rows        []rollup
	}
	var days []*day
	for _, r := range rows {
		if r.end <= s {
			continue
		}
		if n := len(days); n > 0 && days[n-1].start == r.start {
			d := days[n-1]
			if d.end != r.end {
				return raw() // the same start, another length: not one day
			}
			d.first, d.last = min(d.first, r.first), max(d.last, r.last)
			d.exact = d.exact && r.exact
			d.counted = d.counted && r.counts.Valid
			d.rows = append(d.rows, r)
			continue
		} else if n > 0 && r.start < days[n-1].end {
			return raw() // overlapping days
		}
		days = append(days, &day{start: r.start, end: r.end, first: r.first, last: r.last, exact: r.exact, counted: r.counts.Valid, rows: []rollup{r}})
	}
	total := &evaluation.Summary{}
	if values {
		total.Values = make(map[string]int64, 8192)
	}
	var covered []evaluation.Interval
	for _, d := range days {
		inside := (d.start >= s && d.end <= e) || (d.first >= s && d.last < e)
		if !inside {
			continue
		}
		if !d.exact || (values && !d.counted) {
			return raw()
		}
		for _, r := range d.rows {
			total.Plus(r.s)
			if values {
				if err := total.AddValuesText(r.counts.String); err != nil {
					return err
				}
			}
		}
		covered = append(covered, evaluation.Interval{Start: time.Unix(0, max(d.start, s)), End: time.Unix(0, min(d.end, e))})
	}
	// What the cut stretches take of the days used, each instant once (two
	// exclusions may overlap), and the rest of the span, from the rows.
	for _, gone := range evaluation.Subtract(covered, evaluation.Subtract(covered, cut)) {
		left, err := summarize(ctx, tx, contract, key, gone, values)
		if err != nil {
			return err
		}
		if err := total.Subtract(left); err != nil {
			return fmt.Errorf("summaries of %s disagree with its measurements: %w", key, err)
		}
	}
	for _, p := range evaluation.Subtract(parts, covered) {
		rest, err := summarize(ctx, tx, contract, key, p, values)
		if err != nil {
			return err
		}
		total.Merge(rest)
	}
	if values && (total.Values == nil || len(total.Values) > evaluation.MaxValues) {
		// More distinct values than a summary counts: read the rows.
		return raw()
	}
	if err := a.AddSummary(total); err != nil {
		return err
	}
	if a.Input() == evaluation.Outages {
		return outagesOnly(ctx, tx, contract, key, span, a.AddOutage)
	}
	return nil
}

// summarize reads the measurements of contract's level key in iv into a
// summary; values says whether to count the values.
func summarize(ctx context.Context, tx *sqlstore.Tx, contract, key string, iv evaluation.Interval, values bool) (*evaluation.Summary, error) {
	out := &evaluation.Summary{}
	if values {
		out.Values = map[string]int64{}
	}
	rows, err := tx.Query(ctx, `SELECT value, COALESCE(denominator, ''), outage_start IS NOT NULL FROM measurements WHERE contract = ? AND service_level_key = ? AND event_time >= ? AND event_time < ?`,
		contract, key, iv.Start.UnixNano(), iv.End.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("read measurements of %s: %w", key, err)
	}
	defer rows.Close()
	var (
		value, den string
		outage     bool
	)
	for rows.Next() {
		if err := rows.Scan(&value, &den, &outage); err != nil {
			return nil, fmt.Errorf("read measurements of %s: %w", key, err)
		}
		if err := out.Add(value, den, outage); err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
}

// outagesOnly calls add with each stored outage of contract's level key
// that overlaps span, whenever it was reported.
func outagesOnly(ctx context.Context, tx *sqlstore.Tx, contract, key string, span evaluation.Interval, add func(o *evaluation.Interval) error) error {
	rows, err := tx.Query(ctx, `SELECT outage_start, outage_end FROM measurements WHERE contract = ? AND service_level_key = ?
		AND outage_start IS NOT NULL AND outage_start < ? AND outage_end > ?`,
		contract, key, span.End.UnixNano(), span.Start.UnixNano())
	if err != nil {
		return fmt.Errorf("read outages of %s: %w", key, err)
	}
	defer rows.Close()
	var from, to sql.NullInt64
	for rows.Next() {
		if err := rows.Scan(&from, &to); err != nil {
			return fmt.Errorf("read outages of %s: %w", key, err)
		}
		if err := add(outage(from, to)); err != nil {
			return err
		}
	}
	return rows.Err()
}
