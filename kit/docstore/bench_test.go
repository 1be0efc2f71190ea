package docstore_test

import (
	"context"
	"fmt"
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"github.com/oklog/ulid/v2"
)

// BenchmarkListFiltered measures a filtered page over 100 000 providers
// (spec: catalog.md, "pages through 100 000 providers quickly"): one in ten
// is in PH, one in four holds ISO 27001, so the filter matches 2.5 %.
//
//	go test -run '^$' -bench ListFiltered -benchtime 200x ./kit/docstore/
var benchProviders = docstore.Resource(listing.Schema[*catalogv1.Provider]{Fields: []listing.Field[*catalogv1.Provider]{
	{Name: "country", Values: listing.One((*catalogv1.Provider).GetHqCountry)},
	listing.Enums("certification", func(p *catalogv1.Provider) []catalogv1.CertificationType {
		var out []catalogv1.CertificationType
		for _, c := range p.GetCertifications() {
			out = append(out, c.GetType())
		}
		return out
	}),
}})

func BenchmarkListFiltered(b *testing.B) {
	ctx := context.Background()
	db := sqltest.Open(b, "sqlite", "bench", nil)
	const n = 100_000
	countries := []string{"PH", "CO", "US", "IN", "MX", "PL", "ZA", "EG", "VN", "BR"}
	for start := 0; start < n; start += 1000 {
		err := db.Write(ctx, func(tx *sqlstore.Tx) error {
			for i := start; i < start+1000; i++ {
				p := &catalogv1.Provider{Name: "providers/" + ulid.Make().String(), DisplayName: fmt.Sprintf("Provider %d", i), HqCountry: countries[i%10]}
				if i%4 == 0 {
					p.Certifications = []*catalogv1.Certification{{Type: catalogv1.CertificationType_CERTIFICATION_TYPE_ISO_27001}}
				}
				if err := benchProviders.Insert(ctx, tx, p.Name, p); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	req := &catalogv1.ListProvidersRequest{Filter: "country = PH AND certification = ISO_27001", PageSize: 50}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Walk five pages of 50, as a user paging through results would.
		token := ""
		for page := 0; page < 5; page++ {
			err := db.Read(ctx, func(tx *sqlstore.Tx) error {
				req.PageToken = token
				got, next, err := benchProviders.Page(ctx, tx, req, docstore.Query{})
				if err != nil {
					return err
				}
				if len(got) != 50 {
					return fmt.Errorf("page %d has %d providers, want 50", page, len(got))
				}
				token = next
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkGet measures reading one document by name, as GetProvider
// does, on SQLite and (with BPO_TEST_POSTGRES_DSN) PostgreSQL: inside a
// read transaction (Read) and as the one statement of a ReadOne. The
// context can be cancelled, as a gRPC call's can, so the drivers watch it
// as they do under a server.
//
//	go test -run '^$' -bench 'Get$' -benchmem ./kit/docstore/
func BenchmarkGet(b *testing.B) {
	for _, dialect := range sqltest.Dialects(b) {
		b.Run(dialect, func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			db := sqltest.Open(b, dialect, "bench", nil)
			p := &catalogv1.Provider{
				Name: "providers/" + ulid.Make().String(), DisplayName: "Provider", LegalName: "Provider Inc.", HqCountry: "PH", BillingCurrency: "USD",
				DeliveryCenters: []*catalogv1.DeliveryCenter{{Name: "Manila", Country: "PH", TimeZone: "Asia/Manila", Languages: []string{"en"}, SeatCapacity: 400}},
				Capabilities:    []*catalogv1.Capability{{Function: catalogv1.BusinessFunction_BUSINESS_FUNCTION_CUSTOMER_SUPPORT, YearsOfExperience: 12}},
			}
			if err := db.Write(ctx, func(tx *sqlstore.Tx) error { return benchProviders.Insert(ctx, tx, p.Name, p) }); err != nil {
				b.Fatal(err)
			}
			get := func(tx *sqlstore.Tx) (*catalogv1.Provider, error) {
				got, _, err := benchProviders.Get(ctx, tx, p.Name)
				return got, err
			}
			for _, read := range []struct {
				name string
				run  func() (*catalogv1.Provider, error)
			}{
				{"Read", func() (*catalogv1.Provider, error) { return sqlstore.Query(ctx, db, get) }},
				{"ReadOne", func() (*catalogv1.Provider, error) { return sqlstore.QueryOne(ctx, db, get) }},
			} {
				b.Run(read.name, func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						got, err := read.run()
						if err != nil || got.GetDisplayName() != "Provider" {
							b.Fatalf("%v, %v", got, err)
						}
					}
				})
			}
		})
	}
}
