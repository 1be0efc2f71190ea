package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	lifecyclev1 "github.com/acme/bpo/gen/go/bpo/lifecycle/v1"
	"github.com/acme/bpo/internal/walk"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// TestDistributed runs the README's split set-up: the four services and the
// gateway as five `bpo serve --service …` processes, each with its own data
// directory (as on separate hosts), sharing one token key file, on
// PostgreSQL (one database, a schema per service) when
// BPO_TEST_POSTGRES_DSN is set, else on SQLite files. Every process exports
// its traces by OTLP to a receiver in this test.
//
// It walks the demo's engagement to LIVE through the gateway; checks that
// one REST call makes one trace across gateway → contract → catalog; that
// each process serves its own /metrics; then stops contract, sees its
// routes answer 503 naming it while catalog's answer and the gateway stays
// ready, starts contract again and sees its routes recover.
//
//	go test ./e2e -run TestDistributed -v
func TestDistributed(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: builds and starts the real binary (skipped with -short)")
	}
	dialect := sqltest.SQLite
	if os.Getenv(sqltest.PostgresDSNEnv) != "" {
		dialect = sqltest.Postgres
	}
	// The subtest is named for the dialect, so tools/testreport counts it.
	t.Run(dialect, func(t *testing.T) { distributed(t, dialect) })
}

