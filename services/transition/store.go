package transition

import (
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/listing"
	"go.einride.tech/aip/resourcename"
)

var (
	planDocs = docstore.Resource(planFilter)
	// Task ids are ULIDs made in template order, so name order is plan
	// order.
	taskDocs = docstore.Resource(taskFilter)
	// Knowledge items, training sessions and parallel-run results, each
	// under its plan; names are ULIDs (creation order) for the first two and
	// the service level's key for results.
	itemDocs    = docstore.Resource(itemFilter)
	sessionDocs = docstore.Resource(sessionFilter)
	resultDocs  = docstore.Resource(listing.Schema[*transitionv1.ParallelRunResult]{})
)

// planClaimPattern names the document that holds a contract's one plan
// (only the plan's name). Its unique name makes two plans for one contract
// impossible on either database, even when two requests race, which a
// look-up alone would not.
const planClaimPattern = "contracts/{contract}/transitionPlan"

var planClaims = docstore.Internal[*transitionv1.TransitionPlan](planClaimPattern, listing.Schema[*transitionv1.TransitionPlan]{})

// planClaim is the name of contract's plan claim.
func planClaim(contract contractv1.ContractResourceName) string {
	return resourcename.Sprint(planClaimPattern, contract.Contract)
}

// baselinePattern names the document that holds a plan's latest baseline:
// a Schedule frozen by SaveBaseline. Only the latest is kept there; each
// earlier one is the "before" of the audit record that replaced it.
const baselinePattern = "transitionPlans/{transition_plan}/baseline"

var baselines = docstore.Internal[*transitionv1.Schedule](baselinePattern, listing.Schema[*transitionv1.Schedule]{})

// baselineOf is the name of plan's baseline.
func baselineOf(plan transitionv1.TransitionPlanResourceName) string {
	return resourcename.Sprint(baselinePattern, plan.TransitionPlan)
}

// Collections are the documents the transition service keeps (bpo serve
// prepares them at start-up).
var Collections = []docstore.Preparer{planDocs, taskDocs, planClaims, baselines, itemDocs, sessionDocs, resultDocs}
