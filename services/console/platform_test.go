package console_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"github.com/acme/bpo/services/console"
	"github.com/acme/bpo/services/gateway"
	"github.com/acme/bpo/services/testenv"
	"golang.org/x/net/html"
)

// The platform under test: every service on one loopback gRPC listener,
// each on a fresh SQLite database, as services/testenv runs them (no
// service mocked), and the gateway with the console in front of them on a
// loopback HTTP server.

// testPlatform is a running platform with its console.
type testPlatform struct {
	// URL is the gateway's, http://127.0.0.1:port.
	URL    string
	signer *auth.Signer
}

// startPlatform starts the platform; consoleOpts gives the console's
// options once the gateway's URL is known (an OIDC redirect URL needs it).
func startPlatform(t *testing.T, consoleOpts func(baseURL string) []console.Option) *testPlatform {
	t.Helper()
	e := testenv.Start(t, sqltest.SQLite)
	web := httptest.NewUnstartedServer(nil)
	base := "http://" + web.Listener.Addr().String()
	var opts []console.Option
	if consoleOpts != nil {
		opts = consoleOpts(base)
	}
	h, err := gateway.New(t.Context(), e.Upstreams, gateway.WithConsole(func(api http.Handler) (http.Handler, error) {
		return console.New(api, opts...)
	}))
	if err != nil {
		t.Fatal(err)
	}
	web.Config.Handler = h
	web.Start()
	// Cleanups run last-registered first: the HTTP server, then the
	// services (testenv).
	t.Cleanup(web.Close)
	return &testPlatform{URL: base, signer: e.Signer}
}

// token mints a token of subject with roles (and provider, for a provider
// user), valid for ttl.
func (p *testPlatform) token(t *testing.T, subject, provider string, ttl time.Duration, roles ...auth.Role) string {
	t.Helper()
	tok, err := p.signer.Mint(subject, roles, provider, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// browser is an HTTP client that keeps cookies, as a browser does, and
// does not follow redirects, so that tests see each answer.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (p *testPlatform) browser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, base: p.URL, c: &http.Client{
		Jar:           jar,
		Timeout:       60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// answer is an HTTP answer with its body read.
type answer struct {
	*http.Response
	body string
}

// get asks for path (a path of the gateway, or a whole URL).
func (b *browser) get(path string, header ...string) *answer {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.url(path), nil)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

// post sends a form to path as a page of the console would (with the
// console's own Origin), plus header pairs.
func (b *browser) post(path string, form url.Values, header ...string) *answer {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.url(path), strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

func (b *browser) url(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	return b.base + path
}

func (b *browser) do(req *http.Request) *answer {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatalf("%s %s: read: %v", req.Method, req.URL, err)
	}
	return &answer{Response: resp, body: string(body)}
}

// signIn signs in with token through the sign-in form and checks that it
// leads into the console.
func (b *browser) signIn(token string) {
	b.t.Helper()
	a := b.post("/console/signin", url.Values{"token": {token}})
	if a.StatusCode != http.StatusSeeOther || a.Header.Get("Location") != "/console/" {
		b.t.Fatalf("sign in: HTTP %d to %q; want 303 to /console/\n%s", a.StatusCode, a.Header.Get("Location"), a.body)
	}
}

// csrf is the anti-forgery value of the session's forms, as a page shows
// it.
func (b *browser) csrf() string {
	b.t.Helper()
	doc := b.page("/console/signin", http.StatusOK)
	in := doc.find(func(n *node) bool { return n.Data == "input" && n.attr("name") == "csrf" })
	if in == nil {
		b.t.Fatal("no csrf field on the sign-in page of a signed-in user")
	}
	return in.attr("value")
}

// page gets path, expects status, and parses the page.
func (b *browser) page(path string, status int) *node {
	b.t.Helper()
	a := b.get(path)
	if a.StatusCode != status {
		b.t.Fatalf("GET %s: HTTP %d; want %d\n%s", path, a.StatusCode, status, a.body)
	}
	return parse(b.t, a.body)
}

// node is a parsed HTML element with a few finders.
type node struct{ *html.Node }

func parse(t *testing.T, s string) *node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatalf("parse the page: %v", err)
	}
	return &node{doc}
}

func (n *node) attr(key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func (n *node) has(key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// all returns the elements under n that match, in document order.
func (n *node) all(match func(*node) bool) []*node {
	var out []*node
	var walk func(*html.Node)
	walk = func(h *html.Node) {
		for c := h.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && match(&node{c}) {
				out = append(out, &node{c})
			}
			walk(c)
		}
	}
	walk(n.Node)
	return out
}

func (n *node) find(match func(*node) bool) *node {
	if all := n.all(match); len(all) > 0 {
		return all[0]
	}
	return nil
}

// byID is the element of id, or nil.
func (n *node) byID(id string) *node {
	return n.find(func(e *node) bool { return e.attr("id") == id })
}

// text is the element's text, its whitespace collapsed.
func (n *node) text() string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(h *html.Node) {
		if h.Type == html.TextNode {
			b.WriteString(h.Data)
			b.WriteByte(' ')
		}
		for c := h.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n.Node)
	return strings.Join(strings.Fields(b.String()), " ")
}

// apiErrors are the texts of the page's API errors.
func (n *node) apiErrors() []string {
	var out []string
	for _, e := range n.all(func(e *node) bool { return e.Data == "p" && strings.Contains(e.attr("class"), "api-error") }) {
		out = append(out, e.text())
	}
	return out
}
