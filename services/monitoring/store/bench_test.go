package store_test

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"github.com/acme/bpo/services/monitoring"
	"github.com/acme/bpo/services/monitoring/evaluation"
	"github.com/acme/bpo/services/monitoring/store"
	"google.golang.org/protobuf/types/known/structpb"
)

// The hot paths of monitoring on the embedded default (SQLite, WAL,
// synchronous=FULL), as the handlers run them: a batch stored in one write
// transaction with its audit record, and a period's values read and
// aggregated exactly. spec: monitoring.md "Scale".
//
//	go test -run '^$' -bench . -benchtime 5x ./services/monitoring/store/

// batchOf returns n measurements of key numbered from first, one a second
// from March 2025, with values like a handle time in seconds ("17.25").
func batchOf(key string, first, n int) []evaluation.Stored {
	t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	items := make([]evaluation.Stored, n)
	for i := range items {
		id := first + i
		items[i] = evaluation.Stored{
			Key: key, EventID: "evt-" + strconv.Itoa(id), Time: t0.Add(time.Duration(id) * time.Second),
			Value: strconv.Itoa(rand.IntN(40)) + "." + strconv.Itoa(rand.IntN(100)),
		}
	}
	return items
}

func saveBatch(b *testing.B, db *sqlstore.DB, items []evaluation.Stored) {
	ctx := context.Background()
	err := db.Write(ctx, func(tx *sqlstore.Tx) error {
		if _, err := store.Save(ctx, tx, "contracts/bench", items, time.Now(), time.UTC); err != nil {
			return err
		}
		counts, _ := structpb.NewStruct(map[string]any{"accepted": len(items)})
		return audit.Record(ctx, tx, "contracts/bench/measurements", "", nil, counts)
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSaveBatch stores one batch of 1 000 or 10 000 (the API's
// maximum) new measurements per operation into a growing table.
func BenchmarkSaveBatch(b *testing.B) {
	for _, size := range []int{1_000, 10_000} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			db := sqltest.Open(b, sqltest.SQLite, "monitoring", monitoring.Migrations())
			next := 0
			for b.Loop() {
				b.StopTimer()
				items := batchOf("aht", next, size)
				next += size
				b.StartTimer()
				saveBatch(b, db, items)
			}
			b.ReportMetric(float64(size*b.N)/b.Elapsed().Seconds(), "measurements/s")
		})
	}
}

// BenchmarkEvaluate reads and aggregates 100 000 measurements of one level
// in a month, as PERCENT_WITHIN (threshold 20 s) and as MEAN.
func BenchmarkEvaluate(b *testing.B) {
	const n = 100_000
	db := sqltest.Open(b, sqltest.SQLite, "monitoring", monitoring.Migrations())
	for first := 0; first < n; first += 10_000 {
		saveBatch(b, db, batchOf("aht", first, 10_000))
	}
	start := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 1, 0)
	levels := map[string]*typev1.ServiceLevel{
		"percent_within": {Key: "aht", Metric: &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_PERCENT_WITHIN, Threshold: "20"},
			Comparator: typev1.Comparator_COMPARATOR_AT_LEAST, Target: "80", Kind: typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL},
		"mean": {Key: "aht", Metric: &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_MEAN},
			Comparator: typev1.Comparator_COMPARATOR_AT_MOST, Target: "20", Kind: typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL},
	}
	for _, name := range []string{"percent_within", "mean"} {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				a := evaluation.NewAggregate(levels[name], evaluation.Window{Start: start, End: end})
				err := db.Read(ctx, func(tx *sqlstore.Tx) error {
					return store.Values(ctx, tx, "contracts/bench", "aht", start, end, a.Add)
				})
				if err != nil {
					b.Fatal(err)
				}
				if r := a.Result(); r.Used != n {
					b.Fatalf("used %d measurements, want %d", r.Used, n)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "measurements/s")
		})
	}
}

