package console_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/services/console"
	"github.com/golang-jwt/jwt/v5"
)

// identityProvider is a small OpenID Connect provider on loopback, in
// place of a third-party one: a discovery document, an authorization
// endpoint that signs the user in at once and redirects back with a code,
// a token endpoint that checks the code's PKCE verifier (S256) and
// answers an ID token (RS256, with the nonce) and an access token the
// platform takes, and its keys.
type identityProvider struct {
	srv      *httptest.Server
	clientID string
	key      *rsa.PrivateKey
	// access mints the access token of a sign-in.
	access func() string

	mu    sync.Mutex
	codes map[string]grant
	// seen records what the endpoints were sent, for the test to check.
	seen []url.Values
}

type grant struct {
	challenge, method, nonce, redirect string
}

func newIdentityProvider(t *testing.T, clientID string, access func() string) *identityProvider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	idp := &identityProvider{clientID: clientID, key: key, access: access, codes: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		base := idp.srv.URL
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                base,
			"authorization_endpoint":                base + "/authorize",
			"token_endpoint":                        base + "/token",
			"jwks_uri":                              base + "/jwks",
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"code_challenge_methods_supported":      []string{"S256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		pub := key.PublicKey
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "kid": "idp-1", "use": "sig", "alg": "RS256",
			"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		}}})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		idp.record(q)
		if q.Get("client_id") != clientID || q.Get("response_type") != "code" || q.Get("code_challenge") == "" {
			http.Error(w, "bad authorization request", http.StatusBadRequest)
			return
		}
		code := randomCode()
		idp.mu.Lock()
		idp.codes[code] = grant{challenge: q.Get("code_challenge"), method: q.Get("code_challenge_method"), nonce: q.Get("nonce"), redirect: q.Get("redirect_uri")}
		idp.mu.Unlock()
		back, _ := url.Parse(q.Get("redirect_uri"))
		back.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		idp.record(r.PostForm)
		id, _, ok := r.BasicAuth()
		if !ok {
			id = r.PostForm.Get("client_id")
		}
		idp.mu.Lock()
		g, found := idp.codes[r.PostForm.Get("code")]
		delete(idp.codes, r.PostForm.Get("code")) // one use
		idp.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		switch {
		case id != clientID || !found || r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("redirect_uri") != g.redirect:
			tokenError(w, "invalid_grant", "unknown code or client")
			return
		case g.method != "S256" || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
			tokenError(w, "invalid_grant", "PKCE verification failed")
			return
		}
		now := time.Now()
		it := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
			"iss": idp.srv.URL, "aud": clientID, "sub": "gina", "nonce": g.nonce,
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		})
		it.Header["kid"] = "idp-1"
		idToken, err := it.SignedString(key)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"access_token": idp.access(), "token_type": "Bearer", "expires_in": 1800, "id_token": idToken,
		})
	})
	idp.srv = httptest.NewServer(mux)
	t.Cleanup(idp.srv.Close)
	return idp
}

func (idp *identityProvider) record(v url.Values) {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	idp.seen = append(idp.seen, v)
}

func tokenError(w http.ResponseWriter, code, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}

