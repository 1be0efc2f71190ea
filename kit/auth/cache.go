package auth

import (
	"bytes"
	"crypto"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// A token is verified once and then remembered: a client sends the same
// token with every call until it expires, and parsing and checking it
// again (base64, JSON, HMAC or RSA/ECDSA) was a tenth of a GetProvider's
// server time (see README, "Performance").
//
// What is remembered is only a token that verified, keyed by its whole
// raw text (a token differing in any byte — another signature, another
// claim — is verified on its own), and it is used only while:
//   - the token has not expired (exp, without the leeway Verify allows),
//     so an expired token is refused exactly as without the cache;
//   - the key that verified it is still the key its header names: a key
//     withdrawn from a JWKS, or replaced under the same key id, stops its
//     tokens as soon as the verifier's key set drops it, as without the
//     cache (looking the key up is a map read; no signature is checked);
//   - at most cacheTTL has passed since it was verified.
//
// The cache holds at most cacheSize tokens; when full it is emptied, which
// costs one verification per live token and bounds its memory (a few MB).
const (
	cacheTTL  = 5 * time.Minute
	cacheSize = 4096
)

// verified is what the cache keeps of a token besides its principal.
type verified struct {
	exp    time.Time
	header map[string]any
	method jwt.SigningMethod
	key    any
}

type cached struct {
	p     Principal
	seen  verified
	until time.Time
}

type tokenCache struct {
	mu sync.RWMutex
	m  map[string]cached
	// now is the clock, replaced in tests.
	now func() time.Time
}

func newTokenCache() *tokenCache {
	return &tokenCache{m: make(map[string]cached), now: time.Now}
}

// get returns a copy of the principal of raw when it verified before, has
// not expired since, and keyfunc still gives the key that verified it.
func (c *tokenCache) get(raw string, keyfunc jwt.Keyfunc) (*Principal, bool) {
	c.mu.RLock()
	e, ok := c.m[raw]
	c.mu.RUnlock()
	if !ok || !c.now().Before(e.until) {
		return nil, false
	}
	if keyfunc != nil {
		k, err := keyfunc(&jwt.Token{Raw: raw, Header: e.seen.header, Method: e.seen.method})
		if err != nil || !sameKey(k, e.seen.key) {
			c.mu.Lock()
			delete(c.m, raw)
			c.mu.Unlock()
			return nil, false
		}
	}
	p := e.p // a copy: a caller that changes its principal changes no other's
	return &p, true
}

// put remembers p, the principal of raw, verified as seen says.
func (c *tokenCache) put(raw string, p *Principal, seen verified) {
	now := c.now()
	until := now.Add(cacheTTL)
	if seen.exp.Before(until) {
		until = seen.exp
	}
	if !now.Before(until) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= cacheSize {
		clear(c.m)
	}
	c.m[raw] = cached{p: *p, seen: seen, until: until}
}

// sameKey reports whether two verification keys are the same: an HMAC
// secret, or a public key.
func sameKey(a, b any) bool {
	switch a := a.(type) {
	case []byte:
		b, ok := b.([]byte)
		return ok && bytes.Equal(a, b)
	case interface{ Equal(crypto.PublicKey) bool }:
		return a.Equal(b)
	}
	return false
}
