package listing

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"

	"github.com/acme/bpo/kit/apperr"
)

// Page sizes (conventions.md: default 50, max 1000).
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

// PageSize returns the effective page size for a requested one.
func PageSize(requested int32) int {
	switch {
	case requested <= 0:
		return DefaultPageSize
	case requested > MaxPageSize:
		return MaxPageSize
	default:
		return int(requested)
	}
}

// A page token says where the previous page ended (the last key returned)
// and which query it belongs to, so a token cannot be replayed against a
// different filter. It is opaque to callers: base64 of a small JSON object.
type token struct {
	After string `json:"a"`
	Query string `json:"q"`
}

func queryHash(query string) string {
	h := sha256.Sum256([]byte(query))
	return base64.RawURLEncoding.EncodeToString(h[:9])
}

// EncodePageToken returns the token for the page after key, for query (the
// request's parameters other than page size and token, e.g. its filter).
func EncodePageToken(after, query string) string {
	b, _ := json.Marshal(token{After: after, Query: queryHash(query)})
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodePageToken returns the key after which the page starts; "" for an
// empty token. A token that is malformed or belongs to another query is
// INVALID_ARGUMENT on "page_token".
func DecodePageToken(tok, query string) (string, error) {
	if tok == "" {
		return "", nil
	}
	bad := InvalidPageToken()
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", bad
	}
	var t token
	if err := json.Unmarshal(b, &t); err != nil || t.After == "" || t.Query != queryHash(query) {
		return "", bad
	}
	return t.After, nil
}

// InvalidPageToken is the refusal of a page token that is not one of this
// query: INVALID_ARGUMENT on "page_token".
func InvalidPageToken() error {
	return apperr.Invalid(apperr.FieldViolation{
		Field:       "page_token",
		Description: "not a page token of this query; start again without page_token, with the same filter on every page",
	})
}
