package docstore_test

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"buf.build/go/protovalidate"
	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"google.golang.org/protobuf/proto"
)

// fuzzProviders is filtered as ListProviders is: an enum state, a country
// spelled in upper case whatever the caller writes.
var fuzzProviders = docstore.Resource(listing.Schema[*catalogv1.Provider]{Fields: []listing.Field[*catalogv1.Provider]{
	listing.Enum("state", (*catalogv1.Provider).GetState),
	{Name: "country", Values: listing.One((*catalogv1.Provider).GetHqCountry), Normalize: strings.ToUpper},
}})

// fuzzSeed are the stored providers, in name order: two per country, so
// that most filters match more than one and a page of one has a next
// token to forge.
var fuzzSeed = func() []*catalogv1.Provider {
	var out []*catalogv1.Provider
	states := []catalogv1.ProviderState{
		catalogv1.ProviderState_PROVIDER_STATE_ACTIVE, catalogv1.ProviderState_PROVIDER_STATE_SUSPENDED, catalogv1.ProviderState_PROVIDER_STATE_BLOCKED,
	}
	for i, c := range []string{"CO", "PH", "US", "CO", "PH", "US"} {
		out = append(out, &catalogv1.Provider{Name: "providers/0" + string(rune('A'+i)) + c, HqCountry: c, State: states[i%len(states)]})
	}
	return out
}()

// fuzzOwn is the provider whose user lists: a provider user's List is
// restricted to its own provider by Query.Name.
const fuzzOwn = "providers/0BPH"

