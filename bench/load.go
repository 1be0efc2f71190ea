package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	"github.com/acme/bpo/internal/walk"
	"github.com/acme/bpo/kit/auth"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// ghz calls method at addr with the load settings, after a warm-up, and
// answers the calls per second that succeeded and the share of its core
// ghz used. Any failed call fails the measurement.
func ghz(ctx context.Context, c config, addr, method, data, token string) (float64, float64, error) {
	args := []string{"--insecure", "--call", method, "-d", data,
		"-c", strconv.Itoa(c.concurrency), "--connections", strconv.Itoa(c.connections), "--format", "json"}
	if token != "" {
		args = append(args, "-m", fmt.Sprintf(`{"authorization":"Bearer %s"}`, token))
	}
	if c.warmup > 0 {
		if _, _, err := loadTool(ctx, c, "ghz", append(args, "-z", c.warmup.String(), addr)...); err != nil {
			return 0, 0, err
		}
	}
	out, busy, err := loadTool(ctx, c, "ghz", append(args, "-z", c.duration.String(), addr)...)
	if err != nil {
		return 0, 0, err
	}
	var rep struct {
		Count              int64            `json:"count"`
		RPS                float64          `json:"rps"`
		Total              int64            `json:"total"` // ns
		StatusCodeDist     map[string]int64 `json:"statusCodeDistribution"`
		ErrorDistributions map[string]int64 `json:"errorDistribution"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		return 0, 0, fmt.Errorf("ghz output: %w", err)
	}
	// ghz closes its connections when the time is up: the calls then in
	// flight (at most one per concurrent caller) fail in the client, not
	// in the server. More failures than that fail the measurement.
	var failed int64
	var example string
	for e, n := range rep.ErrorDistributions {
		failed += n
		example = e
	}
	if failed > int64(c.concurrency) {
		return 0, 0, fmt.Errorf("%d calls failed, e.g. %s", failed, example)
	}
	ok := rep.StatusCodeDist["OK"]
	if rep.Total <= 0 || ok == 0 {
		return 0, 0, fmt.Errorf("no successful call (%v)", rep.StatusCodeDist)
	}
	return float64(ok) / (float64(rep.Total) / 1e9), busy, nil
}

// bombardier GETs url with the load settings over HTTP/1.1, after a
// warm-up, and answers the 2xx answers per second and the share of its
// core bombardier used; any other answer fails the measurement.
func bombardier(ctx context.Context, c config, url, token string) (float64, float64, error) {
	args := []string{"-c", strconv.Itoa(c.concurrency), "-H", "Authorization: Bearer " + token, "-p", "r", "-o", "json"}
	if c.warmup > 0 {
		if _, _, err := loadTool(ctx, c, "bombardier", append(args, "-d", c.warmup.String(), url)...); err != nil {
			return 0, 0, err
		}
	}
	out, busy, err := loadTool(ctx, c, "bombardier", append(args, "-d", c.duration.String(), url)...)
	if err != nil {
		return 0, 0, err
	}
	var rep struct {
		Result struct {
			Req2xx    int64   `json:"req2xx"`
			Req4xx    int64   `json:"req4xx"`
			Req5xx    int64   `json:"req5xx"`
			Others    int64   `json:"others"`
			TimeTaken float64 `json:"timeTakenSeconds"`
		} `json:"result"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		return 0, 0, fmt.Errorf("bombardier output: %w", err)
	}
	r := rep.Result
	if r.Req4xx+r.Req5xx > 0 || r.Req2xx == 0 {
		return 0, 0, fmt.Errorf("%d answers 2xx, %d 4xx, %d 5xx, %d others", r.Req2xx, r.Req4xx, r.Req5xx, r.Others)
	}
	return float64(r.Req2xx) / r.TimeTaken, busy, nil
}

