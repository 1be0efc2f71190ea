// Package e2e tests the platform from the outside: it builds the real bpo
// binary, starts `bpo serve` on a fresh data directory and free loopback
// ports, and uses it the way people do — over REST with net/http, and over
// gRPC with the real grpcurl — until it shuts down gracefully on SIGTERM.
//
// Run it alone with
//
//	go test ./e2e -run TestEndToEnd -v
//	go test ./e2e -run 'TestEndToEnd/REST/stale_etag' -v
//
// Every subtest sets up the providers it needs, so any one of them can run
// by itself. BPO_E2E_BINARY=path uses a prebuilt binary instead of building
// one. The server always runs on SQLite files in a temporary directory; the
// BPO_* variables of the caller's environment are not passed to it.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

const (
	// drainTimeout is what the server is given to drain on SIGTERM; it must
	// exit within it (plus a little for closing the stores).
	drainTimeout = 5 * time.Second
	startTimeout = 30 * time.Second
	callTimeout  = 15 * time.Second
)

// TestEndToEnd is the platform's user story so far: a sourcing manager
// keeps the provider catalog, a provider user sees only its own provider,
// an auditor checks the audit log, an operator pokes at the gRPC API with
// grpcurl, and the platform shuts down cleanly when told to.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: builds and starts the real binary (skipped with -short)")
	}
	p := startPlatform(t, buildBinary(t))

	t.Run("REST", func(t *testing.T) {
		t.Run("sourcing manager creates and reads a provider", func(t *testing.T) {
			sm := p.token(t, "sourcing_manager")
			created := p.createProvider(t, sm, newProvider("Acme Manila", "PH"))
			if !strings.HasPrefix(created.Name, "providers/") || created.Etag == "" || created.State != "PROVIDER_STATE_ACTIVE" {
				t.Fatalf("created provider = %+v; want a providers/ name, an etag and state ACTIVE", created)
			}
			var got provider
			p.rest(t, "GET", "/v1/"+created.Name, sm, nil, http.StatusOK, &got)
			if got.Name != created.Name || got.DisplayName != "Acme Manila" || got.LegalName != "Acme Manila Ltd." || got.Etag != created.Etag {
				t.Fatalf("GET %s = %+v; want what was created: %+v", created.Name, got, created)
			}
		})

		t.Run("sourcing manager updates fields named in the mask", func(t *testing.T) {
			sm := p.token(t, "sourcing_manager")
			created := p.createProvider(t, sm, newProvider("Bravo BPO", "PH"))
			var updated provider
			p.rest(t, "PATCH", "/v1/"+created.Name+"?"+query("updateMask", "display_name,website"), sm,
				map[string]any{"displayName": "Bravo BPO Group", "website": "https://bravo.example", "hqCountry": "US", "etag": created.Etag},
				http.StatusOK, &updated)
			if updated.DisplayName != "Bravo BPO Group" || updated.Website != "https://bravo.example" {
				t.Errorf("after PATCH: displayName %q, website %q; want the new values", updated.DisplayName, updated.Website)
			}
			if updated.HqCountry != "PH" {
				t.Errorf("after PATCH: hqCountry %q; want PH kept, since hq_country is not in the mask", updated.HqCountry)
			}
			if updated.Etag == "" || updated.Etag == created.Etag {
				t.Errorf("after PATCH: etag %q; want a new one (was %q)", updated.Etag, created.Etag)
			}
		})

		t.Run("stale etag is 409", func(t *testing.T) {
			sm := p.token(t, "sourcing_manager")
			created := p.createProvider(t, sm, newProvider("Charlie Services", "PH"))
			path := "/v1/" + created.Name + "?" + query("updateMask", "display_name")
			p.rest(t, "PATCH", path, sm, map[string]any{"displayName": "Charlie 2", "etag": created.Etag}, http.StatusOK, nil)
			st := p.restError(t, "PATCH", path, sm, map[string]any{"displayName": "Charlie 3", "etag": created.Etag}, http.StatusConflict)
			if st.Code != 10 { // ABORTED
				t.Errorf("stale etag: code %d (%s); want 10 ABORTED", st.Code, st.Message)
			}
		})

		t.Run("list pages and filters", func(t *testing.T) {
			sm := p.token(t, "sourcing_manager")
			// Iceland is used by no other subtest, so exactly these two match.
			first := p.createProvider(t, sm, newProvider("Delta Reykjavik", "IS"))
			second := p.createProvider(t, sm, newProvider("Echo Reykjavik", "IS"))
			p.createProvider(t, sm, newProvider("Foxtrot Bogotá", "CO"))
			filter := `hq_country = IS AND state = ACTIVE`

			var page1, page2 listProvidersResponse
			p.rest(t, "GET", "/v1/providers?"+query("pageSize", "1", "filter", filter), sm, nil, http.StatusOK, &page1)
			if len(page1.Providers) != 1 || page1.Providers[0].Name != first.Name || page1.NextPageToken == "" {
				t.Fatalf("page 1 = %d providers %v, next %q; want %s and a next page token", len(page1.Providers), names(page1.Providers), page1.NextPageToken, first.Name)
			}
			p.rest(t, "GET", "/v1/providers?"+query("pageSize", "1", "filter", filter, "pageToken", page1.NextPageToken), sm, nil, http.StatusOK, &page2)
			if len(page2.Providers) != 1 || page2.Providers[0].Name != second.Name || page2.NextPageToken != "" {
				t.Fatalf("page 2 = %v, next %q; want only %s and no next page", names(page2.Providers), page2.NextPageToken, second.Name)
			}
			st := p.restError(t, "GET", "/v1/providers?"+query("filter", "colour = red"), sm, nil, http.StatusBadRequest)
			st.wantViolation(t, "filter")
		})

		t.Run("sourcing manager deletes a provider", func(t *testing.T) {
			sm := p.token(t, "sourcing_manager")
			created := p.createProvider(t, sm, newProvider("Golf Outsourcing", "PH"))
			p.rest(t, "DELETE", "/v1/"+created.Name+"?"+query("etag", created.Etag), sm, nil, http.StatusOK, nil)
			p.restError(t, "GET", "/v1/"+created.Name, sm, nil, http.StatusNotFound)
		})

		t.Run("retry with the same request id creates one provider", func(t *testing.T) {
			sm := p.token(t, "sourcing_manager")
			body := newProvider("Hotel Auckland", "NZ") // the only subtest using NZ
			path := "/v1/providers?" + query("requestId", "e2e-retry-1")
			var a, b provider
			p.rest(t, "POST", path, sm, body, http.StatusOK, &a)
			p.rest(t, "POST", path, sm, body, http.StatusOK, &b)
			if a.Name == "" || a.Name != b.Name {
				t.Fatalf("two creates with one request id made %q and %q; want the same provider", a.Name, b.Name)
			}
			var list listProvidersResponse
			p.rest(t, "GET", "/v1/providers?"+query("filter", "hq_country = NZ"), sm, nil, http.StatusOK, &list)
			if len(list.Providers) != 1 {
				t.Fatalf("providers in NZ = %v; want exactly one", names(list.Providers))
			}
			// The same id for a different request is refused, not answered
			// with the first result.
			other := newProvider("India Auckland", "NZ")
			st := p.restError(t, "POST", path, sm, other, http.StatusBadRequest)
			st.wantViolation(t, "request_id")
		})

		t.Run("no token is 401", func(t *testing.T) {
			st := p.restError(t, "GET", "/v1/providers", "", nil, http.StatusUnauthorized)
			if st.Code != 16 { // UNAUTHENTICATED
				t.Errorf("code %d; want 16 UNAUTHENTICATED", st.Code)
			}
			p.restError(t, "POST", "/v1/providers", "", newProvider("Juliet", "PH"), http.StatusUnauthorized)
		})

		t.Run("unknown country is 400 naming the field", func(t *testing.T) {
			sm := p.token(t, "sourcing_manager")
			body := newProvider("Kilo", "PH")
			body["hqCountry"] = "XX" // two capitals, but no country
			st := p.restError(t, "POST", "/v1/providers", sm, body, http.StatusBadRequest)
			st.wantViolation(t, "provider.hq_country")
		})

		t.Run("unknown time zone is 400 naming the field", func(t *testing.T) {
			sm := p.token(t, "sourcing_manager")
			body := newProvider("Lima", "PH")
			body["deliveryCenters"] = []any{map[string]any{"name": "Olympus", "country": "PH", "timeZone": "Mars/Olympus_Mons"}}
			st := p.restError(t, "POST", "/v1/providers", sm, body, http.StatusBadRequest)
			st.wantViolation(t, "provider.delivery_centers[0].time_zone")
		})

		t.Run("provider user sees only its own provider", func(t *testing.T) {
			sm := p.token(t, "sourcing_manager")
			mine := p.createProvider(t, sm, newProvider("Mike Contact Center", "PH"))
			theirs := p.createProvider(t, sm, newProvider("November Contact Center", "PH"))
			pu := p.token(t, "provider", "--provider", mine.Name)

			p.rest(t, "GET", "/v1/"+mine.Name, pu, nil, http.StatusOK, nil)
			p.restError(t, "GET", "/v1/"+theirs.Name, pu, nil, http.StatusForbidden)
			p.restError(t, "PATCH", "/v1/"+theirs.Name+"?"+query("updateMask", "website"), pu,
				map[string]any{"website": "https://hijack.example"}, http.StatusForbidden)
			var list listProvidersResponse
			p.rest(t, "GET", "/v1/providers", pu, nil, http.StatusOK, &list)
			if len(list.Providers) != 1 || list.Providers[0].Name != mine.Name {
				t.Errorf("a provider user lists %v; want only its own %s", names(list.Providers), mine.Name)
			}
		})

		t.Run("auditor lists and verifies the audit log", func(t *testing.T) {
			sm := p.token(t, "sourcing_manager")
			created := p.createProvider(t, sm, newProvider("Oscar Analytics", "PH"))
			var updated provider
			p.rest(t, "PATCH", "/v1/"+created.Name+"?"+query("updateMask", "display_name"), sm,
				map[string]any{"displayName": "Oscar Analytics Group"}, http.StatusOK, &updated)
			p.rest(t, "DELETE", "/v1/"+created.Name, sm, nil, http.StatusOK, nil)

			auditor := p.token(t, "auditor")
			var events listAuditEventsResponse
			p.rest(t, "GET", "/v1/catalog/auditEvents?"+query("filter", fmt.Sprintf("resource = %q", created.Name)), auditor, nil, http.StatusOK, &events)
			var methods []string
			for _, e := range events.AuditEvents {
				methods = append(methods, e.Method[strings.LastIndex(e.Method, "/")+1:])
				if e.Subject != "local-sourcing_manager" || e.Hash == "" {
					t.Errorf("audit event %+v: want subject local-sourcing_manager and a hash", e)
				}
			}
			if want := "CreateProvider,UpdateProvider,DeleteProvider"; strings.Join(methods, ",") != want {
				t.Errorf("audit events of %s: %v; want %s", created.Name, methods, want)
			}
			var verify struct {
				Verification struct {
					Intact        bool
					EventsChecked string // int64 is a JSON string
					Problem       string
				}
			}
			p.rest(t, "GET", "/v1/catalog/auditEvents:verify", auditor, nil, http.StatusOK, &verify)
			if !verify.Verification.Intact || verify.Verification.EventsChecked == "" {
				t.Errorf("verify = %+v; want intact with events checked", verify.Verification)
			}
			// Only auditors (and admins) read the log.
			p.restError(t, "GET", "/v1/catalog/auditEvents", sm, nil, http.StatusForbidden)
		})

		t.Run("OpenAPI document", func(t *testing.T) {
			resp, body := p.get(t, "/openapi.json")
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("GET /openapi.json: %s, Content-Type %q", resp.Status, resp.Header.Get("Content-Type"))
			}
			var doc struct {
				Paths map[string]any `json:"paths"`
			}
			if err := json.Unmarshal(body, &doc); err != nil {
				t.Fatalf("GET /openapi.json is not JSON: %v", err)
			}
			if _, ok := doc.Paths["/v1/providers"]; !ok {
				t.Errorf("OpenAPI paths lack /v1/providers")
			}
		})
	})

	t.Run("grpcurl", func(t *testing.T) {
		grpcurl := findGrpcurl(t)

		t.Run("lists the services by reflection", func(t *testing.T) {
			out := run(t, grpcurl, "-plaintext", p.grpcAddr, "list")
			for _, svc := range []string{"bpo.catalog.v1.CatalogService", "bpo.lifecycle.v1.LifecycleService", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"} {
				if !hasLine(out, svc) {
					t.Errorf("grpcurl list lacks %s:\n%s", svc, out)
				}
			}
		})

		t.Run("creates a provider", func(t *testing.T) {
			sm := p.token(t, "sourcing_manager")
			out := run(t, grpcurl, "-plaintext", "-H", "authorization: Bearer "+sm,
				"-d", `{"provider": {"display_name": "Papa Cebu", "legal_name": "Papa Cebu Inc.", "hq_country": "PH", "billing_currency": "PHP"}}`,
				p.grpcAddr, "bpo.catalog.v1.CatalogService/CreateProvider")
			var created provider
			if err := json.Unmarshal([]byte(out), &created); err != nil || !strings.HasPrefix(created.Name, "providers/") {
				t.Fatalf("CreateProvider printed %q (%v); want a provider", out, err)
			}
			// What gRPC created, REST reads.
			p.rest(t, "GET", "/v1/"+created.Name, sm, nil, http.StatusOK, nil)
		})

		t.Run("health check", func(t *testing.T) {
			out := run(t, grpcurl, "-plaintext", p.grpcAddr, "grpc.health.v1.Health/Check")
			if !strings.Contains(out, `"SERVING"`) {
				t.Errorf("Health/Check printed %q; want SERVING", out)
			}
		})
	})

	t.Run("graceful shutdown on SIGTERM", func(t *testing.T) {
		p.stop(t)
	})
}

