package contract

import (
	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/listing"
	"go.einride.tech/aip/resourcename"
)

// contracts are the contracts, found by the filter of ListContracts.
var contracts = docstore.Resource(contractFilter)

// liveContractPattern names the document that holds an engagement's one
// live contract: its unique name makes two concurrent drafts for one
// engagement impossible on either database, which a look-up alone would
// not. It holds only the contract's name; termination releases it
// (releaseEngagement).
const liveContractPattern = "engagements/{engagement}/liveContract"

var liveContracts = docstore.Internal[*contractv1.Contract](liveContractPattern, listing.Schema[*contractv1.Contract]{})

// liveContract is the name of engagement's live-contract document.
func liveContract(engagement catalogv1.EngagementResourceName) string {
	return resourcename.Sprint(liveContractPattern, engagement.Engagement)
}

// Collections are the documents the contract service keeps (bpo serve
// prepares them at start-up).
var Collections = []docstore.Preparer{contracts, liveContracts}
