package auth_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acme/bpo/kit/auth"
	"github.com/golang-jwt/jwt/v5"
)

// idp is an identity provider as far as bpo sees one: a JWKS document over
// HTTP whose keys can change, and tokens shaped like Keycloak's.
type idp struct {
	srv     *httptest.Server
	issuer  string
	fetches atomic.Int64

	mu   sync.Mutex
	keys map[string]signingKey // by kid, the ones published
	fail bool
}

type signingKey struct {
	alg  string
	priv crypto.Signer
}

func newIDP(t *testing.T) *idp {
	t.Helper()
	p := &idp{keys: map[string]signingKey{}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		p.fetches.Add(1)
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.fail {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(p.jwks(t))
	}))
	t.Cleanup(p.srv.Close)
	p.issuer = p.srv.URL + "/realms/bpo"
	return p
}

func (p *idp) url() string { return p.issuer + "/protocol/openid-connect/certs" }

// publish adds a key to the set and returns it.
func (p *idp) publish(t *testing.T, kid, alg string) signingKey {
	t.Helper()
	k := newKey(t, alg)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys[kid] = k
	return k
}

func (p *idp) withdraw(kid string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.keys, kid)
}

func newKey(t *testing.T, alg string) signingKey {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case "RS256":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		t.Fatalf("no key for %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return signingKey{alg: alg, priv: priv}
}

var b64 = base64.RawURLEncoding

// jwks is the published set, with an encryption key beside the signing
// keys as Keycloak publishes one.
func (p *idp) jwks(t *testing.T) map[string]any {
	var keys []map[string]any
	for kid, k := range p.keys {
		keys = append(keys, jwk(t, kid, k.alg, "sig", k.priv.Public()))
	}
	enc, _ := rsa.GenerateKey(rand.Reader, 2048)
	keys = append(keys, jwk(t, "enc-key", "RSA-OAEP", "enc", enc.Public()))
	return map[string]any{"keys": keys}
}

func jwk(t *testing.T, kid, alg, use string, pub crypto.PublicKey) map[string]any {
	m := map[string]any{"kid": kid, "alg": alg, "use": use}
	switch pub := pub.(type) {
	case *rsa.PublicKey:
		m["kty"] = "RSA"
		m["n"] = b64.EncodeToString(pub.N.Bytes())
		m["e"] = b64.EncodeToString(big.NewInt(int64(pub.E)).Bytes())
	case *ecdsa.PublicKey:
		point, err := pub.Bytes() // 0x04 ‖ X ‖ Y
		if err != nil {
			t.Error(err)
		}
		m["kty"], m["crv"] = "EC", "P-256"
		m["x"], m["y"] = b64.EncodeToString(point[1:33]), b64.EncodeToString(point[33:])
	}
	return m
}

// accessToken is a Keycloak access token of user ana for client bpo (with
// an audience mapper), holding realm and client roles; change adjusts it.
func (p *idp) accessToken(change func(jwt.MapClaims)) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{
		"exp":                now.Add(5 * time.Minute).Unix(),
		"iat":                now.Unix(),
		"jti":                "onrtac:7d0f",
		"iss":                p.issuer,
		"aud":                []any{"bpo", "account"},
		"sub":                "f1e2d3c4-0000-4000-8000-000000000001",
		"typ":                "Bearer",
		"azp":                "bpo-web",
		"scope":              "openid profile email",
		"preferred_username": "ana",
		"realm_access":       map[string]any{"roles": []any{"offline_access", "uma_authorization", "default-roles-bpo", "approver", "auditor"}},
		"resource_access": map[string]any{
			"bpo":     map[string]any{"roles": []any{"sourcing_manager"}},
			"account": map[string]any{"roles": []any{"manage-account", "view-profile"}},
		},
	}
	if change != nil {
		change(c)
	}
	return c
}

