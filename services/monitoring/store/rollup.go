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
// 00005_rollups.sql): per level, by day and by month of the contract's
// service time zone. A stored batch adds one row per level and unit it
// touches — an insert of its own, so that concurrent batches never wait on
// each other's rows — and once a unit has mergeAt of them, the batch that
// notices merges them into the unit's one merged row. A monthly window
// then reads its month's few rows, a weekly one its days', and only the
// edges of a window that cut through a day are read row by row.
//
// Every summary is exact (evaluation.Summary): a period's value from the
// summaries equals its value from the rows to the last digit, which the
// randomized test in rollup_test.go checks against Feed on both
// databases.

// mergeAt is how many batch rows a unit gathers before they are merged:
// few enough that an evaluation reads little, many enough that merging
// (which rewrites the unit's value counts) is rare.
const mergeAt = 4

// A grain is a unit of time summaries are kept by.
type grain struct {
	name string
	// unit is the unit of t in loc.
	unit func(t time.Time, loc *time.Location) (start, end time.Time)
	// overlapping selects the units of a grain that overlap [?, ?) —
	// given as span end and span start — in unit order.
	overlapping string
}

// grains, coarsest first: the order FeedSummarized tries them in.
var grains = []grain{
	{
		name: "month",
		unit: func(t time.Time, loc *time.Location) (time.Time, time.Time) {
			l := t.In(loc)
			start := time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, loc)
			return start, start.AddDate(0, 1, 0)
		},
		// A handful of rows a month: no bound on how early a unit starts
		// (the markers of measurements stored before summaries span them
		// all).
		overlapping: `unit_start < ? AND unit_end > ?`,
	},
	{
		name: "day",
		unit: func(t time.Time, loc *time.Location) (time.Time, time.Time) {
			l := t.In(loc)
			start := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
			return start, start.AddDate(0, 0, 1)
		},
		// Days last at most 25 hours: one overlapping the span starts
		// after the span's start less 25 hours.
		overlapping: `unit_start < ? AND unit_start > ? - 90000000000000`,
	},
}

// unitKey names a level's unit.
type unitKey struct {
	key, grain string
	start, end int64
}

