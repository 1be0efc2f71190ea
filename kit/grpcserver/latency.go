package grpcserver

import (
	"context"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
)

// Latency is a stats handler observing each call's duration in a
// histogram by type, service, method and code — grpc_server_handling_seconds
// or grpc_client_handling_seconds, go-grpc-middleware's names with the
// grpc_code label added. Being a stats handler it sees every call from
// grpc-go's first word on it to its end, including calls grpc-go refuses
// before any interceptor runs.
type Latency struct {
	hist *prometheus.HistogramVec
}

// NewLatency registers the histogram of side ("server" or "client") on reg.
func NewLatency(reg prometheus.Registerer, side string) (*Latency, error) {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "grpc_" + side + "_handling_seconds",
		Help:    "Histogram of the time gRPC calls took (" + side + " side) until the application answered, by code.",
		Buckets: prometheus.DefBuckets,
	}, []string{"grpc_type", "grpc_service", "grpc_method", "grpc_code"})
	if err := reg.Register(h); err != nil {
		return nil, err
	}
	return &Latency{hist: h}, nil
}

type latencyKey struct{}

type latencyTag struct {
	method  string
	rpcType string
}

func (l *Latency) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	return context.WithValue(ctx, latencyKey{}, &latencyTag{method: info.FullMethodName, rpcType: "unary"})
}

func (l *Latency) HandleRPC(ctx context.Context, s stats.RPCStats) {
	t, ok := ctx.Value(latencyKey{}).(*latencyTag)
	if !ok {
		return
	}
	switch s := s.(type) {
	case *stats.Begin:
		t.rpcType = rpcType(s.IsClientStream, s.IsServerStream)
	case *stats.End:
		svc, method := splitMethod(t.method)
		l.hist.WithLabelValues(t.rpcType, svc, method, status.Code(s.Error).String()).Observe(s.EndTime.Sub(s.BeginTime).Seconds())
	}
}

func (l *Latency) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }

func (l *Latency) HandleConn(context.Context, stats.ConnStats) {}

func rpcType(clientStream, serverStream bool) string {
	switch {
	case clientStream && serverStream:
		return "bidi_stream"
	case clientStream:
		return "client_stream"
	case serverStream:
		return "server_stream"
	}
	return "unary"
}

// splitMethod splits "/pkg.Service/Method".
func splitMethod(full string) (service, method string) {
	full = strings.TrimPrefix(full, "/")
	if i := strings.LastIndex(full, "/"); i >= 0 {
		return full[:i], full[i+1:]
	}
	return "unknown", full
}

// ServerTracing is the stats handler that continues a caller's trace (W3C
// traceparent in the metadata) in a server span per call, with otel's
// global tracer provider and propagator (kit/telemetry.Setup). Health
// checks and reflection are not traced: probes would fill the traces.
func ServerTracing() grpc.ServerOption {
	return grpc.StatsHandler(otelgrpc.NewServerHandler(otelgrpc.WithFilter(func(info *stats.RPCTagInfo) bool {
		return !exempt(info.FullMethodName)
	})))
}