func randomCode() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// TestSignInWithAnIdentityProvider runs the authorization-code flow with
// PKCE against the identity provider above, as a browser would.
func TestSignInWithAnIdentityProvider(t *testing.T) {
	var p *testPlatform
	idp := newIdentityProvider(t, "bpo-console", func() string {
		return p.token(t, "gina", "", 30*time.Minute, auth.GovernanceManager)
	})
	p = startPlatform(t, func(base string) []console.Option {
		o, err := console.DiscoverOIDC(context.Background(), console.OIDCConfig{
			Issuer: idp.srv.URL, ClientID: "bpo-console", RedirectURL: base + "/console/oidc/callback",
		})
		if err != nil {
			t.Fatal(err)
		}
		return []console.Option{console.WithOIDC(o)}
	})

	t.Run("the sign-in page offers the identity provider", func(t *testing.T) {
		doc := p.browser(t).page("/console/signin", http.StatusOK)
		a := doc.byID("signin-oidc")
		if a == nil || a.attr("href") != "/console/oidc/start" || !strings.Contains(a.text(), idp.srv.URL) {
			t.Errorf("no link to sign in with %s: %v", idp.srv.URL, a)
		}
	})

	t.Run("a user signs in with the identity provider: code, PKCE, nonce, session", func(t *testing.T) {
		b := p.browser(t)
		start := b.get("/console/oidc/start")
		to := start.Header.Get("Location")
		if start.StatusCode != http.StatusSeeOther || !strings.HasPrefix(to, idp.srv.URL+"/authorize?") {
			t.Fatalf("start: HTTP %d to %q; want a redirect to the identity provider", start.StatusCode, to)
		}
		flow := cookie(start.Response, "bpo_console_oidc")
		if flow == nil || !flow.HttpOnly || flow.Path != "/console/oidc/" || flow.SameSite != http.SameSiteLaxMode || flow.MaxAge <= 0 || flow.MaxAge > 600 {
			t.Errorf("the flow cookie %q: want HttpOnly, Path=/console/oidc/, SameSite=Lax, at most 10 minutes", start.Header.Values("Set-Cookie"))
		}
		u, _ := url.Parse(to)
		q := u.Query()
		if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
			t.Errorf("authorization request %v: want a state, a nonce and an S256 code challenge", q)
		}
		if strings.Contains(to, flow.Value) || q.Has("code_verifier") {
			t.Error("the PKCE verifier (or the flow cookie) is in the URL")
		}
		auth := b.get(to) // the identity provider signs the user in and sends it back
		back := auth.Header.Get("Location")
		if auth.StatusCode != http.StatusFound || !strings.HasPrefix(back, p.URL+"/console/oidc/callback?") {
			t.Fatalf("the identity provider: HTTP %d to %q\n%s", auth.StatusCode, back, auth.body)
		}
		done := b.get(back)
		if done.StatusCode != http.StatusOK {
			t.Fatalf("callback: HTTP %d\n%s", done.StatusCode, done.body)
		}
		session := cookie(done.Response, "bpo_console")
		if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.MaxAge > 1800 || session.MaxAge < 1700 {
			t.Fatalf("session cookie %q: want HttpOnly, SameSite=Strict, living as long as the 30-minute access token", done.Header.Values("Set-Cookie"))
		}
		// A page that moves on, not a redirect: the browser sends a
		// SameSite=Strict cookie from there, not along the identity
		// provider's redirect chain.
		doc := parse(t, done.body)
		if doc.find(func(n *node) bool {
			return n.Data == "meta" && n.attr("http-equiv") == "refresh" && strings.HasSuffix(n.attr("content"), "url=/console/")
		}) == nil {
			t.Errorf("the callback's page does not move on to /console/:\n%s", done.body)
		}
		if strings.Contains(done.body, session.Value) {
			t.Error("the access token is in the page")
		}
		home := b.page("/console/", http.StatusOK)
		if !strings.Contains(home.text(), "Signed in as gina") {
			t.Errorf("after the callback the console does not know the user: %s", home.text())
		}
		// The token endpoint got the verifier of the challenge (it checks
		// and would have refused the code otherwise) and no secret.
		idp.mu.Lock()
		defer idp.mu.Unlock()
		last := idp.seen[len(idp.seen)-1]
		if last.Get("code_verifier") == "" {
			t.Errorf("token request %v: no code_verifier", last)
		}
	})

	t.Run("a callback whose state is not the browser's is refused and signs no one in", func(t *testing.T) {
		b := p.browser(t)
		start := b.get("/console/oidc/start")
		auth := b.get(start.Header.Get("Location"))
		back, _ := url.Parse(auth.Header.Get("Location"))
		q := back.Query()
		q.Set("state", "not-the-state-this-browser-was-given")
		back.RawQuery = q.Encode()
		a := b.get(back.String())
		errs := parse(t, a.body).apiErrors()
		if a.StatusCode != http.StatusBadRequest || len(errs) == 0 || !strings.Contains(errs[0], "state does not match") {
			t.Errorf("a callback with another state: HTTP %d %q; want 400 saying the state does not match", a.StatusCode, errs)
		}
		if cookie(a.Response, "bpo_console") != nil {
			t.Error("a session cookie was set")
		}
		if a := b.get("/console/"); a.StatusCode != http.StatusSeeOther {
			t.Errorf("after the refused callback: HTTP %d; want the sign-in redirect", a.StatusCode)
		}
	})

	t.Run("a callback in a browser that did not start the sign-in is refused", func(t *testing.T) {
		starter := p.browser(t)
		start := starter.get("/console/oidc/start")
		auth := starter.get(start.Header.Get("Location"))
		// The code and state reach another browser (a link sent to a
		// victim, say): it has no flow cookie.
		a := p.browser(t).get(auth.Header.Get("Location"))
		if a.StatusCode != http.StatusBadRequest || cookie(a.Response, "bpo_console") != nil {
			t.Errorf("a callback without the flow cookie: HTTP %d; want 400 and no session", a.StatusCode)
		}
	})
}
