package contract_test

import (
	"testing"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"github.com/acme/bpo/services/testenv"
)

// BenchmarkGetContract measures GetContract of a signed contract with
// nothing due, over gRPC on loopback, one call at a time — what
// monitoring's BatchCreateMeasurements waits for on every call (its
// terms) — on SQLite and, when BPO_TEST_POSTGRES_DSN is set, PostgreSQL.
// The platform is testenv's, logging as `bpo serve` does (to nowhere);
// client and server share the process.
//
//	go test ./services/contract/ -run '^$' -bench GetContract -benchmem
func BenchmarkGetContract(b *testing.B) {
	for _, dialect := range sqltest.Dialects(b) {
		b.Run(dialect, func(b *testing.B) {
			e := testenv.Start(b, dialect, testenv.ProductionLog())
			c := e.SignedContract(b).Contract
			ctx := e.AsRole(b, auth.GovernanceManager)
			req := &contractv1.GetContractRequest{Name: c.GetName()}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Contract.GetContract(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
