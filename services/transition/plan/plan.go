// Package plan holds the rules of a transition plan and its tasks: what a
// valid plan and task are, the task graph (dependencies, cycles), the plan
// and task state machines, the readiness gates, and the facets they are
// filtered by. spec: transition.md.
package plan

import (
	"fmt"
	"slices"
	"strings"

	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/apperr"
)

// PlanAction is a state change of a plan, one per custom method.
type PlanAction string

// The plan actions.
const (
	StartPlan PlanAction = "start"
	Cutover   PlanAction = "cut over"
)

type planMove struct {
	from []transitionv1.PlanState
	to   transitionv1.PlanState
	// hint says what to do when the plan is in none of from, by state.
	hint map[transitionv1.PlanState]string
}

// planMoves is the plan state machine. spec: transition.md, "state".
// CUTOVER_READY is not entered by a method: it follows from the gates
// (see Settle). Cutover is allowed from ACTIVE as well, since the gates are
// checked again at cutover; CLOSED and ABORTED come with later methods.
var planMoves = map[PlanAction]planMove{
	StartPlan: {
		from: []transitionv1.PlanState{transitionv1.PlanState_PLAN_STATE_DRAFT},
		to:   transitionv1.PlanState_PLAN_STATE_ACTIVE,
	},
	Cutover: {
		from: []transitionv1.PlanState{transitionv1.PlanState_PLAN_STATE_ACTIVE, transitionv1.PlanState_PLAN_STATE_CUTOVER_READY},
		to:   transitionv1.PlanState_PLAN_STATE_LIVE,
		hint: map[transitionv1.PlanState]string{
			transitionv1.PlanState_PLAN_STATE_DRAFT: "start it first (StartTransitionPlan)",
		},
	},
}

// NextPlanState returns the state of p after action, or FAILED_PRECONDITION
// naming its current state and the states the action needs.
func NextPlanState(p *transitionv1.TransitionPlan, action PlanAction) (transitionv1.PlanState, error) {
	m := planMoves[action]
	if slices.Contains(m.from, p.GetState()) {
		return m.to, nil
	}
	names := make([]string, len(m.from))
	for i, s := range m.from {
		names[i] = PlanStateName(s)
	}
	msg := fmt.Sprintf("cannot %s %s: it is %s; only a plan that is %s can be", action, p.GetName(), PlanStateName(p.GetState()), strings.Join(names, " or "))
	if h := m.hint[p.GetState()]; h != "" {
		msg += "; " + h
	}
	return p.GetState(), apperr.New(apperr.FailedPrecondition, "%s", msg)
}

// Settle returns the state a plan in state takes when its readiness gates
// do (ready) or do not pass: an ACTIVE plan whose gates all pass is
// CUTOVER_READY, and falls back to ACTIVE when a gate stops passing (a new
// pre-cutover task, say). Other states are left alone.
func Settle(state transitionv1.PlanState, ready bool) transitionv1.PlanState {
	switch {
	case state == transitionv1.PlanState_PLAN_STATE_ACTIVE && ready:
		return transitionv1.PlanState_PLAN_STATE_CUTOVER_READY
	case state == transitionv1.PlanState_PLAN_STATE_CUTOVER_READY && !ready:
		return transitionv1.PlanState_PLAN_STATE_ACTIVE
	}
	return state
}

// CheckEditable refuses to add or edit tasks of a plan that is over
// (CLOSED or ABORTED).
func CheckEditable(p *transitionv1.TransitionPlan) error {
	switch p.GetState() {
	case transitionv1.PlanState_PLAN_STATE_CLOSED, transitionv1.PlanState_PLAN_STATE_ABORTED:
		return apperr.New(apperr.FailedPrecondition, "%s is %s; its tasks can no longer be changed", p.GetName(), PlanStateName(p.GetState()))
	}
	return nil
}

// CheckWorking refuses task state changes unless the plan is under way
// (ACTIVE, CUTOVER_READY, or LIVE for hypercare tasks): a DRAFT plan is
// still being prepared.
func CheckWorking(p *transitionv1.TransitionPlan) error {
	switch p.GetState() {
	case transitionv1.PlanState_PLAN_STATE_ACTIVE, transitionv1.PlanState_PLAN_STATE_CUTOVER_READY, transitionv1.PlanState_PLAN_STATE_LIVE:
		return nil
	case transitionv1.PlanState_PLAN_STATE_DRAFT:
		return apperr.New(apperr.FailedPrecondition, "%s is DRAFT; start it (StartTransitionPlan) before working on its tasks", p.GetName())
	}
	return apperr.New(apperr.FailedPrecondition, "%s is %s; its tasks can no longer change state", p.GetName(), PlanStateName(p.GetState()))
}

// Count returns the number of tasks and of those DONE or SKIPPED.
func Count(tasks []*transitionv1.Task) (total, finished int32) {
	for _, t := range tasks {
		total++
		if Finished(t.GetState()) {
			finished++
		}
	}
	return total, finished
}

// PlanStateName is the state without its enum prefix (CUTOVER_READY).
func PlanStateName(s transitionv1.PlanState) string {
	return strings.TrimPrefix(s.String(), "PLAN_STATE_")
}
