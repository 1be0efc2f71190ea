package docstore_test

import (
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
	p := &catalogv1.Provider{}
	var v sqlstore.Version
	err := db.Read(t.Context(), func(tx *sqlstore.Tx) error {
		var err error
		v, err = docstore.Get(t.Context(), tx, name, p)
		return err
	})
	return p, v, err
}

func TestDocumentRevisions(t *testing.T) {
	store(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := t.Context()
		const name = "providers/acme"
		created := &catalogv1.Provider{Name: name, DisplayName: "Acme", Etag: "sent-by-the-client"}
		if err := write(t, db, func(tx *sqlstore.Tx) error { return docstore.Insert(ctx, tx, name, created, nil) }); err != nil {
			t.Fatal(err)
		}
		if want := sqlstore.ETag(name, 1); created.GetEtag() != want {
			t.Fatalf("etag after Insert = %q, want revision 1's %q", created.GetEtag(), want)
		}

		t.Run("insert of a taken name is ALREADY_EXISTS and keeps the first", func(t *testing.T) {
			err := write(t, db, func(tx *sqlstore.Tx) error {
				return docstore.Insert(ctx, tx, name, &catalogv1.Provider{Name: name, DisplayName: "Impostor"}, nil)
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
			var data string
			if err := db.Read(ctx, func(tx *sqlstore.Tx) error {
				return tx.QueryRow(ctx, `SELECT data FROM documents WHERE name = ?`, name).Scan(&data)
			}); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(data, "etag") || strings.Contains(data, "sent-by-the-client") {
				t.Fatalf("stored data %s holds an etag", data)
			}
		})

		_, v1, err := get(t, db, name)
		if err != nil {
			t.Fatal(err)
		}
		renamed := &catalogv1.Provider{Name: name, DisplayName: "Acme Global"}
		if err := write(t, db, func(tx *sqlstore.Tx) error { return docstore.Update(ctx, tx, name, renamed, v1, nil) }); err != nil {
			t.Fatal(err)
		}
		if want := sqlstore.ETag(name, 2); renamed.GetEtag() != want || want == created.GetEtag() {
			t.Fatalf("etag after Update = %q, want revision 2's %q, unlike revision 1's %q", renamed.GetEtag(), want, created.GetEtag())
		}

		t.Run("update over a stale revision is ABORTED and changes nothing", func(t *testing.T) {
			err := write(t, db, func(tx *sqlstore.Tx) error {
				return docstore.Update(ctx, tx, name, &catalogv1.Provider{Name: name, DisplayName: "Lost update"}, v1, nil)
			})
			wantKind(t, err, apperr.Aborted)
			if got, v, _ := get(t, db, name); v.Revision != 2 || got.GetDisplayName() != "Acme Global" {
				t.Fatalf("got %q at revision %d, want Acme Global at 2", got.GetDisplayName(), v.Revision)
			}
		})
		t.Run("delete over a stale revision is ABORTED and keeps the document", func(t *testing.T) {
			err := write(t, db, func(tx *sqlstore.Tx) error { return docstore.Delete(ctx, tx, name, v1) })
			wantKind(t, err, apperr.Aborted)
			if _, _, err := get(t, db, name); err != nil {
				t.Fatalf("document gone after a refused delete: %v", err)
			}
		})
		t.Run("delete at the current revision removes it", func(t *testing.T) {
			err := write(t, db, func(tx *sqlstore.Tx) error { return docstore.Delete(ctx, tx, name, sqlstore.Version{Revision: 2}) })
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
	facets := map[string][]docstore.Facet{
		"p1": {{"country", "PH"}, {"cert", "ISO27001"}, {"cert", "SOC2"}},
		"p2": {{"country", "CO"}, {"cert", "ISO27001"}},
		"p3": {{"country", "PH"}, {"cert", ""}}, // an empty value is no facet
		"p4": {{"country", "US"}, {"cert", "SOC2"}, {"cert", "SOC2"}},
		"p5": {{"country", "PH"}, {"cert", "SOC2"}},
	}
	err := write(t, db, func(tx *sqlstore.Tx) error {
		for _, id := range []string{"p3", "p1", "p5", "p2", "p4"} { // not in name order
			name := "providers/" + id
			if err := docstore.Insert(t.Context(), tx, name, &catalogv1.Provider{Name: name}, facets[id]); err != nil {
				return err
			}
		}
		for _, name := range []string{"sourcingEvents/e1/proposals/a", "sourcingEvents/e2/proposals/b"} {
			if err := docstore.Insert(t.Context(), tx, name, &catalogv1.Proposal{Name: name}, []docstore.Facet{{"country", "PH"}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func listNames(t *testing.T, db *sqlstore.DB, q docstore.Query) []string {
	t.Helper()
	if q.Limit == 0 {
		q.Limit = 100
	}
	var names []string
	err := db.Read(t.Context(), func(tx *sqlstore.Tx) error {
		if q.Kind == "proposals" {
			ps, err := docstore.List(t.Context(), tx, q, func() *catalogv1.Proposal { return &catalogv1.Proposal{} })
			for _, p := range ps {
				names = append(names, p.GetName())
			}
			return err
		}
		ps, err := docstore.List(t.Context(), tx, q, func() *catalogv1.Provider { return &catalogv1.Provider{} })
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
		q    docstore.Query
		want []string
	}{
		{"all of a top-level collection, in name order", docstore.Query{Kind: "providers"}, []string{"p1", "p2", "p3", "p4", "p5"}},
		{"an empty parent is the top level", docstore.Query{Kind: "proposals"}, nil},
		{"one facet value", docstore.Query{Kind: "providers", Terms: []listing.Term{eq("country", "PH")}}, []string{"p1", "p3", "p5"}},
		{"one value of a multi-valued facet", docstore.Query{Kind: "providers", Terms: []listing.Term{eq("cert", "SOC2")}}, []string{"p1", "p4", "p5"}},
		{"terms are joined by AND", docstore.Query{Kind: "providers", Terms: []listing.Term{eq("country", "PH"), eq("cert", "SOC2")}}, []string{"p1", "p5"}},
		{"!= keeps those without the value, including those without the facet", docstore.Query{Kind: "providers", Terms: []listing.Term{ne("cert", "SOC2")}}, []string{"p2", "p3"}},
		{"!= and = together", docstore.Query{Kind: "providers", Terms: []listing.Term{eq("country", "PH"), ne("cert", "ISO27001")}}, []string{"p3", "p5"}},
		{"a value nobody has", docstore.Query{Kind: "providers", Terms: []listing.Term{eq("country", "JP")}}, nil},
		{"after a name", docstore.Query{Kind: "providers", After: "providers/p2"}, []string{"p3", "p4", "p5"}},
		{"limit", docstore.Query{Kind: "providers", Limit: 2}, []string{"p1", "p2"}},
		{"restricted to one name", docstore.Query{Kind: "providers", Name: "providers/p4"}, []string{"p4"}},
		{"restricted to one name the filter excludes", docstore.Query{Kind: "providers", Name: "providers/p4", Terms: []listing.Term{eq("country", "PH")}}, nil},
		{"children of one parent", docstore.Query{Kind: "proposals", Parent: "sourcingEvents/e2"}, []string{"sourcingEvents/e2/proposals/b"}},
		{"children of any parent", docstore.Query{Kind: "proposals", Parent: "*"}, []string{"sourcingEvents/e1/proposals/a", "sourcingEvents/e2/proposals/b"}},
		{"facets of one kind do not match another", docstore.Query{Kind: "providers", Terms: []listing.Term{eq("country", "PH")}, Name: "sourcingEvents/e1/proposals/a"}, nil},
	}
	store(t, func(t *testing.T, db *sqlstore.DB) {
		seed(t, db)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := listNames(t, db, tt.q); !slices.Equal(got, tt.want) {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			})
		}
		t.Run("update replaces the facets", func(t *testing.T) {
			err := write(t, db, func(tx *sqlstore.Tx) error {
				p := &catalogv1.Provider{}
				v, err := docstore.Get(t.Context(), tx, "providers/p1", p)
				if err != nil {
					return err
				}
				return docstore.Update(t.Context(), tx, "providers/p1", p, v, []docstore.Facet{{"country", "JP"}})
			})
			if err != nil {
				t.Fatal(err)
			}
			q := func(terms ...listing.Term) []string {
				return listNames(t, db, docstore.Query{Kind: "providers", Terms: terms, Name: "providers/p1"})
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
				return docstore.Delete(t.Context(), tx, "providers/p5", sqlstore.Version{Revision: 1})
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
		page := func(q docstore.Query, size int32, token, filter string) ([]string, string, error) {
			var names []string
			var next string
			err := db.Read(t.Context(), func(tx *sqlstore.Tx) error {
				ps, n, err := docstore.Page(t.Context(), tx, q, size, token, filter,
					func() *catalogv1.Provider { return &catalogv1.Provider{} }, (*catalogv1.Provider).GetName)
				for _, p := range ps {
					names = append(names, strings.TrimPrefix(p.GetName(), "providers/"))
				}
				next = n
				return err
			})
			return names, next, err
		}
		all := docstore.Query{Kind: "providers"}

		t.Run("pages of two walk all five once, in order, and end without a token", func(t *testing.T) {
			var got [][]string
			token := ""
			for range 5 {
				names, next, err := page(all, 2, token, "")
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
		t.Run("a page that ends exactly at the last document has no next token", func(t *testing.T) {
			names, next, err := page(all, 5, "", "")
			if err != nil || len(names) != 5 || next != "" {
				t.Fatalf("got %v, next %q, %v; want all five and no next token", names, next, err)
			}
		})
		t.Run("page size 0 is the default of 50", func(t *testing.T) {
			names, next, err := page(all, 0, "", "")
			if err != nil || len(names) != 5 || next != "" {
				t.Fatalf("got %v, next %q, %v; want all five", names, next, err)
			}
		})
		_, token, err := page(all, 2, "", "")
		if err != nil || token == "" {
			t.Fatalf("first page: token %q, %v", token, err)
		}
		tests := []struct {
			name   string
			q      docstore.Query
			token  string
			filter string
		}{
			{"a token used with another filter", all, token, "country = PH"},
			{"a token used on another parent", docstore.Query{Kind: "providers", Parent: "sourcingEvents/e1"}, token, ""},
			{"a token used on another collection", docstore.Query{Kind: "proposals", Parent: "*"}, token, ""},
			{"a token that is not one", all, "not-a-token", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name+" is INVALID_ARGUMENT on page_token", func(t *testing.T) {
				_, _, err := page(tt.q, 2, tt.token, tt.filter)
				var ae *apperr.Error
				if !errors.As(err, &ae) || ae.Kind != apperr.InvalidArgument || len(ae.Violations) != 1 || ae.Violations[0].Field != "page_token" {
					t.Fatalf("got %v, want INVALID_ARGUMENT on page_token", err)
				}
			})
		}
	})
}
