package grpcserver

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
)

// TestLatencyHasTheCode: the latency histogram is by method and code.
func TestLatencyHasTheCode(t *testing.T) {
	reg := prometheus.NewRegistry()
	l, err := NewLatency(reg, "server")
	if err != nil {
		t.Fatal(err)
	}
	call := func(method string, err error, d time.Duration) {
		ctx := l.TagRPC(context.Background(), &stats.RPCTagInfo{FullMethodName: method})
		begin := time.Unix(100, 0)
		l.HandleRPC(ctx, &stats.Begin{BeginTime: begin, IsClientStream: true})
		l.HandleRPC(ctx, &stats.End{BeginTime: begin, EndTime: begin.Add(d), Error: err})
	}
	// 3 ms and 40 ms OK, one 8 s NotFound.
	call("/bpo.catalog.v1.CatalogService/GetProvider", nil, 3*time.Millisecond)
	call("/bpo.catalog.v1.CatalogService/GetProvider", nil, 40*time.Millisecond)
	call("/bpo.catalog.v1.CatalogService/GetProvider", status.Error(codes.NotFound, "no"), 8*time.Second)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][2]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var l []string
			for _, lp := range m.GetLabel() {
				l = append(l, lp.GetName()+"="+lp.GetValue())
			}
			got[strings.Join(l, ",")] = [2]float64{float64(m.GetHistogram().GetSampleCount()), m.GetHistogram().GetSampleSum()}
		}
	}
	// Sums: 0.003 + 0.040 = 0.043 s for OK; 8 s for NotFound.
	for series, w := range map[string][2]float64{
		"grpc_code=OK,grpc_method=GetProvider,grpc_service=bpo.catalog.v1.CatalogService,grpc_type=client_stream":       {2, 0.043},
		"grpc_code=NotFound,grpc_method=GetProvider,grpc_service=bpo.catalog.v1.CatalogService,grpc_type=client_stream": {1, 8},
	} {
		if g := got[series]; g[0] != w[0] || g[1] < w[1]-1e-9 || g[1] > w[1]+1e-9 {
			t.Errorf("%s: count, sum %v; want %v (all %v)", series, g, w, got)
		}
	}
	if n := testutil.CollectAndCount(l.hist); n != 2 {
		t.Errorf("%d series; want 2", n)
	}
}
