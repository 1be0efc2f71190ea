// Package grpcserver builds the gRPC server every service runs in: one log
// line per RPC, panic recovery, authentication and role checks, request
// validation against the protos' buf.validate rules, domain errors mapped
// to status codes, health and reflection.
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
	// method and code.
	Metrics prometheus.Registerer
}

// maxConcurrentStreams is the most calls one connection may have open at
// once: far more than the services' cores can serve concurrently.
const maxConcurrentStreams = 256

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
	if cfg.Metrics != nil {
		metrics = grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram())
		if err := cfg.Metrics.Register(metrics); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
		unary = append([]grpc.UnaryServerInterceptor{metrics.UnaryServerInterceptor()}, unary...)
		stream = append([]grpc.StreamServerInterceptor{metrics.StreamServerInterceptor()}, stream...)
	}
	s := grpc.NewServer(
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
		// Per server, not registered for "proto": the process's clients
		// must keep failing on a reply that does not decode.
		grpc.ForceServerCodecV2(newCodec()),
		grpc.StatsHandler(newUnseenCalls(ic, metrics)),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		// One connection carries all of a gateway's calls to a service, so
		// this bounds what one client can have in flight; more wait in the
		// client for a free stream (within their deadline) instead of
		// piling up here. gRPC's default is no limit.
		grpc.MaxConcurrentStreams(maxConcurrentStreams),
		// A connection that has not finished its HTTP/2 handshake by then
		// is closed (gRPC's default waits 120 s).
		grpc.ConnectionTimeout(10*time.Second),
		// Pings an idle client so a vanished one's connection, and its
		// streams, are closed within a minute and a half, not two hours.
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: time.Minute, Timeout: 20 * time.Second}),
	)
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
