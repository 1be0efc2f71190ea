package plan_test

import (
	"fmt"
	"strings"
	"testing"

	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/services/transition/plan"
)

const (
	notStarted = transitionv1.TaskState_TASK_STATE_NOT_STARTED
	inProgress = transitionv1.TaskState_TASK_STATE_IN_PROGRESS
	blocked    = transitionv1.TaskState_TASK_STATE_BLOCKED
	done       = transitionv1.TaskState_TASK_STATE_DONE
	skipped    = transitionv1.TaskState_TASK_STATE_SKIPPED
)

func TestNextTaskState(t *testing.T) {
	tests := []struct {
		name   string
		from   transitionv1.TaskState
		action plan.Action
		want   transitionv1.TaskState
		// wantErr is a substring of the refusal; empty means allowed.
		wantErr string
	}{
		{"start a new task", notStarted, plan.Start, inProgress, ""},
		{"resume a blocked task", blocked, plan.Start, inProgress, ""},
		{"start twice", inProgress, plan.Start, inProgress, "it is IN_PROGRESS; only a task that is NOT_STARTED or BLOCKED can be"},
		{"complete a started task", inProgress, plan.Complete, done, ""},
		{"complete without starting says to start", notStarted, plan.Complete, notStarted, "it is NOT_STARTED; only a task that is IN_PROGRESS can be; start it first (StartTask)"},
		{"complete twice", done, plan.Complete, done, "it is DONE"},
		{"skip a new task", notStarted, plan.Skip, skipped, ""},
		{"skip a started task", inProgress, plan.Skip, skipped, ""},
		{"skip a blocked task", blocked, plan.Skip, skipped, ""},
		{"a done task cannot be skipped", done, plan.Skip, done, "it is DONE; only a task that is NOT_STARTED or IN_PROGRESS or BLOCKED can be"},
		{"a skipped task cannot be started", skipped, plan.Start, skipped, "it is SKIPPED"},
		{"block a new task", notStarted, plan.Block, blocked, ""},
		{"block a started task", inProgress, plan.Block, blocked, ""},
		{"block twice", blocked, plan.Block, blocked, "it is BLOCKED; only a task that is NOT_STARTED or IN_PROGRESS can be"},
		{"a done task cannot be blocked", done, plan.Block, done, "it is DONE"},
		{"a skipped task cannot be blocked", skipped, plan.Block, skipped, "it is SKIPPED"},
		{"a blocked task cannot be completed", blocked, plan.Complete, blocked, "it is BLOCKED; only a task that is IN_PROGRESS can be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := plan.NextTaskState(&transitionv1.Task{Name: p1 + "/tasks/T", Title: "T", State: tt.from}, tt.action)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("got %v, %v; want %v", got, err, tt.want)
				}
				return
			}
			if apperr.KindOf(err) != apperr.FailedPrecondition || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want FAILED_PRECONDITION containing %q", err, tt.wantErr)
			}
			if got != tt.from {
				t.Fatalf("a refused action changed the state to %v", got)
			}
		})
	}
}