// BenchmarkPeriod evaluates a month holding 10 million measurements (or
// BPO_BENCH_MEASUREMENTS) of three levels of the same key — PERCENT_WITHIN
// (within 20 s), PERCENTILE (90th) and MEAN — in the service time zone
// America/Chicago, with one approved exclusion of two hours:
//
//   - summaries: from the summaries kept as the measurements were stored
//     (what an open period's EvaluatePeriod and early warning read); goal
//     ≤ 100 ms for the period;
//   - rows: the full recompute from the rows (what a close or a
//     restatement stores); goal ≥ 5 million measurements/s.
//
// Both must give the same result (checked on every run). Filling the
// store takes a minute or two; it is not timed.
//
//	go test -run '^$' -bench Period -benchtime 10x ./services/monitoring/store/
func BenchmarkPeriod(b *testing.B) {
	n := 10_000_000
	if s := os.Getenv("BPO_BENCH_MEASUREMENTS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		b.Fatal(err)
	}
	start := time.Date(2025, 3, 1, 0, 0, 0, 0, loc)
	end := start.AddDate(0, 1, 0)
	db := sqltest.Open(b, sqltest.SQLite, "monitoring", monitoring.Migrations())
	ctx := context.Background()
	// In event-time order, as a provider's systems send them, 10 000 a
	// batch, five batches a transaction; values like a wait in seconds
	// with two decimals (4 000 distinct values).
	step := end.Sub(start) / time.Duration(n)
	rng := rand.New(rand.NewPCG(1, 2))
	const batch, perTx = 10_000, 5
	for first := 0; first < n; first += batch * perTx {
		err := db.Write(ctx, func(tx *sqlstore.Tx) error {
			for k := first; k < min(first+batch*perTx, n); k += batch {
				items := make([]evaluation.Stored, 0, batch)
				for i := k; i < min(k+batch, n); i++ {
					items = append(items, evaluation.Stored{Key: "wait", EventID: "e" + strconv.Itoa(i), Time: start.Add(time.Duration(i) * step),
						Value: strconv.Itoa(rng.IntN(40)) + "." + strconv.Itoa(10+rng.IntN(90))})
				}
				if _, err := store.Save(ctx, tx, "contracts/bench", items, time.Now(), loc); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	level := func(m *typev1.MetricDefinition) *typev1.ServiceLevel {
		return &typev1.ServiceLevel{Key: "wait", Metric: m, Comparator: typev1.Comparator_COMPARATOR_AT_MOST, Target: "20",
			Kind: typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL}
	}
	levels := []*typev1.ServiceLevel{
		level(&typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_PERCENT_WITHIN, Threshold: "20", ThresholdComparator: typev1.Comparator_COMPARATOR_AT_MOST}),
		level(&typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_PERCENTILE, Percentile: 90}),
		level(&typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_MEAN}),
	}
	excl := []evaluation.Interval{{Start: start.AddDate(0, 0, 9).Add(14 * time.Hour), End: start.AddDate(0, 0, 9).Add(16 * time.Hour)}}
	window := evaluation.Interval{Start: start, End: end}
	evaluate := func(b *testing.B, fromRows bool) []evaluation.Result {
		out := make([]evaluation.Result, len(levels))
		err := db.Read(ctx, func(tx *sqlstore.Tx) error {
			for i, l := range levels {
				a := evaluation.NewAggregate(l, evaluation.Window{Start: start, End: end})
				if fromRows {
					for _, p := range evaluation.Subtract([]evaluation.Interval{window}, excl) {
						if err := store.Feed(ctx, tx, "contracts/bench", "wait", p.Start, p.End, a); err != nil {
							return err
						}
					}
				} else if err := store.FeedSummarized(ctx, tx, "contracts/bench", "wait", window, excl, a); err != nil {
					return err
				}
				out[i] = a.Result()
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		return out
	}
	want := evaluate(b, true)
	for _, fromRows := range []bool{false, true} {
		name := map[bool]string{false: "summaries", true: "rows"}[fromRows]
		b.Run(name, func(b *testing.B) {
			var got []evaluation.Result
			cpu := cpuTime()
			for b.Loop() {
				got = evaluate(b, fromRows)
			}
			cpu = cpuTime() - cpu
			for i := range got {
				if got[i].Explanation != want[i].Explanation {
					b.Fatalf("%s: %s, want %s", name, got[i].Explanation, want[i].Explanation)
				}
			}
			rows := float64(int64(len(levels)) * got[0].Used * int64(b.N))
			b.ReportMetric(rows/b.Elapsed().Seconds(), "measurements/s")
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/period")
			// The CPU the process spent: the steadier figure on a machine
			// whose cores other work shares (README, "Performance").
			b.ReportMetric(rows/cpu.Seconds(), "measurements/cpu-s")
			b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/period")
		})
	}
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
