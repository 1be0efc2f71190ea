// Package provider holds the rules of the provider resource: what a valid
// provider is, which fields whom may change, its state machine and its
// standing. spec: catalog.md, "Provider".
package provider

import (
	"fmt"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/fieldmask"
	"github.com/acme/bpo/kit/refdata"
)

// ValidateNew checks a provider about to be created: the fields required on
// creation and every code it holds. Field paths are prefixed with prefix
// (the request field, "provider").
func ValidateNew(p *catalogv1.Provider, prefix string) error {
	var v apperr.Violations
	required := map[string]string{
		"display_name":     p.GetDisplayName(),
		"legal_name":       p.GetLegalName(),
		"hq_country":       p.GetHqCountry(),
		"billing_currency": p.GetBillingCurrency(),
	}
	for _, f := range []string{"display_name", "legal_name", "hq_country", "billing_currency"} {
		if strings.TrimSpace(required[f]) == "" {
			v.Add(prefix+"."+f, "is required")
		}
	}
	checkCodes(p, prefix, &v)
	return v.Err()
}

// Validate checks a provider after an update: the required fields are
// still set (an update mask may name one without giving a value) and every
// code is valid.
func Validate(p *catalogv1.Provider, prefix string) error {
	var v apperr.Violations
	for _, f := range []struct{ name, val string }{
		{"display_name", p.GetDisplayName()}, {"legal_name", p.GetLegalName()},
		{"hq_country", p.GetHqCountry()}, {"billing_currency", p.GetBillingCurrency()},
	} {
		if strings.TrimSpace(f.val) == "" {
			v.Add(prefix+"."+f.name, "must not be empty")
		}
	}
	checkCodes(p, prefix, &v)
	return v.Err()
}

func checkCodes(p *catalogv1.Provider, prefix string, v *apperr.Violations) {
	if c := p.GetHqCountry(); c != "" {
		if err := refdata.Country(c); err != nil {
			v.Add(prefix+".hq_country", "%v", err)
		}
	}
	if c := p.GetBillingCurrency(); c != "" {
		if err := refdata.Currency(c); err != nil {
			v.Add(prefix+".billing_currency", "%v", err)
		}
	}
	for i, dc := range p.GetDeliveryCenters() {
		path := fmt.Sprintf("%s.delivery_centers[%d]", prefix, i)
		if err := refdata.Country(dc.GetCountry()); err != nil {
			v.Add(path+".country", "%v", err)
		}
		if err := refdata.TimeZone(dc.GetTimeZone()); err != nil {
			v.Add(path+".time_zone", "%v", err)
		}
		for j, l := range dc.GetLanguages() {
			if err := refdata.Language(l); err != nil {
				v.Add(fmt.Sprintf("%s.languages[%d]", path, j), "%v", err)
			}
		}
	}
	for i, c := range p.GetCertifications() {
		if c.GetValidUntil() == nil {
			v.Add(fmt.Sprintf("%s.certifications[%d].valid_until", prefix, i), "is required")
		}
	}
}

// ProviderEditable are the fields a provider user may change on its own
// provider: its profile, not our assessment of it (rating) nor its identity.
var ProviderEditable = []string{"website", "delivery_centers", "capabilities", "certifications", "technologies"}

// ApplyMask copies the fields named by paths from src onto dst (see
// fieldmask.Apply; what is output only or immutable comes from the proto);
// providerUser restricts them to ProviderEditable.
func ApplyMask(dst, src *catalogv1.Provider, paths []string, providerUser bool) error {
	var only []string
	if providerUser {
		only = ProviderEditable
	}
	return fieldmask.Apply(dst, src, paths, "create a new provider for a different legal entity", only)
}
