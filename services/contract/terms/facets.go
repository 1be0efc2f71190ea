package terms

import (
	"strings"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/docstore"
)

// FilterFields are the fields of ListContracts' filter; each is a facet.
var FilterFields = []string{"engagement", "provider", "state"}

// NormalizeValue turns a filter value into the facet value stored: a state
// without its enum prefix (`state = SIGNED` and `state =
// CONTRACT_STATE_SIGNED` are the same filter).
func NormalizeValue(field, value string) string {
	if field == "state" {
		return strings.TrimPrefix(strings.ToUpper(value), "CONTRACT_STATE_")
	}
	return value
}

// Facets lists the values c is filtered by.
func Facets(c *contractv1.Contract) []docstore.Facet {
	return []docstore.Facet{
		{Field: "engagement", Value: c.GetEngagement()},
		{Field: "provider", Value: c.GetProvider()},
		{Field: "state", Value: ShortName(c.GetState())},
	}
}
