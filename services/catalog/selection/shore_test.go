package selection_test

import (
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/services/catalog/selection"
	"google.golang.org/genproto/googleapis/type/date"
)

// at is noon of a day in zone.
func at(t *testing.T, zone string, y int, m time.Month, d int) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	return time.Date(y, m, d, 12, 0, 0, 0, loc)
}

func TestShoreModelAndOverlap(t *testing.T) {
	newYork := selection.Client{Country: "US", TimeZone: "America/New_York"}
	london := selection.Client{Country: "GB", TimeZone: "Europe/London"}
	losAngeles := selection.Client{Country: "US", TimeZone: "America/Los_Angeles"}
	center := func(country, zone string) *catalogv1.DeliveryCenter {
		return &catalogv1.DeliveryCenter{Name: zone, Country: country, TimeZone: zone}
	}
	tests := []struct {
		name        string
		client      selection.Client
		center      *catalogv1.DeliveryCenter
		at          time.Time
		wantShore   catalogv1.ShoreModel
		wantOverlap time.Duration
	}{
		// spec example. New York 09–17 EST = 14:00–22:00 UTC; Manila
		// 09–17 PHT (UTC+8) = 01:00–09:00 UTC: no common hour on any
		// weekday. Offsets −5 and +8 are 13 h apart: offshore.
		{"New York and Manila in January", newYork, center("PH", "Asia/Manila"), at(t, "America/New_York", 2026, 1, 14),
			catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE, 0},
		// spec example. Bogotá is UTC−5 all year, like EST in January:
		// the same 8 hours, offsets 0 h apart: nearshore.
		{"New York and Bogota in January", newYork, center("CO", "America/Bogota"), at(t, "America/New_York", 2026, 1, 14),
			catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE, 8 * time.Hour},
		// In July New York is on EDT (UTC−4): 13:00–21:00 UTC against
		// Bogotá's 14:00–22:00 UTC → 7 h; offsets 1 h apart.
		{"New York and Bogota in July (DST)", newYork, center("CO", "America/Bogota"), at(t, "America/New_York", 2026, 7, 15),
			catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE, 7 * time.Hour},
		// Same country is onshore whatever the zones; Chicago 09–17 CST =
		// 15:00–23:00 UTC against 14:00–22:00 → 7 h.
		{"New York and Chicago", newYork, center("US", "America/Chicago"), at(t, "America/New_York", 2026, 1, 14),
			catalogv1.ShoreModel_SHORE_MODEL_ONSHORE, 7 * time.Hour},
		// A 24×7 center is open whenever the client is: 8 h.
		{"New York and a 24x7 center in Manila", newYork, &catalogv1.DeliveryCenter{Name: "Manila", Country: "PH", TimeZone: "Asia/Manila", Operates_24X7: true},
			at(t, "America/New_York", 2026, 1, 14), catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE, 8 * time.Hour},
		// London 09–17 GMT = 09:00–17:00 UTC against 14:00–22:00 → 3 h;
		// offsets 5 h apart: offshore.
		{"New York and London in January", newYork, center("GB", "Europe/London"), at(t, "America/New_York", 2026, 1, 14),
			catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE, 3 * time.Hour},
		// 2026-03-09 (Monday): the US is on EDT since Sunday 8 March, the
		// UK not until 29 March: 13:00–21:00 against 09:00–17:00 → 4 h.
		{"New York and London between the two DST changes", newYork, center("GB", "Europe/London"), at(t, "America/New_York", 2026, 3, 9),
			catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE, 4 * time.Hour},
		// Sunday 8 March belongs to the week of Monday 2 March (EST): 3 h.
		{"a Sunday counts with the week before it", newYork, center("GB", "Europe/London"), at(t, "America/New_York", 2026, 3, 8),
			catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE, 3 * time.Hour},
		// Kolkata is UTC+5:30: 03:30–11:30 UTC against London's
		// 09:00–17:00 → 2.5 h; offsets 5.5 h apart.
		{"half-hour zone", london, center("IN", "Asia/Kolkata"), at(t, "Europe/London", 2026, 1, 14),
			catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE, 150 * time.Minute},
		// Los Angeles 09–17 PST = 17:00–01:00 UTC (+1 day). Auckland is
		// NZDT (UTC+13): its Tuesday 09–17 is Monday 20:00–Tuesday 04:00
		// UTC → 5 h on Monday, and likewise Tuesday to Thursday. On Friday
		// the matching Auckland day is a Saturday: 0 h. (5+5+5+5+0)/5 = 4 h.
		{"across the date line, weekend included", losAngeles, center("NZ", "Pacific/Auckland"), at(t, "America/Los_Angeles", 2026, 1, 14),
			catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE, 4 * time.Hour},
		// Toronto is UTC−5 like New York in January, but another country:
		// nearshore, 8 h.
		{"another country in the same zone", newYork, center("CA", "America/Toronto"), at(t, "America/New_York", 2026, 1, 14),
			catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE, 8 * time.Hour},
		// Fernando de Noronha is UTC−2, exactly 3 h from EST: still
		// nearshore. 09–17 there = 11:00–19:00 UTC against 14:00–22:00 → 5 h.
		{"exactly 3 hours apart is nearshore", newYork, center("BR", "America/Noronha"), at(t, "America/New_York", 2026, 1, 14),
			catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE, 5 * time.Hour},
		// Cape Verde is UTC−1: 4 h from EST: offshore. 09–17 there =
		// 10:00–18:00 UTC → 4 h.
		{"4 hours apart is offshore", newYork, center("CV", "Atlantic/Cape_Verde"), at(t, "America/New_York", 2026, 1, 14),
			catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE, 4 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shore, err := selection.ShoreModel(tt.client, tt.center, tt.at)
			if err != nil || shore != tt.wantShore {
				t.Errorf("ShoreModel = %v, %v; want %v", shore, err, tt.wantShore)
			}
			overlap, err := selection.Overlap(tt.client, tt.center, tt.at)
			if err != nil || overlap != tt.wantOverlap {
				t.Errorf("Overlap = %v, %v; want %v", overlap, err, tt.wantOverlap)
			}
		})
	}
}

