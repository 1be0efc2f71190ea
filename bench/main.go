// Command bench is `make bench`: it measures the platform's hot paths from
// outside, side by side with references, in one run and with one set of
// settings, and prints each path's figure as a ratio to its reference next
// to the absolute numbers.
//
//   - a bare grpc-go server (cmd/benchref: Health/Check, no interceptors)
//     and the real `bpo serve`, each pinned to the server core with
//     taskset, the load generators pinned to the load core;
//   - GetProvider over gRPC (ghz) against the bare Health/Check;
//   - the same GetProvider through the REST gateway (bombardier) against
//     gRPC;
//   - BatchCreateMeasurements (1 000 a call) and IngestMeasurements
//     (client streaming, 1 000 a message) against a raw batched insert
//     loop into the same table of the same kind of store (durable commits,
//     no server), on SQLite and, when a PostgreSQL DSN is given, on a
//     throwaway database of that server;
//   - `bpo serve`'s ready time, idle RSS and peak RSS under ingest;
//   - the Go benchmarks of the hot domain and store paths.
//
// Everything it starts it stops, and its files live in a temporary
// directory it removes. The load generators (ghz, bombardier) are built
// from the versions pinned in tools/bench/go.mod.
//
//	taskset -c 1 bin/bench -bin bin [-duration 10s] [-pg postgres://…]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

