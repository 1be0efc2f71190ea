package catalog_test

import (
	"slices"
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/auth"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/codes"
)

// ListProviders by shore model relative to a client in Phoenix (UTC−7
// all year, no DST). Halifax is UTC−4 in January and UTC−3 (ADT) in July:
// 3 h from Phoenix in January (NEARSHORE), 4 h in July (OFFSHORE).
// Bogotá is UTC−5 all year (2 h: NEARSHORE), Manila UTC+8 (15 h:
// OFFSHORE), Chicago is in the client's country (ONSHORE).
func TestListProvidersByShoreModel(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		mk := func(display, country, center, zone string) string {
			p := newProvider(display)
			p.HqCountry = country
			p.DeliveryCenters = []*catalogv1.DeliveryCenter{{Name: center, Country: country, TimeZone: zone, Languages: []string{"en"}}}
			return e.create(t, p).GetName()
		}
		manila := mk("Manila Co", "PH", "Manila", "Asia/Manila")
		bogota := mk("Bogota Co", "CO", "Bogota", "America/Bogota")
		chicago := mk("Chicago Co", "US", "Chicago", "America/Chicago")
		halifax := mk("Halifax Co", "CA", "Halifax", "America/Halifax")

		january, july := &date.Date{Year: 2027, Month: 1, Day: 11}, &date.Date{Year: 2027, Month: 7, Day: 12}
		list := func(shore catalogv1.ShoreModel, day *date.Date, filter string, pageSize int32) []string {
			t.Helper()
			var out []string
			req := &catalogv1.ListProvidersRequest{ShoreModel: shore, ClientCountry: "US", ClientTimeZone: "America/Phoenix", ShoreDate: day, Filter: filter, PageSize: pageSize}
			for range 20 {
				resp, err := e.client.ListProviders(e.as(t, auth.SourcingManager), req)
				must(t, "ListProviders", err)
				for _, p := range resp.GetProviders() {
					out = append(out, p.GetName())
				}
				if resp.GetNextPageToken() == "" {
					return out
				}
				req.PageToken = resp.GetNextPageToken()
			}
			t.Fatal("never the last page")
			return nil
		}
		near, off, on := catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE, catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE, catalogv1.ShoreModel_SHORE_MODEL_ONSHORE
		for _, tt := range []struct {
			name  string
			shore catalogv1.ShoreModel
			day   *date.Date
			want  []string
		}{
			{"nearshore in January", near, january, []string{bogota, halifax}},
			{"nearshore in July: Halifax is on daylight time", near, july, []string{bogota}},
			{"offshore in January", off, january, []string{manila}},
			{"offshore in July", off, july, []string{manila, halifax}},
			{"onshore", on, july, []string{chicago}},
		} {
			for _, size := range []int32{1, 50} {
				if got := list(tt.shore, tt.day, "", size); !slices.Equal(got, tt.want) {
					t.Errorf("%s (page size %d): %v, want %v", tt.name, size, got, tt.want)
				}
			}
		}
		// With a filter: only Halifax and Bogotá are nearshore in January;
		// of them only Halifax's headquarters are in CA.
		if got := list(near, january, "hq_country = CA", 50); !slices.Equal(got, []string{halifax}) {
			t.Errorf("nearshore with a filter: %v", got)
		}

		_, err := e.client.ListProviders(e.as(t, auth.SourcingManager), &catalogv1.ListProvidersRequest{ShoreModel: near})
		wantViolations(t, err, "client_country", "client_time_zone")
		_, err = e.client.ListProviders(e.as(t, auth.SourcingManager), &catalogv1.ListProvidersRequest{ClientCountry: "US"})
		wantViolations(t, err, "shore_model")
		// A token of another question is refused.
		first, err := e.client.ListProviders(e.as(t, auth.SourcingManager), &catalogv1.ListProvidersRequest{ShoreModel: near, ClientCountry: "US", ClientTimeZone: "America/Phoenix", ShoreDate: january, PageSize: 1})
		must(t, "first page", err)
		_, err = e.client.ListProviders(e.as(t, auth.SourcingManager), &catalogv1.ListProvidersRequest{ShoreModel: off, ClientCountry: "US", ClientTimeZone: "America/Phoenix", ShoreDate: january, PageSize: 1, PageToken: first.GetNextPageToken()})
		wantCode(t, err, codes.InvalidArgument)
		// A provider user sees only its own, shore or not.
		own, err := e.client.ListProviders(e.asProvider(t, halifax), &catalogv1.ListProvidersRequest{ShoreModel: near, ClientCountry: "US", ClientTimeZone: "America/Phoenix", ShoreDate: january})
		if err != nil || len(own.GetProviders()) != 1 || own.GetProviders()[0].GetName() != halifax {
			t.Errorf("provider user lists %v (%v)", own.GetProviders(), err)
		}
	})
}
