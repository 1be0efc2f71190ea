package plan

import (
	"fmt"
	"slices"
	"strings"
	"time"

	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/protoenum"
	"google.golang.org/genproto/googleapis/type/date"
)

// Action is a state change of a task, one per custom method.
type Action string

// The task actions.
const (
	Start    Action = "start"
	Complete Action = "complete"
	Skip     Action = "skip"
	Block    Action = "block"
)

// move is one row of the task state machine: the states an action may
// start from and the state it leads to. Who may take it is the service's
// policy, and whose task it is Authorize's.
type move struct {
	from []transitionv1.TaskState
	to   transitionv1.TaskState
	// next says what a caller should do when the task is in none of from.
	next string
}

// taskMoves is the task state machine. spec: transition.md, "Tasks".
// Completing needs the task started first, so that every DONE task has an
// actual start and finish for the schedule's re-forecast. A task is blocked before or during
// work, with a reason (spec: "BLOCKED (with reason)"), and Start resumes
// it; a finished task has nothing left to block.
var taskMoves = map[Action]move{
	Start: {
		from: []transitionv1.TaskState{transitionv1.TaskState_TASK_STATE_NOT_STARTED, transitionv1.TaskState_TASK_STATE_BLOCKED},
		to:   transitionv1.TaskState_TASK_STATE_IN_PROGRESS,
	},
	Complete: {
		from: []transitionv1.TaskState{transitionv1.TaskState_TASK_STATE_IN_PROGRESS},
		to:   transitionv1.TaskState_TASK_STATE_DONE,
		next: "start it first (StartTask)",
	},
	Block: {
		from: []transitionv1.TaskState{transitionv1.TaskState_TASK_STATE_NOT_STARTED, transitionv1.TaskState_TASK_STATE_IN_PROGRESS},
		to:   transitionv1.TaskState_TASK_STATE_BLOCKED,
	},
	Skip: {
		from: []transitionv1.TaskState{transitionv1.TaskState_TASK_STATE_NOT_STARTED, transitionv1.TaskState_TASK_STATE_IN_PROGRESS, transitionv1.TaskState_TASK_STATE_BLOCKED},
		to:   transitionv1.TaskState_TASK_STATE_SKIPPED,
	},
}

// NextTaskState returns the state of t after action, or FAILED_PRECONDITION
// naming its current state and the states the action needs.
func NextTaskState(t *transitionv1.Task, action Action) (transitionv1.TaskState, error) {
	m := taskMoves[action]
	if slices.Contains(m.from, t.GetState()) {
		return m.to, nil
	}
	names := make([]string, len(m.from))
	for i, s := range m.from {
		names[i] = protoenum.Short(s)
	}
	msg := fmt.Sprintf("cannot %s task %s: it is %s; only a task that is %s can be", action, Label(t), protoenum.Short(t.GetState()), strings.Join(names, " or "))
	if m.next != "" && t.GetState() == transitionv1.TaskState_TASK_STATE_NOT_STARTED {
		msg += "; " + m.next
	}
	return t.GetState(), apperr.New(apperr.FailedPrecondition, "%s", msg)
}

// Caller is who asks for a task change, as the ownership rule sees it.
type Caller struct {
	// ProviderUser is set for whoever holds the provider role, whatever
	// other roles it holds (as for contract signatures, such a user never
	// acts for the client): otherwise a second role, even one that changes
	// nothing, such as evaluator or auditor, would lift the rule.
	ProviderUser bool
	// Provider is the provider a provider user acts for.
	Provider string
}

// Authorize checks that caller may take action on task t of a plan whose
// contracted provider is planProvider: a provider user only on a PROVIDER
// task of its own provider's plan. spec: transition.md, "owner_side": a
// provider user can update only PROVIDER tasks of its own plans.
func Authorize(caller Caller, action Action, t *transitionv1.Task, planProvider string) error {
	if !caller.ProviderUser {
		return nil
	}
	if caller.Provider != planProvider {
		return apperr.New(apperr.PermissionDenied, "a provider user may change only tasks of its own provider's plans (%s)", caller.Provider)
	}
	if t.GetOwnerSide() != transitionv1.OwnerSide_OWNER_SIDE_PROVIDER {
		return apperr.New(apperr.PermissionDenied, "a provider user may %s only PROVIDER tasks; %s is a %s task, for the transition manager", action, Label(t), protoenum.Short(t.GetOwnerSide()))
	}
	return nil
}

