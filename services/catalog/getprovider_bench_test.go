package catalog_test

import (
	"context"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/grpcserver"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"github.com/acme/bpo/services/platform"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// BenchmarkGetProvider measures GetProvider through the real server on
// loopback — kit/grpcserver with every interceptor, the catalog's store
// opened as `bpo serve` opens it, one JSON log line per call (written to
// nowhere) — on SQLite and, when BPO_TEST_POSTGRES_DSN is set, on
// PostgreSQL: the path `make bench` compares with a bare Health/Check.
// Every call carries the same token, as a client's calls do. Client and
// server share the process, so ns/op, allocs/op and cpu-µs/op (the
// process's CPU time a call, steadier than ns/op on a shared machine)
// count both sides.
//
//	go test ./services/catalog/ -run '^$' -bench GetProvider -benchmem
func BenchmarkGetProvider(b *testing.B) {
	var svc platform.Service
	for _, s := range platform.Services {
		if s.Name == "catalog" {
			svc = s
		}
	}
	key := []byte("bpo-bench-hs256-key-32-bytes!!!!")
	auditKey, err := audit.NewKey([]byte("bpo-bench-audit-hmac-key-32byte!"))
	if err != nil {
		b.Fatal(err)
	}
	for _, dialect := range sqltest.Dialects(b) {
		b.Run(dialect, func(b *testing.B) {
			db, _, err := svc.Open(context.Background(), sqltest.DSN(b, dialect), auditKey)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			verifier, err := auth.NewHMACVerifier(key)
			if err != nil {
				b.Fatal(err)
			}
			log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zap.InfoLevel))
			srv, err := grpcserver.New(grpcserver.Config{Log: log, Verifier: verifier, Policy: platform.Policy([]platform.Service{svc})})
			if err != nil {
				b.Fatal(err)
			}
			svc.Register(srv.Server, db, platform.Upstreams{}, platform.Options{})
			lis, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			ctx, stop := context.WithCancel(context.Background())
			served := make(chan error, 1)
			go func() { served <- srv.Serve(ctx, lis, 5*time.Second) }()
			conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() {
				conn.Close()
				stop()
				<-served
			})
			client := catalogv1.NewCatalogServiceClient(conn)
			signer := auth.NewSigner(key)
			as := func(role auth.Role) context.Context {
				tok, err := signer.Mint("bench", []auth.Role{role}, "", time.Hour)
				if err != nil {
					b.Fatal(err)
				}
				return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+tok)
			}
			p, err := client.CreateProvider(as(auth.SourcingManager), &catalogv1.CreateProviderRequest{Provider: newProvider("Bench Provider")})
			if err != nil {
				b.Fatal(err)
			}
			call := as(auth.Evaluator)
			req := &catalogv1.GetProviderRequest{Name: p.GetName()}
			b.ReportAllocs()
			cpu0 := processCPU(b)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := client.GetProvider(call, req); err != nil {
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
