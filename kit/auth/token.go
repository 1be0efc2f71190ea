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
// (readable by the owner only) when there is none. The key file appears
// whole or not at all, so a crash during the first start never leaves a
// file that blocks the next one.
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
	err := createWhole(dir, path, []byte(hex.EncodeToString(key)+"\n"))
	if errors.Is(err, os.ErrExist) { // another process created it first
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		return decodeKey(path, b)
	}
	if err != nil {
		return nil, fmt.Errorf("create the local signing key %s: %w", path, err)
	}
	return key, nil
}

// afterTempWritten runs between writing the key and publishing it; tests
// end the process there to see what a crash leaves behind.
var afterTempWritten = func() {}

// createWhole creates path with data unless it exists (os.ErrExist then).
// The data reaches the disk under a temporary name first and is then
// linked in: a link, unlike a rename, fails when another process published
// its key in the meantime instead of replacing a key already in use.
func createWhole(dir, path string, data []byte) error {
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp") // mode 0600
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // once linked, path keeps the data
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	afterTempWritten()
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return err
		}
		// A file system without hard links: rename, checking first, which
		// leaves a short race between two first starts but never a torn
		// file.
		if _, serr := os.Lstat(path); serr == nil {
			return os.ErrExist
		}
		if err := os.Rename(tmp, path); err != nil {
			return err
		}
	}
	// The new directory entry must survive a power loss as well.
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func decodeKey(path string, b []byte) ([]byte, error) {
	text := strings.TrimSpace(string(b))
	key, err := hex.DecodeString(text)
	if err == nil && len(key) >= 32 {
		return key, nil
	}
	what := "is empty"
	if text != "" {
		what = fmt.Sprintf("is not a key of at least 64 hex digits (it holds %d bytes)", len(b))
	}
	return nil, fmt.Errorf("the local signing key %s %s, perhaps cut short by a crash or an edit: "+
		"restore it from a backup, or remove the file to create a new key at the next start "+
		"(every token signed with the old key then stops working)", path, what)
}
