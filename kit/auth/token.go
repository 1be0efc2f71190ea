package auth

import (
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

// localKey is the local signing key as a file.
var localKey = keyfile.Secret{
	What: "the local signing key",
	Remedy: "restore it from a backup, or remove the file to create a new key at the next start " +
		"(every token signed with the old key then stops working)",
}

// LoadOrCreateLocalKey reads the HS256 key in dir, creating a random one
// (readable by the owner only) when there is none. The key file appears
// whole or not at all, so a crash during the first start never leaves a
// file that blocks the next one.
func LoadOrCreateLocalKey(dir string) ([]byte, error) {
	return localKey.LoadOrCreateHex(dir, LocalKeyFile)
}
