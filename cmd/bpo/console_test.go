package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acme/bpo/kit/downstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

func TestParseServeConsoleFlags(t *testing.T) {
	const callback = "https://bpo.example/console/oidc/callback"
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string // part of the error; "" for none
	}{
		{"no identity provider", nil, nil, ""},
		{"an identity provider with its client and callback", []string{"--oidc-issuer", "https://idp.example/realms/bpo", "--oidc-client-id", "bpo-console", "--oidc-redirect-url", callback}, nil, ""},
		{"the same from the environment", nil, map[string]string{"BPO_OIDC_ISSUER": "https://idp.example", "BPO_OIDC_CLIENT_ID": "bpo-console", "BPO_OIDC_REDIRECT_URL": callback}, ""},
		{"an issuer without a client id", []string{"--oidc-issuer", "https://idp.example", "--oidc-redirect-url", callback}, nil, "--oidc-issuer needs --oidc-client-id"},
		{"an issuer without a callback", []string{"--oidc-issuer", "https://idp.example", "--oidc-client-id", "c"}, nil, "--oidc-issuer needs"},
		{"a client id without an issuer", []string{"--oidc-client-id", "c"}, nil, "go with --oidc-issuer"},
		{"a callback that is not the console's", []string{"--oidc-issuer", "https://idp.example", "--oidc-client-id", "c", "--oidc-redirect-url", "https://bpo.example/callback"}, nil, "--oidc-redirect-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			_, err := parseServe(tt.args)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatal(err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("got %v, want an error with %q", err, tt.wantErr)
			}
		})
	}
}

// gatewayOf builds the REST gateway of `bpo serve` with args (its
// services dialled, never called).
func gatewayOf(t *testing.T, args ...string) (http.Handler, error) {
	t.Helper()
	c, err := parseServe(append([]string{"--data-dir", t.TempDir()}, args...))
	if err != nil {
		t.Fatal(err)
	}
	up, err := c.dial(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeUpstreams(up) })
	if up.Lifecycle, err = downstream.Dial("lifecycle", c.grpcAddr); err != nil {
		t.Fatal(err)
	}
	hs, err := c.httpServer(t.Context(), zap.NewNop(), up, http.NotFoundHandler(), prometheus.NewRegistry())
	if err != nil {
		return nil, err
	}
	return hs.Handler, nil
}

func TestServeServesTheConsole(t *testing.T) {
	h, err := gatewayOf(t)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/console/signin", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "bpo token") || rec.Header().Get("X-Frame-Options") != "DENY" {
		t.Errorf("GET /console/signin: HTTP %d, X-Frame-Options %q; want the sign-in page", rec.Code, rec.Header().Get("X-Frame-Options"))
	}
	if strings.Contains(rec.Body.String(), "signin-oidc") {
		t.Error("the sign-in page offers an identity provider none configured")
	}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Accept", "text/html")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/console/" {
		t.Errorf("GET / for a browser: HTTP %d to %q; want 303 to /console/", rec.Code, rec.Header().Get("Location"))
	}
}

func TestServeDiscoversTheConsolesIdentityProvider(t *testing.T) {
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		base := "http://" + r.Host
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": base, "authorization_endpoint": base + "/authorize", "token_endpoint": base + "/token", "jwks_uri": base + "/jwks",
		})
	}))
	defer idp.Close()
	secret := filepath.Join(t.TempDir(), "client-secret")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--oidc-client-id", "bpo-console", "--oidc-client-secret-file", secret, "--oidc-redirect-url", "http://localhost:8080/console/oidc/callback"}

	h, err := gatewayOf(t, append([]string{"--oidc-issuer", idp.URL}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/console/signin", nil))
	if !strings.Contains(rec.Body.String(), "Sign in with "+idp.URL) {
		t.Errorf("the sign-in page does not offer %s:\n%s", idp.URL, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/console/oidc/start", nil))
	if loc := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || !strings.HasPrefix(loc, idp.URL+"/authorize?") || strings.Contains(loc, "s3cret") {
		t.Errorf("GET /console/oidc/start: HTTP %d to %q; want the identity provider's authorization endpoint, without the secret", rec.Code, loc)
	}

	// An identity provider that does not answer stops the start, as a
	// JWKS URL does: a console whose sign-in cannot work is not served.
	dead := freeAddr(t)
	if _, err := gatewayOf(t, append([]string{"--oidc-issuer", "http://" + dead}, args...)...); err == nil || !strings.Contains(err.Error(), "--oidc-issuer") {
		t.Errorf("an identity provider that does not answer: %v; want an error naming --oidc-issuer", err)
	}
}