// loadTool runs a load generator on the load core and answers its output
// and the share of that core it used while it ran.
func loadTool(ctx context.Context, c config, tool string, args ...string) ([]byte, float64, error) {
	cmd := exec.CommandContext(ctx, "taskset", append([]string{"-c", c.loadCPU, filepath.Join(c.bin, tool)}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	t0 := time.Now()
	out, err := cmd.Output()
	if err != nil {
		msg := stderr.Bytes()
		if len(msg) > 500 { // ghz repeats each failed call's error
			msg = append(msg[:500:500], "…"...)
		}
		return nil, 0, fmt.Errorf("%s: %w: %s", tool, err, msg)
	}
	// taskset execs the tool: the process's CPU time is the tool's.
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return out, cpu.Seconds() / time.Since(t0).Seconds(), nil
}

// seed is what the loads need: a provider to read, a contract to report
// on, and tokens.
type seed struct {
	provider    string
	readerToken string // a sourcing manager's
	contract    string
	reportToken string // the contracted provider's user's
	// commencement is when the loads' measurements start: the start of
	// the open period (the current month).
	commencement time.Time
}

// seedWorld walks an engagement through the whole demo over the public
// REST API (as `bpo demo` does, with tokens of the server's local key), so
// that a contract is live and the provider reports on it. The loads report
// measurements of the current month: the demo evaluated the previous one.
func seedWorld(ctx context.Context, p *proc, dir string) (*seed, error) {
	key, err := auth.LoadOrCreateLocalKey(dir)
	if err != nil {
		return nil, err
	}
	client := walk.NewClient("http://"+p.httpAddr, key)
	w, err := walk.New(client, time.Now(), nil)
	if err != nil {
		return nil, err
	}
	if _, err := w.Run(ctx); err != nil {
		// A later step of the demo (evaluation, audit) failing leaves the
		// contract live all the same; a load on a contract that is not
		// says so itself.
		if w.Contract == "" || w.Awarded == nil || w.Awarded.Name == "" {
			return nil, err
		}
		fmt.Fprintf(os.Stderr, "bench: the demo stopped (%v); measuring on what it made\n", err)
	}
	s := &seed{provider: w.Awarded.Name, contract: w.Contract, commencement: w.Commencement.AddDate(0, 1, 0)}
	if s.readerToken, err = client.Token(w.Cast.SourcingManager); err != nil {
		return nil, err
	}
	if s.reportToken, err = client.Token(w.Awarded.User); err != nil {
		return nil, err
	}
	return s, nil
}

var runSeq atomic.Int64

// loadMeasurements reports new measurements to the seeded contract from
// c.concurrency callers over c.connections connections — each call of
// BatchCreateMeasurements, or each message of an IngestMeasurements stream
// per caller, c.batch measurements — and answers how many the server
// accepted per second. Every measurement is new and valid; one rejected
// fails the measurement.
func loadMeasurements(ctx context.Context, c config, addr string, s *seed, stream bool) (float64, error) {
	conns := make([]*grpc.ClientConn, c.connections)
	for i := range conns {
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return 0, err
		}
		defer conn.Close()
		conns[i] = conn
	}
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+s.reportToken)
	phase := func(d time.Duration) (int64, time.Duration, error) {
		run := runSeq.Add(1)
		deadline := time.Now().Add(d)
		var accepted atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, c.concurrency)
		t0 := time.Now()
		for w := range c.concurrency {
			client := monitoringv1.NewMonitoringServiceClient(conns[w%len(conns)])
			gen := newGenerator(s, c.batch, fmt.Sprintf("r%d-w%d-", run, w))
			wg.Go(func() {
				var err error
				if stream {
					err = ingestWorker(ctx, client, s, gen, deadline, &accepted)
				} else {
					err = batchWorker(ctx, client, s, gen, deadline, &accepted)
				}
				if err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		el := time.Since(t0)
		close(errs)
		return accepted.Load(), el, <-errs
	}
	if c.warmup > 0 {
		if _, _, err := phase(c.warmup); err != nil {
			return 0, err
		}
	}
	n, el, err := phase(c.duration)
	if err != nil {
		return 0, err
	}
	return float64(n) / el.Seconds(), nil
}

func batchWorker(ctx context.Context, client monitoringv1.MonitoringServiceClient, s *seed, gen *generator, deadline time.Time, accepted *atomic.Int64) error {
	for time.Now().Before(deadline) {
		resp, err := client.BatchCreateMeasurements(ctx, &monitoringv1.BatchCreateMeasurementsRequest{Parent: s.contract, Measurements: gen.next()})
		if err != nil {
			return err
		}
		if err := allAccepted(resp.GetAccepted(), resp.GetRejected(), resp.GetDuplicates(), resp.GetResults()); err != nil {
			return err
		}
		accepted.Add(resp.GetAccepted())
	}
	return nil
}

func ingestWorker(ctx context.Context, client monitoringv1.MonitoringServiceClient, s *seed, gen *generator, deadline time.Time, accepted *atomic.Int64) error {
	st, err := client.IngestMeasurements(ctx)
	if err != nil {
		return err
	}
	for time.Now().Before(deadline) {
		if err := st.Send(&monitoringv1.IngestMeasurementsRequest{Parent: s.contract, Measurements: gen.next()}); err != nil {
			break // the server ended the stream: CloseAndRecv says why
		}
	}
	resp, err := st.CloseAndRecv()
	if err != nil {
		return err
	}
	if err := allAccepted(resp.GetAccepted(), resp.GetRejected(), resp.GetDuplicates(), resp.GetRejections()); err != nil {
		return err
	}
	accepted.Add(resp.GetAccepted())
	return nil
}

func allAccepted(acc, rej, dup int64, results []*monitoringv1.MeasurementResult) error {
	if rej == 0 && dup == 0 {
		return nil
	}
	for _, r := range results {
		if r.GetOutcome() != monitoringv1.MeasurementOutcome_MEASUREMENT_OUTCOME_ACCEPTED {
			return fmt.Errorf("%d accepted, %d duplicates, %d rejected, e.g. %s %s: %s %s", acc, dup, rej, r.GetServiceLevelKey(), r.GetEventId(), r.GetOutcome(), r.GetReason())
		}
	}
	return fmt.Errorf("%d accepted, %d duplicates, %d rejected", acc, dup, rej)
}

// generator makes batches of new, valid measurements of the walk's
// levels, as one source of a provider's (a telephony system, a survey
// tool) sends them: in event-time order, one every few seconds from the
// commencement on, with event ids numbered in order. Measurements that
// arrive in random order over a month cost SQLite several times more
// (every row of a commit dirties its own index pages, which the WAL then
// writes and syncs); -random-times measures that worst case.
type generator struct {
	s      *seed
	n      int
	prefix string
	seq    int
	step   time.Duration
	random bool
	span   time.Duration
}

var randomTimes = false

func newGenerator(s *seed, n int, prefix string) *generator {
	span := max(time.Since(s.commencement)-time.Minute, time.Minute)
	// 10 million events per source fit in the span.
	return &generator{s: s, n: n, prefix: prefix, step: max(span/10_000_000, time.Microsecond), random: randomTimes, span: span}
}

func (g *generator) next() []*monitoringv1.Measurement {
	out := make([]*monitoringv1.Measurement, g.n)
	for i := range out {
		g.seq++
		at := g.s.commencement.Add(time.Duration(g.seq) * g.step)
		if g.random {
			at = g.s.commencement.Add(time.Duration(rand.Int64N(int64(g.span))))
		}
		m := &monitoringv1.Measurement{EventId: fmt.Sprintf("%s%09d", g.prefix, g.seq), EventTime: timestamppb.New(at.Truncate(time.Microsecond))}
		switch g.seq % 3 {
		case 0:
			m.ServiceLevelKey, m.Value = "asa_20s", float64(3+g.seq%40)
		case 1:
			m.ServiceLevelKey, m.Value = "csat", float64(1+g.seq%5)
		default:
			m.ServiceLevelKey, m.Value = "aht_s", float64(300+g.seq%200)
		}
		out[i] = m
	}
	return out
}