func sign(t *testing.T, kid string, k signingKey, c jwt.MapClaims) string {
	t.Helper()
	m := jwt.GetSigningMethod(k.alg)
	tok := jwt.NewWithClaims(m, c)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(k.priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (p *idp) verifier(t *testing.T, opts ...auth.Option) *auth.Verifier {
	t.Helper()
	v, err := auth.NewRemoteJWKSVerifier(t.Context(), auth.RemoteJWKS{URL: p.url(), OnError: func(err error) { t.Logf("JWKS: %v", err) }},
		append([]auth.Option{auth.WithIssuer(p.issuer), auth.WithRolesClaim("realm_access.roles")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestRemoteJWKSVerifierAcceptsKeycloakAccessTokens(t *testing.T) {
	p := newIDP(t)
	rs := p.publish(t, "rs-1", "RS256")
	es := p.publish(t, "es-1", "ES256")
	tests := []struct {
		name      string
		token     string
		opts      []auth.Option
		wantRoles []auth.Role
		provider  string
	}{
		{"RS256 with realm roles, Keycloak's own skipped", sign(t, "rs-1", rs, p.accessToken(nil)), nil,
			[]auth.Role{auth.Approver, auth.Auditor}, ""},
		{"ES256 with realm roles", sign(t, "es-1", es, p.accessToken(nil)), nil,
			[]auth.Role{auth.Approver, auth.Auditor}, ""},
		{"the roles of client bpo", sign(t, "rs-1", rs, p.accessToken(nil)), []auth.Option{auth.WithRolesClaim("resource_access.bpo.roles")},
			[]auth.Role{auth.SourcingManager}, ""},
		{"a provider user with the provider from a user attribute mapper", sign(t, "es-1", es, p.accessToken(func(c jwt.MapClaims) {
			c["realm_access"] = map[string]any{"roles": []any{"offline_access", "provider"}}
			c["provider"] = "providers/01J"
		})), nil, []auth.Role{auth.ProviderUser}, "providers/01J"},
		{"a token without the roles claim has no roles", sign(t, "rs-1", rs, p.accessToken(func(c jwt.MapClaims) { delete(c, "realm_access") })), nil,
			nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.verifier(t, tt.opts...).Verify(tt.token)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got.Subject != "f1e2d3c4-0000-4000-8000-000000000001" || !slices.Equal(got.Roles, tt.wantRoles) || got.Provider != tt.provider {
				t.Fatalf("principal %+v; want subject from sub, roles %v, provider %q", got, tt.wantRoles, tt.provider)
			}
		})
	}
}

func TestRemoteJWKSVerifierRefuses(t *testing.T) {
	p := newIDP(t)
	rs := p.publish(t, "rs-1", "RS256")
	es := p.publish(t, "es-1", "ES256")
	v := p.verifier(t)
	stranger := newKey(t, "RS256")
	tests := []struct {
		name  string
		token string
	}{
		{"another issuer (another realm)", sign(t, "rs-1", rs, p.accessToken(func(c jwt.MapClaims) { c["iss"] = p.srv.URL + "/realms/other" }))},
		{"another audience (no audience mapper for bpo)", sign(t, "rs-1", rs, p.accessToken(func(c jwt.MapClaims) { c["aud"] = "account" }))},
		{"expired beyond the leeway", sign(t, "es-1", es, p.accessToken(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Minute).Unix() }))},
		{"no expiry", sign(t, "es-1", es, p.accessToken(func(c jwt.MapClaims) { delete(c, "exp") }))},
		{"an ID token", sign(t, "rs-1", rs, p.accessToken(func(c jwt.MapClaims) { c["typ"] = "ID" }))},
		{"a refresh token", sign(t, "rs-1", rs, p.accessToken(func(c jwt.MapClaims) { c["typ"] = "Refresh" }))},
		{"signed by a key not in the set under a known key id", sign(t, "rs-1", stranger, p.accessToken(nil))},
		{"HS256 keyed with the published public key", func() string {
			der, err := x509.MarshalPKIXPublicKey(rs.priv.Public())
			if err != nil {
				t.Fatal(err)
			}
			tok := jwt.NewWithClaims(jwt.SigningMethodHS256, p.accessToken(nil))
			tok.Header["kid"] = "rs-1"
			s, err := tok.SignedString(der)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}()},
		{"a provider claim that is a list", sign(t, "es-1", es, p.accessToken(func(c jwt.MapClaims) {
			c["realm_access"] = map[string]any{"roles": []any{"provider"}}
			c["provider"] = []any{"providers/01J", "providers/02K"}
		}))},
		{"roles that are not names", sign(t, "es-1", es, p.accessToken(func(c jwt.MapClaims) {
			c["realm_access"] = map[string]any{"roles": []any{map[string]any{"name": "admin"}}}
		}))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(tt.token)
			if err == nil {
				t.Fatalf("Verify accepted the token as %+v", got)
			}
			if !errors.Is(err, auth.ErrInvalidToken) {
				t.Fatalf("error %v is not ErrInvalidToken", err)
			}
		})
	}
}

func TestRemoteJWKSVerifierPicksUpARotatedKeyAndDropsTheWithdrawnOne(t *testing.T) {
	p := newIDP(t)
	old := p.publish(t, "2026-10", "RS256")
	v := p.verifier(t)
	before := sign(t, "2026-10", old, p.accessToken(nil))
	if _, err := v.Verify(before); err != nil {
		t.Fatalf("a token of the first key: %v", err)
	}

	// The provider rotates: a new key signs from now on, the old one goes.
	next := p.publish(t, "2026-11", "ES256")
	p.withdraw("2026-10")
	if _, err := v.Verify(sign(t, "2026-11", next, p.accessToken(nil))); err != nil {
		t.Fatalf("a token of the key published after start: %v", err)
	}
	if _, err := v.Verify(before); err == nil {
		t.Fatal("a token of the withdrawn key is still accepted after the set was fetched again")
	}
}

func TestRemoteJWKSVerifierFetchesForUnknownKeyIDsAtMostOncePerInterval(t *testing.T) {
	p := newIDP(t)
	k := p.publish(t, "rs-1", "RS256")
	v := p.verifier(t)
	start := p.fetches.Load()
	for _, kid := range []string{"made-up-1", "made-up-2", "made-up-3"} {
		if _, err := v.Verify(sign(t, kid, k, p.accessToken(nil))); err == nil {
			t.Fatalf("a token with unknown key id %s was accepted", kid)
		}
	}
	if n := p.fetches.Load() - start; n != 1 {
		t.Fatalf("three tokens with unknown key ids made %d fetches of the set; want 1 (then none until %s have passed)", n, auth.DefaultUnknownKeyRefresh)
	}
	if _, err := v.Verify(sign(t, "rs-1", k, p.accessToken(nil))); err != nil {
		t.Fatalf("a token of a known key after the refused ones: %v", err)
	}
}

func TestNewRemoteJWKSVerifierFailsWithoutKeys(t *testing.T) {
	p := newIDP(t)
	p.mu.Lock()
	p.fail = true
	p.mu.Unlock()
	if _, err := auth.NewRemoteJWKSVerifier(t.Context(), auth.RemoteJWKS{URL: p.url()}); err == nil {
		t.Fatal("a verifier was made although the key set answered 503")
	}
	for _, u := range []string{"", "certs.json", "file:///etc/jwks.json", "https://"} {
		if _, err := auth.NewRemoteJWKSVerifier(t.Context(), auth.RemoteJWKS{URL: u}); err == nil {
			t.Errorf("JWKS URL %q was accepted", u)
		}
	}
}

func TestVerifierExpectsTheConfiguredIssuerAndAudience(t *testing.T) {
	v, err := auth.NewHMACVerifier(key, auth.WithIssuer("https://sso.example/realms/bpo"), auth.WithAudience("bpo-api"))
	if err != nil {
		t.Fatal(err)
	}
	ours := validClaims()
	ours.Issuer, ours.Audience = "https://sso.example/realms/bpo", jwt.ClaimStrings{"bpo-api"}
	if _, err := v.Verify(signed(t, jwt.SigningMethodHS256, key, ours)); err != nil {
		t.Fatalf("a token with the configured issuer and audience: %v", err)
	}
	if _, err := v.Verify(mint(t, auth.NewSigner(key), "ana", []auth.Role{auth.Auditor}, "", time.Hour)); err == nil {
		t.Fatal("a token with the default issuer bpo was accepted by a verifier expecting another")
	}
}

func TestNewVerifierNeedsAnIssuerAnAudienceAndARolesClaim(t *testing.T) {
	for name, opt := range map[string]auth.Option{
		"empty issuer":   auth.WithIssuer(""),
		"empty audience": auth.WithAudience(""),
		"empty roles":    auth.WithRolesClaim(""),
		"roles path a.":  auth.WithRolesClaim("realm_access."),
	} {
		if _, err := auth.NewHMACVerifier(key, opt); err == nil {
			t.Errorf("%s: the verifier was made", name)
		}
	}
}
