package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"github.com/acme/bpo/services/monitoring"
	"github.com/acme/bpo/services/monitoring/evaluation"
	"github.com/acme/bpo/services/monitoring/store"
)

// The summaries kept as measurements arrive must give what the rows give,
// to the last digit, whatever arrives: every aggregation, values of mixed
// scales, duplicates re-sent, batches spread over many days (so that days
// are merged), exclusions cutting days, windows that do not start at a
// day's midnight (a time zone 5:30 or 5:45 from UTC, DST), a service time
// zone changed half-way (days that overlap), and days stored before
// summaries were kept. Each trial is random with a logged seed; a failure
// names the seed, the level and the window. The first trials are made to
// take the rarer turns: trial 0 measurements stored before summaries in
// UTC (where the markers' days line up with the days summarised since),
// trial 1 a zone changed half-way, trial 2 a zone 5:45 from UTC with
// exclusions.
func TestSummariesEqualRows(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			trials := 6
			if dialect == sqltest.Postgres {
				trials = 3 // the same code; the dialect's SQL is what differs
			}
			for i := range trials {
				seed := uint64(time.Now().UnixNano()) + uint64(i)
				t.Run(strconv.Itoa(i), func(t *testing.T) {
					t.Logf("seed %d", seed)
					summariesTrial(t, dialect, seed, i)
				})
			}
		})
	}
}

func summariesTrial(t *testing.T, dialect string, seed uint64, trial int) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, seed>>7))
	db := sqltest.Open(t, dialect, "monitoring", monitoring.Migrations())
	zones := []string{"UTC", "Asia/Kolkata", "Asia/Kathmandu", "America/Chicago", "Europe/Berlin"}
	zone := zones[rng.IntN(len(zones))]
	switch trial {
	case 0:
		zone = "UTC"
	case 2:
		zone = "Asia/Kathmandu"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	// The period: March (DST starts in it in Chicago and Berlin).
	start := time.Date(2025, 3, 1, 0, 0, 0, 0, loc)
	end := start.AddDate(0, 1, 0)
	levels := randomLevels(rng)

	// Measurements from two days before the period to two days after.
	from, span := start.AddDate(0, 0, -2), end.AddDate(0, 0, 2).Sub(start.AddDate(0, 0, -2))
	var items []evaluation.Stored
	for _, l := range levels {
		for j := range 500 + rng.IntN(1000) {
			at := from.Add(time.Duration(rng.Int64N(int64(span))))
			it := evaluation.Stored{Key: l.GetKey(), EventID: fmt.Sprintf("%s-%d", l.GetKey(), j), Time: at, Value: randomValue(rng)}
			switch l.GetMetric().GetAggregation() {
			case typev1.Aggregation_AGGREGATION_RATIO:
				den := 1 + rng.IntN(5)
				it.Denominator = strconv.Itoa(den)
				it.Value, _ = evaluation.ValueText(float64(rng.IntN(den*4+1)) / 4)
			case typev1.Aggregation_AGGREGATION_AVAILABILITY:
				it.Value = "1"
				if rng.IntN(10) == 0 {
					o := at.Add(-time.Duration(rng.Int64N(int64(6 * time.Hour))))
					it.Outage = &evaluation.Interval{Start: o, End: at}
				}
			}
			items = append(items, it)
		}
	}
	rng.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })

	// Stored in batches of 1–200, a tenth of them re-sent; with the zone
	// changed after half of them in some trials.
	other, _ := time.LoadLocation("Pacific/Auckland")
	changeZone := rng.IntN(4) == 0 || trial == 1
	// In some trials, the measurements of one level stored in the first
	// half are as if stored before summaries were kept: their summaries
	// gone, markers in their place as migration 00005 writes them.
	beforeSummaries := rng.IntN(4) == 0 || trial == 0
	for i := 0; i < len(items); {
		if beforeSummaries && i > len(items)/2 {
			forgetSummaries(t, db, levels[2].GetKey())
			beforeSummaries = false
		}
		n := 1 + rng.IntN(200)
		batch := items[i:min(i+n, len(items))]
		if i > 0 && rng.IntN(10) == 0 {
			batch = append(batch[:len(batch):len(batch)], items[rng.IntN(i)])
		}
		at := loc
		if changeZone && i > len(items)/2 {
			at = other
		}
		err := db.Write(ctx, func(tx *sqlstore.Tx) error {
			_, err := store.Save(ctx, tx, "contracts/c1", batch, time.Now(), at)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		i += n
	}
	// Exclusions: up to three stretches of up to two days.
	var cut []evaluation.Interval
	exclusions := rng.IntN(4)
	if trial == 2 {
		exclusions = 3
	}
	for range exclusions {
		s := start.Add(time.Duration(rng.Int64N(int64(end.Sub(start)))))
		cut = append(cut, evaluation.Interval{Start: s, End: s.Add(time.Duration(rng.Int64N(int64(48 * time.Hour))))})
	}
	for _, g := range []string{"day", "month"} {
		var merged int
		if err := db.Read(ctx, func(tx *sqlstore.Tx) error {
			return tx.QueryRow(ctx, `SELECT COUNT(*) FROM measurement_rollups WHERE grain = ? AND part = 0`, g).Scan(&merged)
		}); err != nil {
			t.Fatal(err)
		}
		if merged == 0 {
			t.Fatalf("no %s's summaries were merged: the trial does not test merging", g)
		}
	}

	// Windows: the month, its first ISO week, and a random stretch (early
	// warning's "last 24 hours" and "period so far").
	windows := []evaluation.Interval{{Start: start, End: end}, {Start: start.AddDate(0, 0, 2), End: start.AddDate(0, 0, 9)}}
	a := start.Add(time.Duration(rng.Int64N(int64(end.Sub(start)))))
	windows = append(windows, evaluation.Interval{Start: a, End: a.Add(time.Duration(rng.Int64N(int64(10 * 24 * time.Hour))))})

	for _, w := range windows {
		for _, l := range levels {
			c := cut
			if l.GetMetric().GetAggregation() == typev1.Aggregation_AGGREGATION_AVAILABILITY {
				c = nil // exclusions shorten its service time instead
			}
			rows := evaluation.NewAggregate(l, evaluation.Window{Start: w.Start, End: w.End})
			kept := evaluation.NewAggregate(l, evaluation.Window{Start: w.Start, End: w.End})
			err := db.Read(ctx, func(tx *sqlstore.Tx) error {
				for _, p := range evaluation.Subtract([]evaluation.Interval{w}, c) {
					if err := store.Feed(ctx, tx, "contracts/c1", l.GetKey(), p.Start, p.End, rows); err != nil {
						return err
					}
				}
				return store.FeedSummarized(ctx, tx, "contracts/c1", l.GetKey(), w, c, kept)
			})
			if err != nil {
				t.Fatal(err)
			}
			want, got := rows.Result(), kept.Result()
			if want.Outcome != got.Outcome || want.Used != got.Used || (want.Value == nil) != (got.Value == nil) ||
				(want.Value != nil && want.Value.Cmp(got.Value) != 0) || want.Explanation != got.Explanation {
				t.Fatalf("%s over %s–%s (zone %s, zone changed %v, %d exclusions):\nrows:      %s\nsummaries: %s",
					l.GetKey(), w.Start, w.End, loc, changeZone, len(cut), want.Explanation, got.Explanation)
			}
			if want.Used == 0 && w.End.Sub(w.Start) > 7*24*time.Hour {
				t.Fatalf("%s over %s–%s: no measurements; the trial tests nothing", l.GetKey(), w.Start, w.End)
			}
		}
	}
}

// randomLevels is one level of each aggregation, with random thresholds,
// comparators and percentiles.
func randomLevels(rng *rand.Rand) []*typev1.ServiceLevel {
	comparators := []typev1.Comparator{typev1.Comparator_COMPARATOR_AT_LEAST, typev1.Comparator_COMPARATOR_AT_MOST}
	level := func(key string, m *typev1.MetricDefinition, target string) *typev1.ServiceLevel {
		return &typev1.ServiceLevel{Key: key, Metric: m, Target: target, Comparator: comparators[rng.IntN(2)],
			Kind: typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL}
	}
	return []*typev1.ServiceLevel{
		level("within", &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_PERCENT_WITHIN, Threshold: randomValue(rng), ThresholdComparator: comparators[rng.IntN(2)]}, "80"),
		level("p", &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_PERCENTILE, Percentile: int32(1 + rng.IntN(100))}, "20"),
		level("mean", &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_MEAN}, "20"),
		level("sum", &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_SUM}, "5000"),
		level("count", &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_COUNT}, "100"),
		level("ratio", &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_RATIO}, "50"),
		level("avail", &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_AVAILABILITY}, "99.5"),
	}
}

