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

func TestNamesAndFields(t *testing.T) {
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		t.Run("output-only fields sent by a caller are never stored", func(t *testing.T) { outputOnlyNeverStored(t, e) })
		t.Run("names of another kind are refused", func(t *testing.T) { namesOfAnotherKind(t, e) })
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

// Every method that takes a name or parent refuses a name of another kind
// — among them the documents the store keeps beside the resources (a
// contract's plan claim, a plan's baseline) — on the field that held it,
// and changes nothing.
func namesOfAnotherKind(t *testing.T, e *testenv.Env) {
	s := e.SignedContract(t)
	p := e.TransitionPlan(t, s)
	admin := e.AsRole(t, auth.Admin)
	_, err := e.Transition.SaveBaseline(admin, &transitionv1.SaveBaselineRequest{Name: p.GetName()})
	must(t, err)
	tasks := listTasks(t, e, p.GetName())
	plan, task := p.GetName(), tasks[0].GetName()
	schedule := plan + "/schedule"
	others := []string{s.Contract.GetName() + "/transitionPlan", plan + "/baseline", s.Contract.GetName(), plan, task, schedule}

	methods := []struct {
		method, field, valid string
		call                 func(name string) error
	}{
		{"GetTransitionPlan", "name", plan, func(n string) error {
			_, err := e.Transition.GetTransitionPlan(admin, &transitionv1.GetTransitionPlanRequest{Name: n})
			return err
		}},
		{"StartTransitionPlan", "name", plan, func(n string) error {
			_, err := e.Transition.StartTransitionPlan(admin, &transitionv1.StartTransitionPlanRequest{Name: n})
			return err
		}},
		{"CreateTask", "parent", plan, func(n string) error {
			_, err := e.Transition.CreateTask(admin, &transitionv1.CreateTaskRequest{Parent: n, Task: &transitionv1.Task{Title: "X", Phase: transitionv1.Phase_PHASE_PLANNING}})
			return err
		}},
		{"ListTasks", "parent", plan, func(n string) error {
			_, err := e.Transition.ListTasks(admin, &transitionv1.ListTasksRequest{Parent: n})
			return err
		}},
		{"UpdateTask", "task.name", task, func(n string) error {
			_, err := e.Transition.UpdateTask(admin, &transitionv1.UpdateTaskRequest{Task: &transitionv1.Task{Name: n, Title: "overwritten"}})
			return err
		}},
		{"StartTask", "name", task, func(n string) error {
			_, err := e.Transition.StartTask(admin, &transitionv1.StartTaskRequest{Name: n})
			return err
		}},
		{"CompleteTask", "name", task, func(n string) error {
			_, err := e.Transition.CompleteTask(admin, &transitionv1.CompleteTaskRequest{Name: n})
			return err
		}},
		{"SkipTask", "name", task, func(n string) error {
			_, err := e.Transition.SkipTask(admin, &transitionv1.SkipTaskRequest{Name: n, Reason: "r"})
			return err
		}},
		{"BlockTask", "name", task, func(n string) error {
			_, err := e.Transition.BlockTask(admin, &transitionv1.BlockTaskRequest{Name: n, Reason: "r"})
			return err
		}},
		{"CheckReadiness", "name", plan, func(n string) error {
			_, err := e.Transition.CheckReadiness(admin, &transitionv1.CheckReadinessRequest{Name: n})
			return err
		}},
		{"CompleteCutover", "name", plan, func(n string) error {
			_, err := e.Transition.CompleteCutover(admin, &transitionv1.CompleteCutoverRequest{Name: n})
			return err
		}},
		{"ClosePlan", "name", plan, func(n string) error {
			_, err := e.Transition.ClosePlan(admin, &transitionv1.ClosePlanRequest{Name: n})
			return err
		}},
		{"AbortPlan", "name", plan, func(n string) error {
			_, err := e.Transition.AbortPlan(admin, &transitionv1.AbortPlanRequest{Name: n, Reason: "r"})
			return err
		}},
		{"GetSchedule", "name", schedule, func(n string) error {
			_, err := e.Transition.GetSchedule(admin, &transitionv1.GetScheduleRequest{Name: n})
			return err
		}},
		{"SaveBaseline", "name", plan, func(n string) error {
			_, err := e.Transition.SaveBaseline(admin, &transitionv1.SaveBaselineRequest{Name: n})
			return err
		}},
	}
	beforePlan, err := e.Transition.GetTransitionPlan(admin, &transitionv1.GetTransitionPlanRequest{Name: plan})
	must(t, err)
	for _, m := range methods {
		for _, other := range others {
			if other == m.valid {
				continue
			}
			t.Run(m.method+" "+other, func(t *testing.T) { wantViolations(t, m.call(other), m.field) })
		}
	}
	afterPlan, err := e.Transition.GetTransitionPlan(admin, &transitionv1.GetTransitionPlanRequest{Name: plan})
	must(t, err)
	if !proto.Equal(beforePlan, afterPlan) {
		t.Errorf("the plan changed: %v", afterPlan)
	}
	if after := listTasks(t, e, plan); !equalTasks(tasks, after) {
		t.Errorf("the tasks changed")
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
