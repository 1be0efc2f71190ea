// Package plan holds the rules of a transition plan and its tasks: what a
// valid plan and task are, the task graph (dependencies, cycles), the plan
// and task state machines, and the readiness gates. spec: transition.md.
package plan

import (
	"fmt"
	"slices"
	"strings"

	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/protoenum"
)

// PlanAction is a state change of a plan, one per custom method.
type PlanAction string

// The plan actions.
const (
	StartPlan PlanAction = "start"
	Cutover   PlanAction = "cut over"
	Close     PlanAction = "close"
	Abort     PlanAction = "abort"
)

type planMove struct {
	from []transitionv1.PlanState
	to   transitionv1.PlanState
	// hint says what to do when the plan is in none of from, by state.
	hint map[transitionv1.PlanState]string
}

// planMoves is the plan state machine. spec: transition.md, "state".
// CUTOVER_READY is not entered by a method: it follows from the gates
// (see Settle), and only a CUTOVER_READY plan may cut over (the gates are
// checked again at cutover too). Close ends hypercare (its gate is
// CheckHypercareFinished). Abort abandons a plan before go-live only: once
// LIVE the provider runs the service and the contract has commenced, so
// ending it is the contract's termination, not the plan's abort.
var planMoves = map[PlanAction]planMove{
	StartPlan: {
		from: []transitionv1.PlanState{transitionv1.PlanState_PLAN_STATE_DRAFT},
		to:   transitionv1.PlanState_PLAN_STATE_ACTIVE,
	},
	Cutover: {
		from: []transitionv1.PlanState{transitionv1.PlanState_PLAN_STATE_CUTOVER_READY},
		to:   transitionv1.PlanState_PLAN_STATE_LIVE,
		hint: map[transitionv1.PlanState]string{
			transitionv1.PlanState_PLAN_STATE_DRAFT:  "start it first (StartTransitionPlan), then pass every readiness gate",
			transitionv1.PlanState_PLAN_STATE_ACTIVE: "a plan becomes CUTOVER_READY when every readiness gate passes; CheckReadiness lists what is missing",
		},
	},
	Close: {
		from: []transitionv1.PlanState{transitionv1.PlanState_PLAN_STATE_LIVE},
		to:   transitionv1.PlanState_PLAN_STATE_CLOSED,
		hint: map[transitionv1.PlanState]string{
			transitionv1.PlanState_PLAN_STATE_DRAFT:         "a plan closes after cutover and hypercare; to abandon it, abort it (AbortPlan)",
			transitionv1.PlanState_PLAN_STATE_ACTIVE:        "a plan closes after cutover and hypercare; to abandon it, abort it (AbortPlan)",
			transitionv1.PlanState_PLAN_STATE_CUTOVER_READY: "complete the cutover (CompleteCutover) and hypercare first; to abandon it, abort it (AbortPlan)",
		},
	},
	Abort: {
		from: []transitionv1.PlanState{transitionv1.PlanState_PLAN_STATE_DRAFT, transitionv1.PlanState_PLAN_STATE_ACTIVE, transitionv1.PlanState_PLAN_STATE_CUTOVER_READY},
		to:   transitionv1.PlanState_PLAN_STATE_ABORTED,
		hint: map[transitionv1.PlanState]string{
			transitionv1.PlanState_PLAN_STATE_LIVE: "the service has commenced: finish hypercare and close the plan (ClosePlan); ending the service is a matter for the contract",
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
		names[i] = protoenum.Short(s)
	}
	msg := fmt.Sprintf("cannot %s %s: it is %s; only a plan that is %s can be", action, p.GetName(), protoenum.Short(p.GetState()), strings.Join(names, " or "))
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
		return apperr.New(apperr.FailedPrecondition, "%s is %s; its tasks can no longer be changed", p.GetName(), protoenum.Short(p.GetState()))
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
	return apperr.New(apperr.FailedPrecondition, "%s is %s; its tasks can no longer change state", p.GetName(), protoenum.Short(p.GetState()))
}

// CheckHypercareFinished refuses to close the plan named plan while any
// HYPERCARE task of tasks (in plan order) is not DONE or SKIPPED, listing
// each with its state. spec: transition.md, "CLOSED (after hypercare)";
// "Hypercare tasks follow; ClosePlan ends it". Only hypercare is checked:
// every task before it was finished for the cutover, and the cutover tasks
// themselves are not a condition of hypercare ending.
func CheckHypercareFinished(plan string, tasks []*transitionv1.Task) error {
	var open []string
	for _, t := range tasks {
		if t.GetPhase() == transitionv1.Phase_PHASE_HYPERCARE && !Finished(t.GetState()) {
			open = append(open, fmt.Sprintf("%s is %s", Label(t), protoenum.Short(t.GetState())))
		}
	}
	if len(open) == 0 {
		return nil
	}
	more := ""
	if len(open) > maxListed {
		more = fmt.Sprintf(" and %d more", len(open)-maxListed)
		open = open[:maxListed]
	}
	return apperr.New(apperr.FailedPrecondition, "cannot close %s: hypercare is not finished, these HYPERCARE tasks are open: %s%s; complete or skip them first",
		plan, strings.Join(open, ", "), more)
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
