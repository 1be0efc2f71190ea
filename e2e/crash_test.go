package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	"github.com/acme/bpo/internal/walk"
	"github.com/acme/bpo/kit/auth"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const (
	crashRounds = 4
	// Once each writer of a round has had a write acknowledged, they run
	// this long, at random, before the kill.
	crashMinRun, crashMaxRun = 50 * time.Millisecond, 800 * time.Millisecond
	crashBatch               = 100 // measurements per batch
)

// TestCrashLosesNoAcknowledgedWrite kills the real `bpo serve` on SQLite
// with SIGKILL at random moments while four writers run — providers
// created and renamed over REST and gRPC, measurement batches over REST
// and gRPC — and restarts it on the same files. After every restart each
// acknowledged write is there, read back through the API, and the audit
// chain of every service verifies.
//
// BPO_E2E_CRASH_SEED=n repeats the kill moments of a failed run (its seed
// is logged).
func TestCrashLosesNoAcknowledgedWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: builds and starts the real binary (skipped with -short)")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("BPO_E2E_CRASH_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("BPO_E2E_CRASH_SEED: %v", err)
		}
	}
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))

	srv := &crashServer{bin: buildBinary(t), dataDir: t.TempDir(), grpcAddr: freeAddr(t), httpAddr: freeAddr(t), log: &syncBuffer{}}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("bpo serve log, every start:\n%s", srv.log.String())
		}
	})
	p := srv.start(t)
	key, err := auth.LoadOrCreateLocalKey(srv.dataDir)
	if err != nil {
		t.Fatalf("the server's local key: %v", err)
	}
	// Measurements need a live contract: walk an engagement up to cutover.
	w, err := walk.New(walk.NewClient(p.baseURL, key), time.Now(), func(string, string, string) {})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, step := range []func(context.Context) error{w.Decide, w.Providers, w.Scope, w.Select, w.DraftContract, w.SignContract, w.StartTransition, w.Cutover} {
		if err := step(ctx); err != nil {
			t.Fatalf("walk to a live contract: %v", err)
		}
	}
	signer := auth.NewSigner(key)
	mint := func(subject string, role auth.Role, provider string) string {
		tok, err := signer.Mint(subject, []auth.Role{role}, provider, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	tokens := crashTokens{
		sourcing: mint("crash-sourcing", auth.SourcingManager, ""),
		provider: mint("crash-provider", auth.ProviderUser, w.Awarded.Name),
		auditor:  mint("crash-auditor", auth.Auditor, ""),
	}
	led := &crashLedger{providers: map[string]*crashProvider{}}
	events := &crashEvents{contract: w.Contract, from: w.Commencement, to: time.Now().Add(-time.Minute), rng: rand.New(rand.NewPCG(seed, 1))}

	for round := 1; round <= crashRounds; round++ {
		run := crashMinRun + time.Duration(rng.Int64N(int64(crashMaxRun-crashMinRun)))
		var killed atomic.Bool
		// An error before the kill is a failure; after it, the end of the
		// writer.
		failed := func(writer string, err error) {
			if !killed.Load() {
				t.Errorf("round %d, %s before the kill: %v", round, writer, err)
			}
		}
		conn, err := grpc.NewClient(srv.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		wr := &crashWriters{p: p, conn: conn, http: &http.Client{Timeout: callTimeout}, tokens: tokens, led: led, events: events, round: round, failed: failed}
		writersCtx, stopWriters := context.WithCancel(ctx)
		var wg, going sync.WaitGroup
		for _, write := range []func(context.Context, func()){wr.providersREST, wr.providersGRPC, wr.measurementsREST, wr.measurementsGRPC} {
			going.Add(1)
			wg.Go(func() {
				var once sync.Once
				done := func() { once.Do(going.Done) }
				defer done() // also when it failed before its first write
				write(writersCtx, done)
			})
		}
		going.Wait()

		time.Sleep(run)
		killed.Store(true)
		srv.kill(t, p)
		stopWriters()
		wg.Wait()
		conn.Close()

		p = srv.start(t)
		providers, measurements := led.verify(t, p, tokens)
		verifyAuditChains(t, p, tokens.auditor)
		t.Logf("round %d: killed %s after every writer's first acknowledged write; %d providers and %d measurements acknowledged so far, all there",
			round, run.Round(time.Millisecond), providers, measurements)
		if t.Failed() {
			return
		}
	}
	p.stop(t)
}

// crashServer is `bpo serve` on one data directory and fixed ports,
// started again after each kill.
type crashServer struct {
	bin, dataDir, grpcAddr, httpAddr string
	log                              *syncBuffer
}

func (s *crashServer) start(t *testing.T) *platform {
	t.Helper()
	fmt.Fprintf(s.log, "--- start at %s\n", time.Now().Format(time.TimeOnly))
	return launch(t, s.bin, s.dataDir, s.grpcAddr, s.httpAddr, s.log)
}

func (s *crashServer) kill(t *testing.T, p *platform) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	<-p.exited
	fmt.Fprintf(s.log, "--- SIGKILL at %s\n", time.Now().Format(time.TimeOnly))
}

type crashTokens struct{ sourcing, provider, auditor string }

// crashLedger holds what the server acknowledged.
type crashLedger struct {
	mu           sync.Mutex
	providers    map[string]*crashProvider // by resource name
	measurements []*monitoringv1.Measurement
	contract     string
}

// crashProvider is a provider's display name as last acknowledged, and the
// one of a rename in flight at the kill, which may or may not have
// committed.
type crashProvider struct{ acked, inFlight string }

func (l *crashLedger) created(name, displayName string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.providers[name] = &crashProvider{acked: displayName}
}

func (l *crashLedger) renaming(name, displayName string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.providers[name].inFlight = displayName
}

func (l *crashLedger) renamed(name, displayName string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.providers[name].acked, l.providers[name].inFlight = displayName, ""
}

func (l *crashLedger) stored(contract string, ms []*monitoringv1.Measurement) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.contract = contract
	l.measurements = append(l.measurements, ms...)
}

