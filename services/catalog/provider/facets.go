package provider

import (
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/docstore"
	"golang.org/x/text/language"
)

// FilterFields are the fields of ListProviders' filter; each is a facet kind.
var FilterFields = []string{"state", "country", "hq_country", "function", "vertical", "certification", "language", "financial_rating"}

// enumPrefix says which prefix a filter value of a field may carry.
var enumPrefix = map[string]string{
	"state":            "PROVIDER_STATE_",
	"function":         "BUSINESS_FUNCTION_",
	"vertical":         "INDUSTRY_",
	"certification":    "CERTIFICATION_TYPE_",
	"financial_rating": "FINANCIAL_RATING_",
}

// NormalizeValue turns a filter value into the facet value stored: enum
// values without their prefix, language tags canonical.
func NormalizeValue(field, value string) string {
	if p, ok := enumPrefix[field]; ok {
		return strings.TrimPrefix(strings.ToUpper(value), p)
	}
	switch field {
	case "language":
		if t, err := language.Parse(value); err == nil {
			return t.String()
		}
	case "country", "hq_country":
		return strings.ToUpper(value)
	}
	return value
}

// Facets lists the values p is filtered by (the store drops duplicates).
func Facets(p *catalogv1.Provider) []docstore.Facet {
	var out []docstore.Facet
	add := func(field, value string) { out = append(out, docstore.Facet{Field: field, Value: value}) }
	add("state", ShortName(p.GetState()))
	add("hq_country", p.GetHqCountry())
	add("country", p.GetHqCountry())
	if r := p.GetFinancialRating(); r != catalogv1.FinancialRating_FINANCIAL_RATING_UNSPECIFIED {
		add("financial_rating", strings.TrimPrefix(r.String(), "FINANCIAL_RATING_"))
	}
	for _, dc := range p.GetDeliveryCenters() {
		add("country", dc.GetCountry())
		for _, l := range dc.GetLanguages() {
			add("language", NormalizeValue("language", l))
		}
	}
	for _, c := range p.GetCapabilities() {
		add("function", strings.TrimPrefix(c.GetFunction().String(), "BUSINESS_FUNCTION_"))
		for _, v := range c.GetVerticals() {
			add("vertical", strings.TrimPrefix(v.String(), "INDUSTRY_"))
		}
	}
	for _, c := range p.GetCertifications() {
		add("certification", strings.TrimPrefix(c.GetType().String(), "CERTIFICATION_TYPE_"))
	}
	return out
}
