package catalog

import (
	"strconv"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/listing"
	"go.einride.tech/aip/resourcename"
	"golang.org/x/text/language"
)

// Collections are every kind of document the catalog keeps; bpo serve
// prepares them at start-up.
var Collections = append([]docstore.Preparer{
	providerDocs, processDocs, assessmentDocs, policyDocs, engagementDocs, scopeDocs, scopeRevisionDocs,
}, sourcingCollections...)

var (
	providerDocs   = docstore.Resource(providerFilter)
	processDocs    = docstore.Resource(processFilter)
	assessmentDocs = docstore.Resource(listing.Schema[*catalogv1.Assessment]{})
	// policyDocs holds the one assessment policy, once an admin changed
	// the defaults.
	policyDocs     = docstore.Resource(listing.Schema[*catalogv1.AssessmentPolicy]{})
	engagementDocs = docstore.Resource(engagementFilter)
	// scopeDocs holds the latest revision of each engagement's scope: the
	// one being written, reviewed or last approved.
	scopeDocs = docstore.Resource(listing.Schema[*catalogv1.Scope]{})
	// scopeRevisionDocs keeps each approved scope revision frozen under
	// its number, so that a sourcing event can name the revision it was
	// published on and GetScope can serve it after a newer one was started.
	scopeRevisionDocs = docstore.Internal(scopeRevisionPattern, listing.Schema[*catalogv1.Scope]{})
)

const scopeRevisionPattern = "engagements/{engagement}/scopeRevisions/{revision}"

// scopeRevisionName is where approved revision n of the scope of
// engagement is kept.
func scopeRevisionName(engagement catalogv1.EngagementResourceName, n int64) string {
	return resourcename.Sprint(scopeRevisionPattern, engagement.Engagement, strconv.FormatInt(n, 10))
}

// providerFilter is ListProviders' filter. country is where a provider
// works: its headquarters and every delivery center.
var providerFilter = listing.Schema[*catalogv1.Provider]{Fields: []listing.Field[*catalogv1.Provider]{
	listing.Enum("state", (*catalogv1.Provider).GetState),
	{Name: "country", Values: providerCountries, Normalize: strings.ToUpper},
	{Name: "hq_country", Values: listing.One((*catalogv1.Provider).GetHqCountry), Normalize: strings.ToUpper},
	listing.Enums("function", func(p *catalogv1.Provider) []catalogv1.BusinessFunction {
		var out []catalogv1.BusinessFunction
		for _, c := range p.GetCapabilities() {
			out = append(out, c.GetFunction())
		}
		return out
	}),
	listing.Enums("vertical", func(p *catalogv1.Provider) []catalogv1.Industry {
		var out []catalogv1.Industry
		for _, c := range p.GetCapabilities() {
			out = append(out, c.GetVerticals()...)
		}
		return out
	}),
	listing.Enums("certification", func(p *catalogv1.Provider) []catalogv1.CertificationType {
		var out []catalogv1.CertificationType
		for _, c := range p.GetCertifications() {
			out = append(out, c.GetType())
		}
		return out
	}),
	{Name: "language", Values: providerLanguages, Normalize: canonicalLanguage},
	listing.Enum("financial_rating", (*catalogv1.Provider).GetFinancialRating),
}}

func providerCountries(p *catalogv1.Provider) []string {
	out := []string{p.GetHqCountry()}
	for _, dc := range p.GetDeliveryCenters() {
		out = append(out, dc.GetCountry())
	}
	return out
}

func providerLanguages(p *catalogv1.Provider) []string {
	var out []string
	for _, dc := range p.GetDeliveryCenters() {
		for _, l := range dc.GetLanguages() {
			out = append(out, canonicalLanguage(l))
		}
	}
	return out
}

// canonicalLanguage spells a language tag the one way it is indexed and
// filtered by (es-co → es-CO, tl → fil), so that any spelling finds it; a
// value that is no tag is kept, and finds nothing.
func canonicalLanguage(s string) string {
	if t, err := language.Parse(s); err == nil {
		return t.String()
	}
	return s
}

// processFilter is ListProcesses' filter; recommendation is the latest
// assessment's.
var processFilter = listing.Schema[*catalogv1.Process]{Fields: []listing.Field[*catalogv1.Process]{
	listing.Enum("function", (*catalogv1.Process).GetFunction),
	{Name: "business_unit", Values: listing.One((*catalogv1.Process).GetBusinessUnit)},
	{Name: "home_country", Values: listing.One((*catalogv1.Process).GetHomeCountry), Normalize: strings.ToUpper},
	listing.Enum("recommendation", (*catalogv1.Process).GetLatestRecommendation),
}}

// engagementFilter is ListEngagements' filter. The awarded provider is
// indexed for the server's own restrictions, not for callers.
var engagementFilter = listing.Schema[*catalogv1.Engagement]{Fields: []listing.Field[*catalogv1.Engagement]{
	{Name: "owner", Values: listing.One((*catalogv1.Engagement).GetOwner)},
	{Name: "provider", Values: func(e *catalogv1.Engagement) []string { return []string{e.GetAward().GetProvider()} }, Restriction: true},
}}
