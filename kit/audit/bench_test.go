package audit

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"google.golang.org/grpc"
)

// BenchmarkRecord measures writers appending to one keyed log at once,
// each in a transaction of its own as a measurement batch does — 16 of
// them, as `make bench` sends — on SQLite and (with BPO_TEST_POSTGRES_DSN)
// PostgreSQL. The head row serialises them: what a writer does while it
// holds the head is what this measures. The log must verify afterwards.
//
//	go test -run '^$' -bench Record -benchmem ./kit/audit/
func BenchmarkRecord(b *testing.B) {
	for _, dialect := range sqltest.Dialects(b) {
		b.Run(dialect, func(b *testing.B) {
			db := sqltest.Open(b, dialect, "audit_bench", nil)
			key, err := NewKey([]byte("bpo-bench-audit-hmac-key-32byte!"))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := Attach(context.Background(), db, "monitoring", key); err != nil {
				b.Fatal(err)
			}
			ctx := grpc.NewContextWithServerTransportStream(context.Background(), methodStream{"/bpo.monitoring.v1.MonitoringService/BatchCreateMeasurements"})
			ctx = auth.WithPrincipal(ctx, &auth.Principal{Subject: "provider-user", Roles: []auth.Role{auth.ProviderUser}})
			var n atomic.Int64
			b.SetParallelism(benchWriters)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					counts := obj(b, map[string]any{"submitted": 1000, "accepted": 1000, "duplicates": 0, "rejected": 0})
					if err := db.Write(ctx, func(tx *sqlstore.Tx) error {
						return Record(ctx, tx, fmt.Sprintf("contracts/%d/measurements", i%4), "", nil, counts)
					}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			v, err := Verify(context.Background(), db, nil)
			if err != nil || !v.GetIntact() || v.GetEventsChecked() != n.Load() {
				b.Fatalf("Verify = %v, %v; want intact with %d events", v, err, n.Load())
			}
		})
	}
}

// benchWriters is BenchmarkRecord's writers per GOMAXPROCS: with -cpu 2,
// the 16 of `make bench`.
const benchWriters = 8
