package downstream_test

import (
	"context"
	"strings"
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/downstream"
	"github.com/acme/bpo/kit/telemetry"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"google.golang.org/grpc"
)

// TestCallsCarryTheTraceContextAndAreCounted: a call made in a traced
// context sends its W3C traceparent — the same trace, a new span (the
// client span) — and is counted in the client metrics by method and code.
func TestCallsCarryTheTraceContextAndAreCounted(t *testing.T) {
	tr, err := telemetry.Setup(context.Background(), "test", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = tr.Shutdown(context.Background())
		otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator())
	})
	up := &upstream{}
	s := grpc.NewServer()
	catalogv1.RegisterCatalogServiceServer(s, up)
	addr := listen(t, s)
	reg := prometheus.NewRegistry()
	m, err := downstream.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := downstream.DialTLS("catalog", addr, nil, downstream.WithMetrics(m))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	const traceID, parent = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	ctx := otel.GetTextMapPropagator().Extract(context.Background(), propagation.MapCarrier{"traceparent": "00-" + traceID + "-" + parent + "-01"})
	if _, err := catalogv1.NewCatalogServiceClient(conn).GetProvider(ctx, &catalogv1.GetProviderRequest{Name: "providers/p1"}); err != nil {
		t.Fatal(err)
	}
	got := up.md.Get("traceparent")
	if len(got) != 1 || !strings.HasPrefix(got[0], "00-"+traceID+"-") || strings.Contains(got[0], parent) {
		t.Errorf("traceparent %v; want the caller's trace %s with the client span's id", got, traceID)
	}
	n, err := testutil.GatherAndCount(reg, "grpc_client_handled_total", "grpc_client_handling_seconds")
	if err != nil || n != 2 {
		t.Errorf("%d client series (%v); want one handled counter and one latency histogram, of GetProvider OK", n, err)
	}
}
