package docstore_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name, kind, parent string
	}{
		{"providers/01J", "providers", ""},
		{"sourcingEvents/01J/proposals/01K", "proposals", "sourcingEvents/01J"},
		{"sourcingEvents/01J/proposals/01K/revisions/2", "revisions", "sourcingEvents/01J/proposals/01K"},
		// A singleton's kind is its own segment; its parent is its owner.
		{"engagements/01J/scope", "scope", "engagements/01J"},
		{"transitionPlans/01J/cutover", "cutover", "transitionPlans/01J"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, parent := docstore.Split(tt.name)
			if kind != tt.kind || parent != tt.parent {
				t.Fatalf("Split(%q) = (%q, %q), want (%q, %q)", tt.name, kind, parent, tt.kind, tt.parent)
			}
		})
	}
}

// testFacets are the facets tests give each provider (seed); the test
// schema reads them from here, as a real schema reads them from the message.
var testFacets = map[string][][2]string{}

func fieldOf(name string) listing.Field[*catalogv1.Provider] {
	return listing.Field[*catalogv1.Provider]{Name: name, Values: func(p *catalogv1.Provider) []string {
		var out []string
		for _, f := range testFacets[p.GetName()] {
			if f[0] == name {
				out = append(out, f[1])
			}
		}
		return out
	}}
}

var (
	providers = docstore.Resource(listing.Schema[*catalogv1.Provider]{Fields: []listing.Field[*catalogv1.Provider]{fieldOf("country"), fieldOf("cert")}})
	proposals = docstore.Resource(listing.Schema[*catalogv1.Proposal]{Fields: []listing.Field[*catalogv1.Proposal]{
		{Name: "country", Values: func(*catalogv1.Proposal) []string { return []string{"PH"} }},
	}})
)

// store runs a test body on a fresh database of each dialect.
func store(t *testing.T, body func(t *testing.T, db *sqlstore.DB)) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) { body(t, sqltest.Open(t, dialect, "docstore", nil)) })
	}
}

func write(t *testing.T, db *sqlstore.DB, fn func(tx *sqlstore.Tx) error) error {
	t.Helper()
	return db.Write(t.Context(), fn)
}

func wantKind(t *testing.T, err error, want apperr.Kind) {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != want {
		t.Fatalf("got %v, want an apperr of kind %d", err, want)
	}
}

func get(t *testing.T, db *sqlstore.DB, name string) (*catalogv1.Provider, sqlstore.Version, error) {
	t.Helper()
	var p *catalogv1.Provider
	var v sqlstore.Version
	err := db.Read(t.Context(), func(tx *sqlstore.Tx) error {
		var err error
		p, v, err = providers.Get(t.Context(), tx, name)
		return err
	})
	return p, v, err
}

