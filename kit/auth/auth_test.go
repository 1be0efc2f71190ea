package auth_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/acme/bpo/kit/auth"
	"github.com/golang-jwt/jwt/v5"
)

var (
	key      = []byte("0123456789abcdef0123456789abcdef") // 32 bytes, the minimum
	otherKey = []byte("fedcba9876543210fedcba9876543210")
)

func verifier(t *testing.T) *auth.Verifier {
	t.Helper()
	v, err := auth.NewHMACVerifier(key)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mint(t *testing.T, s *auth.Signer, subject string, roles []auth.Role, provider string, ttl time.Duration) string {
	t.Helper()
	tok, err := s.Mint(subject, roles, provider, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestMintVerifyRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		subject  string
		roles    []auth.Role
		provider string
	}{
		{"one role", "ana", []auth.Role{auth.SourcingManager}, ""},
		{"several roles", "ben", []auth.Role{auth.Approver, auth.Auditor}, ""},
		{"provider user with its provider", "carla@acme-bpo", []auth.Role{auth.ProviderUser}, "providers/01J"},
		{"no roles", "dan", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := mint(t, auth.NewSigner(key), tt.subject, tt.roles, tt.provider, time.Hour)
			p, err := verifier(t).Verify(tok)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if p.Subject != tt.subject || !slices.Equal(p.Roles, tt.roles) || p.Provider != tt.provider {
				t.Fatalf("principal = %+v, want subject %q roles %v provider %q", p, tt.subject, tt.roles, tt.provider)
			}
			// The raw token is kept to forward on downstream calls.
			if p.Token != tok {
				t.Fatalf("principal token = %q, want the token verified", p.Token)
			}
		})
	}
}

// signed makes a token by hand, for the claims the Signer never produces.
func signed(t *testing.T, method jwt.SigningMethod, secret []byte, claims auth.Claims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(method, claims).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func validClaims() auth.Claims {
	now := time.Now()
	return auth.Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   "ana",
			Issuer:    auth.Issuer,
			Audience:  jwt.ClaimStrings{auth.Audience},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)),
		},
		Roles: []string{"sourcing_manager"},
	}
}

func TestVerifyRefuses(t *testing.T) {
	s := auth.NewSigner(key)
	with := func(change func(*auth.Claims)) auth.Claims {
		c := validClaims()
		change(&c)
		return c
	}
	tests := []struct {
		name  string
		token func(t *testing.T) string
	}{
		{"expired beyond the 30s leeway", func(t *testing.T) string {
			return mint(t, s, "ana", []auth.Role{auth.SourcingManager}, "", -time.Minute)
		}},
		{"signed with another key", func(t *testing.T) string {
			return mint(t, auth.NewSigner(otherKey), "ana", []auth.Role{auth.SourcingManager}, "", time.Hour)
		}},
		{"unknown role", func(t *testing.T) string {
			return mint(t, s, "ana", []auth.Role{auth.SourcingManager, "superuser"}, "", time.Hour)
		}},
		{"provider role without provider claim", func(t *testing.T) string {
			return mint(t, s, "carla", []auth.Role{auth.ProviderUser}, "", time.Hour)
		}},
		{"provider claim that is not a provider name", func(t *testing.T) string {
			return mint(t, s, "carla", []auth.Role{auth.ProviderUser}, "01J", time.Hour)
		}},
		{"provider role combined with a staff role", func(t *testing.T) string {
			return mint(t, s, "carla", []auth.Role{auth.ProviderUser, auth.Evaluator}, "providers/01J", time.Hour)
		}},
		{"provider claim on a staff user", func(t *testing.T) string {
			return mint(t, s, "ana", []auth.Role{auth.SourcingManager}, "providers/01J", time.Hour)
		}},
		{"no subject", func(t *testing.T) string {
			return mint(t, s, "", []auth.Role{auth.SourcingManager}, "", time.Hour)
		}},
		{"no expiry", func(t *testing.T) string {
			return signed(t, jwt.SigningMethodHS256, key, with(func(c *auth.Claims) { c.ExpiresAt = nil }))
		}},
		{"another issuer", func(t *testing.T) string {
			return signed(t, jwt.SigningMethodHS256, key, with(func(c *auth.Claims) { c.Issuer = "elsewhere" }))
		}},
		{"another audience", func(t *testing.T) string {
			return signed(t, jwt.SigningMethodHS256, key, with(func(c *auth.Claims) { c.Audience = jwt.ClaimStrings{"elsewhere"} }))
		}},
		{"HS384 instead of HS256", func(t *testing.T) string {
			return signed(t, jwt.SigningMethodHS384, key, validClaims())
		}},
		{"unsigned (alg none)", func(t *testing.T) string {
			tok, err := jwt.NewWithClaims(jwt.SigningMethodNone, validClaims()).SignedString(jwt.UnsafeAllowNoneSignatureType)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}},
		{"payload changed after signing", func(t *testing.T) string {
			a := strings.Split(mint(t, s, "ana", []auth.Role{auth.Evaluator}, "", time.Hour), ".")
			b := strings.Split(mint(t, s, "ana", []auth.Role{auth.Admin}, "", time.Hour), ".")
			return a[0] + "." + b[1] + "." + a[2] // admin claims, evaluator signature
		}},
		{"garbage", func(*testing.T) string { return "not.a.jwt" }},
		{"empty", func(*testing.T) string { return "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := verifier(t).Verify(tt.token(t))
			if err == nil {
				t.Fatalf("Verify accepted the token as %+v", p)
			}
			if !errors.Is(err, auth.ErrInvalidToken) {
				t.Fatalf("error %v is not ErrInvalidToken", err)
			}
		})
	}
}