func TestAuthorize(t *testing.T) {
	providerTask := &transitionv1.Task{Name: p1 + "/tasks/T", Title: "T", OwnerSide: transitionv1.OwnerSide_OWNER_SIDE_PROVIDER}
	clientTask := &transitionv1.Task{Name: p1 + "/tasks/U", Title: "U", OwnerSide: transitionv1.OwnerSide_OWNER_SIDE_CLIENT}
	client := plan.Caller{}
	own := plan.Caller{ProviderUser: true, Provider: "providers/ACME"}
	other := plan.Caller{ProviderUser: true, Provider: "providers/OTHER"}
	tests := []struct {
		name    string
		caller  plan.Caller
		action  plan.Action
		task    *transitionv1.Task
		wantErr string
	}{
		{"client side starts a client task", client, plan.Start, clientTask, ""},
		{"client side skips a provider task", client, plan.Skip, providerTask, ""},
		{"provider starts its own provider task", own, plan.Start, providerTask, ""},
		{"provider completes its own provider task", own, plan.Complete, providerTask, ""},
		{"provider may not touch a client task", own, plan.Start, clientTask, "only PROVIDER tasks"},
		{"provider may not touch another provider's plan", other, plan.Complete, providerTask, "its own provider's plans (providers/OTHER)"},
		{"client side blocks a client task", client, plan.Block, clientTask, ""},
		{"provider blocks its own provider task", own, plan.Block, providerTask, ""},
		{"provider may not block a client task", own, plan.Block, clientTask, "only PROVIDER tasks"},
		{"provider may not block another provider's task", other, plan.Block, providerTask, "its own provider's plans (providers/OTHER)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := plan.Authorize(tt.caller, tt.action, tt.task, "providers/ACME")
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("got %v, want allowed", err)
				}
				return
			}
			if apperr.KindOf(err) != apperr.PermissionDenied || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want PERMISSION_DENIED containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestCheckDependenciesFinished(t *testing.T) {
	a, b, c := task("A"), task("B"), task("C", "A", "B")
	byName := map[string]*transitionv1.Task{a.Name: a, b.Name: b, c.Name: c}

	a.State, b.State = done, skipped
	if err := plan.CheckDependenciesFinished(c, byName); err != nil {
		t.Fatalf("DONE and SKIPPED dependencies: got %v, want none", err)
	}
	a.State, b.State = inProgress, notStarted
	err := plan.CheckDependenciesFinished(c, byName)
	want := `"A" (A) is IN_PROGRESS, "B" (B) is NOT_STARTED; complete or skip them first`
	if apperr.KindOf(err) != apperr.FailedPrecondition || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want FAILED_PRECONDITION naming both: %q", err, want)
	}
}

func TestPlanStates(t *testing.T) {
	const (
		draft  = transitionv1.PlanState_PLAN_STATE_DRAFT
		active = transitionv1.PlanState_PLAN_STATE_ACTIVE
		ready  = transitionv1.PlanState_PLAN_STATE_CUTOVER_READY
		live   = transitionv1.PlanState_PLAN_STATE_LIVE
		closed = transitionv1.PlanState_PLAN_STATE_CLOSED
		abort  = transitionv1.PlanState_PLAN_STATE_ABORTED
	)
	tests := []struct {
		name    string
		from    transitionv1.PlanState
		action  plan.PlanAction
		want    transitionv1.PlanState
		wantErr string
	}{
		{"start a draft", draft, plan.StartPlan, active, ""},
		{"start twice", active, plan.StartPlan, active, "it is ACTIVE; only a plan that is DRAFT can be"},
		{"an active plan cannot cut over: its gates have not all passed", active, plan.Cutover, active, "it is ACTIVE; only a plan that is CUTOVER_READY can be; a plan becomes CUTOVER_READY when every readiness gate passes"},
		{"cut over a ready plan", ready, plan.Cutover, live, ""},
		{"cut over a draft says to start it", draft, plan.Cutover, draft, "it is DRAFT; only a plan that is CUTOVER_READY can be; start it first"},
		{"cut over twice", live, plan.Cutover, live, "it is LIVE"},
		{"cut over an aborted plan", abort, plan.Cutover, abort, "it is ABORTED"},
		{"close a live plan", live, plan.Close, closed, ""},
		{"close a ready plan says to cut over", ready, plan.Close, ready, "it is CUTOVER_READY; only a plan that is LIVE can be; complete the cutover (CompleteCutover)"},
		{"close an active plan says to abort instead", active, plan.Close, active, "it is ACTIVE; only a plan that is LIVE can be; a plan closes after cutover and hypercare; to abandon it, abort it (AbortPlan)"},
		{"close a draft", draft, plan.Close, draft, "it is DRAFT"},
		{"close twice", closed, plan.Close, closed, "it is CLOSED"},
		{"close an aborted plan", abort, plan.Close, abort, "it is ABORTED"},
		{"abort a draft", draft, plan.Abort, abort, ""},
		{"abort an active plan", active, plan.Abort, abort, ""},
		{"abort a ready plan", ready, plan.Abort, abort, ""},
		{"a live plan cannot be aborted", live, plan.Abort, live, "it is LIVE; only a plan that is DRAFT or ACTIVE or CUTOVER_READY can be; the service has commenced: finish hypercare and close the plan (ClosePlan)"},
		{"a closed plan cannot be aborted", closed, plan.Abort, closed, "it is CLOSED"},
		{"abort twice", abort, plan.Abort, abort, "it is ABORTED"},
		{"start an aborted plan", abort, plan.StartPlan, abort, "it is ABORTED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := plan.NextPlanState(&transitionv1.TransitionPlan{Name: p1, State: tt.from}, tt.action)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("got %v, %v; want %v", got, err, tt.want)
				}
				return
			}
			if apperr.KindOf(err) != apperr.FailedPrecondition || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want FAILED_PRECONDITION containing %q", err, tt.wantErr)
			}
			if got != tt.from {
				t.Fatalf("a refused action changed the state to %v", got)
			}
		})
	}

	settle := []struct {
		name  string
		from  transitionv1.PlanState
		ready bool
		want  transitionv1.PlanState
	}{
		{"active and ready becomes cutover-ready", active, true, ready},
		{"active and not ready stays", active, false, active},
		{"cutover-ready and no longer ready falls back", ready, false, active},
		{"draft never becomes ready by itself", draft, true, draft},
		{"live stays live", live, false, live},
		{"closed stays closed", closed, true, closed},
		{"aborted never becomes ready", abort, true, abort},
	}
	for _, tt := range settle {
		t.Run(tt.name, func(t *testing.T) {
			if got := plan.Settle(tt.from, tt.ready); got != tt.want {
				t.Fatalf("Settle(%v, %v) = %v, want %v", tt.from, tt.ready, got, tt.want)
			}
		})
	}
}