// verify reads every acknowledged write back: each provider by name with
// its acknowledged display name (or the one in flight), and each
// measurement by sending it again, which must come back DUPLICATE — stored
// with the same content — never ACCEPTED.
func (l *crashLedger) verify(t *testing.T, p *platform, tokens crashTokens) (providers, measurements int) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for name, want := range l.providers {
		var got provider
		p.rest(t, "GET", "/v1/"+name, tokens.sourcing, nil, http.StatusOK, &got)
		if got.DisplayName != want.acked && (want.inFlight == "" || got.DisplayName != want.inFlight) {
			t.Errorf("%s is named %q; want %q, the last acknowledged rename (or %q, the one in flight)", name, got.DisplayName, want.acked, want.inFlight)
		}
		// Every later round starts from what is stored now.
		want.acked, want.inFlight = got.DisplayName, ""
	}
	for i := 0; i < len(l.measurements); i += 10_000 {
		batch := l.measurements[i:min(i+10_000, len(l.measurements))]
		body, err := protojson.Marshal(&monitoringv1.BatchCreateMeasurementsRequest{Measurements: batch})
		if err != nil {
			t.Fatal(err)
		}
		var resp struct {
			Results []struct {
				EventID string `json:"eventId"`
				Outcome string `json:"outcome"`
			} `json:"results"`
		}
		p.rest(t, "POST", "/v1/"+l.contract+"/measurements:batchCreate", tokens.provider, json.RawMessage(body), http.StatusOK, &resp)
		lost := 0
		for _, r := range resp.Results {
			if r.Outcome != "MEASUREMENT_OUTCOME_DUPLICATE" {
				if lost++; lost <= 5 {
					t.Errorf("acknowledged measurement %s sent again: %s; want DUPLICATE (it was stored)", r.EventID, r.Outcome)
				}
			}
		}
		if lost > 5 {
			t.Errorf("… %d acknowledged measurements in all were not there", lost)
		}
		if len(resp.Results) != len(batch) {
			t.Errorf("%d measurements sent again, %d results", len(batch), len(resp.Results))
		}
	}
	return len(l.providers), len(l.measurements)
}

// verifyAuditChains asks every service to verify its audit chain.
func verifyAuditChains(t *testing.T, p *platform, auditor string) {
	t.Helper()
	for _, svc := range []string{"catalog", "contract", "transition", "monitoring"} {
		var resp struct {
			Verification struct {
				Intact        bool   `json:"intact"`
				EventsChecked string `json:"eventsChecked"`
				Problem       string `json:"problem"`
			} `json:"verification"`
		}
		p.rest(t, "GET", "/v1/"+svc+"/auditEvents:verify", auditor, nil, http.StatusOK, &resp)
		if v := resp.Verification; !v.Intact {
			t.Errorf("the %s audit chain after the crash: not intact after %s events: %s", svc, v.EventsChecked, v.Problem)
		}
	}
}

// crashEvents makes measurements with event ids never used before, at
// times inside the live contract's past.
type crashEvents struct {
	contract string
	from, to time.Time
	mu       sync.Mutex
	rng      *rand.Rand
	n        int
}

func (e *crashEvents) batch(writer string) []*monitoringv1.Measurement {
	e.mu.Lock()
	defer e.mu.Unlock()
	ms := make([]*monitoringv1.Measurement, crashBatch)
	for i := range ms {
		e.n++
		at := e.from.Add(time.Duration(e.rng.Int64N(int64(e.to.Sub(e.from))))).Truncate(time.Second)
		m := &monitoringv1.Measurement{EventId: fmt.Sprintf("crash-%s-%06d", writer, e.n), EventTime: timestamppb.New(at)}
		switch e.n % 3 {
		case 0:
			m.ServiceLevelKey, m.Value = "asa_20s", float64(1+e.rng.IntN(60)) // seconds to answer
		case 1:
			m.ServiceLevelKey, m.Value = "csat", float64(1+e.rng.IntN(5)) // a score of 1 to 5
		default:
			m.ServiceLevelKey, m.Value = "aht_s", float64(200+e.rng.IntN(400)) // seconds of handling
		}
		ms[i] = m
	}
	return ms
}

