package auth

import (
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var cacheKey = []byte("0123456789abcdef0123456789abcdef")

// swappableVerifier verifies HS256 tokens of *key, and counts the
// tokens it parsed (keyfunc is called once per parse, and once per
// remembered token to see that its key is still the one).
func swappableVerifier(t testing.TB) (*Verifier, *[]byte) {
	t.Helper()
	k := &cacheKey
	v, err := newVerifier(func(*jwt.Token) (any, error) { return *k, nil }, []string{"HS256"}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	return v, k
}

func TestVerifyRemembersAVerifiedTokenWhileItsKeyStays(t *testing.T) {
	v, key := swappableVerifier(t)
	tok, err := NewSigner(cacheKey).Mint("ana", []Role{SourcingManager}, "", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		p, err := v.Verify(tok)
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if p.Subject != "ana" || !p.Has(SourcingManager) || p.Token != tok {
			t.Fatalf("call %d: principal %+v", i, p)
		}
		p.Subject = "changed by a caller" // must not reach the next caller
	}
	if len(v.cache.m) != 1 {
		t.Fatalf("the cache holds %d tokens, want 1", len(v.cache.m))
	}
	// The key is replaced (a rotated secret, a key withdrawn from a JWKS):
	// the remembered token is refused at once, as without the cache.
	*key = []byte("fedcba9876543210fedcba9876543210")
	defer func() { *key = []byte("0123456789abcdef0123456789abcdef") }()
	if _, err := v.Verify(tok); err == nil {
		t.Fatal("a remembered token verified after its key was replaced")
	}
}

func TestVerifyRefusesATamperedTokenAfterTheOriginalWasRemembered(t *testing.T) {
	v, _ := swappableVerifier(t)
	tok, err := NewSigner(cacheKey).Mint("ana", []Role{SourcingManager}, "", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(tok); err != nil {
		t.Fatal(err)
	}
	// The last character of the signature changed: another key of the
	// cache, verified on its own, and refused.
	last := tok[len(tok)-1]
	other := byte('A')
	if last == 'A' {
		other = 'B'
	}
	if _, err := v.Verify(tok[:len(tok)-1] + string(other)); err == nil {
		t.Fatal("a token with another signature verified")
	}
	// A token that failed is never remembered.
	if _, ok := v.cache.get(tok[:len(tok)-1]+string(other), nil); ok {
		t.Fatal("a refused token is in the cache")
	}
}

func TestTokenCacheHonoursExpiryAndTTL(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := t0
	c := newTokenCache()
	c.now = func() time.Time { return now }
	p := &Principal{Subject: "ana"}

	// Expires in 10 s: remembered for 10 s (its exp), not the TTL of 5 min.
	c.put("short", p, verified{exp: t0.Add(10 * time.Second)})
	// Expires in an hour: remembered for the TTL, 5 min.
	c.put("long", p, verified{exp: t0.Add(time.Hour)})
	// Already expired: not remembered at all.
	c.put("expired", p, verified{exp: t0})

	for _, tc := range []struct {
		key  string
		at   time.Duration
		want bool
	}{
		{"short", 9 * time.Second, true},
		{"short", 10 * time.Second, false},
		{"long", 5*time.Minute - time.Second, true},
		{"long", 5 * time.Minute, false},
		{"expired", 0, false},
	} {
		now = t0.Add(tc.at)
		if _, ok := c.get(tc.key, nil); ok != tc.want {
			t.Errorf("%s at +%v: remembered = %v, want %v", tc.key, tc.at, ok, tc.want)
		}
	}
}

func TestTokenCacheIsBounded(t *testing.T) {
	c := newTokenCache()
	p := &Principal{Subject: "ana"}
	exp := time.Now().Add(time.Hour)
	for i := range cacheSize + 10 {
		c.put("token-"+strconv.Itoa(i), p, verified{exp: exp})
	}
	// Full at cacheSize, emptied, then the last 10 added.
	if n := len(c.m); n != 10 {
		t.Fatalf("the cache holds %d tokens after %d puts, want 10", n, cacheSize+10)
	}
	if _, ok := c.get("token-"+strconv.Itoa(cacheSize+9), nil); !ok {
		t.Fatal("the newest token was dropped")
	}
}

func BenchmarkVerify(b *testing.B) {
	tok, err := NewSigner(cacheKey).Mint("ana@northwind.example", []Role{SourcingManager, Approver}, "", time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("first sight", func(b *testing.B) {
		v, _ := swappableVerifier(b)
		for b.Loop() {
			if _, _, err := v.verify(tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("seen before", func(b *testing.B) {
		v, _ := swappableVerifier(b)
		for b.Loop() {
			if _, err := v.Verify(tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}