func TestDocumentRevisions(t *testing.T) {
	store(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := t.Context()
		const name = "providers/acme"
		created := &catalogv1.Provider{Name: name, DisplayName: "Acme", Etag: "sent-by-the-client"}
		if err := write(t, db, func(tx *sqlstore.Tx) error { return providers.Insert(ctx, tx, name, created) }); err != nil {
			t.Fatal(err)
		}
		if want := sqlstore.ETag(name, 1); created.GetEtag() != want {
			t.Fatalf("etag after Insert = %q, want revision 1's %q", created.GetEtag(), want)
		}

		t.Run("insert of a taken name is ALREADY_EXISTS and keeps the first", func(t *testing.T) {
			err := write(t, db, func(tx *sqlstore.Tx) error {
				return providers.Insert(ctx, tx, name, &catalogv1.Provider{Name: name, DisplayName: "Impostor"})
			})
			wantKind(t, err, apperr.AlreadyExists)
			if got, _, _ := get(t, db, name); got.GetDisplayName() != "Acme" {
				t.Fatalf("display name %q, want Acme", got.GetDisplayName())
			}
		})
		t.Run("get of a missing name is NOT_FOUND naming it", func(t *testing.T) {
			_, _, err := get(t, db, "providers/nobody")
			wantKind(t, err, apperr.NotFound)
			if !strings.Contains(err.Error(), "providers/nobody") {
				t.Fatalf("message %q does not name the resource", err)
			}
		})
		t.Run("get answers the stored document at revision 1, the etag not stored in it", func(t *testing.T) {
			got, v, err := get(t, db, name)
			if err != nil {
				t.Fatal(err)
			}
			if v.Revision != 1 || !proto.Equal(got, created) {
				t.Fatalf("got %v at revision %d, want %v at 1", got, v.Revision, created)
			}
			var body []byte
			if err := db.Read(ctx, func(tx *sqlstore.Tx) error {
				return tx.QueryRow(ctx, `SELECT body FROM documents WHERE name = ?`, name).Scan(&body)
			}); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(body), "sent-by-the-client") {
				t.Fatalf("stored body %q holds an etag", body)
			}
		})

		_, v1, err := get(t, db, name)
		if err != nil {
			t.Fatal(err)
		}
		renamed := &catalogv1.Provider{Name: name, DisplayName: "Acme Global"}
		if err := write(t, db, func(tx *sqlstore.Tx) error { return providers.Update(ctx, tx, name, renamed, v1) }); err != nil {
			t.Fatal(err)
		}
		if want := sqlstore.ETag(name, 2); renamed.GetEtag() != want || want == created.GetEtag() {
			t.Fatalf("etag after Update = %q, want revision 2's %q, unlike revision 1's %q", renamed.GetEtag(), want, created.GetEtag())
		}

		t.Run("update over a stale revision is ABORTED and changes nothing", func(t *testing.T) {
			err := write(t, db, func(tx *sqlstore.Tx) error {
				return providers.Update(ctx, tx, name, &catalogv1.Provider{Name: name, DisplayName: "Lost update"}, v1)
			})
			wantKind(t, err, apperr.Aborted)
			if got, v, _ := get(t, db, name); v.Revision != 2 || got.GetDisplayName() != "Acme Global" {
				t.Fatalf("got %q at revision %d, want Acme Global at 2", got.GetDisplayName(), v.Revision)
			}
		})
		t.Run("delete over a stale revision is ABORTED and keeps the document", func(t *testing.T) {
			err := write(t, db, func(tx *sqlstore.Tx) error { return providers.Delete(ctx, tx, name, v1) })
			wantKind(t, err, apperr.Aborted)
			if _, _, err := get(t, db, name); err != nil {
				t.Fatalf("document gone after a refused delete: %v", err)
			}
		})
		t.Run("delete at the current revision removes it", func(t *testing.T) {
			err := write(t, db, func(tx *sqlstore.Tx) error { return providers.Delete(ctx, tx, name, sqlstore.Version{Revision: 2}) })
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = get(t, db, name)
			wantKind(t, err, apperr.NotFound)
		})
	})
}