type config struct {
	bin         string
	duration    time.Duration
	warmup      time.Duration
	concurrency int
	connections int
	batch       int
	serverCPU   string
	loadCPU     string
	pg          string
	goBench     bool
	goBenchTime string
	pprofDir    string
	skipReads   bool
	random      bool
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "raw" {
		if err := rawMain(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "bench raw:", err)
			os.Exit(1)
		}
		return
	}
	c := config{}
	flag.StringVar(&c.bin, "bin", "bin", "directory holding bpo, benchref, bench, ghz and bombardier")
	flag.DurationVar(&c.duration, "duration", 10*time.Second, "how long each path is measured")
	flag.DurationVar(&c.warmup, "warmup", 2*time.Second, "load before each measurement, not counted")
	flag.IntVar(&c.concurrency, "c", 16, "concurrent calls")
	flag.IntVar(&c.connections, "connections", 4, "gRPC connections the calls share")
	flag.IntVar(&c.batch, "batch", 1000, "measurements per BatchCreateMeasurements call and per IngestMeasurements message")
	flag.StringVar(&c.serverCPU, "server-cpu", "0", "the core (taskset list) of the servers and the raw insert loop")
	flag.StringVar(&c.loadCPU, "load-cpu", "1", "the core (taskset list) of the load generators")
	flag.StringVar(&c.pg, "pg", os.Getenv("BPO_TEST_POSTGRES_DSN"), "a PostgreSQL server to measure on too (a throwaway database is created in it and dropped); empty skips PostgreSQL")
	flag.BoolVar(&c.goBench, "go-bench", true, "run the Go benchmarks of the hot domain and store paths too")
	flag.StringVar(&c.goBenchTime, "go-benchtime", "0.5s", "-benchtime of the Go benchmarks")
	flag.StringVar(&c.pprofDir, "pprof-dir", "", "when set, take a 5 s CPU profile of bpo serve during each path into this directory")
	flag.BoolVar(&c.skipReads, "skip-reads", false, "measure only the measurement paths")
	flag.BoolVar(&c.random, "random-times", false, "send measurements in random event-time order over a month (the worst case) instead of in order")
	flag.Parse()
	randomTimes = c.random

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c config, out io.Writer) error {
	bin, err := filepath.Abs(c.bin)
	if err != nil {
		return err
	}
	c.bin = bin
	for _, b := range []string{"bpo", "benchref", "bench", "ghz", "bombardier"} {
		if _, err := os.Stat(filepath.Join(c.bin, b)); err != nil {
			return fmt.Errorf("%s not built in %s (make bench builds it): %w", b, c.bin, err)
		}
	}
	if _, err := exec.LookPath("taskset"); err != nil {
		return errors.New("taskset not found (util-linux): it pins the servers and the load to separate cores")
	}
	tmp, err := os.MkdirTemp("", "bpo-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	r := &report{out: out}
	r.header(c)

	// gRPC: the bare reference first, then bpo serve on SQLite.
	ref, err := startRef(ctx, c, tmp)
	if err != nil {
		return err
	}
	busy := ref.busy()
	health, load, err := ghz(ctx, c, ref.grpcAddr, "grpc.health.v1.Health/Check", "{}", "")
	r.busy, r.load = busy(), load
	ref.stop()
	if err != nil {
		return fmt.Errorf("reference Health/Check: %w", err)
	}
	r.row("Health/Check, bare grpc-go (reference)", health, "req/s", "", "")

	if err := runStore(ctx, c, r, tmp, "sqlite", "", health); err != nil {
		return err
	}
	if c.pg != "" {
		if err := runPostgres(ctx, c, r, tmp, health); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(out, "\n(PostgreSQL skipped: set BPO_TEST_POSTGRES_DSN or pass -pg to measure it too)")
	}
	if c.goBench {
		if err := goBenchmarks(ctx, c, out); err != nil {
			return err
		}
	}
	return nil
}

// runStore measures bpo serve on one store: SQLite files in tmp, or the
// PostgreSQL database dsn.
func runStore(ctx context.Context, c config, r *report, tmp, dialect, dsn string, health float64) error {
	dir := filepath.Join(tmp, dialect)
	srv, err := startBPO(ctx, c, dir, dsn)
	if err != nil {
		return err
	}
	defer srv.stop()
	r.section(fmt.Sprintf("bpo serve on %s", dialect))
	r.row("ready (start to gRPC and REST answering)", srv.ready.Seconds(), "s", "goal ≤ 1 s", "")
	time.Sleep(time.Second)
	r.row("idle RSS", float64(srv.rss())/(1<<20), "MB", "goal ≤ 80 MB", "")

	seed, err := seedWorld(ctx, srv, dir)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if dialect == "sqlite" && !c.skipReads {
		prof, busy := srv.profile(c, "getprovider"), srv.busy()
		grpcRPS, load, err := ghz(ctx, c, srv.grpcAddr, "bpo.catalog.v1.CatalogService/GetProvider", fmt.Sprintf(`{"name":%q}`, seed.provider), seed.readerToken)
		prof()
		r.busy, r.load = busy(), load
		if err != nil {
			return fmt.Errorf("GetProvider over gRPC: %w", err)
		}
		r.row("GetProvider, gRPC", grpcRPS, "req/s", "of bare Health (goal ≥ 70 %)", "Health/Check, bare grpc-go (reference)")
		busy = srv.busy()
		ownHealth, load, err := ghz(ctx, c, srv.grpcAddr, "grpc.health.v1.Health/Check", "{}", "")
		if err != nil {
			return fmt.Errorf("bpo serve Health/Check: %w", err)
		}
		r.busy, r.load = busy(), load
		r.row("Health/Check, bpo serve (interceptors, no token)", ownHealth, "req/s", "of bare Health", "Health/Check, bare grpc-go (reference)")
		prof, busy = srv.profile(c, "rest"), srv.busy()
		restRPS, load, err := bombardier(ctx, c, "http://"+srv.httpAddr+"/v1/"+seed.provider, seed.readerToken)
		prof()
		r.busy, r.load = busy(), load
		if err != nil {
			return fmt.Errorf("GetProvider over REST: %w", err)
		}
		r.row("GetProvider, REST gateway", restRPS, "req/s", "of gRPC (goal ≥ 60 %)", "GetProvider, gRPC")
	}

	// Ingestion, with the server's memory sampled throughout.
	peak := srv.sampleRSS()
	raw, rawCPU, err := rawLoop(ctx, c, filepath.Join(tmp, dialect+"-raw.db"), dsn)
	if err != nil {
		return fmt.Errorf("raw insert loop: %w", err)
	}
	rawName := fmt.Sprintf("raw batched INSERT loop on %s, %d rows a commit (reference)", dialect, c.batch)
	r.busy = rawCPU * raw
	r.row(rawName, raw, "rows/s", "", "")
	goal := "goal ≥ 100 000/s, ≥ 40 % of raw"
	if dialect == "postgres" {
		goal = "goal ≥ 50 000/s"
	}
	prof, busy := srv.profile(c, dialect+"-batch"), srv.busy()
	batch, err := loadMeasurements(ctx, c, srv.grpcAddr, seed, false)
	prof()
	r.busy = busy()
	if err != nil {
		return fmt.Errorf("BatchCreateMeasurements: %w", err)
	}
	r.row(fmt.Sprintf("BatchCreateMeasurements on %s, %d a call", dialect, c.batch), batch, "meas/s", "of raw; "+goal, rawName)
	prof, busy = srv.profile(c, dialect+"-ingest"), srv.busy()
	ingest, err := loadMeasurements(ctx, c, srv.grpcAddr, seed, true)
	prof()
	r.busy = busy()
	if err != nil {
		return fmt.Errorf("IngestMeasurements: %w", err)
	}
	r.row(fmt.Sprintf("IngestMeasurements on %s, %d a message", dialect, c.batch), ingest, "meas/s", "of raw; "+goal, rawName)
	r.row("peak RSS under ingest", float64(peak())/(1<<20), "MB", "goal ≤ 300 MB", "")
	return nil
}

// goBenchmarks runs the Go benchmarks of the hot paths on the server core.
func goBenchmarks(ctx context.Context, c config, out io.Writer) error {
	fmt.Fprintf(out, "\nGo benchmarks (go test -run '^$' -bench . -benchtime %s, on core %s)\n\n", c.goBenchTime, c.serverCPU)
	args := []string{"-c", c.serverCPU, "go", "test", "-run", "^$", "-bench", ".", "-benchtime", c.goBenchTime, "-benchmem",
		"./kit/auth/", "./kit/audit/", "./kit/docstore/", "./services/catalog/", "./services/contract/",
		"./services/monitoring/store/", "./services/monitoring/", "./services/transition/schedule/", "./services/transition/"}
	cmd := exec.CommandContext(ctx, "taskset", args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(),
		"BPO_TEST_POSTGRES_DSN=", // SQLite only: PostgreSQL figures come from above
		// A month of a million measurements rather than the monitoring
		// benchmarks' ten million, whose store takes minutes to fill; the
		// README gives the command for the full month.
		"BPO_BENCH_MEASUREMENTS=1000000")
	return cmd.Run()
}

// report prints the table.
type report struct {
	out   io.Writer
	start time.Time
	// busy is the share of a core the server used during the row's
	// measurement, load the share of its core the load generator used
	// (when it is a separate process), printed with the next row and
	// reset.
	busy, load float64
	// rows are the figures so far by name: throughput and CPU per op.
	rows map[string]figure
}

type figure struct{ v, cpu float64 }

func (r *report) header(c config) {
	host, _ := os.Hostname()
	fmt.Fprintf(r.out, "bpo bench — %s on %s (%s), %d CPUs; servers on core %s, load on core %s\n",
		time.Now().UTC().Format(time.RFC3339), host, cpuModel(), numCPU(), c.serverCPU, c.loadCPU)
	fmt.Fprintf(r.out, "%d concurrent calls over %d gRPC connections (%d HTTP/1.1 connections for REST), %s each after %s warm-up\n\n",
		c.concurrency, c.connections, c.concurrency, c.duration, c.warmup)
	fmt.Fprintf(r.out, "%-60s %16s  %-6s %9s  %-6s  %s\n", "path", "figure", "server", "server", "load", "ratio to its reference:")
	fmt.Fprintf(r.out, "%-60s %16s  %-6s %9s  %-6s  %s\n", "", "", "busy", "CPU/op", "busy", "throughput (capacity: CPU/op of the reference ÷ CPU/op)")
	r.start = time.Now()
}

func (r *report) section(s string) { fmt.Fprintf(r.out, "\n%s\n", s) }

// row prints one figure; with ref, its ratio to the row named ref, both
// as measured (throughput) and as capacity: on a machine whose cores are
// shared with other work, a server may not get its whole core, and the CPU
// it spends per call is the steadier measure of what it could do alone.
func (r *report) row(what string, v float64, unit, ratioOf, ref string) {
	if r.rows == nil {
		r.rows = map[string]figure{}
	}
	f := figure{v: v}
	fig := fmt.Sprintf("%s %s", human(v), unit)
	busy, cpu := "", ""
	if r.busy > 0 && v > 0 {
		f.cpu = r.busy / v
		busy = fmt.Sprintf("%3.0f %%", 100*r.busy)
		cpu = fmt.Sprintf("%.1f µs", f.cpu*1e6)
	}
	load := ""
	if r.load > 0 {
		load = fmt.Sprintf("%3.0f %%", 100*r.load)
	}
	r.busy, r.load = 0, 0
	r.rows[what] = f
	ratio := ratioOf
	if rf, ok := r.rows[ref]; ok && ref != "" {
		ratio = fmt.Sprintf("%5.1f %%", 100*v/rf.v)
		if rf.cpu > 0 && f.cpu > 0 {
			ratio += fmt.Sprintf(" (capacity %5.1f %%)", 100*rf.cpu/f.cpu)
		}
		ratio += " " + ratioOf
	}
	fmt.Fprintf(r.out, "  %-58s %16s  %-6s %9s  %-6s  %s\n", what, fig, busy, cpu, load, ratio)
	fmt.Fprintf(os.Stderr, "bench: %s done at +%s\n", what, time.Since(r.start).Round(time.Second))
}

func human(v float64) string {
	switch {
	case v >= 1000:
		s := fmt.Sprintf("%.0f", v)
		var b strings.Builder
		for i, ch := range s {
			if i > 0 && (len(s)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(ch)
		}
		return b.String()
	case v >= 10:
		return fmt.Sprintf("%.0f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