func distributed(t *testing.T, dialect string) {
	top := t
	bin := buildBinary(t)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	otlp := startOTLPReceiver(t)

	dir := t.TempDir()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	keyFile := filepath.Join(dir, "jwt.key")
	if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	db := ""
	if dialect == sqltest.Postgres {
		db = sqltest.DSN(t, sqltest.Postgres) // one database, a schema per service
	}
	addr := map[string]string{}
	for _, s := range []string{"catalog", "contract", "transition", "monitoring", "gateway-http"} {
		addr[s] = freeAddr(t)
	}
	env := append(cleanEnv(),
		"OTEL_EXPORTER_OTLP_ENDPOINT=http://"+otlp.addr,
		"OTEL_EXPORTER_OTLP_PROTOCOL=grpc",
		"OTEL_BSP_SCHEDULE_DELAY=100", // ms: spans reach the receiver quickly
	)
	common := func(svc string) []string {
		return []string{"serve", "--service", svc, "--data-dir", filepath.Join(dir, svc), "--db", db,
			"--jwt-secret-file", keyFile, "--log-format", "json", "--drain-timeout", drainTimeout.String()}
	}
	args := map[string][]string{
		"catalog":    append(common("catalog"), "--grpc-addr", addr["catalog"], "--metrics-addr", freeAddr(t)),
		"contract":   append(common("contract"), "--grpc-addr", addr["contract"], "--metrics-addr", freeAddr(t), "--catalog-addr", addr["catalog"]),
		"transition": append(common("transition"), "--grpc-addr", addr["transition"], "--metrics-addr", freeAddr(t), "--contract-addr", addr["contract"], "--catalog-addr", addr["catalog"]),
		"monitoring": append(common("monitoring"), "--grpc-addr", addr["monitoring"], "--metrics-addr", freeAddr(t), "--contract-addr", addr["contract"], "--catalog-addr", addr["catalog"]),
		"gateway": append(common("gateway"), "--http-addr", addr["gateway-http"], "--catalog-addr", addr["catalog"], "--contract-addr", addr["contract"],
			"--transition-addr", addr["transition"], "--monitoring-addr", addr["monitoring"]),
	}
	procs := map[string]*proc{}
	// All at once: a service dials its peers lazily, so none waits for
	// another to start.
	for _, s := range []string{"catalog", "contract", "transition", "monitoring", "gateway"} {
		procs[s] = startProc(t, bin, s, args[s], env)
	}
	for _, s := range []string{"catalog", "contract", "transition", "monitoring"} {
		procs[s].waitServing(t, addr[s])
	}
	base := "http://" + addr["gateway-http"]
	waitHTTP(t, base+"/readyz?strict=true", http.StatusOK, procs["gateway"])
	t.Logf("five processes ready in %s (%s)", time.Since(start).Round(time.Millisecond), dialect)

	hc := &http.Client{Timeout: callTimeout}
	c := walk.NewClient(base, key)
	w, err := walk.New(c, time.Now(), func(step, who, text string) { t.Log(walk.Line(step, who, text)) })
	if err != nil {
		t.Fatal(err)
	}
	walked := t.Run("the demo walk reaches LIVE", func(t *testing.T) {
		lc, err := w.Run(ctx)
		if err != nil {
			t.Fatalf("walk: %v", err)
		}
		if lc.GetStage() != lifecyclev1.Stage_STAGE_LIVE {
			t.Fatalf("stage %s; want LIVE\n%s", lc.GetStage(), walk.FormatLifecycle(lc))
		}
	})
	cm, err := c.Token(w.Cast.ContractManager)
	if err != nil {
		t.Fatal(err)
	}
	sm, err := c.Token(w.Cast.SourcingManager)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("one REST call is one trace across gateway, contract and catalog", func(t *testing.T) {
		// A caller's own trace context: the gateway continues it. Drafting
		// a contract asks catalog for the engagement's award; this
		// engagement does not exist, so catalog answers NOT_FOUND and
		// nothing is stored — the trace is what the test wants.
		traceID, parent := randomHex(16), randomHex(8)
		body := `{"engagement": "engagements/01ARZ3NDEKTSV4RRFFQ69G5FAV"}`
		req, _ := http.NewRequest("POST", base+"/v1/contracts", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+cm)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("traceparent", "00-"+traceID+"-"+parent+"-01")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Fatalf("POST /v1/contracts for an unknown engagement: %s %s; want a 4xx from catalog's answer", resp.Status, raw)
		}
		// gateway: HTTP server span → client span → contract: server span →
		// client span → catalog: server span, all of one trace.
		spans := otlp.waitTrace(t, traceID, func(ss []span) bool {
			return hasSpan(ss, "bpo-catalog", tracepb.Span_SPAN_KIND_SERVER, "GetEngagement") &&
				hasSpan(ss, "bpo-contract", tracepb.Span_SPAN_KIND_CLIENT, "GetEngagement") &&
				hasSpan(ss, "bpo-contract", tracepb.Span_SPAN_KIND_SERVER, "CreateContract") &&
				hasSpan(ss, "bpo-gateway", tracepb.Span_SPAN_KIND_CLIENT, "CreateContract") &&
				hasSpan(ss, "bpo-gateway", tracepb.Span_SPAN_KIND_SERVER, "POST")
		})
		httpSpan := findSpan(t, spans, "bpo-gateway", tracepb.Span_SPAN_KIND_SERVER, "POST /v1/contracts")
		if httpSpan.parent != parent {
			t.Errorf("gateway's HTTP span has parent %s; want the caller's %s", httpSpan.parent, parent)
		}
		gwClient := findSpan(t, spans, "bpo-gateway", tracepb.Span_SPAN_KIND_CLIENT, "CreateContract")
		contractServer := findSpan(t, spans, "bpo-contract", tracepb.Span_SPAN_KIND_SERVER, "CreateContract")
		contractClient := findSpan(t, spans, "bpo-contract", tracepb.Span_SPAN_KIND_CLIENT, "GetEngagement")
		catalogServer := findSpan(t, spans, "bpo-catalog", tracepb.Span_SPAN_KIND_SERVER, "GetEngagement")
		for _, link := range []struct{ child, parent span }{
			{gwClient, httpSpan}, {contractServer, gwClient}, {contractClient, contractServer}, {catalogServer, contractClient},
		} {
			if link.child.parent != link.parent.id {
				t.Errorf("span %s/%s has parent %s; want %s/%s (%s)", link.child.service, link.child.name, link.child.parent, link.parent.service, link.parent.name, link.parent.id)
			}
		}
		// The same trace id is in the services' log lines of the call.
		for _, s := range []string{"contract", "catalog"} {
			if !strings.Contains(procs[s].log.String(), `"trace_id":"`+traceID+`"`) {
				t.Errorf("%s's log has no line with trace_id %s", s, traceID)
			}
		}
	})

	t.Run("every process serves its own /metrics", func(t *testing.T) {
		for _, s := range []string{"catalog", "contract", "transition", "monitoring"} {
			m := scrape(t, hc, "http://"+flagValue(args[s], "--metrics-addr")+"/metrics")
			for _, want := range []string{`grpc_server_handled_total{grpc_code="OK"`, `grpc_server_handling_seconds_bucket{grpc_code="OK"`, `go_sql_open_connections{db_name="` + s + `_`} {
				if !strings.Contains(m, want) {
					t.Errorf("%s /metrics lacks %s", s, want)
				}
			}
		}
		want := map[string][]string{
			"contract": {`grpc_client_handled_total{grpc_code="NotFound",grpc_method="GetEngagement"`},
		}
		if walked { // else the walk's failure above says why none were sent
			// The walk's month of measurements, and its one rejected CSAT.
			want["monitoring"] = []string{`bpo_measurements_total{outcome="accepted"} `, `bpo_measurements_total{outcome="rejected"} `}
		}
		for s, ws := range want {
			m := scrape(t, hc, "http://"+flagValue(args[s], "--metrics-addr")+"/metrics")
			for _, w := range ws {
				if !strings.Contains(m, w) || strings.Contains(m, w+"0\n") {
					t.Errorf("%s /metrics lacks %s…, or it is 0", s, w)
				}
			}
		}
		m := scrape(t, hc, base+"/metrics")
		for _, want := range []string{
			`http_server_request_duration_seconds_count{code="200",method="POST",route="/v1/providers"}`,
			`,method="GET",route="/v1/{name=`, // a template, never a raw path
			`grpc_client_handled_total{grpc_code="OK",grpc_method="CreateProvider"`,
			`grpc_client_handling_seconds_bucket{grpc_code="OK",grpc_method="CreateProvider"`,
		} {
			if !strings.Contains(m, want) {
				t.Errorf("gateway /metrics lacks %s", want)
			}
		}
	})

	t.Run("contract down: its routes answer 503 naming it, the others answer, then it recovers", func(t *testing.T) {
		procs["contract"].stop(t)
		status, raw := restGet(t, hc, base+"/v1/contracts", cm)
		var st rpcStatus
		_ = json.Unmarshal(raw, &st)
		if status != http.StatusServiceUnavailable || !strings.Contains(st.Message, "contract") || strings.Contains(st.Message, "127.0.0.1") {
			t.Errorf("GET /v1/contracts with contract down: %d %s; want 503 naming contract, no address", status, raw)
		}
		if status, raw := restGet(t, hc, base+"/v1/providers", sm); status != http.StatusOK {
			t.Errorf("GET /v1/providers with contract down: %d %s; want 200 (catalog is up)", status, raw)
		}
		status, raw = restGet(t, hc, base+"/readyz", "")
		if status != http.StatusOK || !strings.Contains(string(raw), "contract: DOWN") || !strings.Contains(string(raw), "catalog: SERVING") {
			t.Errorf("/readyz with contract down: %d %q; want 200 saying contract is down", status, raw)
		}
		if status, raw := restGet(t, hc, base+"/readyz?strict=true", ""); status != http.StatusServiceUnavailable {
			t.Errorf("/readyz?strict=true with contract down: %d %q; want 503", status, raw)
		}

		down := time.Now()
		// On the outer test: the process outlives this subtest.
		procs["contract"] = startProc(top, bin, "contract", args["contract"], env)
		procs["contract"].waitServing(t, addr["contract"])
		deadline := time.Now().Add(15 * time.Second)
		for {
			status, raw := restGet(t, hc, base+"/v1/contracts", cm)
			if status == http.StatusOK {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET /v1/contracts after contract restarted: %d %s; want 200 within 15 s", status, raw)
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("contract's routes answered again %s after its restart began", time.Since(down).Round(time.Millisecond))
		waitHTTP(t, base+"/readyz?strict=true", http.StatusOK, procs["gateway"])
	})

	t.Run("graceful shutdown", func(t *testing.T) {
		for _, s := range []string{"gateway", "monitoring", "transition", "contract", "catalog"} {
			procs[s].stop(t)
		}
	})
	t.Logf("distributed test took %s", time.Since(start).Round(time.Millisecond))
}

// ---------------------------------------------------------------------------
// Processes.

// proc is one `bpo serve` process; its log is printed if the test failed.
type proc struct {
	name    string
	cmd     *exec.Cmd
	log     *syncBuffer
	exited  chan struct{}
	waitErr error
}

func startProc(t *testing.T, bin, name string, args, env []string) *proc {
	t.Helper()
	p := &proc{name: name, log: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.waitErr = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("bpo serve --service %s log:\n%s", name, p.log.String())
		}
	})
	return p
}

