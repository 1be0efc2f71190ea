package gateway_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"github.com/acme/bpo/services/gateway"
	"github.com/acme/bpo/services/testenv"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestReadiness: /readyz names the service that is down and stays 200 while
// the others serve (their routes work; its routes are 503); it is 503 when
// nothing can be served, and with ?strict=true when anything is down.
func TestReadiness(t *testing.T) {
	e := testenv.Start(t, sqltest.SQLite)
	sm := bearer(e.AsRole(t, auth.SourcingManager))
	get := func(t *testing.T, gw *rest, path string) (int, string) {
		t.Helper()
		resp, err := http.Get(gw.url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	t.Run("all up", func(t *testing.T) {
		gw := serveREST(t, dialAll(t, e.Addr, nil))
		code, body := get(t, gw, "/readyz?strict=true")
		if code != http.StatusOK || !strings.HasPrefix(body, "ok\n") || strings.Count(body, ": SERVING") != 5 {
			t.Errorf("/readyz?strict=true = %d %q; want 200, ok and five services SERVING", code, body)
		}
	})
	t.Run("one service down", func(t *testing.T) {
		gw := serveREST(t, dialAll(t, e.Addr, map[string]string{"contract": deadAddr(t)}))
		code, body := get(t, gw, "/readyz")
		if code != http.StatusOK || !strings.Contains(body, "contract: DOWN") || !strings.Contains(body, "catalog: SERVING") || !strings.HasPrefix(body, "degraded: contract down") {
			t.Errorf("/readyz = %d %q; want 200 saying contract is down", code, body)
		}
		if code, body := get(t, gw, "/readyz?strict=true"); code != http.StatusServiceUnavailable {
			t.Errorf("/readyz?strict=true = %d %q; want 503", code, body)
		}
		if a := gw.do(t, "GET", "/v1/contracts", sm, nil); a.status != http.StatusServiceUnavailable || !strings.Contains(string(a.body), "contract is unavailable") {
			t.Errorf("GET /v1/contracts = %d %s; want 503 naming contract", a.status, a.body)
		}
		if a := gw.do(t, "GET", "/v1/providers", sm, nil); a.status != http.StatusOK {
			t.Errorf("GET /v1/providers = %d %s; want 200: catalog is up", a.status, a.body)
		}
	})
	t.Run("every service down", func(t *testing.T) {
		dead := deadAddr(t)
		gw := serveREST(t, dialAll(t, e.Addr, map[string]string{"catalog": dead, "contract": dead, "transition": dead, "monitoring": dead}))
		if code, body := get(t, gw, "/readyz"); code != http.StatusServiceUnavailable || !strings.HasPrefix(body, "not ready: ") {
			t.Errorf("/readyz = %d %q; want 503: the gateway can serve nothing", code, body)
		}
	})
	t.Run("the lifecycle view down", func(t *testing.T) {
		gw := serveREST(t, dialAll(t, e.Addr, map[string]string{"lifecycle": deadAddr(t)}))
		if code, body := get(t, gw, "/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "lifecycle: DOWN") {
			t.Errorf("/readyz = %d %q; want 503: the gateway's own view is down", code, body)
		}
	})
}

// TestHTTPMetrics: requests are counted by method, route template (never
// the raw path, whose ids would make a series per resource) and code.
func TestHTTPMetrics(t *testing.T) {
	e := testenv.Start(t, sqltest.SQLite)
	sm := bearer(e.AsRole(t, auth.SourcingManager))
	reg := prometheus.NewRegistry()
	gw := serveREST(t, dialAll(t, e.Addr, nil), gateway.WithRegistry(reg))
	gw.do(t, "GET", "/v1/providers", sm, nil)
	gw.do(t, "GET", "/v1/providers", sm, nil)
	gw.do(t, "GET", "/v1/providers/01ARZ3NDEKTSV4RRFFQ69G5FAV", sm, nil) // 404 from catalog
	gw.do(t, "GET", "/v1/nothing/here", sm, nil)                         // 404 from the gateway
	n, err := testutil.GatherAndCount(reg, "http_server_request_duration_seconds")
	if err != nil {
		t.Fatal(err)
	}
	// Three series: the list route (2 requests), the get route, "other".
	if n != 3 {
		t.Errorf("%d series; want 3", n)
	}
	mfs, _ := reg.Gather()
	got := map[string]uint64{}
	for _, mf := range mfs {
		if mf.GetName() != "http_server_request_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var l []string
			for _, lp := range m.GetLabel() {
				l = append(l, lp.GetName()+"="+lp.GetValue())
			}
			got[strings.Join(l, ",")] = m.GetHistogram().GetSampleCount()
		}
	}
	for series, count := range map[string]uint64{
		"code=200,method=GET,route=/v1/providers":          2,
		"code=404,method=GET,route=/v1/{name=providers/*}": 1,
		"code=404,method=GET,route=other":                  1,
	} {
		if got[series] != count {
			t.Errorf("%s: %d requests; want %d (all: %v)", series, got[series], count, got)
		}
	}
}
