package auth

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// Issuer and Audience of the tokens the local key signs and every verifier
// expects.
const (
	Issuer   = "bpo"
	Audience = "bpo"
)

// Claims are the JWT claims the platform reads.
type Claims struct {
	jwt.RegisteredClaims
	Roles    []string `json:"roles"`
	Provider string   `json:"provider,omitempty"`
}

// Verifier checks tokens and turns them into principals.
type Verifier struct {
	keyfunc jwt.Keyfunc
	methods []string
}

// NewHMACVerifier verifies HS256 tokens signed with secret.
func NewHMACVerifier(secret []byte) (*Verifier, error) {
	if len(secret) < 32 {
		return nil, errors.New("the HS256 secret must be at least 32 bytes")
	}
	return &Verifier{
		keyfunc: func(*jwt.Token) (any, error) { return secret, nil },
		methods: []string{"HS256"},
	}, nil
}

// NewJWKSVerifier verifies RS256 and ES256 tokens against the keys of a JWKS
// document (the contents of a JWKS file).
func NewJWKSVerifier(jwks []byte) (*Verifier, error) {
	k, err := keyfunc.NewJWKSetJSON(json.RawMessage(jwks))
	if err != nil {
		return nil, fmt.Errorf("read JWKS: %w", err)
	}
	return &Verifier{keyfunc: k.Keyfunc, methods: []string{"RS256", "ES256"}}, nil
}

// ErrInvalidToken is returned for any token that does not verify; the reason
// is wrapped for the server log, never shown to the caller.
var ErrInvalidToken = errors.New("invalid token")

// Verify parses and checks a raw token.
func (v *Verifier) Verify(raw string) (*Principal, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(raw, &c, v.keyfunc,
		jwt.WithValidMethods(v.methods),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(Audience),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(30*time.Second),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	if c.Subject == "" {
		return nil, fmt.Errorf("%w: no sub claim", ErrInvalidToken)
	}
	p := &Principal{Subject: c.Subject, Provider: c.Provider, Token: raw}
	for _, r := range c.Roles {
		role := Role(r)
		if !role.Valid() {
			return nil, fmt.Errorf("%w: unknown role %q", ErrInvalidToken, r)
		}
		p.Roles = append(p.Roles, role)
	}
	if p.Has(ProviderUser) && !strings.HasPrefix(p.Provider, "providers/") {
		return nil, fmt.Errorf("%w: a provider user's token needs a provider claim", ErrInvalidToken)
	}
	// A provider user is a user of one provider and nothing else: with a
	// staff role beside it, every rule that keeps providers apart (sealed
	// proposals, own tasks, own contracts) would have to decide which role
	// wins. Such a token is refused instead.
	if p.Has(ProviderUser) && len(p.Roles) > 1 {
		return nil, fmt.Errorf("%w: the provider role cannot be combined with other roles", ErrInvalidToken)
	}
	if !p.Has(ProviderUser) && p.Provider != "" {
		return nil, fmt.Errorf("%w: only provider users carry a provider claim", ErrInvalidToken)
	}
	return p, nil
}

// Signer mints HS256 tokens with the local key, for local use and tests.
type Signer struct{ secret []byte }

// NewSigner returns a signer for secret.
func NewSigner(secret []byte) *Signer { return &Signer{secret: secret} }

// Mint returns a token for subject with the roles (and provider, for
// provider users), valid for ttl.
func (s *Signer) Mint(subject string, roles []Role, provider string, ttl time.Duration) (string, error) {
	now := time.Now()
	c := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   subject,
			Issuer:    Issuer,
			Audience:  jwt.ClaimStrings{Audience},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		Provider: provider,
	}
	for _, r := range roles {
		c.Roles = append(c.Roles, string(r))
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.secret)
}

// LocalKeyFile is the name of the local signing key in the data directory.
const LocalKeyFile = "jwt-hs256.key"

// LoadOrCreateLocalKey reads the HS256 key in dir, creating a random one
// (readable by the owner only) when there is none.
func LoadOrCreateLocalKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, LocalKeyFile)
	if b, err := os.ReadFile(path); err == nil {
		return decodeKey(path, b)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) { // another process created it first
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		return decodeKey(path, b)
	}
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	return key, f.Close()
}

func decodeKey(path string, b []byte) ([]byte, error) {
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) < 32 {
		return nil, fmt.Errorf("%s: not a hex key of at least 32 bytes", path)
	}
	return key, nil
}