// ---------------------------------------------------------------------------
// The platform under test.

type platform struct {
	bin      string
	dataDir  string
	grpcAddr string
	baseURL  string
	cmd      *exec.Cmd
	log      *syncBuffer
	exited   chan struct{} // closed when the process has exited
	waitErr  error
	http     *http.Client

	mu     sync.Mutex
	tokens map[string]string
}

// startPlatform starts `bpo serve` and waits until it serves gRPC (health
// SERVING) and REST (/healthz). The process is killed at the end of the
// test if it is still running; the server's log is printed if the test
// failed.
func startPlatform(t *testing.T, bin string) *platform {
	t.Helper()
	log := &syncBuffer{}
	// Registered first, so it runs after launch's kill: the whole log.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("bpo serve log:\n%s", log.String())
		}
	})
	return launch(t, bin, t.TempDir(), freeAddr(t), freeAddr(t), log)
}

// launch starts `bpo serve` on SQLite in dataDir, logging to log, and
// waits until it is ready; the process is killed at the end of the test if
// it is still running.
func launch(t *testing.T, bin, dataDir, grpcAddr, httpAddr string, log *syncBuffer) *platform {
	t.Helper()
	p := &platform{
		bin:      bin,
		dataDir:  dataDir,
		grpcAddr: grpcAddr,
		baseURL:  "http://" + httpAddr,
		log:      log,
		exited:   make(chan struct{}),
		http:     &http.Client{Timeout: callTimeout},
		tokens:   map[string]string{},
	}
	p.cmd = exec.Command(bin, "serve",
		"--data-dir", p.dataDir,
		"--db", "", // SQLite in --data-dir, whatever the environment says
		"--grpc-addr", p.grpcAddr,
		"--http-addr", httpAddr,
		"--log-format", "json",
		"--drain-timeout", drainTimeout.String(),
	)
	p.cmd.Env = cleanEnv()
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() { p.waitErr = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	p.waitReady(t)
	return p
}

// waitReady polls the gRPC health service and the gateway until both answer.
func (p *platform) waitReady(t *testing.T) {
	t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	conn, err := grpc.NewClient(p.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("gRPC client for %s: %v", p.grpcAddr, err)
	}
	defer conn.Close()
	health := healthpb.NewHealthClient(conn)
	for {
		select {
		case <-p.exited:
			t.Fatalf("bpo serve exited before it was ready (%v):\n%s", p.waitErr, p.log.String())
		case <-ctx.Done():
			t.Fatalf("bpo serve not ready after %s:\n%s", startTimeout, p.log.String())
		case <-time.After(50 * time.Millisecond):
		}
		cctx, ccancel := context.WithTimeout(ctx, time.Second)
		resp, err := health.Check(cctx, &healthpb.HealthCheckRequest{})
		ccancel()
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			continue
		}
		if r, err := p.http.Get(p.baseURL + "/healthz"); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				t.Logf("bpo serve ready in %s (gRPC %s, REST %s)", time.Since(start).Round(time.Millisecond), p.grpcAddr, p.baseURL)
				return
			}
		}
	}
}

