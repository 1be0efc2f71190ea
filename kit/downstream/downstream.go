// Package downstream dials the services a service calls. Calls carry the
// caller's token (so authorisation is the same wherever a request enters),
// the caller's request id, its W3C trace context (traceparent), and a
// deadline; a dependency that is down or too
// slow becomes UNAVAILABLE naming it, never a hang or an INTERNAL.
package downstream

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"time"

	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/grpcserver"
	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	_ "google.golang.org/grpc/health" // the client side of healthCheckConfig
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
)

// DefaultTimeout bounds a downstream call when the caller set no earlier
// deadline.
const DefaultTimeout = 5 * time.Second

// Dial returns a plaintext connection to the service called name at addr.
// It does not block: a service that is down makes calls fail, not start-up.
// Dial once at start-up and share the connection.
func Dial(name, addr string) (*grpc.ClientConn, error) {
	return DialTLS(name, addr, nil)
}

// DialTLS is Dial over TLS, the server checked as cfg says; a nil cfg
// dials in plaintext.
//
// Every call is traced: a client span (otel's global tracer provider,
// kit/telemetry) whose W3C traceparent goes in the call's metadata, so the
// called service continues the caller's trace.
func DialTLS(name, addr string, cfg *tls.Config, opts ...Option) (*grpc.ClientConn, error) {
	creds := insecure.NewCredentials()
	if cfg != nil {
		creds = credentials.NewTLS(cfg)
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	// forward is innermost: the metrics see the error it maps.
	unary := []grpc.UnaryClientInterceptor{forward(name)}
	dial := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultServiceConfig(serviceConfig),
		grpc.WithConnectParams(reconnect),
		grpc.WithKeepaliveParams(keepAlive),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelgrpc.WithFilter(traced))),
	}
	if m := o.metrics; m != nil {
		unary = append([]grpc.UnaryClientInterceptor{m.counters.UnaryClientInterceptor()}, unary...)
		dial = append(dial, grpc.WithStatsHandler(m.latency), grpc.WithChainStreamInterceptor(m.counters.StreamClientInterceptor()))
	}
	conn, err := grpc.NewClient(addr, append(dial, grpc.WithChainUnaryInterceptor(unary...))...)
	if err != nil {
		return nil, fmt.Errorf("dial %s at %s: %w", name, addr, err)
	}
	return conn, nil
}

// Option configures a connection.
type Option func(*options)

type options struct {
	metrics *Metrics
}

// WithMetrics counts the connection's calls in m.
func WithMetrics(m *Metrics) Option {
	return func(o *options) { o.metrics = m }
}

// Metrics are the client-side metrics of a process's calls to the
// services: go-grpc-middleware's grpc_client_started_total,
// grpc_client_handled_total{grpc_code} and message counters, and
// grpc_client_handling_seconds by method and code. One Metrics serves
// every connection of the process.
type Metrics struct {
	counters *grpcprom.ClientMetrics
	latency  *grpcserver.Latency
}

// NewMetrics registers the client metrics on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{counters: grpcprom.NewClientMetrics()}
	if err := reg.Register(m.counters); err != nil {
		return nil, err
	}
	var err error
	if m.latency, err = grpcserver.NewLatency(reg, "client"); err != nil {
		return nil, err
	}
	return m, nil
}

// traced leaves the health checks of the connection's load balancer out of
// the traces.
func traced(info *stats.RPCTagInfo) bool {
	return !strings.HasPrefix(info.FullMethodName, "/grpc.health.v1.Health/")
}

// serviceConfig spreads calls over every replica of a `dns:///` address of
// a headless Service instead of sticking to the first one resolved, and
// sends them only to a replica whose health service says SERVING: one that
// is starting or draining (grpcserver.Serve) gets none.
const serviceConfig = `{
	"loadBalancingConfig": [{"round_robin": {}}],
	"healthCheckConfig": {"serviceName": ""}
}`

// reconnect keeps the wait for a dependency that comes back under about a
// second. gRPC's default backoff grows to 120 s, and its 20 s minimum
// connect timeout holds an attempt to an address that drops packets that
// long: callers failed for 10–23 s after a dependency was back.
var reconnect = grpc.ConnectParams{
	Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
	MinConnectTimeout: 2 * time.Second,
}

// keepAlive finds a hung dependency or a vanished host, which a connection
// that looks open would otherwise hide until each call's deadline. Its 20 s
// stay above the 10 s grpcserver permits, or the server would close the
// connection for pinging too often.
var keepAlive = keepalive.ClientParameters{Time: 20 * time.Second, Timeout: 5 * time.Second, PermitWithoutStream: true}

// RequestIDKey is the metadata key of the correlation id.
const RequestIDKey = grpcserver.RequestIDHeader

func forward(name string) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
			defer cancel()
		}
		md, _ := metadata.FromIncomingContext(ctx)
		if p := auth.FromContext(ctx); p != nil && p.Token != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+p.Token)
		} else if v := md.Get("authorization"); len(v) > 0 {
			// The gateway's own view calls on behalf of an HTTP caller
			// whose token it has not verified itself: pass it on as is.
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", v[0])
		}
		// The server's id of the call, which it made when the caller sent
		// none, so the downstream log lines carry the same one.
		if id := grpcserver.RequestID(ctx); id != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, RequestIDKey, id)
		} else if ids := md.Get(RequestIDKey); len(ids) > 0 {
			ctx = metadata.AppendToOutgoingContext(ctx, RequestIDKey, ids[0])
		}
		var header metadata.MD
		err := invoker(ctx, method, req, reply, cc, append(opts, grpc.Header(&header))...)
		switch status.Code(err) {
		case codes.Unavailable:
			// A dependency that answers UNAVAILABLE itself is up: what is
			// down is a service further on, which its message names. Every
			// grpcserver answer carries a request id header; a transport
			// failure has no header at all.
			if len(header.Get(RequestIDKey)) > 0 {
				return unavailable{apperr.New(apperr.Unavailable, "%s", status.Convert(err).Message())}
			}
			return unavailable{apperr.UnavailableDependency(name, err)}
		case codes.DeadlineExceeded:
			return unavailable{apperr.UnavailableDependency(name, err)}
		}
		return err
	}
}

// unavailable is UNAVAILABLE naming the dependency, and nothing else: the
// cause (dial targets, transport errors) is for the log only. Through
// Unwrap it is an apperr for the services' own error mapping; its
// GRPCStatus is for grpc-gateway, which proxies the REST calls on these
// connections and would otherwise show the whole chain of causes.
type unavailable struct{ err *apperr.Error }

func (e unavailable) Error() string { return e.err.Error() }

func (e unavailable) Unwrap() error { return e.err }

func (e unavailable) GRPCStatus() *status.Status { return status.New(codes.Unavailable, e.err.Message) }