// FuzzFilterThroughStore sends whatever a caller may send to a List —
// filter, page token, page size — through Collection.Page on every dialect,
// as a staff user and as a provider user. A refusal is INVALID_ARGUMENT,
// never anything that would answer INTERNAL; an answer holds exactly the
// documents the filter selects, in name order, after the token's key, and a
// provider user's never holds another provider. after, when set, is put
// into a genuine token of the same query, as someone who read the token's
// format would forge it.
func FuzzFilterThroughStore(f *testing.F) {
	for _, s := range []string{
		"country = PH", `country = "PH' OR '1'='1"`, `state != "" AND country = "%"`, `country = "\u0000"`, `country = "a\"b"`,
		"state = provider_state_active", `country = ph AND state != BLOCKED`, `country = "_"`, `country = "PH" AND country = "CO"`,
		"country = \"\x00\"", // PostgreSQL text cannot hold NUL
	} {
		f.Add(s, "", "", int32(0))
	}
	f.Add("", listing.EncodePageToken("' OR 1=1 --", "providers\x00\x00\x00"), "", int32(2))
	f.Add("", "", "' OR 1=1 --", int32(1))
	f.Add("state != BLOCKED", "", "providers/0B", int32(1))
	f.Add("", "", "providers/0BPH\x00", int32(1)) // a key PostgreSQL cannot compare

	stores := map[string]*sqlstore.DB{}
	for _, dialect := range sqltest.Dialects(f) {
		db := sqltest.Open(f, dialect, "docstore", nil)
		err := db.Write(f.Context(), func(tx *sqlstore.Tx) error {
			for _, p := range fuzzSeed {
				if err := fuzzProviders.Insert(f.Context(), tx, p.GetName(), p); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			f.Fatal(err)
		}
		stores[dialect] = db
	}

	f.Fuzz(func(t *testing.T, filter, token, after string, pageSize int32) {
		// Nothing the server refuses before a handler runs reaches a store:
		// gRPC refuses strings that are not UTF-8, the validation
		// interceptor what the proto's rules forbid (a filter over 2,000
		// characters, a page size over 1,000).
		req := &catalogv1.ListProvidersRequest{Filter: filter, PageToken: token, PageSize: pageSize}
		if !utf8.ValidString(filter) || !utf8.ValidString(token) || !utf8.ValidString(after) || protovalidate.Validate(req) != nil {
			return
		}
		for dialect, db := range stores {
			for _, view := range []docstore.Query{{}, {Name: fuzzOwn}} {
				page, next, err := fuzzPage(t, db, req, view)
				if err != nil {
					if apperr.KindOf(err) != apperr.InvalidArgument {
						t.Fatalf("%s, name %q: filter %q token %q: %v (would answer INTERNAL)", dialect, view.Name, filter, token, err)
					}
					continue
				}
				start := ""
				if token != "" {
					start = tokenKey(t, token)
				}
				checkPage(t, dialect, req, view, start, page, next)

				if after == "" || next == "" {
					continue
				}
				forged := proto.CloneOf(req)
				forged.PageToken = withKey(t, next, after)
				if protovalidate.Validate(forged) != nil {
					continue
				}
				page, next, err = fuzzPage(t, db, forged, view)
				if err != nil {
					if apperr.KindOf(err) != apperr.InvalidArgument {
						t.Fatalf("%s, name %q: filter %q, forged token after %q: %v (would answer INTERNAL)", dialect, view.Name, filter, after, err)
					}
					continue
				}
				checkPage(t, dialect, forged, view, after, page, next)
			}
		}
	})
}

func fuzzPage(t *testing.T, db *sqlstore.DB, req *catalogv1.ListProvidersRequest, view docstore.Query) ([]*catalogv1.Provider, string, error) {
	var page []*catalogv1.Provider
	var next string
	err := db.Read(t.Context(), func(tx *sqlstore.Tx) error {
		var err error
		page, next, err = fuzzProviders.Page(t.Context(), tx, req, view)
		return err
	})
	return page, next, err
}

// checkPage compares page with what the filter selects among fuzzSeed,
// worked out here without SQL: every term holds, the view's restriction
// holds, names after start in byte order, at most a page.
func checkPage(t *testing.T, dialect string, req *catalogv1.ListProvidersRequest, view docstore.Query, start string, page []*catalogv1.Provider, next string) {
	t.Helper()
	terms, err := fuzzProviders.Schema().Parse(req.GetFilter())
	if err != nil {
		t.Fatalf("%s: the store answered filter %q, which does not parse: %v", dialect, req.GetFilter(), err)
	}
	var want []string
	for _, p := range fuzzSeed {
		if p.GetName() <= start || (view.Name != "" && p.GetName() != view.Name) || !matches(p, terms) {
			continue
		}
		want = append(want, p.GetName())
	}
	limit := listing.PageSize(req.GetPageSize())
	more := len(want) > limit
	if more {
		want = want[:limit]
	}
	got := make([]string, len(page))
	for i, p := range page {
		got[i] = p.GetName()
	}
	if !slices.Equal(got, want) || (next != "") != more {
		t.Fatalf("%s, name %q: filter %q after %q, page size %d: got %v (next token %v), want %v (next token %v)",
			dialect, view.Name, req.GetFilter(), start, req.GetPageSize(), got, next != "", want, more)
	}
}

func matches(p *catalogv1.Provider, terms []listing.Term) bool {
	facets := fuzzProviders.Schema().Facets(p)
	for _, term := range terms {
		has := slices.Contains(facets, listing.Facet{Field: term.Field, Value: term.Value})
		if has != (term.Op == listing.Equal) {
			return false
		}
	}
	return true
}

// pageToken is a page token as it travels: base64 of a small JSON object.
type pageToken struct {
	After string `json:"a"`
	Query string `json:"q"`
}

// tokenKey is the key a token the store accepted starts after.
func tokenKey(t *testing.T, token string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(token)
	var tok pageToken
	if err == nil {
		err = json.Unmarshal(b, &tok)
	}
	if err != nil {
		t.Fatalf("the store accepted page token %q, which does not decode: %v", token, err)
	}
	return tok.After
}

// withKey is the genuine token with its key replaced by after.
func withKey(t *testing.T, token, after string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		t.Fatal(err)
	}
	var tok pageToken
	if err := json.Unmarshal(b, &tok); err != nil {
		t.Fatal(err)
	}
	tok.After = after
	b, err = json.Marshal(tok)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