func TestReferenceInstant(t *testing.T) {
	now := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	client := selection.Client{Country: "US", TimeZone: "America/New_York"}
	got, err := selection.ReferenceInstant(&date.Date{Year: 2026, Month: 1, Day: 14}, client, now)
	if want := at(t, "America/New_York", 2026, 1, 14); err != nil || !got.Equal(want) {
		t.Errorf("with a go-live date: %v, %v; want noon of that day in the client's zone, %v", got, err, want)
	}
	if got, err := selection.ReferenceInstant(nil, client, now); err != nil || !got.Equal(now) {
		t.Errorf("without a go-live date: %v, %v; want now", got, err)
	}
}

func TestPlacePicksTheBestCenter(t *testing.T) {
	client := selection.Client{Country: "US", TimeZone: "America/New_York"}
	prov := &catalogv1.Provider{DeliveryCenters: []*catalogv1.DeliveryCenter{
		{Name: "Manila", Country: "PH", TimeZone: "Asia/Manila"},
		{Name: "Bogota", Country: "CO", TimeZone: "America/Bogota"},
		{Name: "Toronto", Country: "CA", TimeZone: "America/Toronto"},
		{Name: "New York", Country: "US", TimeZone: "America/New_York"},
	}}
	jan := at(t, "America/New_York", 2026, 1, 14)
	tests := []struct {
		name    string
		centers []string
		want    selection.Placement
	}{
		{"the most overlap wins", []string{"Manila", "Bogota"}, selection.Placement{Center: "Bogota", Shore: catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE, Overlap: 8 * time.Hour}},
		// New York and Bogotá both overlap 8 h: onshore is nearer.
		{"a tie goes to the nearer shore model", []string{"Bogota", "New York"}, selection.Placement{Center: "New York", Shore: catalogv1.ShoreModel_SHORE_MODEL_ONSHORE, Overlap: 8 * time.Hour}},
		{"a full tie goes to the first proposed", []string{"Toronto", "Bogota"}, selection.Placement{Center: "Toronto", Shore: catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE, Overlap: 8 * time.Hour}},
		{"a center the provider no longer has is skipped", []string{"Gone", "Manila"}, selection.Placement{Center: "Manila", Shore: catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := selection.Place(client, prov, tt.centers, jan)
			if err != nil || got != tt.want {
				t.Errorf("Place = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
