// Package selection holds the rules of step 3, "select": the sourcing
// event's state machine and criteria, what a new event must hold (new.go)
// and when it may be published (publish.go), the proposal's validation, total
// contract value and sealing, the shore model and business-hours overlap of
// a delivery center, the compliance gate, the scores, totals and ranking
// of the qualified proposals, and the moderation of flagged scores (a
// sourcing manager's confirmation of a spread of more than 4 points, in
// force while the lowest and highest scores are unchanged: moderation.go).
// Plain Go: no gRPC, no SQL.
// spec: catalog.md §3 "Select".
package selection

import (
	"slices"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/protoenum"
)

// Action is a change of a sourcing event's state.
type Action string

// The actions: one per custom method, plus the automatic evaluate.
const (
	Publish  Action = "publish"
	Close    Action = "close"
	Evaluate Action = "evaluate" // automatic, when every evaluator scored every qualified proposal
	Award    Action = "award"    // propose the award; the state stays EVALUATED
	Approve  Action = "approve the award of"
	Cancel   Action = "cancel"
	Withdraw Action = "withdraw the award of"
)

type (
	eventState = catalogv1.SourcingEventState
	transition struct {
		from []eventState
		to   eventState
		// hint says what to do when the action is refused.
		hint string
	}
)

const (
	draft     = catalogv1.SourcingEventState_SOURCING_EVENT_STATE_DRAFT
	published = catalogv1.SourcingEventState_SOURCING_EVENT_STATE_PUBLISHED
	closed    = catalogv1.SourcingEventState_SOURCING_EVENT_STATE_CLOSED
	evaluated = catalogv1.SourcingEventState_SOURCING_EVENT_STATE_EVALUATED
	awarded   = catalogv1.SourcingEventState_SOURCING_EVENT_STATE_AWARDED
	cancelled = catalogv1.SourcingEventState_SOURCING_EVENT_STATE_CANCELLED
)

// transitions is the sourcing event's state machine.
// spec: catalog.md §3 "Sourcing event", states.
var transitions = map[Action]transition{
	Publish:  {[]eventState{draft}, published, "only a DRAFT event can be published"},
	Close:    {[]eventState{published}, closed, "only a PUBLISHED event can be closed"},
	Evaluate: {[]eventState{closed}, evaluated, "only a CLOSED event can become EVALUATED"},
	Award:    {[]eventState{evaluated}, evaluated, "an award can be proposed once every evaluator has scored every qualified proposal (EVALUATED)"},
	Approve:  {[]eventState{evaluated}, awarded, "an award can be approved only on an EVALUATED event with a proposed award"},
	Cancel:   {[]eventState{draft, published, closed, evaluated}, cancelled, "an event can be cancelled only before it is AWARDED"},
	// The awarded provider withdrew before a contract was signed: the
	// event is EVALUATED again, for the award to pass on.
	Withdraw: {[]eventState{awarded}, evaluated, "only an AWARDED event's award can be withdrawn"},
}

// Next returns the state after action from state, or FAILED_PRECONDITION
// naming the current state and what the action needs.
func Next(state eventState, action Action) (eventState, error) {
	t := transitions[action]
	if slices.Contains(t.from, state) {
		return t.to, nil
	}
	return state, apperr.New(apperr.FailedPrecondition, "cannot %s a sourcing event that is %s: %s", action, protoenum.Short(state), t.hint)
}

// DefaultCriteria are the spec's weights.
// spec: catalog.md §3 "Sourcing event", criteria.
func DefaultCriteria() []*catalogv1.CriterionWeight {
	return []*catalogv1.CriterionWeight{
		{Criterion: catalogv1.Criterion_CRITERION_EXPERTISE, Weight: 20},
		{Criterion: catalogv1.Criterion_CRITERION_TECHNOLOGY, Weight: 10},
		{Criterion: catalogv1.Criterion_CRITERION_COMMUNICATION, Weight: 10},
		{Criterion: catalogv1.Criterion_CRITERION_SCALABILITY, Weight: 10},
		{Criterion: catalogv1.Criterion_CRITERION_SECURITY_COMPLIANCE, Weight: 15},
		{Criterion: catalogv1.Criterion_CRITERION_LOCATION, Weight: 5},
		{Criterion: catalogv1.Criterion_CRITERION_COST, Weight: 30},
	}
}

// Automatic reports whether the system scores c (cost from the TCV,
// location from the shore model) rather than the evaluators.
func Automatic(c catalogv1.Criterion) bool {
	return c == catalogv1.Criterion_CRITERION_COST || c == catalogv1.Criterion_CRITERION_LOCATION
}

// Scored returns the criteria the evaluators score: every criterion of the
// event with a weight above zero that is not automatic.
func Scored(criteria []*catalogv1.CriterionWeight) []catalogv1.Criterion {
	var out []catalogv1.Criterion
	for _, c := range criteria {
		if c.GetWeight() > 0 && !Automatic(c.GetCriterion()) {
			out = append(out, c.GetCriterion())
		}
	}
	return out
}

// CheckCriteria adds a violation to v when the criteria (already defaulted)
// repeat one or do not sum to 100. field is the request's path to them.
func CheckCriteria(criteria []*catalogv1.CriterionWeight, field string, v *apperr.Violations) {
	seen := map[catalogv1.Criterion]bool{}
	sum := int32(0)
	for i, c := range criteria {
		if seen[c.GetCriterion()] {
			v.Add(indexed(field, i)+".criterion", "%s is listed twice; list each criterion once", protoenum.Short(c.GetCriterion()))
		}
		seen[c.GetCriterion()] = true
		sum += c.GetWeight()
	}
	if sum != 100 {
		v.Add(field, "the weights sum to %d; they must sum to 100", sum)
	}
}
