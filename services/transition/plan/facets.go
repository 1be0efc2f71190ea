package plan

import (
	"strings"

	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/docstore"
)

// PlanFilterFields are the fields of ListTransitionPlans' filter. The
// provider facet (PlanFacets) is not one of them: it is how a provider
// user's list is restricted to its own plans.
var PlanFilterFields = []string{"contract", "engagement", "state"}

// TaskFilterFields are the fields of ListTasks' filter.
var TaskFilterFields = []string{"phase", "state", "owner_side"}

// taskEnumPrefix says which prefix a ListTasks filter value may carry.
var taskEnumPrefix = map[string]string{
	"state":      "TASK_STATE_",
	"phase":      "PHASE_",
	"owner_side": "OWNER_SIDE_",
}

// NormalizePlanValue turns a ListTransitionPlans filter value into the facet
// value stored: a state without its prefix (ACTIVE or PLAN_STATE_ACTIVE).
func NormalizePlanValue(field, value string) string {
	if field == "state" {
		return strings.TrimPrefix(strings.ToUpper(value), "PLAN_STATE_")
	}
	return value
}

// NormalizeTaskValue turns a ListTasks filter value into the facet value
// stored: enum values without their prefix.
func NormalizeTaskValue(field, value string) string {
	if p, ok := taskEnumPrefix[field]; ok {
		return strings.TrimPrefix(strings.ToUpper(value), p)
	}
	return value
}

// PlanFacets lists the values a plan is filtered by.
func PlanFacets(p *transitionv1.TransitionPlan) []docstore.Facet {
	return []docstore.Facet{
		{Field: "contract", Value: p.GetContract()},
		{Field: "engagement", Value: p.GetEngagement()},
		{Field: "provider", Value: p.GetProvider()},
		{Field: "state", Value: PlanStateName(p.GetState())},
	}
}

// TaskFacets lists the values a task is filtered by.
func TaskFacets(t *transitionv1.Task) []docstore.Facet {
	return []docstore.Facet{
		{Field: "phase", Value: PhaseName(t.GetPhase())},
		{Field: "state", Value: TaskStateName(t.GetState())},
		{Field: "owner_side", Value: SideName(t.GetOwnerSide())},
	}
}
