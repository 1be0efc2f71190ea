// Package provider holds the rules of the provider resource: what a valid
// provider is, which fields whom may change, its state machine, the facets
// it is filtered by, and its standing. spec: catalog.md, "Provider".
package provider

import (
	"fmt"
	"slices"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/refdata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
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

// Field sets for updates (top-level field names of Provider).
var (
	// Updatable are the fields an update may name at all.
	Updatable = []string{
		"display_name", "website", "hq_country", "billing_currency", "delivery_centers",
		"capabilities", "certifications", "technologies", "financial_rating",
	}
	// ProviderEditable are those a provider user may change on its own
	// provider: its profile, not our assessment of it (rating) nor its
	// identity.
	ProviderEditable = []string{"website", "delivery_centers", "capabilities", "certifications", "technologies"}
	// immutable are set on creation only.
	immutable = []string{"legal_name"}
	// outputOnly are set by the server only.
	outputOnly = []string{"name", "state", "state_reason", "standing", "create_time", "update_time", "etag"}
)

// ApplyMask copies the fields named by paths from src onto dst. An empty
// mask means every updatable field set in src; "*" means every updatable
// field. providerUser restricts the fields to ProviderEditable.
func ApplyMask(dst, src *catalogv1.Provider, paths []string, providerUser bool) error {
	srcR, dstR := src.ProtoReflect(), dst.ProtoReflect()
	fields := srcR.Descriptor().Fields()
	switch {
	case len(paths) == 1 && paths[0] == "*":
		paths = Updatable
	case len(paths) == 0:
		for _, f := range Updatable {
			if srcR.Has(fields.ByName(protoreflect.Name(f))) {
				paths = append(paths, f)
			}
		}
	}
	var v apperr.Violations
	var denied []string
	for _, path := range paths {
		switch {
		case slices.Contains(outputOnly, path):
			v.Add("update_mask", "%s is output only and cannot be updated", path)
		case slices.Contains(immutable, path):
			if proto.Equal(wrap(srcR, path), wrap(dstR, path)) {
				continue // restating the current value is not a change
			}
			v.Add("update_mask", "%s is immutable; create a new provider for a different legal entity", path)
		case !slices.Contains(Updatable, path):
			v.Add("update_mask", "%q is not a field of Provider that can be updated (top-level fields only: %s)", path, strings.Join(Updatable, ", "))
		case providerUser && !slices.Contains(ProviderEditable, path):
			denied = append(denied, path)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if len(denied) > 0 {
		return apperr.New(apperr.PermissionDenied, "a provider user may change only %s, not %s", strings.Join(ProviderEditable, ", "), strings.Join(denied, ", "))
	}
	for _, path := range paths {
		fd := fields.ByName(protoreflect.Name(path))
		if srcR.Has(fd) {
			dstR.Set(fd, srcR.Get(fd))
		} else {
			dstR.Clear(fd)
		}
	}
	return nil
}

// wrap returns a message holding only field path of m, to compare values.
func wrap(m protoreflect.Message, path string) proto.Message {
	fd := m.Descriptor().Fields().ByName(protoreflect.Name(path))
	out := m.New()
	if m.Has(fd) {
		out.Set(fd, m.Get(fd))
	}
	return out.Interface()
}