// stop sends SIGTERM and expects the process to drain and exit 0 in time.
func (p *platform) stop(t *testing.T) {
	t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	limit := drainTimeout + 5*time.Second
	select {
	case <-p.exited:
	case <-time.After(limit):
		t.Fatalf("bpo serve still running %s after SIGTERM (drain timeout %s)", limit, drainTimeout)
	}
	if p.waitErr != nil {
		t.Fatalf("bpo serve exited with %v after SIGTERM; want exit status 0", p.waitErr)
	}
	t.Logf("bpo serve exited 0 in %s after SIGTERM", time.Since(start).Round(time.Millisecond))
	if c, err := net.DialTimeout("tcp", p.grpcAddr, time.Second); err == nil {
		c.Close()
		t.Errorf("gRPC port %s still accepts connections after exit", p.grpcAddr)
	}
}

// token mints a token with `bpo token`, signed with the server's local key.
// Extra arguments (like --provider) are passed on.
func (p *platform) token(t *testing.T, role string, extra ...string) string {
	t.Helper()
	key := role + " " + strings.Join(extra, " ")
	p.mu.Lock()
	defer p.mu.Unlock()
	if tok, ok := p.tokens[key]; ok {
		return tok
	}
	args := append([]string{"token", "--role", role, "--data-dir", p.dataDir}, extra...)
	tok := strings.TrimSpace(run(t, p.bin, args...))
	if strings.Count(tok, ".") != 2 {
		t.Fatalf("bpo token printed %q; want a JWT", tok)
	}
	p.tokens[key] = tok
	return tok
}

