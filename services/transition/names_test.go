package transition_test

import (
	"testing"
	"time"

	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/services/testenv"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Names of another kind are refused by every method: see
// services/testenv/resource_names_test.go, which walks them all.
func TestOutputOnlyFields(t *testing.T) {
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		t.Run("sent by a caller are never stored", func(t *testing.T) { outputOnlyNeverStored(t, e) })
	})
}

// What a caller sends in an output-only field — creating a plan or a task,
// or updating a task with the field named in the mask, implied by an
// empty one or by "*" — is never stored.
func outputOnlyNeverStored(t *testing.T, e *testenv.Env) {
	s := e.SignedContract(t)
	tm := e.AsRole(t, auth.TransitionManager)
	longAgo := timestamppb.New(time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC))

	p, err := e.Transition.CreateTransitionPlan(tm, &transitionv1.CreateTransitionPlanRequest{TransitionPlan: &transitionv1.TransitionPlan{
		Name:             "transitionPlans/FORGED",
		Contract:         s.Contract.GetName(),
		Engagement:       "engagements/FORGED",
		Provider:         "providers/FORGED",
		StartDate:        day(2026, 1, 5),
		State:            transitionv1.PlanState_PLAN_STATE_LIVE,
		TasksTotal:       999,
		TasksFinished:    999,
		CommencementDate: day(2026, 1, 6),
		StateReason:      "forged",
		EndTime:          longAgo,
		CreateTime:       longAgo,
	}})
	must(t, err)
	stored, err := e.Transition.GetTransitionPlan(tm, &transitionv1.GetTransitionPlanRequest{Name: p.GetName()})
	must(t, err)
	if stored.GetName() == "transitionPlans/FORGED" || stored.GetEngagement() != s.Contract.GetEngagement() || stored.GetProvider() != s.Provider ||
		stored.GetState() != transitionv1.PlanState_PLAN_STATE_DRAFT || stored.GetTasksFinished() != 0 || stored.GetTasksTotal() == 999 ||
		stored.GetCommencementDate() != nil || stored.GetStateReason() != "" || stored.GetEndTime() != nil || proto.Equal(stored.GetCreateTime(), longAgo) {
		t.Fatalf("CreateTransitionPlan stored output-only fields: %v", stored)
	}

	forged := func(name string) *transitionv1.Task {
		return &transitionv1.Task{
			Name:         name,
			Title:        "Forged",
			Phase:        transitionv1.Phase_PHASE_PLANNING,
			State:        transitionv1.TaskState_TASK_STATE_DONE,
			StateReason:  "forged",
			ActualStart:  longAgo,
			ActualFinish: longAgo,
		}
	}
	check := func(t *testing.T, step string, name string) {
		t.Helper()
		for _, task := range listTasks(t, e, p.GetName()) {
			if task.GetName() != name {
				continue
			}
			if task.GetState() != transitionv1.TaskState_TASK_STATE_NOT_STARTED || task.GetStateReason() != "" ||
				task.GetActualStart() != nil || task.GetActualFinish() != nil {
				t.Fatalf("%s stored output-only fields: %v", step, task)
			}
			if task.GetTitle() != "Forged" {
				t.Fatalf("%s: title %q, want the caller's", step, task.GetTitle())
			}
			return
		}
		t.Fatalf("%s: %s is not listed", step, name)
	}
	task, err := e.Transition.CreateTask(tm, &transitionv1.CreateTaskRequest{Parent: p.GetName(), Task: forged(p.GetName() + "/tasks/FORGED")})
	must(t, err)
	if task.GetName() == p.GetName()+"/tasks/FORGED" {
		t.Errorf("the caller named the task")
	}
	check(t, "CreateTask", task.GetName())
	for _, paths := range [][]string{{"state", "state_reason", "actual_start", "actual_finish", "title"}, nil, {"*"}} {
		in := forged(task.GetName())
		in.Phase = task.GetPhase()
		_, err := e.Transition.UpdateTask(tm, &transitionv1.UpdateTaskRequest{Task: in, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}})
		must(t, err)
		check(t, "UpdateTask", task.GetName())
	}
}

func equalTasks(a, b []*transitionv1.Task) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !proto.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
