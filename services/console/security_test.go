package console_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/acme/bpo/kit/auth"
)

// wantPolicy is the Content-Security-Policy of every console page.
const wantPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// TestSessionsAndHeaders: who may see a page, how a session starts and
// ends, which POST is refused before it reaches the API, and the headers
// on every answer — against the real platform, empty.
func TestSessionsAndHeaders(t *testing.T) {
	p := startPlatform(t, nil)
	gmToken := p.token(t, "gina.governance@northwind.example", "", time.Hour, auth.GovernanceManager)

	t.Run("a page asked for without a session sends the browser to sign in", func(t *testing.T) {
		b := p.browser(t)
		for _, path := range []string{"/console/", "/console/engagements", "/console/engagements/e1", "/console/contracts/c1/periods/2026-10", "/console/audit"} {
			a := b.get(path)
			if a.StatusCode != http.StatusSeeOther || a.Header.Get("Location") != "/console/signin" {
				t.Errorf("GET %s without a session: HTTP %d to %q; want 303 to /console/signin", path, a.StatusCode, a.Header.Get("Location"))
			}
		}
		// What a page fetches (a chart, the alert stream) has no page to
		// send anyone to: 401.
		for _, path := range []string{"/console/contracts/c1/alerts/events", "/console/transitionPlans/t1/schedule.svg", "/console/contracts/c1/periods/2026-10/statement.csv"} {
			if a := b.get(path); a.StatusCode != http.StatusUnauthorized {
				t.Errorf("GET %s without a session: HTTP %d; want 401", path, a.StatusCode)
			}
		}
	})

	t.Run("a browser asking for / is sent to the console; an API client gets the API's 404", func(t *testing.T) {
		b := p.browser(t)
		a := b.get("/", "Accept", "text/html,application/xhtml+xml")
		if a.StatusCode != http.StatusSeeOther || a.Header.Get("Location") != "/console/" {
			t.Errorf("GET / for a browser: HTTP %d to %q; want 303 to /console/", a.StatusCode, a.Header.Get("Location"))
		}
		a = b.get("/", "Accept", "application/json")
		var st struct{ Code int }
		if a.StatusCode != http.StatusNotFound || json.Unmarshal([]byte(a.body), &st) != nil || st.Code != 5 {
			t.Errorf("GET / for an API client: HTTP %d %s; want the API's 404 (NOT_FOUND, code 5)", a.StatusCode, a.body)
		}
	})

	t.Run("a token the API refuses does not sign in, and the page says what the API said", func(t *testing.T) {
		b := p.browser(t)
		bad := p.token(t, "someone", "", -time.Minute, auth.GovernanceManager) // expired
		want := restError(t, p, "/v1/sourcingEvents?pageSize=1", bad)
		a := b.post("/console/signin", url.Values{"token": {bad}})
		if a.StatusCode != http.StatusUnauthorized {
			t.Fatalf("sign in with an expired token: HTTP %d; want the API's 401\n%s", a.StatusCode, a.body)
		}
		errs := parse(t, a.body).apiErrors()
		if len(errs) != 1 || !strings.Contains(errs[0], want) || !strings.Contains(errs[0], "401") {
			t.Errorf("the page shows %q; want the API's HTTP 401 and its message %q", errs, want)
		}
		if cookie(a.Response, "bpo_console") != nil {
			t.Error("a refused token was set as the session cookie")
		}
		if strings.Contains(a.body, bad) {
			t.Error("the refused token is echoed in the page")
		}
	})

	t.Run("a token too long for a cookie is refused with the reason, not dropped by the browser", func(t *testing.T) {
		long := strings.Repeat("a", 2000) + "." + strings.Repeat("b", 2000) + "." + strings.Repeat("c", 100)
		a := p.browser(t).post("/console/signin", url.Values{"token": {long}})
		errs := parse(t, a.body).apiErrors()
		if a.StatusCode != http.StatusBadRequest || len(errs) != 1 || !strings.Contains(errs[0], "4102 bytes long") || cookie(a.Response, "bpo_console") != nil {
			t.Errorf("a 4,102-byte token: HTTP %d %q; want 400 saying it is too long, and no cookie", a.StatusCode, errs)
		}
	})

	t.Run("signing in sets the token as an HttpOnly, SameSite=Strict cookie of /console/ that ends with the token", func(t *testing.T) {
		b := p.browser(t)
		a := b.post("/console/signin", url.Values{"token": {gmToken}})
		if a.StatusCode != http.StatusSeeOther || a.Header.Get("Location") != "/console/" {
			t.Fatalf("sign in: HTTP %d to %q; want 303 to /console/\n%s", a.StatusCode, a.Header.Get("Location"), a.body)
		}
		ck := cookie(a.Response, "bpo_console")
		if ck == nil {
			t.Fatalf("no session cookie; Set-Cookie: %q", a.Header.Values("Set-Cookie"))
		}
		if ck.Value != gmToken || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/console/" || ck.Secure {
			t.Errorf("session cookie %s: want the token, HttpOnly, SameSite=Strict, Path=/console/, not Secure over plain HTTP", a.Header.Get("Set-Cookie"))
		}
		// The token lives an hour: the cookie no longer (a second or two
		// of the hour went by while signing in).
		if ck.MaxAge > 3600 || ck.MaxAge < 3500 {
			t.Errorf("session cookie Max-Age %d s; want the token's remaining hour", ck.MaxAge)
		}
		home := b.page("/console/", http.StatusOK)
		if !strings.Contains(home.text(), "gina.governance@northwind.example") {
			t.Error("the console does not say who is signed in")
		}
		if errs := home.apiErrors(); len(errs) > 0 {
			t.Errorf("the (empty) engagements page shows errors: %q", errs)
		}
		if strings.Contains(b.get("/console/engagements").body, gmToken) {
			t.Error("the token is in a page")
		}
	})

	t.Run("a POST without this session's anti-forgery value, or from another origin, is refused before the API", func(t *testing.T) {
		b := p.browser(t)
		b.signIn(gmToken)
		csrf := b.csrf()
		other := p.browser(t)
		other.signIn(p.token(t, "someone.else", "", time.Hour, auth.GovernanceManager))
		for _, c := range []struct {
			name   string
			form   url.Values
			header []string
		}{
			{"no csrf field", url.Values{}, nil},
			{"another session's csrf field", url.Values{"csrf": {other.csrf()}}, nil},
			{"the right csrf field from another origin", url.Values{"csrf": {csrf}}, []string{"Origin", "https://evil.example"}},
			{"the right csrf field from the console's host over plain http, while a proxy says it is reached over https", url.Values{"csrf": {csrf}}, []string{"X-Forwarded-Proto", "https"}},
			{"the right csrf field from another site's page", url.Values{"csrf": {csrf}}, []string{"Origin", "", "Sec-Fetch-Site", "cross-site"}},
			{"the right csrf field from a hidden origin the browser does not vouch for", url.Values{"csrf": {csrf}}, []string{"Origin", "null"}},
			{"the right csrf field from a hidden origin of another site", url.Values{"csrf": {csrf}}, []string{"Origin", "null", "Sec-Fetch-Site", "same-site"}},
		} {
			a := b.post("/console/contracts/c1/periods/2026-10/close", c.form, c.header...)
			if a.StatusCode != http.StatusForbidden {
				t.Errorf("%s: HTTP %d; want 403\n%s", c.name, a.StatusCode, a.body)
			}
			if errs := parse(t, a.body).apiErrors(); len(errs) > 0 {
				t.Errorf("%s: the API was asked (%q)", c.name, errs)
			}
		}
		// With it, the action reaches the API, which has no such contract:
		// from the console's origin, and from the hidden origin a browser
		// sends for the console's own form under Referrer-Policy:
		// no-referrer, which it says is same-origin.
		want := restError(t, p, "/v1/contracts/c1/periods/2026-10", gmToken)
		for _, header := range [][]string{nil, {"Origin", "null", "Sec-Fetch-Site", "same-origin"}} {
			a := b.post("/console/contracts/c1/periods/2026-10/close", url.Values{"csrf": {csrf}}, header...)
			if errs := parse(t, a.body).apiErrors(); a.StatusCode != http.StatusNotFound || len(errs) == 0 || !strings.Contains(errs[0], want) {
				t.Errorf("a POST with the session's csrf value (%v): HTTP %d %q; want the API's 404 %q", header, a.StatusCode, errs, want)
			}
		}
		// A sign-in form from another site is refused too (login CSRF).
		a := p.browser(t).post("/console/signin", url.Values{"token": {gmToken}}, "Origin", "https://evil.example")
		if a.StatusCode != http.StatusForbidden || cookie(a.Response, "bpo_console") != nil {
			t.Errorf("a sign-in posted from another origin: HTTP %d; want 403 and no session", a.StatusCode)
		}
	})

	t.Run("signing out removes the session", func(t *testing.T) {
		b := p.browser(t)
		b.signIn(gmToken)
		csrf := b.csrf()
		a := b.post("/console/signout", url.Values{"csrf": {csrf}})
		if ck := cookie(a.Response, "bpo_console"); a.StatusCode != http.StatusSeeOther || ck == nil || ck.MaxAge >= 0 {
			t.Errorf("sign out: HTTP %d, Set-Cookie %q; want 303 and the cookie removed", a.StatusCode, a.Header.Values("Set-Cookie"))
		}
		if a := b.get("/console/engagements"); a.StatusCode != http.StatusSeeOther {
			t.Errorf("after signing out: HTTP %d; want 303 to the sign-in page", a.StatusCode)
		}
	})

	t.Run("a session whose token the API no longer takes ends, and the browser is asked to sign in again", func(t *testing.T) {
		b := p.browser(t)
		// A token of another key stands for one revoked or expired since
		// the sign-in: the cookie holds it, the API refuses it.
		forged, err := auth.NewSigner([]byte("not-the-platform-key-32-bytes!!!")).Mint("mallory", []auth.Role{auth.Admin}, "", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(p.URL + "/console/")
		b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "bpo_console", Value: forged, Path: "/console/"}})
		a := b.get("/console/engagements")
		if a.StatusCode != http.StatusSeeOther || a.Header.Get("Location") != "/console/signin?ended=1" {
			t.Fatalf("a page with a refused token: HTTP %d to %q; want 303 to /console/signin?ended=1\n%s", a.StatusCode, a.Header.Get("Location"), a.body)
		}
		if ck := cookie(a.Response, "bpo_console"); ck == nil || ck.MaxAge >= 0 {
			t.Errorf("the refused session's cookie is kept: %q", a.Header.Values("Set-Cookie"))
		}
		if doc := b.page("/console/signin?ended=1", http.StatusOK); !strings.Contains(doc.text(), "Your session has ended") {
			t.Error("the sign-in page does not say the session ended")
		}
	})

	t.Run("every console answer carries the security headers", func(t *testing.T) {
		b := p.browser(t)
		anon := []*answer{b.get("/console/signin"), b.get("/console/engagements"), b.get("/console/no/such/page"),
			b.post("/console/signout", url.Values{}, "Origin", "https://evil.example")}
		b.signIn(gmToken)
		css := parse(t, b.get("/console/signin").body).find(func(n *node) bool { return n.Data == "link" && n.attr("rel") == "stylesheet" })
		if css == nil {
			t.Fatal("no stylesheet link")
		}
		signed := []*answer{b.get("/console/"), b.get("/console/engagements/nosuch"), b.get("/console/audit"), b.get(css.attr("href")),
			b.post("/console/contracts/c1/periods/2026-10/close", url.Values{})}
		for _, a := range append(anon, signed...) {
			where := a.Request.Method + " " + a.Request.URL.Path
			for h, want := range map[string]string{
				"Content-Security-Policy": wantPolicy,
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "no-referrer",
				"X-Frame-Options":         "DENY",
			} {
				if got := a.Header.Get(h); got != want {
					t.Errorf("%s (HTTP %d): %s %q; want %q", where, a.StatusCode, h, got, want)
				}
			}
			isPage := strings.HasPrefix(a.Header.Get("Content-Type"), "text/html") && (a.StatusCode < 300 || a.StatusCode >= 400)
			if isPage && a.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s: Cache-Control %q on a page; want no-store", where, a.Header.Get("Cache-Control"))
			}
			if isPage && !strings.Contains(a.body, `<main id="content"`) {
				t.Errorf("%s: no <main id=\"content\">", where)
			}
		}
	})

	t.Run("pages hold no inline script or style", func(t *testing.T) {
		b := p.browser(t)
		b.signIn(gmToken)
		for _, path := range []string{"/console/signin", "/console/", "/console/audit", "/console/engagements/nosuch"} {
			doc := parse(t, b.get(path).body)
			for _, n := range doc.all(func(n *node) bool { return true }) {
				if n.Data == "script" && (n.attr("src") == "" || n.FirstChild != nil) {
					t.Errorf("%s: an inline <script>", path)
				}
				if n.Data == "style" || n.has("style") {
					t.Errorf("%s: inline style on <%s>", path, n.Data)
				}
				for _, a := range n.Attr {
					if strings.HasPrefix(a.Key, "on") {
						t.Errorf("%s: event handler attribute %s on <%s>", path, a.Key, n.Data)
					}
				}
			}
		}
	})
}

// restError is the message of the API's error answer to GET path with
// token, asked directly over REST.
func restError(t *testing.T, p *testPlatform, path, token string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, p.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct{ Message string }
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || resp.StatusCode < 400 || st.Message == "" {
		t.Fatalf("GET %s: HTTP %d (%v); want an error with a message", path, resp.StatusCode, err)
	}
	return st.Message
}

// cookie is the cookie name set by resp, or nil.
func cookie(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}
