//go:build unix

package downstream_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/downstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// serveEnv makes the test binary a catalog dependency listening at the
// address it holds, so that a test can kill it and start it again.
const serveEnv = "BPO_DOWNSTREAM_TEST_SERVE"

func TestMain(m *testing.M) {
	if addr := os.Getenv(serveEnv); addr != "" {
		serveDependency(addr)
		return
	}
	os.Exit(m.Run())
}

type echo struct {
	catalogv1.UnimplementedCatalogServiceServer
}

func (echo) GetProvider(_ context.Context, req *catalogv1.GetProviderRequest) (*catalogv1.Provider, error) {
	return &catalogv1.Provider{Name: req.GetName()}, nil
}

func serveDependency(addr string) {
	var lis net.Listener
	var err error
	for range 50 { // the port of the process before may take a moment to free
		if lis, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	s := grpc.NewServer()
	healthpb.RegisterHealthServer(s, health.NewServer()) // SERVING
	catalogv1.RegisterCatalogServiceServer(s, echo{})
	fmt.Println("ready")
	_ = s.Serve(lis)
}

// dependency is the catalog running in a second process.
type dependency struct {
	t    *testing.T
	addr string
	cmd  *exec.Cmd
}

// start runs the dependency and returns when it listens.
func (d *dependency) start() time.Time {
	d.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveEnv+"="+d.addr)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		d.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	d.cmd = cmd
	ready := make(chan bool, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		ready <- line == "ready\n"
	}()
	select {
	case ok := <-ready:
		if !ok {
			d.t.Fatal("the dependency did not start")
		}
	case <-time.After(5 * time.Second):
		d.t.Fatal("the dependency was not ready within 5 s")
	}
	return time.Now()
}

func (d *dependency) kill() {
	if d.cmd == nil {
		return
	}
	_ = d.cmd.Process.Kill()
	_ = d.cmd.Wait()
	d.cmd = nil
}

func TestADependencyThatHangsOrDiesIsUnavailableAndUsedAgainWithinTwoSecondsOfItsReturn(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dep := &dependency{t: t, addr: addr}
	t.Cleanup(dep.kill)
	dep.start()

	conn, err := downstream.Dial("catalog", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	catalog := catalogv1.NewCatalogServiceClient(conn)
	req := &catalogv1.GetProviderRequest{Name: "providers/p1"}
	call := func(timeout time.Duration) (time.Duration, error) {
		ctx, cancel := context.WithTimeout(t.Context(), timeout)
		defer cancel()
		start := time.Now()
		_, err := catalog.GetProvider(ctx, req)
		return time.Since(start), err
	}
	if _, err := call(2 * time.Second); err != nil {
		t.Fatalf("first call: %v", err)
	}

	// Hung: the process is stopped, its connection still open.
	if err := dep.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// The signal is delivered asynchronously; WUNTRACED returns once the
	// process has stopped, and reaps nothing.
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(dep.cmd.Process.Pid, &ws, syscall.WUNTRACED, nil); err != nil || !ws.Stopped() {
		t.Fatalf("the dependency did not stop: %v, %v", ws, err)
	}
	took, err := call(300 * time.Millisecond)
	wantUnavailableNamingCatalog(t, err, addr)
	if took > time.Second {
		t.Fatalf("a hung dependency answered after %v, want at the caller's deadline of 300 ms", took)
	}

	// Dead: long enough down for the reconnect backoff to reach its
	// ceiling. Every call fails at once rather than waiting out its
	// deadline.
	dep.kill()
	down := time.Now()
	var calls int
	var slowest time.Duration
	for time.Since(down) < 3*time.Second {
		took, err := call(time.Second)
		wantUnavailableNamingCatalog(t, err, addr)
		calls++
		slowest = max(slowest, took)
		time.Sleep(100 * time.Millisecond)
	}
	if slowest > 500*time.Millisecond {
		t.Errorf("slowest answer while the dependency was down: %v, want a prompt UNAVAILABLE", slowest)
	}

	ready := dep.start()
	var recovered time.Duration
	for {
		_, err := call(500 * time.Millisecond)
		if err == nil {
			recovered = time.Since(ready)
			break
		}
		wantUnavailableNamingCatalog(t, err, addr)
		if time.Since(ready) > 5*time.Second {
			t.Fatalf("no call succeeded within 5 s of the dependency's return: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("down %v: %d calls, all UNAVAILABLE, slowest %v; first success %v after the dependency was ready again",
		ready.Sub(down).Round(time.Millisecond), calls, slowest, recovered)
	if recovered > 2*time.Second {
		t.Fatalf("the first call succeeded %v after the dependency was ready again, want within 2 s", recovered)
	}
}
