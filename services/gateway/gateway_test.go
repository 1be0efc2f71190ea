package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/downstream"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"github.com/acme/bpo/services/gateway"
	"github.com/acme/bpo/services/testenv"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
)

// rest is a gateway under test, served over HTTP, with its log.
type rest struct {
	url  string
	logs *observer.ObservedLogs
}

// serveREST serves the gateway over up, with opts, on a loopback HTTP
// server.
func serveREST(t *testing.T, up gateway.Upstreams, opts ...gateway.Option) *rest {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	h, err := gateway.New(t.Context(), up, append([]gateway.Option{gateway.WithLogger(zap.New(core))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &rest{url: srv.URL, logs: logs}
}

// dialAll dials every upstream at addr as bpo serve does, except those
// named in at, which are dialled at their own address.
func dialAll(t testing.TB, addr string, at map[string]string) gateway.Upstreams {
	t.Helper()
	dial := func(name string) *grpc.ClientConn {
		a := addr
		if x, ok := at[name]; ok {
			a = x
		}
		c, err := downstream.Dial(name, a)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	return gateway.Upstreams{
		Catalog: dial("catalog"), Contract: dial("contract"), Transition: dial("transition"),
		Monitoring: dial("monitoring"), Lifecycle: dial("lifecycle"),
	}
}

// bearer is the Authorization header of the calls made with ctx.
func bearer(ctx context.Context) string {
	md, _ := metadata.FromOutgoingContext(ctx)
	if v := md.Get("authorization"); len(v) > 0 {
		return v[0]
	}
	return ""
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

// status is a gateway error body: a google.rpc.Status as JSON.
type errorBody struct {
	Code    *int   `json:"code"`
	Message string `json:"message"`
	Details []any  `json:"details"`
}

// do sends a request whose target is written as is on the wire (so it may
// hold bytes net/url would escape).
func (g *rest) do(t *testing.T, method, target, auth string, body io.Reader, header ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, g.url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.URL.Opaque = target
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read the answer: %v", method, target, err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

// errorBody decodes a JSON error, failing unless it has the shape of the
// services' errors: application/json, a code and a message.
func (a answer) error(t *testing.T) errorBody {
	t.Helper()
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q; want application/json (body %s)", ct, a.body)
	}
	var e errorBody
	if err := json.Unmarshal(a.body, &e); err != nil || e.Code == nil || e.Message == "" {
		t.Fatalf("body %s (%v); want a google.rpc.Status with code and message", a.body, err)
	}
	return e
}

// TestRequestShapeErrors: what the gateway answers by itself is one of the
// statuses HTTP has for it, with the JSON body every error has, so a
// client handles it like any other error; and it is logged, since no
// service ever sees the request.
func TestRequestShapeErrors(t *testing.T) {
	e := testenv.Start(t, sqltest.SQLite)
	const limit = 4096
	gw := serveREST(t, dialAll(t, e.Addr, nil), gateway.WithMaxBodyBytes(limit))
	sm := bearer(e.AsRole(t, auth.SourcingManager))

	tests := []struct {
		name           string
		method, target string
		body           io.Reader
		status, code   int
		allow          string
	}{
		{"an unsupported method on a collection is 405 with what it takes", "PUT", "/v1/providers", nil, 405, 12, "GET, POST"},
		{"HEAD is not served on API paths", "HEAD", "/v1/providers", nil, 405, 12, "GET, POST"},
		{"an unsupported method on a resource is 405 with what it takes", "POST", "/v1/providers/p1", nil, 405, 12, "GET, PATCH, DELETE"},
		{"a form-encoded POST is not served by the GET route", "POST", "/v1/providers/p1", strings.NewReader("x=1"), 405, 12, "GET, PATCH, DELETE"},
		{"the OpenAPI document is read with GET", "POST", "/openapi.json", nil, 405, 12, "GET, HEAD"},
		{"an unknown path under /v1 is 404", "GET", "/v1/nothingHere", nil, 404, 5, ""},
		{"an unknown path elsewhere is 404", "GET", "/nothing/here", nil, 404, 5, ""},
		{"invalid UTF-8 in a path is 400", "GET", "/v1/providers/%FF", nil, 400, 3, ""},
		{"invalid UTF-8 in a PATCH path is 400", "PATCH", "/v1/providers/p%C3%28?updateMask=website", strings.NewReader(`{}`), 400, 3, ""},
		{"invalid UTF-8 in a query value is 400", "GET", "/v1/providers?filter=%FF", nil, 400, 3, ""},
		{"invalid UTF-8 in a query name is 400", "GET", "/v1/providers?%FE=1", nil, 400, 3, ""},
		{"a body over the limit is 413", "POST", "/v1/providers", bytes.NewReader(make([]byte, limit+1)), 413, 3, ""},
		{"a body over the limit sent in chunks is 413", "POST", "/v1/providers", io.MultiReader(strings.NewReader(`{"displayName":"`), strings.NewReader(strings.Repeat("A", limit))), 413, 3, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := gw.logs.Len()
			a := gw.do(t, tt.method, tt.target, sm, tt.body)
			if a.status != tt.status {
				t.Fatalf("%s %s: %d %s; want %d", tt.method, tt.target, a.status, a.body, tt.status)
			}
			if got := a.header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow %q; want %q", got, tt.allow)
			}
			if tt.method != "HEAD" {
				if st := a.error(t); *st.Code != tt.code {
					t.Errorf("code %d (%s); want %d", *st.Code, st.Message, tt.code)
				}
			}
			logged := gw.logs.All()[before:]
			if len(logged) != 1 || logged[0].ContextMap()["status"] != int64(tt.status) {
				t.Errorf("log %v; want one line with status %d", logged, tt.status)
			}
		})
	}

	t.Run("a body at the limit reaches the service", func(t *testing.T) {
		body := `{"displayName":"` + strings.Repeat("A", limit-len(`{"displayName":""}`)) + `"}`
		a := gw.do(t, "POST", "/v1/providers", sm, strings.NewReader(body))
		if a.status != http.StatusBadRequest || a.header.Get("X-Request-Id") == "" {
			t.Fatalf("%d %s; want the catalog's 400 (the provider lacks fields), with its request id", a.status, a.body)
		}
	})

	t.Run("the 400 for invalid UTF-8 says where it is", func(t *testing.T) {
		st := gw.do(t, "GET", "/v1/providers?filter=%FF", sm, nil).error(t)
		if !strings.Contains(st.Message, `"filter"`) {
			t.Errorf("message %q; want it to name the filter parameter", st.Message)
		}
	})
}

// TestLargestBatchFits: the default limit lets through the largest call
// the API takes, a batch of 10,000 measurements with every field at its
// longest; it reaches the monitoring service.
func TestLargestBatchFits(t *testing.T) {
	e := testenv.Start(t, sqltest.SQLite)
	gw := serveREST(t, dialAll(t, e.Addr, nil))
	ts, end := "2026-11-03T10:15:30.123456789Z", "2026-11-03T11:15:30.123456789Z"
	items := make([]map[string]any, 10000)
	for i := range items {
		items[i] = map[string]any{
			"serviceLevelKey": "k" + strings.Repeat("x", 62),
			"eventId":         fmt.Sprintf("%s%010d", strings.Repeat("e", 190), i),
			"eventTime":       ts,
			"value":           -1.2345678901234567e-300,
			"denominator":     1.2345678901234567e+300,
			"outage":          map[string]any{"startTime": ts, "endTime": end},
		}
	}
	body, err := json.MarshalIndent(map[string]any{"measurements": items}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("batch of %d measurements: %d bytes of JSON", len(items), len(body))
	a := gw.do(t, "POST", "/v1/contracts/c1/measurements:batchCreate", bearer(e.AsRole(t, auth.Admin)), bytes.NewReader(body))
	if a.status == http.StatusRequestEntityTooLarge || a.header.Get("X-Request-Id") == "" {
		t.Fatalf("%d %s; want an answer of the monitoring service (it carries a request id)", a.status, a.body)
	}
	t.Logf("the monitoring service answered %d %.120s", a.status, a.body)
}

// TestDependencyErrors: a REST caller learns which service is unavailable
// and nothing else (no address, no gRPC transport error), whether it is
// down or hangs; the cause goes to the gateway's log.
func TestDependencyErrors(t *testing.T) {
	e := testenv.Start(t, sqltest.SQLite)
	sm := bearer(e.AsRole(t, auth.SourcingManager))
	want := `{"code":14,"message":"catalog is unavailable; try again later"}`

	t.Run("a service that is down is 503 naming it", func(t *testing.T) {
		dead := deadAddr(t)
		gw := serveREST(t, dialAll(t, e.Addr, map[string]string{"catalog": dead}))
		a := gw.do(t, "GET", "/v1/providers", sm, nil)
		if a.status != http.StatusServiceUnavailable || !sameJSON(a.body, want) {
			t.Fatalf("%d %s; want 503 %s", a.status, a.body, want)
		}
		lines := gw.logs.FilterMessage("rest").FilterField(zap.Int("status", 503)).All()
		if len(lines) != 1 || !strings.Contains(lines[0].ContextMap()["cause"].(string), dead) {
			t.Errorf("log %v; want one line with the cause, which names %s", lines, dead)
		}
	})

	t.Run("a service that hangs is 503 naming it, not 504", func(t *testing.T) {
		gw := serveREST(t, dialAll(t, e.Addr, map[string]string{"catalog": hungCatalog(t)}))
		start := time.Now()
		a := gw.do(t, "GET", "/v1/providers", sm, nil)
		if a.status != http.StatusServiceUnavailable || !sameJSON(a.body, want) {
			t.Fatalf("%d %s; want 503 %s", a.status, a.body, want)
		}
		if d := time.Since(start); d > downstream.DefaultTimeout+2*time.Second {
			t.Errorf("answered after %s; want within the downstream timeout, %s", d, downstream.DefaultTimeout)
		}
	})

	t.Run("a caller's Grpc-Timeout header does not cut a call short", func(t *testing.T) {
		gw := serveREST(t, dialAll(t, e.Addr, nil))
		a := gw.do(t, "GET", "/v1/providers", sm, nil, "Grpc-Timeout", "1n")
		if a.status != http.StatusOK {
			t.Fatalf("%d %s; want 200: the header is ignored", a.status, a.body)
		}
	})
}

func sameJSON(a []byte, b string) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal([]byte(b), &y) == nil && fmt.Sprint(x) == fmt.Sprint(y)
}

// deadAddr is a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// hungCatalog serves a catalog that is up (healthy, connections open) but
// never answers ListProviders, like a process that hangs mid-call.
func hungCatalog(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	healthpb.RegisterHealthServer(s, health.NewServer())
	catalogv1.RegisterCatalogServiceServer(s, hung{})
	go func() { _ = s.Serve(l) }()
	t.Cleanup(s.Stop)
	return l.Addr().String()
}

type hung struct {
	catalogv1.UnimplementedCatalogServiceServer
}

func (hung) ListProviders(ctx context.Context, _ *catalogv1.ListProvidersRequest) (*catalogv1.ListProvidersResponse, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}
