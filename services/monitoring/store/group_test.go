package store_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"github.com/acme/bpo/services/monitoring"
	"github.com/acme/bpo/services/monitoring/evaluation"
	"github.com/acme/bpo/services/monitoring/store"
	"google.golang.org/protobuf/types/known/structpb"
)

// Twenty batches written at once, every fifth failing after its insert:
// each succeeding batch is stored whole with its audit record, each
// failing one leaves nothing, and the audit chain is intact — whether the
// writer grouped them (SQLite) or not (PostgreSQL).
func TestWriterKeepsEachBatchAllOrNothing(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			db := sqltest.Open(t, dialect, "monitoring", monitoring.Migrations())
			w := store.WriterOf(db)
			if store.WriterOf(db) != w {
				t.Fatal("two writers for one store")
			}
			const batches, size = 20, 50
			boom := errors.New("boom")
			errs := make([]error, batches)
			var wg sync.WaitGroup
			for b := range batches {
				wg.Go(func() {
					items := batchOf("k"+strconv.Itoa(b), 0, size)
					errs[b] = w.Write(context.Background(), func(ctx context.Context, tx *sqlstore.Tx) error {
						if _, err := store.Save(ctx, tx, "contracts/c1", items, time.Now(), time.UTC); err != nil {
							return err
						}
						counts, _ := structpb.NewStruct(map[string]any{"accepted": size})
						if err := audit.Record(ctx, tx, "contracts/c1/measurements", "batch-"+strconv.Itoa(b), nil, counts); err != nil {
							return err
						}
						if b%5 == 4 {
							return boom // after its rows and its audit record
						}
						return nil
					})
				})
			}
			wg.Wait()
			for b, err := range errs {
				if want := b%5 == 4; want != errors.Is(err, boom) || (!want && err != nil) {
					t.Errorf("batch %d: %v", b, err)
				}
			}
			// 16 of 20 batches stored: 16 × 50 = 800 rows, 16 audit records.
			var rows, events int
			err := db.Read(context.Background(), func(tx *sqlstore.Tx) error {
				if err := tx.QueryRow(context.Background(), `SELECT COUNT(*) FROM measurements`).Scan(&rows); err != nil {
					return err
				}
				return tx.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_events WHERE resource = 'contracts/c1/measurements'`).Scan(&events)
			})
			if err != nil {
				t.Fatal(err)
			}
			if rows != 800 || events != 16 {
				t.Fatalf("%d rows and %d audit records stored, want 800 and 16", rows, events)
			}
			for b := 4; b < batches; b += 5 {
				var n int
				_ = db.Read(context.Background(), func(tx *sqlstore.Tx) error {
					return tx.QueryRow(context.Background(), `SELECT COUNT(*) FROM measurements WHERE service_level_key = ?`, "k"+strconv.Itoa(b)).Scan(&n)
				})
				if n != 0 {
					t.Errorf("failed batch %d left %d rows", b, n)
				}
			}
			v, err := audit.Verify(context.Background(), db, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !v.GetIntact() {
				t.Fatalf("audit chain broken: %s", v.GetProblem())
			}
		})
	}
}

// On PostgreSQL, 16 batches at once run in at most four transactions at
// once, and in more than one: a bound, not a queue of one.
func TestWriterBoundsPostgreSQLTransactions(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		if dialect != sqltest.Postgres {
			continue // SQLite's writer groups batches into one transaction
		}
		t.Run(dialect, func(t *testing.T) {
			db := sqltest.Open(t, dialect, "monitoring", monitoring.Migrations())
			w := store.WriterOf(db)
			var running, most atomic.Int64
			var wg sync.WaitGroup
			for b := range 16 {
				wg.Go(func() {
					err := w.Write(context.Background(), func(ctx context.Context, tx *sqlstore.Tx) error {
						n := running.Add(1)
						defer running.Add(-1)
						for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
						}
						// Long enough for the others to pile up behind it.
						if _, err := tx.Exec(ctx, `SELECT pg_sleep(0.05)`); err != nil {
							return err
						}
						_, err := store.Save(ctx, tx, "contracts/c1", batchOf("k"+strconv.Itoa(b), 0, 10), time.Now(), time.UTC)
						return err
					})
					if err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if m := most.Load(); m > 4 || m < 2 {
				t.Fatalf("at most %d transactions at once, want 2 to 4", m)
			}
		})
	}
}

// A caller gone before its group starts is answered its context's error
// and nothing of its batch is stored.
func TestWriterSkipsABatchWhoseCallerIsGone(t *testing.T) {
	db := sqltest.Open(t, sqltest.SQLite, "monitoring", monitoring.Migrations())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := store.WriterOf(db).Write(ctx, func(context.Context, *sqlstore.Tx) error { ran = true; return nil })
	if !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("err %v, ran %v; want context.Canceled and not run", err, ran)
	}
}

// BenchmarkConcurrentBatches stores batches of 1 000 new measurements from
// 16 concurrent callers, each with its audit record, in a transaction of
// its own (as before the group commit) or through the Writer, which on
// SQLite commits the batches waiting together (one sync for the group)
// and on PostgreSQL runs at most four at once.
//
//	go test -run '^$' -bench ConcurrentBatches ./services/monitoring/store/
func BenchmarkConcurrentBatches(b *testing.B) {
	for _, dialect := range sqltest.Dialects(b) {
		for _, grouped := range []bool{false, true} {
			name := dialect + "/own transaction"
			if grouped {
				name = dialect + "/writer"
			}
			b.Run(name, func(b *testing.B) { concurrentBatches(b, dialect, grouped) })
		}
	}
}

func concurrentBatches(b *testing.B, dialect string, grouped bool) {
	db := sqltest.Open(b, dialect, "monitoring", monitoring.Migrations())
	w := store.WriterOf(db)
	var next atomic.Int64
	write := func(items []evaluation.Stored) error {
		fn := func(ctx context.Context, tx *sqlstore.Tx) error {
			if _, err := store.Save(ctx, tx, "contracts/bench", items, time.Now(), time.UTC); err != nil {
				return err
			}
			counts, _ := structpb.NewStruct(map[string]any{"accepted": len(items)})
			return audit.Record(ctx, tx, "contracts/bench/measurements", "", nil, counts)
		}
		if grouped {
			return w.Write(context.Background(), fn)
		}
		return db.Write(context.Background(), func(tx *sqlstore.Tx) error { return fn(context.Background(), tx) })
	}
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			first := int(next.Add(1000)) - 1000
			if err := write(batchOf("aht", first, 1000)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(next.Load())/b.Elapsed().Seconds(), "measurements/s")
}