// ---------------------------------------------------------------------------
// REST helpers.

// provider is the part of the REST Provider the test looks at.
type provider struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	LegalName   string `json:"legalName"`
	Website     string `json:"website"`
	HqCountry   string `json:"hqCountry"`
	State       string `json:"state"`
	Etag        string `json:"etag"`
}

type listProvidersResponse struct {
	Providers     []provider `json:"providers"`
	NextPageToken string     `json:"nextPageToken"`
}

type listAuditEventsResponse struct {
	AuditEvents []struct {
		Sequence  string `json:"sequence"`
		Subject   string `json:"subject"`
		Method    string `json:"method"`
		Resource  string `json:"resource"`
		RequestID string `json:"requestId"`
		Hash      string `json:"hash"`
	} `json:"auditEvents"`
	NextPageToken string `json:"nextPageToken"`
}

// rpcStatus is the error body of the gateway: a google.rpc.Status as JSON.
type rpcStatus struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Details []struct {
		Type            string `json:"@type"`
		FieldViolations []struct {
			Field       string `json:"field"`
			Description string `json:"description"`
		} `json:"fieldViolations"`
	} `json:"details"`
}

// wantViolation fails unless the status carries a google.rpc.BadRequest
// with a field violation of field.
func (st rpcStatus) wantViolation(t *testing.T, field string) {
	t.Helper()
	var fields []string
	for _, d := range st.Details {
		if d.Type != "type.googleapis.com/google.rpc.BadRequest" {
			continue
		}
		for _, v := range d.FieldViolations {
			if v.Field == field && v.Description != "" {
				return
			}
			fields = append(fields, v.Field)
		}
	}
	t.Errorf("error %q: field violations %v; want one for %s", st.Message, fields, field)
}