func TestVerifyAllowsClockSkewWithinLeeway(t *testing.T) {
	// Expired 10s ago: within the 30s leeway a skewed clock needs.
	tok := mint(t, auth.NewSigner(key), "ana", []auth.Role{auth.Auditor}, "", -10*time.Second)
	if _, err := verifier(t).Verify(tok); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestNewHMACVerifierNeeds32ByteSecret(t *testing.T) {
	if _, err := auth.NewHMACVerifier(key[:31]); err == nil {
		t.Fatal("a 31-byte secret was accepted")
	}
}

func TestPolicyAllows(t *testing.T) {
	const (
		create = "/bpo.catalog.v1.CatalogService/CreateProvider"
		get    = "/bpo.catalog.v1.CatalogService/GetProvider"
		admin  = "/bpo.catalog.v1.CatalogService/ActivateProvider"
		unset  = "/bpo.catalog.v1.CatalogService/NewMethod"
	)
	pol := auth.Policy{
		create: {auth.SourcingManager},
		get:    {auth.SourcingManager, auth.Evaluator},
		admin:  {},
	}
	as := func(roles ...auth.Role) *auth.Principal { return &auth.Principal{Subject: "x", Roles: roles} }
	tests := []struct {
		name   string
		method string
		caller *auth.Principal
		allow  bool
	}{
		{"listed role", create, as(auth.SourcingManager), true},
		{"one of several listed roles", get, as(auth.Evaluator), true},
		{"any held role suffices", create, as(auth.Evaluator, auth.SourcingManager), true},
		{"unlisted role", create, as(auth.Evaluator), false},
		{"no roles", get, as(), false},
		{"admin may call any listed method", create, as(auth.Admin), true},
		{"admin only method refuses others", admin, as(auth.SourcingManager), false},
		{"admin only method allows admin", admin, as(auth.Admin), true},
		{"method missing from the policy is closed", unset, as(auth.SourcingManager), false},
		{"method missing from the policy is closed even to admin", unset, as(auth.Admin), false},
		{"no principal", get, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := pol.Allows(tt.method, tt.caller)
			if (err == nil) != tt.allow {
				t.Fatalf("Allows(%s, %+v) = %v, want allowed=%v", tt.method, tt.caller, err, tt.allow)
			}
		})
	}
}

func TestPolicyRefusalNamesTheRolesNeeded(t *testing.T) {
	pol := auth.Policy{"/s/M": {auth.SourcingManager, auth.Approver}}
	err := pol.Allows("/s/M", &auth.Principal{Roles: []auth.Role{auth.Evaluator}})
	if err == nil || !strings.Contains(err.Error(), "sourcing_manager") || !strings.Contains(err.Error(), "approver") {
		t.Fatalf("Allows = %v, want it to name sourcing_manager and approver", err)
	}
}

func TestMerge(t *testing.T) {
	a := auth.Policy{"/a/X": {auth.Evaluator}}
	b := auth.Policy{"/b/Y": {auth.Approver}}
	m := auth.Merge(a, b)
	if len(m) != 2 || !slices.Equal(m["/a/X"], a["/a/X"]) || !slices.Equal(m["/b/Y"], b["/b/Y"]) {
		t.Fatalf("Merge = %v, want both entries", m)
	}
}

func TestIsProviderOnly(t *testing.T) {
	tests := []struct {
		name  string
		roles []auth.Role
		want  bool
	}{
		{"provider user", []auth.Role{auth.ProviderUser}, true},
		{"provider user who also audits reads across providers", []auth.Role{auth.ProviderUser, auth.Auditor}, false},
		{"staff", []auth.Role{auth.SourcingManager}, false},
		{"no roles", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &auth.Principal{Roles: tt.roles, Provider: "providers/01J"}
			if got := p.IsProviderOnly(); got != tt.want {
				t.Fatalf("IsProviderOnly(%v) = %v, want %v", tt.roles, got, tt.want)
			}
		})
	}
}

func TestLoadOrCreateLocalKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first, err := auth.LoadOrCreateLocalKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 32 {
		t.Fatalf("key is %d bytes, want 32", len(first))
	}
	fi, err := os.Stat(filepath.Join(dir, auth.LocalKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Fatalf("key file mode %v, want 0600 (owner only)", perm)
	}
	// A restart reads the same key, so tokens minted before stay valid.
	second, err := auth.LoadOrCreateLocalKey(dir)
	if err != nil || !bytes.Equal(first, second) {
		t.Fatalf("second load = %x, %v; want the first key %x", second, err, first)
	}
}

func TestLoadOrCreateLocalKeyRefusesACorruptKey(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, auth.LocalKeyFile), []byte("abcd\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.LoadOrCreateLocalKey(dir); err == nil {
		t.Fatal("a 2-byte key was accepted")
	}
}
