// Package grpcserver builds the gRPC server every service runs in: one log
// line per RPC (with its trace id), panic recovery, authentication and role
// checks, request validation against the protos' buf.validate rules, domain
// errors mapped to status codes, a server span per call continuing the
// caller's W3C trace context, RPC metrics, health and reflection.
package grpcserver

import (
	"context"
	"fmt"
	"net"
	"time"

	"buf.build/go/protovalidate"
	"github.com/acme/bpo/kit/auth"
	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"
)

// Config is what a server needs besides its services.
type Config struct {
	Log      *zap.Logger
	Verifier *auth.Verifier
	// Policy says which roles may call which method (every registered
	// method must be in it; a missing one is refused).
	Policy auth.Policy
	// Metrics, when set, receives RPC counts and latency histograms by
	// method and code. Calls are traced whatever it says, with otel's
	// global tracer provider (kit/telemetry).
	Metrics prometheus.Registerer
}

// maxConcurrentStreams is the most calls one connection may have open at
// once: far more than the services' cores can serve concurrently.
const maxConcurrentStreams = 256

// The flow-control windows (see New).
const (
	streamWindow = 256 << 10
	connWindow   = 16 << 20
)

// streamWorkers is how many goroutines serve calls (see New).
const streamWorkers = 64

// Server is a gRPC server with health and reflection registered.
type Server struct {
	*grpc.Server
	Health  *health.Server
	log     *zap.Logger
	metrics *grpcprom.ServerMetrics
}

// New returns a server with the platform's interceptors; register the
// services on it, then call Serve.
func New(cfg Config) (*Server, error) {
	v, err := protovalidate.New()
	if err != nil {
		return nil, fmt.Errorf("build validator: %w", err)
	}
	ic := &interceptors{log: cfg.Log, verifier: cfg.Verifier, policy: cfg.Policy, validator: v}
	// Order matters: logging sees the final code of everything inside it,
	// including a recovered panic; authentication runs before validation so
	// an anonymous caller learns nothing about a request's shape.
	// Metrics count outermost, so they see the codes the caller sees.
	unary := []grpc.UnaryServerInterceptor{ic.logUnary, ic.recoverUnary, ic.authUnary, ic.validateUnary}
	stream := []grpc.StreamServerInterceptor{ic.logStream, ic.recoverStream, ic.authStream, ic.validateStream}
	var metrics *grpcprom.ServerMetrics
	var latency *Latency
	if cfg.Metrics != nil {
		// Counts by code from go-grpc-middleware; the latency histogram,
		// with the code too, from a stats handler (latency.go).
		metrics = grpcprom.NewServerMetrics()
		if err := cfg.Metrics.Register(metrics); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
		if latency, err = NewLatency(cfg.Metrics, "server"); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
		unary = append([]grpc.UnaryServerInterceptor{metrics.UnaryServerInterceptor()}, unary...)
		stream = append([]grpc.StreamServerInterceptor{metrics.StreamServerInterceptor()}, stream...)
	}
	// The stats handlers tag a call in turn, and each then sees it with
	// every tag: the unseen calls' log line carries the trace id of the
	// tracing handler's span. The unseen calls come first, so their line
	// is written as soon as grpc-go ends the call, before the span's work.
	handlers := []grpc.ServerOption{grpc.StatsHandler(newUnseenCalls(ic, metrics)), ServerTracing()}
	if latency != nil {
		handlers = append(handlers, grpc.StatsHandler(latency))
	}
	s := grpc.NewServer(append(handlers,
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
		// Per server, not registered for "proto": the process's clients
		// must keep failing on a reply that does not decode.
		grpc.ForceServerCodecV2(newCodec()),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		// One connection carries all of a gateway's calls to a service, so
		// this bounds what one client can have in flight; more wait in the
		// client for a free stream (within their deadline) instead of
		// piling up here. gRPC's default is no limit.
		grpc.MaxConcurrentStreams(maxConcurrentStreams),
		// What a client may send on a call before the service reads it.
		// grpc-go's default window grows with the bandwidth it measures,
		// up to 16 MiB a stream: in the ingest benchmark 16 streaming
		// clients so kept up to a minute of measurements queued in the
		// server ahead of the store (peak RSS up to 293 MB, against 122 MB
		// with this window; README, "Performance"). 256 KiB
		// is a few messages of 1 000 measurements, and a message larger
		// than the window still arrives whole when read. The connection's
		// window is credited as data arrives, not as it is read, so its
		// 16 MiB bounds only what is on the wire: enough for a distant
		// client's connection.
		grpc.StaticStreamWindowSize(streamWindow),
		grpc.StaticConnWindowSize(connWindow),
		// A connection that has not finished its HTTP/2 handshake by then
		// is closed (gRPC's default waits 120 s).
		grpc.ConnectionTimeout(10*time.Second),
		// Calls run on a pool of goroutines that keep their grown stacks,
		// instead of a new goroutine per call whose stack grows (and is
		// copied) again through the interceptors, the handler and SQLite
		// on every call: that copying was 8 % of a GetProvider's server
		// time (README, "Performance"). A call finding every worker busy
		// still gets its own goroutine.
		grpc.NumStreamWorkers(streamWorkers),
		// Pings an idle client so a vanished one's connection, and its
		// streams, are closed within a minute and a half, not two hours.
		// A connection older than 5 minutes is asked to go away (in-flight
		// calls get 30 more minutes), so clients dialling dns:/// of a
		// headless Service resolve again and spread over replicas the
		// autoscaler added since (kit/downstream, deploy/k8s).
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: time.Minute, Timeout: 20 * time.Second,
			MaxConnectionAge: 5 * time.Minute, MaxConnectionAgeGrace: 30 * time.Minute}),
	)...)
	hs := health.NewServer()
	healthpb.RegisterHealthServer(s, hs)
	reflection.Register(s)
	return &Server{Server: s, Health: hs, log: cfg.Log, metrics: metrics}, nil
}

// Serve marks every registered service SERVING and serves on lis until ctx
// is done; then it reports NOT_SERVING, drains in-flight calls (up to
// drainTimeout) and returns.
func (s *Server) Serve(ctx context.Context, lis net.Listener, drainTimeout time.Duration) error {
	if s.metrics != nil {
		s.metrics.InitializeMetrics(s.Server) // every method shows up at zero
	}
	for name := range s.GetServiceInfo() {
		s.Health.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
	s.Health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	errc := make(chan error, 1)
	go func() { errc <- s.Server.Serve(lis) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.Health.Shutdown()
	done := make(chan struct{})
	go func() { s.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-time.After(drainTimeout):
		s.log.Warn("drain timed out; stopping", zap.Duration("timeout", drainTimeout))
		s.Stop()
	}
	return nil
}