// newProvider is a valid REST body for creating a provider.
func newProvider(displayName, country string) map[string]any {
	return map[string]any{
		"displayName":     displayName,
		"legalName":       displayName + " Ltd.",
		"hqCountry":       country,
		"billingCurrency": "USD",
		"deliveryCenters": []any{map[string]any{
			"name": displayName + " HQ", "country": country, "timeZone": "Asia/Manila",
			"languages": []string{"en"}, "seatCapacity": 120,
		}},
	}
}

func (p *platform) createProvider(t *testing.T, token string, body map[string]any) provider {
	t.Helper()
	var out provider
	p.rest(t, "POST", "/v1/providers", token, body, http.StatusOK, &out)
	return out
}

// rest sends a JSON request and fails unless the answer has status want;
// then it decodes the body into out (when not nil).
func (p *platform) rest(t *testing.T, method, path, token string, body any, want int, out any) {
	t.Helper()
	status, raw := p.send(t, method, path, token, body)
	if status != want {
		t.Fatalf("%s %s: status %d, want %d; body: %s", method, path, status, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
}

// restError is rest for a call that must fail with status want; it
// returns the error body.
func (p *platform) restError(t *testing.T, method, path, token string, body any, want int) rpcStatus {
	t.Helper()
	var st rpcStatus
	p.rest(t, method, path, token, body, want, &st)
	if st.Message == "" {
		t.Errorf("%s %s: error without a message", method, path)
	}
	return st
}

func (p *platform) send(t *testing.T, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, p.baseURL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := p.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp.StatusCode, raw
}

func (p *platform) get(t *testing.T, path string) (*http.Response, []byte) {
	t.Helper()
	resp, err := p.http.Get(p.baseURL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp, body
}

// query encodes key, value pairs as a URL query.
func query(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v.Encode()
}

func names(ps []provider) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

// ---------------------------------------------------------------------------
// Processes, ports and files.

// buildBinary builds ./cmd/bpo into a temporary directory, or returns
// $BPO_E2E_BINARY when set.
func buildBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("BPO_E2E_BINARY"); bin != "" {
		return bin
	}
	root := repoRoot(t)
	watchSources(t, root)
	bin := filepath.Join(t.TempDir(), "bpo")
	start := time.Now()
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/bpo")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/bpo: %v\n%s", err, out)
	}
	t.Logf("built %s in %s", bin, time.Since(start).Round(time.Millisecond))
	return bin
}

