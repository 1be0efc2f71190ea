package gateway_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"github.com/acme/bpo/services/gateway"
	"github.com/acme/bpo/services/testenv"
	"github.com/prometheus/client_golang/prometheus"
)

// TestConsoleMount: with WithConsole the gateway serves the console under
// /console/ and sends a browser's GET / there; the console gets the REST
// API without itself; nothing else changes. (The console itself is
// tested in services/console.)
func TestConsoleMount(t *testing.T) {
	e := testenv.Start(t, sqltest.SQLite)
	up := dialAll(t, e.Addr, nil)

	t.Run("without the console, / and /console/ are the API's 404", func(t *testing.T) {
		gw := serveREST(t, up)
		for _, path := range []string{"/", "/console/"} {
			a := gw.do(t, "GET", path, "", nil, "Accept", "text/html")
			if a.status != http.StatusNotFound || *a.error(t).Code != 5 {
				t.Errorf("GET %s: HTTP %d %s; want the API's 404", path, a.status, a.body)
			}
		}
	})

	t.Run("with the console", func(t *testing.T) {
		var api http.Handler
		reg := prometheus.NewRegistry()
		gw := serveREST(t, up, gateway.WithRegistry(reg), gateway.WithConsole(func(h http.Handler) (http.Handler, error) {
			api = h
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte("the console at " + r.URL.Path))
			}), nil
		}))
		if a := gw.do(t, "GET", "/console/engagements", "", nil); a.status != http.StatusOK || string(a.body) != "the console at /console/engagements" {
			t.Errorf("GET /console/engagements: HTTP %d %s; want the console's page", a.status, a.body)
		}
		// (The client follows the redirect, as a browser does.)
		a := gw.do(t, "GET", "/", "", nil, "Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
		if a.status != http.StatusOK || string(a.body) != "the console at /console/" {
			t.Errorf("GET / for a browser: HTTP %d %s; want it sent on to /console/", a.status, a.body)
		}
		for _, c := range []struct{ method, accept string }{{"GET", "application/json"}, {"GET", ""}, {"POST", "text/html"}} {
			if a := gw.do(t, c.method, "/", "", nil, "Accept", c.accept); a.status != http.StatusNotFound {
				t.Errorf("%s / (Accept %q): HTTP %d; want the API's 404 as before", c.method, c.accept, a.status)
			}
		}
		if a := gw.do(t, "GET", "/v1/providers", "", nil); a.status != http.StatusUnauthorized {
			t.Errorf("GET /v1/providers without a token: HTTP %d; want the API's 401 as before", a.status)
		}
		// What the console calls is the API alone.
		for path, want := range map[string]int{"/v1/providers": http.StatusUnauthorized, "/console/engagements": http.StatusNotFound} {
			rec := httptest.NewRecorder()
			api.ServeHTTP(rec, httptest.NewRequestWithContext(context.Background(), http.MethodGet, path, nil))
			if rec.Code != want {
				t.Errorf("the console's API handler, GET %s: HTTP %d; want %d", path, rec.Code, want)
			}
		}
		// The console's requests are measured under a route of their own.
		found := false
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "route" && l.GetValue() == "/console/" {
						found = true
					}
				}
			}
		}
		if !found {
			t.Error(`no http_server_request_duration_seconds{route="/console/"}`)
		}
	})

	t.Run("a console that cannot start stops the gateway's", func(t *testing.T) {
		_, err := gateway.New(t.Context(), up, gateway.WithConsole(func(http.Handler) (http.Handler, error) {
			return nil, errors.New("no templates")
		}))
		if err == nil || !strings.Contains(err.Error(), "no templates") {
			t.Errorf("gateway.New: %v; want the console's error", err)
		}
	})
}
