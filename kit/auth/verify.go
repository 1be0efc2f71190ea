package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// Verifier checks tokens and turns them into principals.
type Verifier struct {
	keyfunc  jwt.Keyfunc
	methods  []string
	issuer   string
	audience string
	// rolesAt is the path of the claim holding the roles.
	rolesAt []string
	// othersRoles: role names that are not ours are skipped instead of
	// refusing the token. An identity provider lists the roles of every
	// application of the user and its own defaults (Keycloak's
	// offline_access); in a token bpo minted, such a name is a mistake.
	othersRoles bool
	// cache remembers tokens that verified (cache.go).
	cache *tokenCache
}

// Option changes what a verifier expects of a token.
type Option func(*Verifier)

// WithIssuer expects iss to be iss instead of Issuer.
func WithIssuer(iss string) Option { return func(v *Verifier) { v.issuer = iss } }

// WithAudience expects aud to contain aud instead of Audience.
func WithAudience(aud string) Option { return func(v *Verifier) { v.audience = aud } }

// WithRolesClaim reads the roles from the claim at path, its names joined
// by dots (Keycloak: "realm_access.roles", or "resource_access.bpo.roles"
// for the roles of client bpo), instead of "roles".
func WithRolesClaim(path string) Option {
	return func(v *Verifier) { v.rolesAt = strings.Split(path, ".") }
}

func newVerifier(kf jwt.Keyfunc, methods []string, othersRoles bool, opts []Option) (*Verifier, error) {
	v := &Verifier{keyfunc: kf, methods: methods, issuer: Issuer, audience: Audience, rolesAt: []string{"roles"}, othersRoles: othersRoles, cache: newTokenCache()}
	for _, o := range opts {
		o(v)
	}
	// The JWT library skips the check of an empty expected issuer or
	// audience: every issuer's tokens would pass.
	if v.issuer == "" || v.audience == "" {
		return nil, errors.New("a verifier needs an issuer and an audience to expect")
	}
	if slices.Contains(v.rolesAt, "") {
		return nil, fmt.Errorf("roles claim %q: want names joined by dots, like realm_access.roles", strings.Join(v.rolesAt, "."))
	}
	return v, nil
}

// NewHMACVerifier verifies HS256 tokens signed with secret.
func NewHMACVerifier(secret []byte, opts ...Option) (*Verifier, error) {
	if len(secret) < 32 {
		return nil, errors.New("the HS256 secret must be at least 32 bytes")
	}
	return newVerifier(func(*jwt.Token) (any, error) { return secret, nil }, []string{"HS256"}, false, opts)
}

// asymmetric are the algorithms of tokens verified by a key set.
var asymmetric = []string{"RS256", "ES256"}

// NewJWKSVerifier verifies RS256 and ES256 tokens against the keys of a JWKS
// document (the contents of a JWKS file).
func NewJWKSVerifier(jwks []byte, opts ...Option) (*Verifier, error) {
	k, err := keyfunc.NewJWKSetJSON(json.RawMessage(jwks))
	if err != nil {
		return nil, fmt.Errorf("read JWKS: %w", err)
	}
	return newVerifier(k.Keyfunc, asymmetric, true, opts)
}

// ErrInvalidToken is returned for any token that does not verify; the reason
// is wrapped for the server log, never shown to the caller.
var ErrInvalidToken = errors.New("invalid token")

// Verify parses and checks a raw token, or answers what it answered for
// the same token before, while that token is still valid (cache.go).
func (v *Verifier) Verify(raw string) (*Principal, error) {
	if p, ok := v.cache.get(raw, v.keyfunc); ok {
		return p, nil
	}
	p, seen, err := v.verify(raw)
	if err != nil {
		return nil, err
	}
	v.cache.put(raw, p, seen)
	return p, nil
}

// verify parses and checks a raw token and returns its principal, and its
// expiry, header and the key that verified it, for the cache.
func (v *Verifier) verify(raw string) (*Principal, verified, error) {
	var seen verified
	keyfunc := func(t *jwt.Token) (any, error) {
		k, err := v.keyfunc(t)
		seen.key, seen.header, seen.method = k, t.Header, t.Method
		return k, err
	}
	c := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, c, keyfunc,
		jwt.WithValidMethods(v.methods),
		jwt.WithIssuer(v.issuer),
		jwt.WithAudience(v.audience),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(30*time.Second),
	)
	if err != nil {
		return nil, verified{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	exp, err := c.GetExpirationTime()
	if err != nil || exp == nil { // WithExpirationRequired refused it already
		return nil, verified{}, fmt.Errorf("%w: no exp claim", ErrInvalidToken)
	}
	sub, err := c.GetSubject()
	if err != nil || sub == "" {
		return nil, verified{}, fmt.Errorf("%w: no sub claim", ErrInvalidToken)
	}
	// An identity provider signs its ID and refresh tokens with the same
	// key, issuer and often audience; only an access token may call.
	if typ, ok := c["typ"]; ok && !strings.EqualFold(fmt.Sprint(typ), "Bearer") {
		return nil, verified{}, fmt.Errorf("%w: a %v token is not an access token", ErrInvalidToken, typ)
	}
	p := &Principal{Subject: sub, Token: raw}
	if pv, ok := c["provider"]; ok {
		if p.Provider, ok = pv.(string); !ok {
			return nil, verified{}, fmt.Errorf("%w: the provider claim is not a string", ErrInvalidToken)
		}
	}
	names, err := v.roleNames(c)
	if err != nil {
		return nil, verified{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	for _, r := range names {
		role := Role(r)
		switch {
		case !role.Valid() && v.othersRoles:
			continue
		case !role.Valid():
			return nil, verified{}, fmt.Errorf("%w: unknown role %q", ErrInvalidToken, r)
		case !p.Has(role):
			p.Roles = append(p.Roles, role)
		}
	}
	if p.Has(ProviderUser) && !strings.HasPrefix(p.Provider, "providers/") {
		return nil, verified{}, fmt.Errorf("%w: a provider user's token needs a provider claim", ErrInvalidToken)
	}
	// A provider user is a user of one provider and nothing else: with a
	// staff role beside it, every rule that keeps providers apart (sealed
	// proposals, own tasks, own contracts) would have to decide which role
	// wins. Such a token is refused instead.
	if p.Has(ProviderUser) && len(p.Roles) > 1 {
		return nil, verified{}, fmt.Errorf("%w: the provider role cannot be combined with other roles", ErrInvalidToken)
	}
	if !p.Has(ProviderUser) && p.Provider != "" {
		return nil, verified{}, fmt.Errorf("%w: only provider users carry a provider claim", ErrInvalidToken)
	}
	seen.exp = exp.Time
	return p, seen, nil
}

// roleNames reads the claim at v.rolesAt: a list of names, or one name. A
// token without it has no roles, which every method refuses.
func (v *Verifier) roleNames(c jwt.MapClaims) ([]string, error) {
	var at any = map[string]any(c)
	for _, k := range v.rolesAt {
		obj, ok := at.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("claim %s is not an object", strings.Join(v.rolesAt, "."))
		}
		if at, ok = obj[k]; !ok {
			return nil, nil
		}
	}
	switch at := at.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{at}, nil
	case []any:
		names := make([]string, 0, len(at))
		for _, n := range at {
			s, ok := n.(string)
			if !ok {
				return nil, fmt.Errorf("claim %s holds %v, not a role name", strings.Join(v.rolesAt, "."), n)
			}
			names = append(names, s)
		}
		return names, nil
	}
	return nil, fmt.Errorf("claim %s is not a list of role names", strings.Join(v.rolesAt, "."))
}