// watchSources reads the directories of the repository's sources. The go
// command caches a passing test's result keyed by the test binary and the
// files and directories the test read; the binary built here is a separate
// process the cache knows nothing about, so without this a change to
// cmd/, kit/ or services/ would leave `go test ./...` answering "(cached)".
// Reading a directory makes its entries' sizes and modification times part
// of the cache key.
func watchSources(t *testing.T, root string) {
	t.Helper()
	skip := map[string]bool{".git": true, "bin": true, "build": true, "data": true, "node_modules": true, "testdata": true}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (skip[d.Name()] || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		return nil
	})
	if err != nil {
		t.Fatalf("read the sources under %s: %v", root, err)
	}
}

// repoRoot is the directory of the root module (github.com/acme/bpo):
// that of `go env GOMOD`, or failing that the nearest parent holding go.work.
func repoRoot(t *testing.T) string {
	t.Helper()
	if out, err := exec.Command("go", "env", "GOMOD").Output(); err == nil {
		if gomod := strings.TrimSpace(string(out)); gomod != "" && gomod != os.DevNull {
			return filepath.Dir(gomod)
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("cannot find the repository root: no go.mod (go env GOMOD) and no go.work above the test")
		}
		dir = parent
	}
}

// findGrpcurl returns the repository's bin/grpcurl (make tools) or one on
// PATH. Without one the grpcurl tests are skipped — except in CI, where
// they must run.
func findGrpcurl(t *testing.T) string {
	t.Helper()
	local := filepath.Join(repoRoot(t), "bin", "grpcurl")
	if _, err := os.Stat(local); err == nil {
		return local
	}
	if path, err := exec.LookPath("grpcurl"); err == nil {
		return path
	}
	msg := "grpcurl not found in bin/ or on PATH: run 'make tools'"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " (CI is set, so the grpcurl tests may not be skipped)")
	}
	t.Skip(msg)
	return ""
}

// run runs a command and returns its standard output; it fails the test
// when the command fails.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = cleanEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) || ctx.Err() != nil {
			t.Fatalf("%s %s: %v\nstdout: %s\nstderr: %s", filepath.Base(name), redact(args), err, stdout.String(), stderr.String())
		}
		t.Fatalf("%s: %v", name, err)
	}
	return stdout.String()
}

// redact hides bearer tokens from failure messages.
func redact(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.HasPrefix(strings.ToLower(a), "authorization:") {
			a = "authorization: Bearer …"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}

func hasLine(out, line string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.TrimSpace(l) == line {
			return true
		}
	}
	return false
}

// cleanEnv is the test's environment without BPO_* variables, so that the
// caller's configuration cannot redirect the server under test.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BPO_") {
			env = append(env, kv)
		}
	}
	return env
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// syncBuffer collects the server's output from its two pipes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
