package transition_test

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/services/gateway"
	"github.com/acme/bpo/services/testenv"
)

// The export through the REST gateway: the file itself with its content
// type, not JSON (ExportSchedule answers a google.api.HttpBody).
func TestExportOverREST(t *testing.T) {
	e := testenv.Start(t, "sqlite")
	s := e.SignedContract(t)
	p := e.TransitionPlan(t, s)
	h, err := gateway.New(t.Context(), gateway.Upstreams{Catalog: e.Conn, Contract: e.Conn, Transition: e.Conn, Monitoring: e.Conn, Lifecycle: e.Conn})
	must(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	tok, err := e.Signer.Mint("pm", []auth.Role{auth.TransitionManager}, "", time.Hour)
	must(t, err)
	get := func(format string) (*http.Response, string) {
		req, err := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/v1/"+p.GetName()+"/schedule:export?format="+format, nil)
		must(t, err)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		must(t, err)
		return resp, string(b)
	}
	resp, body := get("csv")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.HasPrefix(body, "task,title,phase,") {
		t.Fatalf("csv: %d %q %.80q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	resp, body = get("svg")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("svg: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var doc struct {
		XMLName xml.Name
	}
	if err := xml.Unmarshal([]byte(body), &doc); err != nil || doc.XMLName.Local != "svg" {
		t.Fatalf("svg does not parse: %v (%s)", err, doc.XMLName.Local)
	}
	if n := len(listTasks(t, e, p.GetName())); strings.Count(body, `<rect class="bar`) != n {
		t.Fatalf("%d bars, want %d", strings.Count(body, `<rect class="bar`), n)
	}
	resp, body = get("pdf")
	if resp.StatusCode != 400 || !strings.Contains(body, "choose csv or svg") {
		t.Fatalf("pdf: %d %s", resp.StatusCode, body)
	}
}
