package auth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/acme/bpo/kit/keyfile"
	"github.com/golang-jwt/jwt/v5"
)

// Issuer and Audience of the tokens the local key signs, and what a verifier
// expects unless told otherwise (WithIssuer, WithAudience).
const (
	Issuer   = "bpo"
	Audience = "bpo"
)

// Claims are the claims of the tokens Signer mints; a verifier reads the
// same ones, except that it may find the roles elsewhere (WithRolesClaim).
type Claims struct {
	jwt.RegisteredClaims
	Roles    []string `json:"roles"`
	Provider string   `json:"provider,omitempty"`
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
	err := keyfile.CreateWhole(dir, path, []byte(hex.EncodeToString(key)+"\n"))
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
