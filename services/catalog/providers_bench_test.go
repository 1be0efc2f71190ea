package catalog

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/proto"
)

// BenchmarkListProviders100k measures ListProviders over 100 000
// providers on SQLite: a page of 50 with a filter, with and without a
// shore model relative to a client in New York (issue 10's goal: p50 ≤ 20
// ms for a filtered page). Loading takes about a minute:
//
//	go test ./services/catalog/ -run '^$' -bench ListProviders100k
//
// Each call is the handler alone (no network); every fourth starts again
// from the first page, the others follow the next-page token. Besides
// ns/op it reports the p50 and p90 of the calls.
func BenchmarkListProviders100k(b *testing.B) {
	ctx := context.Background()
	db := sqltest.Open(b, sqltest.SQLite, "catalog", nil)
	if err := docstore.Prepare(ctx, db, Collections...); err != nil {
		b.Fatal(err)
	}
	s := NewWithClock(db, func() time.Time { return time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) })

	type loc struct{ country, zone string }
	locs := []loc{
		{"PH", "Asia/Manila"}, {"IN", "Asia/Kolkata"}, {"CO", "America/Bogota"}, {"MX", "America/Mexico_City"},
		{"US", "America/Chicago"}, {"US", "America/New_York"}, {"CA", "America/Halifax"}, {"PL", "Europe/Warsaw"},
		{"ZA", "Africa/Johannesburg"}, {"AR", "America/Argentina/Buenos_Aires"}, {"EG", "Africa/Cairo"}, {"BR", "America/Sao_Paulo"},
	}
	certs := []catalogv1.CertificationType{catalogv1.CertificationType_CERTIFICATION_TYPE_ISO_27001, catalogv1.CertificationType_CERTIFICATION_TYPE_PCI_DSS, catalogv1.CertificationType_CERTIFICATION_TYPE_COPC}
	rng := rand.New(rand.NewPCG(1, 2))
	const total, batch = 100_000, 5_000
	start := time.Now()
	for i := 0; i < total; i += batch {
		err := db.Write(ctx, func(tx *sqlstore.Tx) error {
			for j := range batch {
				n := i + j
				var centers []*catalogv1.DeliveryCenter
				for k := range 1 + rng.IntN(3) {
					l := locs[rng.IntN(len(locs))]
					centers = append(centers, &catalogv1.DeliveryCenter{Name: fmt.Sprintf("c%d", k), Country: l.country, TimeZone: l.zone, Languages: []string{"en"}, SeatCapacity: 100})
				}
				p := &catalogv1.Provider{
					Name:            catalogv1.ProviderResourceName{Provider: names.NewID()}.String(),
					DisplayName:     fmt.Sprintf("Provider %d", n),
					LegalName:       fmt.Sprintf("Provider %d Ltd", n),
					HqCountry:       centers[0].GetCountry(),
					BillingCurrency: "USD",
					DeliveryCenters: centers,
					Capabilities:    []*catalogv1.Capability{{Function: catalogv1.BusinessFunction(1 + rng.IntN(15))}},
					Certifications:  []*catalogv1.Certification{{Type: certs[rng.IntN(len(certs))], ValidUntil: &date.Date{Year: 2029, Month: 1, Day: 1}}},
					State:           catalogv1.ProviderState_PROVIDER_STATE_ACTIVE,
				}
				if err := providerDocs.Insert(ctx, tx, p.GetName(), p); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("loaded %d providers in %s", total, time.Since(start).Round(time.Second))

	caller := auth.WithPrincipal(ctx, &auth.Principal{Subject: "bench", Roles: []auth.Role{auth.SourcingManager}})
	january := &date.Date{Year: 2027, Month: 1, Day: 11}
	for _, c := range []struct {
		name string
		req  *catalogv1.ListProvidersRequest
	}{
		{"filter only", &catalogv1.ListProvidersRequest{Filter: "certification = ISO_27001 AND function = CUSTOMER_SUPPORT", PageSize: 50}},
		{"nearshore of New York + filter", &catalogv1.ListProvidersRequest{Filter: "certification = ISO_27001 AND function = CUSTOMER_SUPPORT", PageSize: 50,
			ShoreModel: catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE, ClientCountry: "US", ClientTimeZone: "America/New_York", ShoreDate: january}},
		{"offshore of New York", &catalogv1.ListProvidersRequest{PageSize: 50,
			ShoreModel: catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE, ClientCountry: "US", ClientTimeZone: "America/New_York", ShoreDate: january}},
	} {
		b.Run(c.name, func(b *testing.B) {
			var d []time.Duration
			var token string
			i := 0
			for b.Loop() {
				req := proto.CloneOf(c.req)
				if i%4 != 0 {
					req.PageToken = token // walk pages too, not only the first
				}
				i++
				t0 := time.Now()
				resp, err := s.ListProviders(caller, req)
				d = append(d, time.Since(t0))
				if err != nil {
					b.Fatalf("%s: %v", c.name, err)
				}
				if len(resp.GetProviders()) == 0 {
					b.Fatalf("%s: an empty page", c.name)
				}
				token = resp.GetNextPageToken()
			}
			slices.Sort(d)
			b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(d[len(d)*9/10].Microseconds())/1000, "p90-ms")
		})
	}
}
