package store_test

import (
	"context"
	"math/rand/v2"
	"strconv"
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
		if _, err := store.Save(ctx, tx, "contracts/bench", items, time.Now()); err != nil {
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
