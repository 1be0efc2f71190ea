package catalog

import (
	"slices"
	"strings"
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/listing"
)

// facetSet is what the store indexes of a resource's facets: each
// (field, value) once, empty values dropped (kit/docstore), sorted here so
// that rows can list them by hand.
func facetSet(fs []listing.Facet) []listing.Facet {
	var out []listing.Facet
	for _, f := range fs {
		if f.Value != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b listing.Facet) int {
		return strings.Compare(a.Field+"\x00"+a.Value, b.Field+"\x00"+b.Value)
	})
	return out
}

func TestProviderFacets(t *testing.T) {
	tests := []struct {
		name string
		p    *catalogv1.Provider
		want []listing.Facet // sorted by field, then value
	}{
		{
			name: "every filterable value of a full profile",
			p: &catalogv1.Provider{
				State:           catalogv1.ProviderState_PROVIDER_STATE_SUSPENDED,
				HqCountry:       "PH",
				FinancialRating: catalogv1.FinancialRating_FINANCIAL_RATING_B,
				DeliveryCenters: []*catalogv1.DeliveryCenter{
					{Country: "PH", Languages: []string{"en", "tl"}},
					{Country: "CO", Languages: []string{"es-co", "en"}},
				},
				Capabilities: []*catalogv1.Capability{
					{Function: catalogv1.BusinessFunction_BUSINESS_FUNCTION_CUSTOMER_SUPPORT, Verticals: []catalogv1.Industry{catalogv1.Industry_INDUSTRY_RETAIL, catalogv1.Industry_INDUSTRY_TELECOM}},
					{Function: catalogv1.BusinessFunction_BUSINESS_FUNCTION_SALES, Verticals: []catalogv1.Industry{catalogv1.Industry_INDUSTRY_RETAIL}},
				},
				Certifications: []*catalogv1.Certification{
					{Type: catalogv1.CertificationType_CERTIFICATION_TYPE_ISO_27001},
					{Type: catalogv1.CertificationType_CERTIFICATION_TYPE_PCI_DSS},
				},
			},
			// country: the headquarters (PH) and every center (PH, CO);
			// languages canonical as filters normalise them: es-co → es-CO,
			// and tl → fil (CLDR's canonical tag for Filipino).
			want: []listing.Facet{
				{Field: "certification", Value: "ISO_27001"},
				{Field: "certification", Value: "PCI_DSS"},
				{Field: "country", Value: "CO"},
				{Field: "country", Value: "PH"},
				{Field: "financial_rating", Value: "B"},
				{Field: "function", Value: "CUSTOMER_SUPPORT"},
				{Field: "function", Value: "SALES"},
				{Field: "hq_country", Value: "PH"},
				{Field: "language", Value: "en"},
				{Field: "language", Value: "es-CO"},
				{Field: "language", Value: "fil"},
				{Field: "state", Value: "SUSPENDED"},
				{Field: "vertical", Value: "RETAIL"},
				{Field: "vertical", Value: "TELECOM"},
			},
		},
		{
			name: "unrated provider without centers",
			p:    &catalogv1.Provider{State: catalogv1.ProviderState_PROVIDER_STATE_ACTIVE, HqCountry: "US"},
			want: []listing.Facet{
				{Field: "country", Value: "US"},
				{Field: "hq_country", Value: "US"},
				{Field: "state", Value: "ACTIVE"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := facetSet(providerFilter.Facets(tt.p)); !slices.Equal(got, tt.want) {
				t.Fatalf("Facets =\n%v\nwant\n%v", got, tt.want)
			}
		})
	}
}

func TestProviderFilterSpellsValuesAsTheyAreIndexed(t *testing.T) {
	tests := []struct {
		name, filter, want string
	}{
		{"state without prefix", "state = ACTIVE", "ACTIVE"},
		{"state with prefix", "state = PROVIDER_STATE_ACTIVE", "ACTIVE"},
		{"state in lower case", "state = provider_state_blocked", "BLOCKED"},
		{"function with prefix", "function = BUSINESS_FUNCTION_CUSTOMER_SUPPORT", "CUSTOMER_SUPPORT"},
		{"vertical", "vertical = industry_retail", "RETAIL"},
		{"certification", "certification = iso_27001", "ISO_27001"},
		{"financial rating", "financial_rating = b", "B"},
		{"country in lower case", "country = ph", "PH"},
		{"headquarters country", "hq_country = co", "CO"},
		{"language canonicalised", "language = ES-mx", "es-MX"},
		{"language alias canonicalised as the facet is", "language = tl", "fil"},
		{"language that is not a tag is kept", `language = "!!"`, "!!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			terms, err := providerFilter.Parse(tt.filter)
			if err != nil || len(terms) != 1 || terms[0].Value != tt.want {
				t.Fatalf("Parse(%q) = %v, %v; want the value %q", tt.filter, terms, err, tt.want)
			}
		})
	}
}

func TestACallerCannotFilterOnTheAwardedProvider(t *testing.T) {
	if _, err := engagementFilter.Parse("provider = providers/P1"); err == nil {
		t.Fatal("engagements filtered by the server's own restriction facet")
	}
}