func TestCheckHypercareFinished(t *testing.T) {
	mk := func(id string, phase transitionv1.Phase, state transitionv1.TaskState) *transitionv1.Task {
		return &transitionv1.Task{Name: p1 + "/tasks/" + id, Title: id, Phase: phase, State: state}
	}
	tasks := []*transitionv1.Task{
		// Only HYPERCARE counts: an open cutover task does not keep
		// hypercare from ending.
		mk("go-live", transitionv1.Phase_PHASE_CUTOVER, notStarted),
		mk("care1", transitionv1.Phase_PHASE_HYPERCARE, done),
		mk("care2", transitionv1.Phase_PHASE_HYPERCARE, inProgress),
		mk("care3", transitionv1.Phase_PHASE_HYPERCARE, blocked),
		mk("care4", transitionv1.Phase_PHASE_HYPERCARE, skipped),
	}
	err := plan.CheckHypercareFinished(p1, tasks)
	// The two open ones, in plan order.
	want := p1 + `: hypercare is not finished, these HYPERCARE tasks are open: "care2" (care2) is IN_PROGRESS, "care3" (care3) is BLOCKED; complete or skip them first`
	if apperr.KindOf(err) != apperr.FailedPrecondition || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want FAILED_PRECONDITION containing %q", err, want)
	}
	tasks[2].State, tasks[3].State = done, skipped
	if err := plan.CheckHypercareFinished(p1, tasks); err != nil {
		t.Fatalf("every hypercare task finished: got %v", err)
	}
	// Twelve open: ten listed, the rest counted.
	var many []*transitionv1.Task
	for i := range 12 {
		many = append(many, mk(fmt.Sprintf("c%02d", i), transitionv1.Phase_PHASE_HYPERCARE, notStarted))
	}
	err = plan.CheckHypercareFinished(p1, many)
	if !strings.Contains(err.Error(), `"c09" (c09) is NOT_STARTED and 2 more;`) || strings.Contains(err.Error(), `"c10"`) {
		t.Fatalf("got %v, want ten listed and 2 more", err)
	}
}
