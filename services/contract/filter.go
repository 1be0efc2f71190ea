package contract

import (
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/listing"
)

// contractFilter is ListContracts' filter: `state = SIGNED` (or
// CONTRACT_STATE_SIGNED), `engagement = "engagements/…"`, `provider =
// "providers/…"`. A provider user's view is restricted on provider too.
var contractFilter = listing.Schema[*contractv1.Contract]{Fields: []listing.Field[*contractv1.Contract]{
	{Name: "engagement", Values: listing.One((*contractv1.Contract).GetEngagement)},
	{Name: "provider", Values: listing.One((*contractv1.Contract).GetProvider)},
	listing.Enum("state", (*contractv1.Contract).GetState),
}}
