// Command benchref is the reference of `make bench`: a bare grpc-go server
// answering grpc.health.v1.Health/Check with no interceptors, no logging,
// no authentication and no validation — what one core can do for the
// cheapest possible unary call with the same gRPC library, settings and
// load as `bpo serve`. The harness reports each path of `bpo serve` as a
// ratio to a reference like this one.
//
//	benchref -addr 127.0.0.1:0   # prints "listening <addr>" once it serves
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	lis, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchref:", err)
		os.Exit(1)
	}
	// The one server option bpo serve has that changes what a connection
	// may carry at once; everything else is grpc-go's default.
	s := grpc.NewServer(grpc.MaxConcurrentStreams(256))
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(s, hs)
	// Reflection, as on bpo serve, so a load generator finds the method
	// the same way on both.
	reflection.Register(s)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	go func() { <-stop; s.Stop() }()
	fmt.Printf("listening %s\n", lis.Addr())
	if err := s.Serve(lis); err != nil {
		fmt.Fprintln(os.Stderr, "benchref:", err)
		os.Exit(1)
	}
}