// waitServing waits until the gRPC health service at addr says SERVING.
func (p *proc) waitServing(t *testing.T, addr string) {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-p.exited:
			t.Fatalf("%s exited before it was ready (%v):\n%s", p.name, p.waitErr, p.log.String())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
		cancel()
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not serving after %s:\n%s", p.name, startTimeout, p.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM and expects exit status 0 within the drain timeout.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM %s: %v", p.name, err)
	}
	select {
	case <-p.exited:
	case <-time.After(drainTimeout + 5*time.Second):
		t.Fatalf("%s still running after SIGTERM", p.name)
	}
	if p.waitErr != nil {
		t.Errorf("%s exited with %v after SIGTERM; want 0", p.name, p.waitErr)
	}
}

func waitHTTP(t *testing.T, url string, want int, p *proc) {
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		select {
		case <-p.exited:
			t.Fatalf("%s exited (%v):\n%s", p.name, p.waitErr, p.log.String())
		default:
		}
		if resp, err := hc.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == want {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: not %d after %s", url, want, startTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func restGet(t *testing.T, hc *http.Client, url, token string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

func scrape(t *testing.T, hc *http.Client, url string) string {
	t.Helper()
	status, raw := restGet(t, hc, url, "")
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d", url, status)
	}
	return string(raw)
}

func flagValue(args []string, name string) string {
	if i := slices.Index(args, name); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ---------------------------------------------------------------------------
// An OTLP/gRPC trace receiver: the collector's TraceService, served here.

type span struct {
	service, name string
	kind          tracepb.Span_SpanKind
	id, parent    string
	traceID       string
}

type otlpReceiver struct {
	collectortrace.UnimplementedTraceServiceServer
	addr string

	mu    sync.Mutex
	spans []span
	more  chan struct{} // signalled on every export
}

func startOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &otlpReceiver{addr: lis.Addr().String(), more: make(chan struct{}, 1)}
	s := grpc.NewServer()
	collectortrace.RegisterTraceServiceServer(s, r)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return r
}

func (r *otlpReceiver) Export(_ context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	r.mu.Lock()
	for _, rs := range req.GetResourceSpans() {
		svc := ""
		for _, a := range rs.GetResource().GetAttributes() {
			if a.GetKey() == "service.name" {
				svc = a.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				r.spans = append(r.spans, span{
					service: svc, name: s.GetName(), kind: s.GetKind(),
					id: hex.EncodeToString(s.GetSpanId()), parent: hex.EncodeToString(s.GetParentSpanId()), traceID: hex.EncodeToString(s.GetTraceId()),
				})
			}
		}
	}
	r.mu.Unlock()
	select {
	case r.more <- struct{}{}:
	default:
	}
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

// waitTrace waits (up to 10 s) until the spans of traceID satisfy done.
func (r *otlpReceiver) waitTrace(t *testing.T, traceID string, done func([]span) bool) []span {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		var got []span
		for _, s := range r.spans {
			if s.traceID == traceID {
				got = append(got, s)
			}
		}
		r.mu.Unlock()
		if done(got) {
			return got
		}
		select {
		case <-r.more:
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatalf("trace %s incomplete after 10 s; spans received: %s", traceID, describe(got))
		}
	}
}

func hasSpan(ss []span, service string, kind tracepb.Span_SpanKind, name string) bool {
	for _, s := range ss {
		if s.service == service && s.kind == kind && strings.Contains(s.name, name) {
			return true
		}
	}
	return false
}

func findSpan(t *testing.T, ss []span, service string, kind tracepb.Span_SpanKind, name string) span {
	t.Helper()
	var found []span
	for _, s := range ss {
		if s.service == service && s.kind == kind && strings.Contains(s.name, name) {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d %s spans of %s named like %q in the trace; want 1. Trace: %s", len(found), kind, service, name, describe(ss))
	}
	return found[0]
}

func describe(ss []span) string {
	var b strings.Builder
	for _, s := range ss {
		fmt.Fprintf(&b, "\n  %s %s %q id %s parent %s", s.service, s.kind, s.name, s.id, s.parent)
	}
	return b.String()
}
