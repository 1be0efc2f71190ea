package catalog_test

import (
	"syscall"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"github.com/acme/bpo/services/testenv"
)

// BenchmarkGetProvider measures GetProvider through the real server on
// loopback — kit/grpcserver with every interceptor, the catalog's store
// opened as `bpo serve` opens it, one JSON log line per call (written to
// nowhere; testenv.ProductionLog) — on SQLite and, when BPO_TEST_POSTGRES_DSN is set, on
// PostgreSQL: the path `make bench` compares with a bare Health/Check.
// Every call carries the same token, as a client's calls do. Client and
// server share the process, so ns/op, allocs/op and cpu-µs/op (the
// process's CPU time a call, steadier than ns/op on a shared machine)
// count both sides.
//
//	go test ./services/catalog/ -run '^$' -bench GetProvider -benchmem
func BenchmarkGetProvider(b *testing.B) {
	for _, dialect := range sqltest.Dialects(b) {
		b.Run(dialect, func(b *testing.B) {
			e := testenv.Start(b, dialect, testenv.Only("catalog"), testenv.ProductionLog())
			p, err := e.Catalog.CreateProvider(e.AsRole(b, auth.SourcingManager), &catalogv1.CreateProviderRequest{Provider: newProvider("Bench Provider")})
			if err != nil {
				b.Fatal(err)
			}
			call := e.AsRole(b, auth.Evaluator)
			req := &catalogv1.GetProviderRequest{Name: p.GetName()}
			b.ReportAllocs()
			cpu0 := processCPU(b)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := e.Catalog.GetProvider(call, req); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// processCPU is the CPU time the process has used, user and system.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