// Finished reports whether a task counts as finished: DONE or SKIPPED.
func Finished(s transitionv1.TaskState) bool {
	return s == transitionv1.TaskState_TASK_STATE_DONE || s == transitionv1.TaskState_TASK_STATE_SKIPPED
}

// CheckDependenciesFinished refuses t as DONE (completing it, or adding a
// dependency to a DONE task) while any of its dependencies is not DONE or
// SKIPPED, naming each with its state.
// byName holds the plan's tasks. spec: transition.md, "A task cannot be
// DONE while a dependency is not DONE or SKIPPED".
func CheckDependenciesFinished(t *transitionv1.Task, byName map[string]*transitionv1.Task) error {
	var open []string
	for _, d := range t.GetDependsOn() {
		dep := byName[d.GetTask()]
		if dep == nil {
			continue // cannot happen: dependencies are checked when set
		}
		if !Finished(dep.GetState()) {
			open = append(open, fmt.Sprintf("%s is %s", Label(dep), protoenum.Short(dep.GetState())))
		}
	}
	if len(open) == 0 {
		return nil
	}
	return apperr.New(apperr.FailedPrecondition, "task %s cannot be DONE while its dependencies are not DONE or SKIPPED: %s; complete or skip them first",
		Label(t), strings.Join(open, ", "))
}

// ActualTime is the instant recorded as task t's actual start (action
// Start) or finish (Complete) in plan p: now, or the day given (midnight
// UTC; the schedule counts days in UTC) when recorded after the fact. A
// given day may not be in the future, before the plan's start date, nor
// (finishing) before the task's actual start.
func ActualTime(p *transitionv1.TransitionPlan, t *transitionv1.Task, action Action, day *date.Date, now time.Time) (time.Time, error) {
	if day == nil || (action != Start && action != Complete) {
		return now, nil
	}
	d, _ := Day(day)
	today := time.Date(now.UTC().Year(), now.UTC().Month(), now.UTC().Day(), 0, 0, 0, 0, time.UTC)
	var v apperr.Violations
	if d.After(today) {
		v.Add("actual_date", "%s is in the future (today is %s in UTC); record work when it has happened", d.Format(time.DateOnly), today.Format(time.DateOnly))
	}
	if start, ok := Day(p.GetStartDate()); ok && d.Before(start) {
		v.Add("actual_date", "%s is before the plan's start date %s", d.Format(time.DateOnly), start.Format(time.DateOnly))
	}
	if action == Complete && t.GetActualStart() != nil {
		started := t.GetActualStart().AsTime().UTC()
		if d.Before(time.Date(started.Year(), started.Month(), started.Day(), 0, 0, 0, 0, time.UTC)) {
			v.Add("actual_date", "%s is before the task's actual start %s", d.Format(time.DateOnly), started.Format(time.DateOnly))
		}
	}
	if err := v.Err(); err != nil {
		return now, err
	}
	if d.Equal(today) {
		return now, nil
	}
	return d, nil
}

// CheckDeletable refuses to delete task t of a plan with tasks (in plan
// order) while other tasks depend on it, naming each with how, or once it
// has started or finished.
func CheckDeletable(t *transitionv1.Task, tasks []*transitionv1.Task) error {
	var dependants []string
	for _, x := range tasks {
		for _, d := range x.GetDependsOn() {
			if d.GetTask() == t.GetName() {
				dependants = append(dependants, Label(x))
			}
		}
	}
	if len(dependants) > 0 {
		return apperr.New(apperr.FailedPrecondition, "cannot delete task %s: %s depend on it; remove those dependencies first (UpdateTask)",
			Label(t), strings.Join(dependants, ", "))
	}
	if t.GetState() != transitionv1.TaskState_TASK_STATE_NOT_STARTED {
		return apperr.New(apperr.FailedPrecondition, "cannot delete task %s: it is %s, and its work is part of the plan's record; skip it instead (SkipTask)",
			Label(t), protoenum.Short(t.GetState()))
	}
	return nil
}
