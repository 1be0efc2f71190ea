package main

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// slowCatalog answers ListProviders once release is closed.
type slowCatalog struct {
	catalogv1.UnimplementedCatalogServiceServer
	started, release chan struct{}
}

func (s *slowCatalog) ListProviders(context.Context, *catalogv1.ListProvidersRequest) (*catalogv1.ListProvidersResponse, error) {
	close(s.started)
	<-s.release
	return &catalogv1.ListProvidersResponse{}, nil
}

func TestServeGatewayDrainsInFlightRequestsOnShutdown(t *testing.T) {
	catalog := &slowCatalog{started: make(chan struct{}), release: make(chan struct{})}
	gs := grpc.NewServer()
	catalogv1.RegisterCatalogServiceServer(gs, catalog)
	healthpb.RegisterHealthServer(gs, health.NewServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gs.Serve(lis) }()
	defer gs.Stop()

	httpAddr := freeAddr(t)
	ctx, sigterm := context.WithCancel(t.Context())
	defer sigterm()
	served := make(chan error, 1)
	go func() {
		served <- serve(ctx, []string{"--service", "gateway", "--http-addr", httpAddr, "--data-dir", t.TempDir(),
			"--catalog-addr", lis.Addr().String(), "--drain-timeout", "10s"})
	}()
	var up bool
	for range 100 {
		if r, err := http.Get("http://" + httpAddr + "/healthz"); err == nil {
			r.Body.Close()
			up = true
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !up {
		t.Fatal("the gateway did not start")
	}

	answer := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("GET", "http://"+httpAddr+"/v1/providers", nil)
		req.Header.Set("Authorization", "Bearer x")
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("in-flight request: %v", err)
			answer <- 0
			return
		}
		r.Body.Close()
		answer <- r.StatusCode
	}()
	<-catalog.started
	sigterm()
	select {
	case err := <-served:
		t.Fatalf("serve returned (%v) with a request in flight", err)
	case <-time.After(300 * time.Millisecond):
	}
	if _, err := http.Get("http://" + httpAddr + "/healthz"); err == nil {
		t.Error("the gateway still accepts new requests while draining")
	}
	close(catalog.release)
	if code := <-answer; code != http.StatusOK {
		t.Fatalf("in-flight request answered %d, want 200", code)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return after the drain")
	}
}