// randomValue is a value between 0 and 40 with up to three decimals, as
// its exact text: "17", "17.5", "17.25", "0.125".
func randomValue(rng *rand.Rand) string {
	scale := []float64{1, 10, 100, 1000}[rng.IntN(4)]
	v, _ := evaluation.ValueText(float64(rng.IntN(int(40*scale))) / scale)
	return v
}

// forgetSummaries makes the stored measurements of key look as if stored
// before summaries were kept: it drops their summaries and writes the
// markers migration 00005 writes (its two INSERTs, for key alone).
func forgetSummaries(t *testing.T, db *sqlstore.DB, key string) {
	t.Helper()
	ctx := context.Background()
	err := db.Write(ctx, func(tx *sqlstore.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM measurement_rollups WHERE service_level_key = ?`, key); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO measurement_rollups (contract, service_level_key, grain, unit_start, unit_end, part, exact, first_time, last_time, n, outages, value_sum, den_sum, value_counts)
			SELECT contract, service_level_key, 'day', (event_time / 86400000000000) * 86400000000000, (event_time / 86400000000000) * 86400000000000 + 86400000000000,
			       -1, 0, MIN(event_time), MAX(event_time), COUNT(*), 0, '0', '0', NULL
			FROM measurements WHERE service_level_key = ?
			GROUP BY contract, service_level_key, (event_time / 86400000000000) * 86400000000000`, key); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO measurement_rollups (contract, service_level_key, grain, unit_start, unit_end, part, exact, first_time, last_time, n, outages, value_sum, den_sum, value_counts)
			SELECT contract, service_level_key, 'month', MIN(event_time), MAX(event_time) + 1, -1, 0, MIN(event_time), MAX(event_time), COUNT(*), 0, '0', '0', NULL
			FROM measurements WHERE service_level_key = ?
			GROUP BY contract, service_level_key`, key)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