// seed stores providers/p1 … p5 with facets, and two proposals under two
// events, and returns nothing: the names say everything the tests need.
//
//	p1 country=PH cert=ISO27001 cert=SOC2
//	p2 country=CO cert=ISO27001
//	p3 country=PH
//	p4 country=US cert=SOC2
//	p5 country=PH cert=SOC2
func seed(t *testing.T, db *sqlstore.DB) {
	t.Helper()
	facets := map[string][][2]string{
		"p1": {{"country", "PH"}, {"cert", "ISO27001"}, {"cert", "SOC2"}},
		"p2": {{"country", "CO"}, {"cert", "ISO27001"}},
		"p3": {{"country", "PH"}, {"cert", ""}}, // an empty value is no facet
		"p4": {{"country", "US"}, {"cert", "SOC2"}, {"cert", "SOC2"}},
		"p5": {{"country", "PH"}, {"cert", "SOC2"}},
	}
	err := write(t, db, func(tx *sqlstore.Tx) error {
		for _, id := range []string{"p3", "p1", "p5", "p2", "p4"} { // not in name order
			name := "providers/" + id
			testFacets[name] = facets[id]
			if err := providers.Insert(t.Context(), tx, name, &catalogv1.Provider{Name: name}); err != nil {
				return err
			}
		}
		for _, name := range []string{"sourcingEvents/e1/proposals/a", "sourcingEvents/e2/proposals/b"} {
			if err := proposals.Insert(t.Context(), tx, name, &catalogv1.Proposal{Name: name}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// listNames lists providers, or proposals when q.Parent is not "".
func listNames(t *testing.T, db *sqlstore.DB, kind string, q docstore.Query) []string {
	t.Helper()
	var names []string
	err := db.Read(t.Context(), func(tx *sqlstore.Tx) error {
		if kind == "proposals" {
			ps, err := proposals.List(t.Context(), tx, q)
			for _, p := range ps {
				names = append(names, p.GetName())
			}
			return err
		}
		ps, err := providers.List(t.Context(), tx, q)
		for _, p := range ps {
			if p.GetEtag() == "" {
				return fmt.Errorf("%s listed without its etag", p.GetName())
			}
			names = append(names, strings.TrimPrefix(p.GetName(), "providers/"))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func TestList(t *testing.T) {
	eq := func(f, v string) listing.Term { return listing.Term{Field: f, Op: listing.Equal, Value: v} }
	ne := func(f, v string) listing.Term { return listing.Term{Field: f, Op: listing.NotEqual, Value: v} }
	tests := []struct {
		name string
		kind string
		q    docstore.Query
		want []string
	}{
		{"all of a top-level collection, in name order", "providers", docstore.Query{}, []string{"p1", "p2", "p3", "p4", "p5"}},
		{"an empty parent is the top level", "proposals", docstore.Query{}, nil},
		{"one facet value", "providers", docstore.Query{Terms: []listing.Term{eq("country", "PH")}}, []string{"p1", "p3", "p5"}},
		{"one value of a multi-valued facet", "providers", docstore.Query{Terms: []listing.Term{eq("cert", "SOC2")}}, []string{"p1", "p4", "p5"}},
		{"terms are joined by AND", "providers", docstore.Query{Terms: []listing.Term{eq("country", "PH"), eq("cert", "SOC2")}}, []string{"p1", "p5"}},
		{"!= keeps those without the value, including those without the facet", "providers", docstore.Query{Terms: []listing.Term{ne("cert", "SOC2")}}, []string{"p2", "p3"}},
		{"!= and = together", "providers", docstore.Query{Terms: []listing.Term{eq("country", "PH"), ne("cert", "ISO27001")}}, []string{"p3", "p5"}},
		{"a value nobody has", "providers", docstore.Query{Terms: []listing.Term{eq("country", "JP")}}, nil},
		{"after a name", "providers", docstore.Query{After: "providers/p2"}, []string{"p3", "p4", "p5"}},
		{"limit", "providers", docstore.Query{Limit: 2}, []string{"p1", "p2"}},
		{"restricted to one name", "providers", docstore.Query{Name: "providers/p4"}, []string{"p4"}},
		{"restricted to one name the filter excludes", "providers", docstore.Query{Name: "providers/p4", Terms: []listing.Term{eq("country", "PH")}}, nil},
		{"children of one parent", "proposals", docstore.Query{Parent: "sourcingEvents/e2"}, []string{"sourcingEvents/e2/proposals/b"}},
		{"children of any parent", "proposals", docstore.Query{Parent: "*"}, []string{"sourcingEvents/e1/proposals/a", "sourcingEvents/e2/proposals/b"}},
		{"facets of one kind do not match another", "providers", docstore.Query{Terms: []listing.Term{eq("country", "PH")}, Name: "sourcingEvents/e1/proposals/a"}, nil},
	}
	store(t, func(t *testing.T, db *sqlstore.DB) {
		seed(t, db)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := listNames(t, db, tt.kind, tt.q); !slices.Equal(got, tt.want) {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			})
		}
		t.Run("update replaces the facets", func(t *testing.T) {
			err := write(t, db, func(tx *sqlstore.Tx) error {
				p, v, err := providers.Get(t.Context(), tx, "providers/p1")
				if err != nil {
					return err
				}
				testFacets["providers/p1"] = [][2]string{{"country", "JP"}}
				return providers.Update(t.Context(), tx, "providers/p1", p, v)
			})
			if err != nil {
				t.Fatal(err)
			}
			q := func(terms ...listing.Term) []string {
				return listNames(t, db, "providers", docstore.Query{Terms: terms, Name: "providers/p1"})
			}
			if got := q(eq("country", "PH")); got != nil {
				t.Fatalf("country = PH still finds %v", got)
			}
			if got := q(eq("cert", "SOC2")); got != nil {
				t.Fatalf("cert = SOC2 still finds %v", got)
			}
			if got := q(eq("country", "JP")); len(got) != 1 {
				t.Fatalf("country = JP finds %v, want p1", got)
			}
		})
		t.Run("delete removes the facets with the document", func(t *testing.T) {
			err := write(t, db, func(tx *sqlstore.Tx) error {
				return providers.Delete(t.Context(), tx, "providers/p5", sqlstore.Version{Revision: 1})
			})
			if err != nil {
				t.Fatal(err)
			}
			var n int
			if err := db.Read(t.Context(), func(tx *sqlstore.Tx) error {
				return tx.QueryRow(t.Context(), `SELECT COUNT(*) FROM document_facets WHERE name = ?`, "providers/p5").Scan(&n)
			}); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Fatalf("%d facets of a deleted document left", n)
			}
		})
	})
}

func TestPage(t *testing.T) {
	store(t, func(t *testing.T, db *sqlstore.DB) {
		seed(t, db)
		page := func(req *catalogv1.ListProvidersRequest, q docstore.Query) ([]string, string, error) {
			var names []string
			var next string
			err := db.Read(t.Context(), func(tx *sqlstore.Tx) error {
				ps, n, err := providers.Page(t.Context(), tx, req, q)
				for _, p := range ps {
					names = append(names, strings.TrimPrefix(p.GetName(), "providers/"))
				}
				next = n
				return err
			})
			return names, next, err
		}
		all := docstore.Query{}

		t.Run("pages of two walk all five once, in order, and end without a token", func(t *testing.T) {
			var got [][]string
			token := ""
			for range 5 {
				names, next, err := page(&catalogv1.ListProvidersRequest{PageSize: 2, PageToken: token}, all)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, names)
				if token = next; token == "" {
					break
				}
			}
			want := [][]string{{"p1", "p2"}, {"p3", "p4"}, {"p5"}}
			if !slices.EqualFunc(got, want, slices.Equal[[]string]) {
				t.Fatalf("pages %v, want %v", got, want)
			}
		})
		t.Run("the filter is parsed with the schema", func(t *testing.T) {
			names, _, err := page(&catalogv1.ListProvidersRequest{Filter: "country = PH AND cert != SOC2"}, all)
			if err != nil || !slices.Equal(names, []string{"p3"}) {
				t.Fatalf("got %v, %v; want [p3]", names, err)
			}
			_, _, err = page(&catalogv1.ListProvidersRequest{Filter: "colour = red"}, all)
			wantKind(t, err, apperr.InvalidArgument)
		})
		t.Run("a page that ends exactly at the last document has no next token", func(t *testing.T) {
			names, next, err := page(&catalogv1.ListProvidersRequest{PageSize: 5}, all)
			if err != nil || len(names) != 5 || next != "" {
				t.Fatalf("got %v, next %q, %v; want all five and no next token", names, next, err)
			}
		})
		t.Run("page size 0 is the default of 50", func(t *testing.T) {
			names, next, err := page(&catalogv1.ListProvidersRequest{}, all)
			if err != nil || len(names) != 5 || next != "" {
				t.Fatalf("got %v, next %q, %v; want all five", names, next, err)
			}
		})
		_, token, err := page(&catalogv1.ListProvidersRequest{PageSize: 2}, all)
		if err != nil || token == "" {
			t.Fatalf("first page: token %q, %v", token, err)
		}
		t.Run("the token goes on with another page size", func(t *testing.T) {
			names, _, err := page(&catalogv1.ListProvidersRequest{PageSize: 3, PageToken: token}, all)
			if err != nil || !slices.Equal(names, []string{"p3", "p4", "p5"}) {
				t.Fatalf("got %v, %v; want p3 … p5", names, err)
			}
		})
		tests := []struct {
			name string
			req  *catalogv1.ListProvidersRequest
			q    docstore.Query
		}{
			{"a token used with another filter", &catalogv1.ListProvidersRequest{PageToken: token, Filter: "country = PH"}, all},
			{"a token used for another viewer's restriction", &catalogv1.ListProvidersRequest{PageToken: token}, docstore.Query{Name: "providers/p4"}},
			{"a token used on another parent", &catalogv1.ListProvidersRequest{PageToken: token}, docstore.Query{Parent: "sourcingEvents/e1"}},
			{"a token that is not one", &catalogv1.ListProvidersRequest{PageToken: "not-a-token"}, all},
		}
		for _, tt := range tests {
			t.Run(tt.name+" is INVALID_ARGUMENT on page_token", func(t *testing.T) {
				_, _, err := page(tt.req, tt.q)
				var ae *apperr.Error
				if !errors.As(err, &ae) || ae.Kind != apperr.InvalidArgument || len(ae.Violations) != 1 || ae.Violations[0].Field != "page_token" {
					t.Fatalf("got %v, want INVALID_ARGUMENT on page_token", err)
				}
			})
		}
	})
}

// A collection refuses a name of any other pattern, whatever the call, and
// changes nothing: a handler handed a provider's name cannot overwrite the
// provider with a proposal.
func TestCollectionRefusesANameOfAnotherKind(t *testing.T) {
	store(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := t.Context()
		const name = "providers/p1"
		if err := write(t, db, func(tx *sqlstore.Tx) error {
			return providers.Insert(ctx, tx, name, &catalogv1.Provider{Name: name, DisplayName: "Acme"})
		}); err != nil {
			t.Fatal(err)
		}
		calls := map[string]func(tx *sqlstore.Tx) error{
			"Get": func(tx *sqlstore.Tx) error { _, _, err := proposals.Get(ctx, tx, name); return err },
			"GetForChange": func(tx *sqlstore.Tx) error {
				_, _, err := proposals.GetForChange(ctx, tx, name, "")
				return err
			},
			"Update": func(tx *sqlstore.Tx) error {
				return proposals.Update(ctx, tx, name, &catalogv1.Proposal{Name: name}, sqlstore.Version{Revision: 1})
			},
			"Delete": func(tx *sqlstore.Tx) error { return proposals.Delete(ctx, tx, name, sqlstore.Version{Revision: 1}) },
			"Insert": func(tx *sqlstore.Tx) error {
				return proposals.Insert(ctx, tx, "sourcingEvents/e1", &catalogv1.Proposal{})
			},
			"a name with an empty id": func(tx *sqlstore.Tx) error { _, _, err := providers.Get(ctx, tx, "providers/"); return err },
			"a longer name":           func(tx *sqlstore.Tx) error { _, _, err := providers.Get(ctx, tx, name+"/x/y"); return err },
		}
		for what, call := range calls {
			t.Run(what, func(t *testing.T) {
				wantKind(t, write(t, db, call), apperr.InvalidArgument)
				got, v, err := get(t, db, name)
				if err != nil || v.Revision != 1 || got.GetDisplayName() != "Acme" {
					t.Fatalf("after the refusal: %v at revision %d, %v; want Acme unchanged at 1", got, v.Revision, err)
				}
			})
		}
	})
}

// Binary storage keeps what this build does not know: a field written by
// a newer build (or one since removed from the proto) survives a read and
// an update instead of being dropped.
func TestUnknownFieldsSurviveAnUpdate(t *testing.T) {
	store(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := t.Context()
		const name = "providers/p1"
		if err := write(t, db, func(tx *sqlstore.Tx) error {
			return providers.Insert(ctx, tx, name, &catalogv1.Provider{Name: name, DisplayName: "Acme"})
		}); err != nil {
			t.Fatal(err)
		}
		// Field 900, a string "kept", as a newer build would have written it.
		future := protowire.AppendString(protowire.AppendTag(nil, 900, protowire.BytesType), "kept")
		if err := write(t, db, func(tx *sqlstore.Tx) error {
			var body []byte
			if err := tx.QueryRow(ctx, `SELECT body FROM documents WHERE name = ?`, name).Scan(&body); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE documents SET body = ? WHERE name = ?`, append(body, future...), name)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := write(t, db, func(tx *sqlstore.Tx) error {
			p, v, err := providers.Get(ctx, tx, name)
			if err != nil {
				return err
			}
			p.DisplayName = "Acme Global"
			return providers.Update(ctx, tx, name, p, v)
		}); err != nil {
			t.Fatal(err)
		}
		var body []byte
		if err := db.Read(ctx, func(tx *sqlstore.Tx) error {
			return tx.QueryRow(ctx, `SELECT body FROM documents WHERE name = ?`, name).Scan(&body)
		}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(body, future) {
			t.Fatalf("field 900 lost on update: body %x", body)
		}
		if got, _, _ := get(t, db, name); got.GetDisplayName() != "Acme Global" {
			t.Fatalf("display name %q, want Acme Global", got.GetDisplayName())
		}
	})
}

// insertJSON stores a document as builds before binary storage did.
func insertJSON(t *testing.T, db *sqlstore.DB, name, data string) {
	t.Helper()
	kind, parent := docstore.Split(name)
	if err := write(t, db, func(tx *sqlstore.Tx) error {
		_, err := tx.Exec(t.Context(), `INSERT INTO documents (name, kind, parent, revision, create_time, update_time, data) VALUES (?, ?, ?, 3, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', ?)`,
			name, kind, parent, data)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// Prepare rewrites old protojson documents as binary at the same revision
// (an etag a client holds stays valid), and refuses, naming the document,
// one holding a field this build does not know, rather than drop it.
func TestPrepareRewritesProtoJSONAndRefusesUnknownFields(t *testing.T) {
	store(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := t.Context()
		insertJSON(t, db, "providers/old", `{"name":"providers/old","displayName":"Old Co","hqCountry":"PH"}`)
		if err := docstore.Prepare(ctx, db, providers, proposals); err != nil {
			t.Fatal(err)
		}
		var encoding string
		if err := db.Read(ctx, func(tx *sqlstore.Tx) error {
			return tx.QueryRow(ctx, `SELECT encoding FROM documents WHERE name = ?`, "providers/old").Scan(&encoding)
		}); err != nil {
			t.Fatal(err)
		}
		got, v, err := get(t, db, "providers/old")
		if err != nil || encoding != "proto" || v.Revision != 3 || got.GetDisplayName() != "Old Co" || got.GetHqCountry() != "PH" {
			t.Fatalf("after Prepare: %v at revision %d in %q, %v; want Old Co in PH at revision 3, binary", got, v.Revision, encoding, err)
		}

		insertJSON(t, db, "providers/renamed", `{"name":"providers/renamed","tradingName":"Gone Ltd"}`)
		err = docstore.Prepare(ctx, db, providers)
		if err == nil || !strings.Contains(err.Error(), "providers/renamed") || !strings.Contains(err.Error(), "tradingName") {
			t.Fatalf("Prepare over an unknown field: %v; want a refusal naming providers/renamed and tradingName", err)
		}
		_, _, err = get(t, db, "providers/renamed")
		if err == nil || !strings.Contains(err.Error(), "providers/renamed") {
			t.Fatalf("Get of it: %v; want an error naming the document, never a document without its data", err)
		}
	})
}

// A filter field added to a collection finds the documents stored before
// it existed: Prepare sees the schema's fingerprint change and rebuilds
// the facets.
func TestPrepareRebuildsFacetsWhenTheSchemaChanges(t *testing.T) {
	store(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := t.Context()
		country := listing.Field[*catalogv1.Provider]{Name: "country", Values: listing.One((*catalogv1.Provider).GetHqCountry)}
		v1 := docstore.Resource(listing.Schema[*catalogv1.Provider]{Fields: []listing.Field[*catalogv1.Provider]{country}})
		if err := docstore.Prepare(ctx, db, v1); err != nil {
			t.Fatal(err)
		}
		for i, rating := range []catalogv1.FinancialRating{catalogv1.FinancialRating_FINANCIAL_RATING_A, catalogv1.FinancialRating_FINANCIAL_RATING_B, catalogv1.FinancialRating_FINANCIAL_RATING_A} {
			name := fmt.Sprintf("providers/p%d", i+1)
			if err := write(t, db, func(tx *sqlstore.Tx) error {
				return v1.Insert(ctx, tx, name, &catalogv1.Provider{Name: name, HqCountry: "PH", FinancialRating: rating})
			}); err != nil {
				t.Fatal(err)
			}
		}
		v2 := docstore.Resource(listing.Schema[*catalogv1.Provider]{Fields: []listing.Field[*catalogv1.Provider]{
			country, listing.Enum("financial_rating", (*catalogv1.Provider).GetFinancialRating),
		}})
		list := func() []string {
			var names []string
			if err := db.Read(ctx, func(tx *sqlstore.Tx) error {
				ps, _, err := v2.Page(ctx, tx, &catalogv1.ListProvidersRequest{Filter: "financial_rating = A"}, docstore.Query{})
				for _, p := range ps {
					names = append(names, p.GetName())
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return names
		}
		if got := list(); got != nil {
			t.Fatalf("before Prepare the new field finds %v; the facets were never written, so nothing", got)
		}
		if err := docstore.Prepare(ctx, db, v2); err != nil {
			t.Fatal(err)
		}
		if got, want := list(), []string{"providers/p1", "providers/p3"}; !slices.Equal(got, want) {
			t.Fatalf("after Prepare financial_rating = A finds %v, want %v", got, want)
		}
		n, err := docstore.Reindex(ctx, db, v2)
		if err != nil || n != 3 {
			t.Fatalf("Reindex indexed %d, %v; want all 3", n, err)
		}
		if got, want := list(), []string{"providers/p1", "providers/p3"}; !slices.Equal(got, want) {
			t.Fatalf("after Reindex financial_rating = A finds %v, want %v", got, want)
		}
	})
}

func TestPrepareRefusesTwoCollectionsOfOneKind(t *testing.T) {
	store(t, func(t *testing.T, db *sqlstore.DB) {
		a := docstore.Internal[*catalogv1.Proposal]("sourcingEvents/{sourcing_event}/proposals/{proposal}/revisions/{revision}", listing.Schema[*catalogv1.Proposal]{})
		b := docstore.Internal[*catalogv1.Scope]("engagements/{engagement}/revisions/{revision}", listing.Schema[*catalogv1.Scope]{})
		if err := docstore.Prepare(t.Context(), db, a, b); err == nil || !strings.Contains(err.Error(), `"revisions"`) {
			t.Fatalf("got %v, want a refusal naming the shared kind", err)
		}
	})
}