// rollUp adds the summaries of items, just stored for contract, to the
// units (in loc) they fall in.
func rollUp(ctx context.Context, tx *sqlstore.Tx, contract string, items []evaluation.Stored, loc *time.Location) error {
	type acc struct {
		s           *evaluation.Summary
		first, last int64
	}
	units := map[unitKey]*acc{}
	unitOf := func(k unitKey) *acc {
		a := units[k]
		if a == nil {
			a = &acc{s: evaluation.NewSummary(), first: math.MaxInt64, last: math.MinInt64}
			units[k] = a
		}
		return a
	}
	// Each measurement is added to the finest grain's unit; the coarser
	// units are the merges of the finer ones they hold (a day lies in one
	// month), which reads each measurement once.
	finest := grains[len(grains)-1]
	for _, it := range items {
		s, e := finest.unit(it.Time, loc)
		a := unitOf(unitKey{it.Key, finest.name, s.UnixNano(), e.UnixNano()})
		if err := a.s.Add(it.Value, it.Denominator, it.Outage != nil); err != nil {
			return err
		}
		t := it.Time.UnixNano()
		a.first, a.last = min(a.first, t), max(a.last, t)
	}
	var fine []unitKey
	for k := range units {
		fine = append(fine, k)
	}
	for _, k := range fine {
		d := units[k]
		for _, g := range grains[:len(grains)-1] {
			s, e := g.unit(time.Unix(0, d.first), loc)
			a := unitOf(unitKey{k.key, g.name, s.UnixNano(), e.UnixNano()})
			a.s.Merge(d.s)
			a.first, a.last = min(a.first, d.first), max(a.last, d.last)
		}
	}
	keys := make([]unitKey, 0, len(units))
	for k := range units {
		keys = append(keys, k)
	}
	// One order for every batch: merges lock their unit (below), and two
	// batches locking units in different orders could deadlock.
	slices.SortFunc(keys, func(a, b unitKey) int {
		return cmp.Or(strings.Compare(a.key, b.key), strings.Compare(a.grain, b.grain), cmp.Compare(a.start, b.start))
	})
	for _, k := range keys {
		a := units[k]
		if err := insertRollup(ctx, tx, contract, k, rand.Int64N(math.MaxInt64-1)+1, a.first, a.last, a.s); err != nil {
			return err
		}
	}
	for _, k := range keys {
		var parts int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM measurement_rollups WHERE contract = ? AND service_level_key = ? AND grain = ? AND unit_start = ? AND part > 0`,
			contract, k.key, k.grain, k.start).Scan(&parts); err != nil {
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

func insertRollup(ctx context.Context, tx *sqlstore.Tx, contract string, k unitKey, part, first, last int64, s *evaluation.Summary) error {
	var counts any // NULL when not kept
	if s.Values != nil {
		counts = s.ValuesText()
	}
	_, err := tx.Exec(ctx, `INSERT INTO measurement_rollups (contract, service_level_key, grain, unit_start, unit_end, part, exact, first_time, last_time, n, outages, value_sum, den_sum, value_counts)
		VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)`,
		contract, k.key, k.grain, k.start, k.end, part, first, last, s.N, s.Outages, s.SumText(), s.DenText(), counts)
	if err != nil {
		return fmt.Errorf("store summary of %s: %w", k.key, err)
	}
	return nil
}

// merge folds the exact rows of a unit into its merged row (part 0). On
// PostgreSQL concurrent batches of one contract notice the same unit at
// once: the first takes the unit's lock and merges; the others leave it —
// merging only compacts, and a later batch merges what is left — rather
// than queue behind it (40 % of the sessions' time in the ingest benchmark
// when they waited).
func merge(ctx context.Context, tx *sqlstore.Tx, contract string, k unitKey) error {
	got, err := tx.TryLock(ctx, fmt.Sprintf("rollup:%s:%s:%s:%d", contract, k.key, k.grain, k.start))
	if err != nil || !got {
		return err
	}
	rows, err := readRollups(ctx, tx, `SELECT `+rollupColumns(true)+`
		FROM measurement_rollups WHERE contract = ? AND service_level_key = ? AND grain = ? AND unit_start = ? AND part >= 0`, contract, k.key, k.grain, k.start)
	if err != nil {
		return err
	}
	if len(rows) < 2 {
		return nil // merged meanwhile
	}
	all := evaluation.NewSummary()
	first, last := int64(math.MaxInt64), int64(math.MinInt64)
	parts := make([]any, 0, len(rows)+4)
	parts = append(parts, contract, k.key, k.grain, k.start)
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
	if _, err := tx.Exec(ctx, `DELETE FROM measurement_rollups WHERE contract = ? AND service_level_key = ? AND grain = ? AND unit_start = ? AND part IN (`+
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
// elsewhere. Grain by grain, coarsest first:
//   - a unit counts from its summaries when every measurement in them lies
//     in span (a whole month or day of the window, or the first one of
//     service); its measurements that fall in a cut stretch are read and
//     taken away;
//   - the rest of span less cut (a week's days, a window's edges within a
//     day) goes to the next grain, and after the last, to the rows;
//   - a grain whose units overlap there (the service time zone was changed
//     by amendment; measurements stored before summaries were kept), or
//     whose unit inside span lacks a value count needed, is passed over
//     for the next.
//
// The result is the same as Feed's to the last digit.
func FeedSummarized(ctx context.Context, tx *sqlstore.Tx, contract, key string, span evaluation.Interval, cut []evaluation.Interval, a *evaluation.Aggregate) error {
	f := &feeder{ctx: ctx, tx: tx, contract: contract, key: key, values: a.NeedsValues(),
		dens: a.Input() == evaluation.Ratios, outages: a.Input() == evaluation.Outages}
	total, err := f.from(0, span, cut)
	if err != nil {
		return err
	}
	if f.values && (total.Values == nil || len(total.Values) > evaluation.MaxValues) {
		// More distinct values than a summary counts: read the rows.
		for _, p := range evaluation.Subtract([]evaluation.Interval{span}, cut) {
			if err := Feed(ctx, tx, contract, key, p.Start, p.End, a); err != nil {
				return err
			}
		}
		return nil
	}
	if err := a.AddSummary(total); err != nil {
		return err
	}
	if a.Input() == evaluation.Outages {
		return outagesOnly(ctx, tx, contract, key, span, a.AddOutage)
	}
	return nil
}

// feeder summarises one level's measurements for FeedSummarized.
type feeder struct {
	ctx           context.Context
	tx            *sqlstore.Tx
	contract, key string
	values        bool // the value counts are needed
	dens          bool // the denominators are needed (RATIO)
	outages       bool // the outages are counted (AVAILABILITY)
}

// from summarises the measurements in span less cut from grains[g] and
// finer, or from the rows after the last grain.
func (f *feeder) from(g int, span evaluation.Interval, cut []evaluation.Interval) (*evaluation.Summary, error) {
	for ; g < len(grains); g++ {
		s, ok, err := f.grain(g, span, cut)
		if err != nil || ok {
			return s, err
		}
	}
	total := f.empty()
	for _, p := range evaluation.Subtract([]evaluation.Interval{span}, cut) {
		rest, err := summarize(f.ctx, f.tx, f.contract, f.key, p, f.values, f.dens, f.outages)
		if err != nil {
			return nil, err
		}
		total.Merge(rest)
	}
	return total, nil
}

func (f *feeder) empty() *evaluation.Summary {
	if f.values {
		return &evaluation.Summary{Values: make(map[string]int64, 8192)}
	}
	return &evaluation.Summary{}
}

// grain summarises the measurements in span less cut from the units of
// grains[g] that lie inside span and from the finer grains for the rest;
// ok is false when grains[g] cannot be used for span.
func (f *feeder) grain(g int, span evaluation.Interval, cut []evaluation.Interval) (_ *evaluation.Summary, ok bool, _ error) {
	s, e := span.Start.UnixNano(), span.End.UnixNano()
	rows, err := readRollups(f.ctx, f.tx, `SELECT `+rollupColumns(f.values)+`
		FROM measurement_rollups WHERE contract = ? AND service_level_key = ? AND grain = ? AND `+grains[g].overlapping+` ORDER BY unit_start, part`,
		f.contract, f.key, grains[g].name, e, s)
	if err != nil {
		return nil, false, err
	}
	// The rows of one unit are consecutive (ORDER BY unit_start).
	type unit struct {
		start, end  int64
		first, last int64
		exact       bool
		counted     bool // every row of the unit kept its value counts
		rows        []rollup
	}
	var units []*unit
	for _, r := range rows {
		if r.end <= s {
			continue
		}
		if n := len(units); n > 0 && units[n-1].start == r.start {
			u := units[n-1]
			if u.end != r.end {
				return nil, false, nil // the same start, another length: not one unit
			}
			u.first, u.last = min(u.first, r.first), max(u.last, r.last)
			u.exact = u.exact && r.exact
			u.counted = u.counted && r.counts.Valid
			u.rows = append(u.rows, r)
			continue
		} else if n > 0 && r.start < units[n-1].end {
			return nil, false, nil // overlapping units
		}
		units = append(units, &unit{start: r.start, end: r.end, first: r.first, last: r.last, exact: r.exact, counted: r.counts.Valid, rows: []rollup{r}})
	}
	total := f.empty()
	var covered []evaluation.Interval
	for _, u := range units {
		inside := (u.start >= s && u.end <= e) || (u.first >= s && u.last < e)
		if !inside {
			continue
		}
		if !u.exact || (f.values && !u.counted) {
			return nil, false, nil
		}
		for _, r := range u.rows {
			total.Plus(r.s)
			if f.values {
				if err := total.AddValuesText(r.counts.String); err != nil {
					return nil, false, err
				}
			}
		}
		covered = append(covered, evaluation.Interval{Start: time.Unix(0, max(u.start, s)), End: time.Unix(0, min(u.end, e))})
	}
	// What the cut stretches take of the units used, each instant once
	// (two exclusions may overlap).
	for _, gone := range evaluation.Subtract(covered, evaluation.Subtract(covered, cut)) {
		left, err := summarize(f.ctx, f.tx, f.contract, f.key, gone, f.values, f.dens, f.outages)
		if err != nil {
			return nil, false, err
		}
		if err := total.Subtract(left); err != nil {
			return nil, false, fmt.Errorf("summaries of %s disagree with its measurements: %w", f.key, err)
		}
	}
	for _, p := range evaluation.Subtract(evaluation.Subtract([]evaluation.Interval{span}, cut), covered) {
		rest, err := f.from(g+1, p, nil)
		if err != nil {
			return nil, false, err
		}
		total.Merge(rest)
	}
	return total, true, nil
}

// summarize reads the measurements of contract's level key in iv into a
// summary; values says whether to count the values, dens whether to read
// the denominators (a RATIO's; without, each counts as 1) and outages
// whether to count the outages (an AVAILABILITY's; without, none is):
// what no aggregation but those reads is left unread, so that the rows
// are read from the index alone, which holds neither.
func summarize(ctx context.Context, tx *sqlstore.Tx, contract, key string, iv evaluation.Interval, values, dens, outages bool) (*evaluation.Summary, error) {
	t := evaluation.NewTally(values)
	den := "'1'"
	if dens {
		den = "COALESCE(denominator, '1')"
	}
	err := columns(ctx, tx, contract, key, iv.Start, iv.End, []string{"value", den},
		func(cols []string) error { return t.Add(cols[0], cols[1]) })
	if err != nil {
		return nil, err
	}
	s := t.Summary()
	if !outages {
		return s, nil
	}
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM measurements WHERE contract = ? AND service_level_key = ? AND outage_start IS NOT NULL AND event_time >= ? AND event_time < ?`,
		contract, key, iv.Start.UnixNano(), iv.End.UnixNano()).Scan(&s.Outages); err != nil {
		return nil, fmt.Errorf("count outages of %s: %w", key, err)
	}
	return s, nil
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
