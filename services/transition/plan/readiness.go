package plan

import (
	"fmt"
	"strings"

	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/protoenum"
)

// GateTasks is the name of the tasks gate.
const GateTasks = "tasks"

// Readiness evaluates the readiness gates of a plan from its tasks (in plan
// order). spec: transition.md, "Readiness gates".
//
// Only the tasks gate exists so far: the knowledge, training, integration
// and parallel-run gates need resources (knowledge items, training
// sessions, the scope's integrations, parallel-run results) that are not
// built yet. They are left out rather than reported as passing, so that a
// Readiness never claims a check it did not make.
func Readiness(tasks []*transitionv1.Task) *transitionv1.Readiness {
	gates := []*transitionv1.Gate{tasksGate(tasks)}
	r := &transitionv1.Readiness{Ready: true, Gates: gates}
	for _, g := range gates {
		r.Ready = r.Ready && g.GetPassed()
	}
	return r
}

// tasksGate passes when every task of a phase before CUTOVER is DONE or
// SKIPPED; it lists each one that is not, with its phase and state.
func tasksGate(tasks []*transitionv1.Task) *transitionv1.Gate {
	g := &transitionv1.Gate{Gate: GateTasks}
	for _, t := range tasks {
		if t.GetPhase() < transitionv1.Phase_PHASE_CUTOVER && !Finished(t.GetState()) {
			g.Missing = append(g.Missing, fmt.Sprintf("%s task %s is %s", protoenum.Short(t.GetPhase()), Label(t), protoenum.Short(t.GetState())))
		}
	}
	g.Passed = len(g.Missing) == 0
	return g
}

// gateAction says, per gate, what to do about what is missing.
var gateAction = map[string]string{
	GateTasks: "complete or skip these tasks",
}

// maxListed bounds how many missing items a refusal's message lists;
// CheckReadiness lists them all.
const maxListed = 10

// CheckReady refuses a cutover of the plan named plan unless r is ready,
// saying per gate what is missing and what to do.
func CheckReady(plan string, r *transitionv1.Readiness) error {
	if r.GetReady() {
		return nil
	}
	var parts []string
	for _, g := range r.GetGates() {
		if g.GetPassed() {
			continue
		}
		missing := g.GetMissing()
		more := ""
		if len(missing) > maxListed {
			more = fmt.Sprintf(" and %d more", len(missing)-maxListed)
			missing = missing[:maxListed]
		}
		parts = append(parts, fmt.Sprintf("gate %q: %s%s (%s)", g.GetGate(), strings.Join(missing, "; "), more, gateAction[g.GetGate()]))
	}
	return apperr.New(apperr.FailedPrecondition, "%s is not ready for cutover: %s; CheckReadiness lists everything missing",
		plan, strings.Join(parts, "; "))
}
