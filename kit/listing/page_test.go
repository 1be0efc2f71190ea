package listing_test

import (
	"encoding/base64"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/listing"
)

func TestPageSize(t *testing.T) {
	// conventions.md: default 50, max 1000.
	tests := []struct {
		name      string
		requested int32
		want      int
	}{
		{"unset means the default", 0, 50},
		{"negative means the default", -5, 50},
		{"one", 1, 1},
		{"within range is kept", 200, 200},
		{"the maximum is allowed", 1000, 1000},
		{"above the maximum is capped", 1001, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := listing.PageSize(tt.requested); got != tt.want {
				t.Fatalf("PageSize(%d) = %d, want %d", tt.requested, got, tt.want)
			}
		})
	}
}

func TestPageTokenRoundTrip(t *testing.T) {
	tests := []struct {
		name, after, query string
	}{
		{"no filter", "01J9Z3K4M5N6P7Q8R9S0T1V2W3", ""},
		{"with filter", "01J9Z3K4M5N6P7Q8R9S0T1V2W3", "country = PH"},
		{"numeric key", "42", `resource = "providers/01J"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := listing.EncodePageToken(tt.after, tt.query)
			got, err := listing.DecodePageToken(tok, tt.query)
			if err != nil || got != tt.after {
				t.Fatalf("DecodePageToken(EncodePageToken(%q, %q)) = %q, %v; want %q", tt.after, tt.query, got, err, tt.after)
			}
		})
	}
}

func TestDecodePageTokenEmptyIsFirstPage(t *testing.T) {
	got, err := listing.DecodePageToken("", "country = PH")
	if err != nil || got != "" {
		t.Fatalf(`DecodePageToken("") = %q, %v; want "", nil`, got, err)
	}
}

func TestDecodePageTokenRefuses(t *testing.T) {
	b64 := base64.RawURLEncoding.EncodeToString
	tests := []struct {
		name, token, query string
	}{
		{"token of another filter", listing.EncodePageToken("01J", "country = PH"), "country = CO"},
		{"token of a filtered query without the filter", listing.EncodePageToken("01J", "country = PH"), ""},
		{"not base64", "!!not a token!!", ""},
		{"padded standard base64", base64.StdEncoding.EncodeToString([]byte(`{"a":"01J","q":"x"}`)), ""},
		{"base64 of something that is not JSON", b64([]byte("hello")), ""},
		{"JSON without a key", b64([]byte(`{"q":"` + queryHashOf(t, "") + `"}`)), ""},
		{"JSON without a query hash", b64([]byte(`{"a":"01J"}`)), ""},
		{"JSON of the wrong shape", b64([]byte(`[1,2,3]`)), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := listing.DecodePageToken(tt.token, tt.query)
			if err == nil {
				t.Fatalf("DecodePageToken(%q, %q) = %q, want an error", tt.token, tt.query, got)
			}
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Kind != apperr.InvalidArgument || len(ae.Violations) != 1 || ae.Violations[0].Field != "page_token" {
				t.Fatalf("error %v is not INVALID_ARGUMENT on page_token", err)
			}
		})
	}
}

// queryHashOf extracts the query hash a real token for query carries, so a
// hand-made token can differ from a real one in exactly one part.
func queryHashOf(t *testing.T, query string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(listing.EncodePageToken("x", query))
	if err != nil {
		t.Fatal(err)
	}
	// {"a":"x","q":"<hash>"}
	const prefix = `{"a":"x","q":"`
	if len(b) < len(prefix)+2 || string(b[:len(prefix)]) != prefix {
		t.Fatalf("unexpected token layout %s", b)
	}
	return string(b[len(prefix) : len(b)-2])
}

func FuzzDecodePageToken(f *testing.F) {
	f.Add("", "01J9Z3K4M5N6P7Q8R9S0T1V2W3", "")
	f.Add(listing.EncodePageToken("01J", "country = PH"), "01J", "country = PH")
	f.Add("eyJhIjoiIiwicSI6IiJ9", "42", `resource = "providers/01J"`)
	f.Add("!!", "x", "state != BLOCKED")
	f.Fuzz(func(t *testing.T, tok, after, query string) {
		// Whatever a caller sends is either a key or INVALID_ARGUMENT.
		got, err := listing.DecodePageToken(tok, query)
		if err != nil {
			if k := apperr.KindOf(err); k != apperr.InvalidArgument {
				t.Fatalf("DecodePageToken(%q) error kind %v, want InvalidArgument", tok, k)
			}
		} else if tok != "" && got == "" {
			t.Fatalf("DecodePageToken(%q) accepted a token without a key", tok)
		}

		// Keys are ULIDs and sequence numbers, and protobuf strings are
		// valid UTF-8; the token's JSON carries only such keys.
		if after == "" || !utf8.ValidString(after) {
			return
		}
		tok = listing.EncodePageToken(after, query)
		got, err = listing.DecodePageToken(tok, query)
		if err != nil || got != after {
			t.Fatalf("DecodePageToken(EncodePageToken(%q, %q)) = %q, %v", after, query, got, err)
		}
		if _, err := listing.DecodePageToken(tok, query+" "); err == nil {
			t.Fatalf("token of query %q accepted for query %q", query, query+" ")
		}
	})
}
