package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// proc is a server the harness started, pinned to the server core.
type proc struct {
	cmd       *exec.Cmd
	grpcAddr  string
	httpAddr  string
	pprofAddr string
	ready     time.Duration
	done      chan struct{}
}

// pinned is name run with taskset on cpu.
func pinned(ctx context.Context, cpu, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "taskset", append([]string{"-c", cpu, name}, args...)...)
	// SIGTERM first, so the server drains and closes its stores.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

func (p *proc) start() error {
	if err := p.cmd.Start(); err != nil {
		return err
	}
	p.done = make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	return nil
}

// stop ends the server with SIGTERM (SIGKILL 10 s later) and waits.
func (p *proc) stop() {
	if p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// rss is the server's resident memory in bytes. taskset execs the server,
// so the pid is the server's.
func (p *proc) rss() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// cpuTime is the CPU time the server has used so far (user and system).
func (p *proc) cpuTime() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which ends at the last ')'.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

// busy measures how much of a core the server uses until the returned
// function is called: near 100 % means the figure is the server's limit;
// much less means something else (the load generator, the disk, another
// process on the core) limits it.
func (p *proc) busy() func() float64 {
	c0, t0 := p.cpuTime(), time.Now()
	return func() float64 { return float64(p.cpuTime()-c0) / float64(time.Since(t0)) }
}

// sampleRSS samples the server's RSS every 100 ms until the returned
// function is called, which answers the peak.
func (p *proc) sampleRSS() func() int64 {
	var mu sync.Mutex
	var peak int64
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			r := p.rss()
			mu.Lock()
			peak = max(peak, r)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 {
		close(stop)
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// profile takes a CPU profile of 5 s, starting after the warm-up, while a
// load runs, when -pprof-dir is set; the returned function waits for it.
func (p *proc) profile(c config, name string) func() {
	if c.pprofDir == "" || p.pprofAddr == "" {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(c.warmup + time.Second)
		resp, err := http.Get("http://" + p.pprofAddr + "/debug/pprof/profile?seconds=5")
		if err != nil {
			fmt.Fprintln(os.Stderr, "profile:", err)
			return
		}
		defer resp.Body.Close()
		_ = os.MkdirAll(c.pprofDir, 0o755)
		f, err := os.Create(filepath.Join(c.pprofDir, name+".pprof"))
		if err != nil {
			fmt.Fprintln(os.Stderr, "profile:", err)
			return
		}
		defer f.Close()
		_, _ = io.Copy(f, resp.Body)
	}()
	return func() { <-done }
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// startRef starts the bare reference server and waits for its address.
func startRef(ctx context.Context, c config, tmp string) (*proc, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	p := &proc{cmd: pinned(ctx, c.serverCPU, filepath.Join(c.bin, "benchref"), "-addr", addr), grpcAddr: addr}
	p.cmd.Stderr = os.Stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	if err := p.start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "listening ") {
		p.stop()
		return nil, fmt.Errorf("benchref did not start: %q %v", line, err)
	}
	p.ready = time.Since(t0)
	return p, nil
}

// startBPO starts `bpo serve` with its data in dir (and on dsn when it is
// a PostgreSQL URL), logging as in production (JSON, to a file), and waits
// until its gRPC health and its REST /healthz both answer.
func startBPO(ctx context.Context, c config, dir, dsn string) (*proc, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	g, err := freePort()
	if err != nil {
		return nil, err
	}
	h, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "--data-dir", dir, "--grpc-addr", g, "--http-addr", h, "--log-format", "json"}
	if dsn != "" {
		args = append(args, "--db", dsn)
	}
	p := &proc{grpcAddr: g, httpAddr: h}
	if c.pprofDir != "" {
		if p.pprofAddr, err = freePort(); err != nil {
			return nil, err
		}
		args = append(args, "--pprof-addr", p.pprofAddr)
	}
	p.cmd = pinned(ctx, c.serverCPU, filepath.Join(c.bin, "bpo"), args...)
	p.cmd.Env = cleanEnv()
	logf, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		return nil, err
	}
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	t0 := time.Now()
	if err := p.start(); err != nil {
		return nil, err
	}
	// Short reconnect back-off: grpc-go's default waits a second after the
	// first refused connection, which would be counted as start-up time.
	conn, err := grpc.NewClient(g, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: backoff.Config{BaseDelay: 5 * time.Millisecond, Multiplier: 1, MaxDelay: 5 * time.Millisecond}, MinConnectTimeout: time.Second}))
	if err != nil {
		p.stop()
		return nil, err
	}
	defer conn.Close()
	hc := healthpb.NewHealthClient(conn)
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-p.done:
			b, _ := os.ReadFile(logf.Name())
			return nil, fmt.Errorf("bpo serve exited at start:\n%s", b)
		default:
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("bpo serve not ready within 30 s (log: %s)", logf.Name())
		}
		cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		r, err := hc.Check(cctx, &healthpb.HealthCheckRequest{})
		cancel()
		if err == nil && r.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			if resp, err := http.Get("http://" + h + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.ready = time.Since(t0)
	return p, nil
}

// cleanEnv is the environment without BPO_ settings, so a developer's own
// (a --db, a key file) cannot change what is measured.
func cleanEnv() []string {
	var out []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "BPO_") {
			out = append(out, e)
		}
	}
	return out
}

// numCPU counts the machine's processors (runtime.NumCPU counts only those
// this process may run on, one under taskset).
func numCPU() int {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.NumCPU()
	}
	return strings.Count(string(b), "\nprocessor") + strings.Count(string(b[:min(len(b), 9)]), "processor")
}