// crashWriters write until the kill; each stops at its first error, and
// calls going once a write of it was acknowledged.
type crashWriters struct {
	p      *platform
	conn   *grpc.ClientConn
	http   *http.Client
	tokens crashTokens
	led    *crashLedger
	events *crashEvents
	round  int
	failed func(writer string, err error)
}

// restJSON sends body as JSON and decodes a 200 answer into out.
func (w *crashWriters) restJSON(ctx context.Context, method, path, token string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, w.p.baseURL+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := w.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var st rpcStatus
		_ = json.NewDecoder(resp.Body).Decode(&st)
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, st.Message)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func (w *crashWriters) providersREST(ctx context.Context, going func()) {
	for n := 0; ctx.Err() == nil; n++ {
		name := fmt.Sprintf("Crash REST r%d n%d", w.round, n)
		var created provider
		if err := w.restJSON(ctx, "POST", "/v1/providers", w.tokens.sourcing, newProvider(name, "PH"), &created); err != nil {
			w.failed("REST provider writer", err)
			return
		}
		w.led.created(created.Name, name)
		renamed := name + " renamed"
		w.led.renaming(created.Name, renamed)
		var updated provider
		if err := w.restJSON(ctx, "PATCH", "/v1/"+created.Name+"?"+query("updateMask", "display_name"), w.tokens.sourcing,
			map[string]any{"displayName": renamed}, &updated); err != nil {
			w.failed("REST provider writer", err)
			return
		}
		w.led.renamed(created.Name, renamed)
		going()
	}
}

func (w *crashWriters) providersGRPC(ctx context.Context, going func()) {
	catalog := catalogv1.NewCatalogServiceClient(w.conn)
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+w.tokens.sourcing)
	for n := 0; ctx.Err() == nil; n++ {
		name := fmt.Sprintf("Crash gRPC r%d n%d", w.round, n)
		created, err := catalog.CreateProvider(ctx, &catalogv1.CreateProviderRequest{Provider: &catalogv1.Provider{
			DisplayName: name, LegalName: name + " Inc.", HqCountry: "PH", BillingCurrency: "PHP",
		}})
		if err != nil {
			w.failed("gRPC provider writer", err)
			return
		}
		w.led.created(created.GetName(), name)
		renamed := name + " renamed"
		w.led.renaming(created.GetName(), renamed)
		_, err = catalog.UpdateProvider(ctx, &catalogv1.UpdateProviderRequest{
			Provider:   &catalogv1.Provider{Name: created.GetName(), DisplayName: renamed},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}},
		})
		if err != nil {
			w.failed("gRPC provider writer", err)
			return
		}
		w.led.renamed(created.GetName(), renamed)
		going()
	}
}

func (w *crashWriters) measurementsREST(ctx context.Context, going func()) {
	for ctx.Err() == nil {
		ms := w.events.batch("rest")
		body, err := protojson.Marshal(&monitoringv1.BatchCreateMeasurementsRequest{Measurements: ms})
		if err != nil {
			w.failed("REST measurement writer", err)
			return
		}
		var resp struct {
			Accepted string `json:"accepted"` // int64 is a JSON string
		}
		if err := w.restJSON(ctx, "POST", "/v1/"+w.events.contract+"/measurements:batchCreate", w.tokens.provider, json.RawMessage(body), &resp); err != nil {
			w.failed("REST measurement writer", err)
			return
		}
		if resp.Accepted != strconv.Itoa(len(ms)) {
			w.failed("REST measurement writer", fmt.Errorf("%s of %d new measurements accepted", resp.Accepted, len(ms)))
			return
		}
		w.led.stored(w.events.contract, ms)
		going()
	}
}

func (w *crashWriters) measurementsGRPC(ctx context.Context, going func()) {
	monitoring := monitoringv1.NewMonitoringServiceClient(w.conn)
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+w.tokens.provider)
	for ctx.Err() == nil {
		ms := w.events.batch("grpc")
		resp, err := monitoring.BatchCreateMeasurements(ctx, &monitoringv1.BatchCreateMeasurementsRequest{Parent: w.events.contract, Measurements: ms})
		if err != nil {
			w.failed("gRPC measurement writer", err)
			return
		}
		if resp.GetAccepted() != int64(len(ms)) {
			w.failed("gRPC measurement writer", fmt.Errorf("%d of %d new measurements accepted", resp.GetAccepted(), len(ms)))
			return
		}
		w.led.stored(w.events.contract, ms)
		going()
	}
}
