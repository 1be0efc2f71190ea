package contract

import (
	"fmt"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/services/contract/terms"
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

// revisionPattern names a stored revision of a signed contract: the
// contract's terms as signed (revision 1) or as an amendment changed them,
// with its revision id and effective date. Revisions are written once and
// never changed; GetContract with a revision id and GetEffectiveContract
// read them. The stored id is the revision number padded to six digits
// (`000002`), so that name order is revision order.
const revisionPattern = "contracts/{contract}/revisions/{revision}"

var revisions = docstore.Internal[*contractv1.Contract](revisionPattern, listing.Schema[*contractv1.Contract]{})

// revisionName is the name of revision id of contract.
func revisionName(contract contractv1.ContractResourceName, id string) string {
	return resourcename.Sprint(revisionPattern, contract.Contract, fmt.Sprintf("%06d", terms.RevisionNumber(id)))
}

// Collections are the documents the contract service keeps (bpo serve
// prepares them at start-up).
var Collections = []docstore.Preparer{contracts, liveContracts, revisions, amendments}
