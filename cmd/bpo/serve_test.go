package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/auth"
	"go.uber.org/zap/zapcore"
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
	// Told where catalog is, the gateway wants a key it shares: one in
	// its data directory will do.
	dataDir := t.TempDir()
	if _, err := auth.LoadOrCreateLocalKey(dataDir); err != nil {
		t.Fatal(err)
	}
	go func() {
		served <- serve(ctx, []string{"--service", "gateway", "--http-addr", httpAddr, "--data-dir", dataDir,
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

// TestServeGatewayAloneRunsTheLifecycleView: the gateway process runs the
// lifecycle view itself, on loopback (never on the services' --grpc-addr),
// behind the same authentication and error table as the services.
func TestServeGatewayAloneRunsTheLifecycleView(t *testing.T) {
	dir := t.TempDir()
	// The key the gateway checks tokens with, shared through its data
	// directory (told where the services are, it creates none).
	if _, err := auth.LoadOrCreateLocalKey(dir); err != nil {
		t.Fatal(err)
	}
	// The services' address is taken: the gateway alone must not need it.
	services, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer services.Close()
	down := freeAddr(t) // nothing listens: every service is down
	httpAddr := freeAddr(t)
	ctx, sigterm := context.WithCancel(t.Context())
	defer sigterm()
	served := make(chan error, 1)
	go func() {
		served <- serve(ctx, []string{"--service", "gateway", "--http-addr", httpAddr, "--grpc-addr", services.Addr().String(),
			"--data-dir", dir, "--db", "", "--jwt-secret-file", "", "--jwks-file", "",
			"--catalog-addr", down, "--contract-addr", down, "--transition-addr", down, "--monitoring-addr", down})
	}()
	get := func(token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+httpAddr+"/v1/engagements/E1/lifecycle", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		var st struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(b, &st)
		return r.StatusCode, st.Message
	}
	for i := 0; ; i++ {
		if code, _ := get(""); code != 0 {
			break
		}
		select {
		case err := <-served:
			t.Fatalf("serve returned: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if i == 200 {
			t.Fatal("the gateway did not start")
		}
	}
	if code, msg := get(""); code != http.StatusUnauthorized {
		t.Errorf("no token: %d %q; want 401", code, msg)
	}
	key, err := auth.LoadOrCreateLocalKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := auth.NewSigner(key).Mint("gina", []auth.Role{auth.GovernanceManager}, "", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if code, msg := get(tok); code != http.StatusServiceUnavailable || !strings.Contains(msg, "catalog is unavailable") {
		t.Errorf("catalog down: %d %q; want 503 naming the catalog", code, msg)
	}
	sigterm()
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
}

// Console logs written to a file or a pipe carry no colour escape codes.
func TestConsoleLevelsAreColouredOnlyOnATerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	enc := zapcore.NewConsoleEncoder(zapcore.EncoderConfig{LevelKey: "L", MessageKey: "M", EncodeLevel: levelEncoder(f)})
	buf, err := enc.EncodeEntry(zapcore.Entry{Level: zapcore.WarnLevel, Message: "hello"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); strings.Contains(got, "\x1b[") || !strings.Contains(got, "WARN") {
		t.Fatalf("a file's log line %q: want WARN without escape codes", got)
	}
	if tty, err := os.Open("/dev/tty"); err == nil {
		defer tty.Close()
		line, _ := zapcore.NewConsoleEncoder(zapcore.EncoderConfig{LevelKey: "L", MessageKey: "M", EncodeLevel: levelEncoder(tty)}).
			EncodeEntry(zapcore.Entry{Level: zapcore.WarnLevel, Message: "hello"}, nil)
		if !strings.Contains(line.String(), "\x1b[") {
			t.Errorf("a terminal's log line %q: want a coloured level", line.String())
		}
	}
}
