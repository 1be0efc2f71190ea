package transition_test

// Service tests of transition through its gRPC API, with the real catalog
// and contract services in the same process (services/testenv), on SQLite
// and, when BPO_TEST_POSTGRES_DSN is set, PostgreSQL.

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	auditv1 "github.com/acme/bpo/gen/go/bpo/audit/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/downstream"
	"github.com/acme/bpo/kit/grpcserver"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"github.com/acme/bpo/services/testenv"
	"github.com/acme/bpo/services/transition"
	"go.uber.org/zap/zaptest"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

func TestTransition(t *testing.T) {
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		t.Run("plan before signature", func(t *testing.T) { planBeforeSignature(t, e) })
		t.Run("task graph", func(t *testing.T) { taskGraph(t, e) })
		t.Run("task states", func(t *testing.T) { taskStates(t, e) })
		t.Run("provider users", func(t *testing.T) { providerUsers(t, e) })
		t.Run("cutover", func(t *testing.T) { cutover(t, e) })
		t.Run("cutover retried after a partial failure", func(t *testing.T) { cutoverRetry(t, e) })
		t.Run("live contract", func(t *testing.T) { liveContract(t, e) })
		t.Run("concurrent task changes", func(t *testing.T) { concurrentTasks(t, e) })
	})
}

// spec: README.md — each step's gate is enforced by the later step: a plan
// only for a SIGNED contract, one plan per contract.
func planBeforeSignature(t *testing.T, e *testenv.Env) {
	a := e.AwardedEngagement(t)
	cm := e.AsRole(t, auth.ContractManager)
	c, err := e.Contract.CreateContract(cm, &contractv1.CreateContractRequest{Contract: &contractv1.Contract{
		Engagement: a.Engagement.GetName(), ClientSignatory: testenv.ClientSignatory,
	}})
	must(t, err)
	_, err = e.Contract.SubmitContract(cm, &contractv1.SubmitContractRequest{Name: c.GetName()})
	must(t, err)
	_, err = e.Contract.ApproveContract(e.AsRole(t, auth.Approver), &contractv1.ApproveContractRequest{Name: c.GetName()})
	must(t, err)

	tm := e.AsRole(t, auth.TransitionManager)
	req := &transitionv1.CreateTransitionPlanRequest{
		TransitionPlan: &transitionv1.TransitionPlan{Contract: c.GetName(), StartDate: day(2026, 1, 5)},
		RequestId:      "plan-1",
	}
	_, err = e.Transition.CreateTransitionPlan(tm, req)
	wantMessage(t, err, codes.FailedPrecondition, c.GetName()+" is APPROVED, not SIGNED: both parties must sign before a transition plan starts")

	_, err = e.Contract.SignContract(e.As(t, testenv.ClientSignatory, auth.Approver), &contractv1.SignContractRequest{Name: c.GetName()})
	must(t, err)
	_, err = e.Transition.CreateTransitionPlan(tm, req)
	wantMessage(t, err, codes.FailedPrecondition, "is APPROVED, not SIGNED") // one signature is not enough
	_, err = e.Contract.SignContract(e.AsProvider(t, a.Provider), &contractv1.SignContractRequest{Name: c.GetName()})
	must(t, err)

	p, err := e.Transition.CreateTransitionPlan(tm, req)
	must(t, err)
	if p.GetState() != transitionv1.PlanState_PLAN_STATE_DRAFT || p.GetEngagement() != a.Engagement.GetName() || p.GetProvider() != a.Provider ||
		p.GetTemplate() != "front_office" || p.GetTasksTotal() != 41 || p.GetTasksFinished() != 0 {
		t.Fatalf("plan %v: want a DRAFT front-office plan of 41 tasks for the engagement and provider of the contract", p)
	}
	// A retry with the same request id answers the first plan.
	again, err := e.Transition.CreateTransitionPlan(tm, req)
	must(t, err)
	if again.GetName() != p.GetName() {
		t.Fatalf("retry created %s, want %s", again.GetName(), p.GetName())
	}
	req.RequestId = "plan-2"
	_, err = e.Transition.CreateTransitionPlan(tm, req)
	wantMessage(t, err, codes.AlreadyExists, c.GetName()+" already has a transition plan, "+p.GetName())

	// A missing contract is NOT_FOUND, as contract says; bad input is one
	// violation per field.
	_, err = e.Transition.CreateTransitionPlan(tm, &transitionv1.CreateTransitionPlanRequest{
		TransitionPlan: &transitionv1.TransitionPlan{Contract: "contracts/NOPE", StartDate: day(2026, 1, 5)},
	})
	wantCode(t, err, codes.NotFound)
	_, err = e.Transition.CreateTransitionPlan(tm, &transitionv1.CreateTransitionPlanRequest{
		TransitionPlan: &transitionv1.TransitionPlan{Contract: c.GetName(), StartDate: day(2026, 2, 30), Template: "shared_services"},
	})
	wantViolations(t, err, "transition_plan.start_date", "transition_plan.template")

	// The tasks come in template order, dependencies resolved to names.
	tasks := listTasks(t, e, p.GetName())
	if len(tasks) != 41 || tasks[0].GetTitle() != "Transition kick-off" || tasks[40].GetPhase() != transitionv1.Phase_PHASE_HYPERCARE {
		t.Fatalf("tasks %v…: want 41 in template order", tasks[0])
	}
	for _, task := range tasks {
		for _, d := range task.GetDependsOn() {
			if !strings.HasPrefix(d.GetTask(), p.GetName()+"/tasks/") {
				t.Fatalf("%s depends on %s", task.GetTitle(), d.GetTask())
			}
		}
	}
}

// spec: transition.md — a dependency on a task of another plan, on itself,
// or one that closes a cycle is INVALID_ARGUMENT naming the cycle in order.
func taskGraph(t *testing.T, e *testenv.Env) {
	s := e.SignedContract(t)
	p := e.TransitionPlan(t, s)
	tm := e.AsRole(t, auth.TransitionManager)
	create := func(title string, deps ...*transitionv1.Task) *transitionv1.Task {
		t.Helper()
		task := &transitionv1.Task{Title: title, Phase: transitionv1.Phase_PHASE_DOCUMENTATION, DurationDays: 2}
		for _, d := range deps {
			task.DependsOn = append(task.DependsOn, &transitionv1.Dependency{Task: d.GetName()})
		}
		out, err := e.Transition.CreateTask(tm, &transitionv1.CreateTaskRequest{Parent: p.GetName(), Task: task})
		must(t, err)
		return out
	}
	a := create("A")
	b := create("B", a)
	c := create("C", b)
	if a.GetOwnerSide() != transitionv1.OwnerSide_OWNER_SIDE_CLIENT || a.GetState() != transitionv1.TaskState_TASK_STATE_NOT_STARTED {
		t.Fatalf("new task %v: want a NOT_STARTED CLIENT task", a)
	}
	id := func(task *transitionv1.Task) string { return task.GetName()[strings.LastIndex(task.GetName(), "/")+1:] }

	// A depends on C: A → C → B → A (each depends on the next).
	_, err := e.Transition.UpdateTask(tm, &transitionv1.UpdateTaskRequest{
		Task:       &transitionv1.Task{Name: a.GetName(), DependsOn: []*transitionv1.Dependency{{Task: c.GetName()}}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"depends_on"}},
	})
	want := fmt.Sprintf(`closes a cycle: "A" (%s) → "C" (%s) → "B" (%s) → "A" (%s)`, id(a), id(c), id(b), id(a))
	if got := violation(t, err, "task.depends_on[0].task"); !strings.Contains(got, want) {
		t.Fatalf("violation %q, want it to contain %q", got, want)
	}

	// Self and another plan, one violation each; the title is missing too.
	_, err = e.Transition.UpdateTask(tm, &transitionv1.UpdateTaskRequest{
		Task: &transitionv1.Task{Name: b.GetName(), DependsOn: []*transitionv1.Dependency{
			{Task: b.GetName()}, {Task: "transitionPlans/OTHER/tasks/X"},
		}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"depends_on", "title"}},
	})
	wantViolations(t, err, "task.depends_on[0].task", "task.depends_on[1].task", "task.title")

	// A new task may not depend on a task of another plan either.
	_, err = e.Transition.CreateTask(tm, &transitionv1.CreateTaskRequest{Parent: p.GetName(), Task: &transitionv1.Task{
		Title: "D", Phase: transitionv1.Phase_PHASE_PLANNING, DependsOn: []*transitionv1.Dependency{{Task: "transitionPlans/OTHER/tasks/X"}},
	}})
	wantViolations(t, err, "task.depends_on[0].task")

	// A valid update keeps the graph acyclic, and output-only fields named
	// in the mask are ignored (AIP-203).
	updated, err := e.Transition.UpdateTask(tm, &transitionv1.UpdateTaskRequest{
		Task:       &transitionv1.Task{Name: c.GetName(), Assignee: "alice", DependsOn: []*transitionv1.Dependency{{Task: a.GetName(), LagDays: -1}}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"assignee", "dependsOn"}}, // JSON spelling, as REST sends
	})
	must(t, err)
	if updated.GetAssignee() != "alice" || len(updated.GetDependsOn()) != 1 || updated.GetDependsOn()[0].GetLagDays() != -1 {
		t.Fatalf("updated %v", updated)
	}
	same, err := e.Transition.UpdateTask(tm, &transitionv1.UpdateTaskRequest{
		Task: &transitionv1.Task{Name: c.GetName(), State: transitionv1.TaskState_TASK_STATE_DONE}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"state"}},
	})
	must(t, err)
	if same.GetState() != transitionv1.TaskState_TASK_STATE_NOT_STARTED || same.GetEtag() != updated.GetEtag() {
		t.Fatalf("an output-only field in the mask changed the task: %v", same)
	}
	// A stale etag is ABORTED.
	_, err = e.Transition.UpdateTask(tm, &transitionv1.UpdateTaskRequest{Task: &transitionv1.Task{Name: c.GetName(), Assignee: "bob", Etag: c.GetEtag()}})
	wantCode(t, err, codes.Aborted)

	got, err := e.Transition.GetTransitionPlan(tm, &transitionv1.GetTransitionPlanRequest{Name: p.GetName()})
	must(t, err)
	if got.GetTasksTotal() != 44 {
		t.Fatalf("tasks_total %d, want 41 + 3", got.GetTasksTotal())
	}
}

// spec: transition.md — task states, and a task cannot be DONE while a
// dependency is not DONE or SKIPPED.
func taskStates(t *testing.T, e *testenv.Env) {
	s := e.SignedContract(t)
	tm := e.AsRole(t, auth.TransitionManager)
	p, err := e.Transition.CreateTransitionPlan(tm, &transitionv1.CreateTransitionPlanRequest{TransitionPlan: &transitionv1.TransitionPlan{
		Contract: s.Contract.GetName(), StartDate: day(2026, 1, 5),
	}})
	must(t, err)
	tasks := byTitle(listTasks(t, e, p.GetName()))
	kickoff, charter := tasks["Transition kick-off"], tasks["Transition charter, RACI and communication plan"]

	// A DRAFT plan's tasks wait for the plan to start.
	_, err = e.Transition.StartTask(tm, &transitionv1.StartTaskRequest{Name: kickoff.GetName()})
	wantMessage(t, err, codes.FailedPrecondition, "is DRAFT; start it (StartTransitionPlan)")
	_, err = e.Transition.StartTransitionPlan(tm, &transitionv1.StartTransitionPlanRequest{Name: p.GetName(), Etag: "stale"})
	wantCode(t, err, codes.Aborted)
	_, err = e.Transition.StartTransitionPlan(tm, &transitionv1.StartTransitionPlanRequest{Name: p.GetName(), Etag: p.GetEtag()})
	must(t, err)

	// Complete needs a start; a dependency not finished refuses, naming it.
	_, err = e.Transition.CompleteTask(tm, &transitionv1.CompleteTaskRequest{Name: charter.GetName()})
	wantMessage(t, err, codes.FailedPrecondition, "it is NOT_STARTED; only a task that is IN_PROGRESS can be; start it first (StartTask)")
	started, err := e.Transition.StartTask(tm, &transitionv1.StartTaskRequest{Name: charter.GetName(), RequestId: "start-charter"})
	must(t, err)
	if started.GetState() != transitionv1.TaskState_TASK_STATE_IN_PROGRESS || started.GetActualStart() == nil || started.GetActualFinish() != nil {
		t.Fatalf("started %v", started)
	}
	again, err := e.Transition.StartTask(tm, &transitionv1.StartTaskRequest{Name: charter.GetName(), RequestId: "start-charter"})
	must(t, err) // the retry answers the first result instead of refusing
	if !proto.Equal(again, started) {
		t.Fatalf("retry answered %v, want %v", again, started)
	}
	_, err = e.Transition.CompleteTask(tm, &transitionv1.CompleteTaskRequest{Name: charter.GetName()})
	kickoffID := kickoff.GetName()[strings.LastIndex(kickoff.GetName(), "/")+1:]
	wantMessage(t, err, codes.FailedPrecondition, fmt.Sprintf(`while its dependencies are not DONE or SKIPPED: "Transition kick-off" (%s) is NOT_STARTED; complete or skip them first`, kickoffID))

	// Skipping needs a reason (and the transition manager).
	_, err = e.Transition.SkipTask(tm, &transitionv1.SkipTaskRequest{Name: kickoff.GetName(), Reason: "  "})
	wantViolations(t, err, "reason")
	skipped, err := e.Transition.SkipTask(tm, &transitionv1.SkipTaskRequest{Name: kickoff.GetName(), Reason: "kicked off at contract signature"})
	must(t, err)
	if skipped.GetState() != transitionv1.TaskState_TASK_STATE_SKIPPED || skipped.GetStateReason() != "kicked off at contract signature" {
		t.Fatalf("skipped %v", skipped)
	}
	done, err := e.Transition.CompleteTask(tm, &transitionv1.CompleteTaskRequest{Name: charter.GetName()})
	must(t, err)
	if done.GetState() != transitionv1.TaskState_TASK_STATE_DONE || done.GetActualFinish() == nil || !proto.Equal(done.GetActualStart(), started.GetActualStart()) {
		t.Fatalf("done %v", done)
	}
	_, err = e.Transition.SkipTask(tm, &transitionv1.SkipTaskRequest{Name: charter.GetName(), Reason: "changed my mind"})
	wantMessage(t, err, codes.FailedPrecondition, "it is DONE")

	got, err := e.Transition.GetTransitionPlan(tm, &transitionv1.GetTransitionPlanRequest{Name: p.GetName()})
	must(t, err)
	if got.GetTasksFinished() != 2 || got.GetState() != transitionv1.PlanState_PLAN_STATE_ACTIVE {
		t.Fatalf("plan %v: want ACTIVE with 2 tasks finished", got)
	}
	// Filters on the task list.
	list, err := e.Transition.ListTasks(tm, &transitionv1.ListTasksRequest{Parent: p.GetName(), Filter: "state = DONE", PageSize: 1000})
	must(t, err)
	if len(list.GetTasks()) != 1 || list.GetTasks()[0].GetName() != charter.GetName() {
		t.Fatalf("DONE tasks %v", list.GetTasks())
	}
	list, err = e.Transition.ListTasks(tm, &transitionv1.ListTasksRequest{Parent: p.GetName(), Filter: "phase = CUTOVER AND owner_side = PROVIDER", PageSize: 1000})
	must(t, err)
	if len(list.GetTasks()) != 1 || list.GetTasks()[0].GetTitle() != "Switch all contact routing to the provider" {
		t.Fatalf("provider cutover tasks %v", list.GetTasks())
	}
}

// spec: transition.md — a provider user can update only PROVIDER tasks of
// its own plans, and reads only its own provider's plans.
func providerUsers(t *testing.T, e *testenv.Env) {
	s := e.SignedContract(t)
	p := e.TransitionPlan(t, s)
	tasks := byTitle(listTasks(t, e, p.GetName()))
	own := e.AsProvider(t, s.Provider)
	var other string
	for _, prov := range s.Providers {
		if prov.GetName() != s.Provider {
			other = prov.GetName()
		}
	}
	stranger := e.AsProvider(t, other)
	tm := e.AsRole(t, auth.TransitionManager)

	// The provider mobilises its team: a PROVIDER task with no dependencies
	// besides the kick-off, which the manager does.
	kickoff, team := tasks["Transition kick-off"], tasks["Mobilise the provider's transition team and site leads"]
	_, err := e.Transition.StartTask(own, &transitionv1.StartTaskRequest{Name: kickoff.GetName()})
	wantMessage(t, err, codes.PermissionDenied, "only PROVIDER tasks")
	_, err = e.Transition.StartTask(stranger, &transitionv1.StartTaskRequest{Name: team.GetName()})
	wantCode(t, err, codes.PermissionDenied)
	_, err = e.Transition.SkipTask(own, &transitionv1.SkipTaskRequest{Name: team.GetName(), Reason: "not needed"})
	wantCode(t, err, codes.PermissionDenied)
	_, err = e.Transition.UpdateTask(own, &transitionv1.UpdateTaskRequest{Task: &transitionv1.Task{Name: team.GetName(), Assignee: "me"}})
	wantCode(t, err, codes.PermissionDenied)

	_, err = e.Transition.StartTask(tm, &transitionv1.StartTaskRequest{Name: kickoff.GetName()})
	must(t, err)
	_, err = e.Transition.CompleteTask(tm, &transitionv1.CompleteTaskRequest{Name: kickoff.GetName()})
	must(t, err)
	_, err = e.Transition.StartTask(own, &transitionv1.StartTaskRequest{Name: team.GetName()})
	must(t, err)
	_, err = e.Transition.CompleteTask(stranger, &transitionv1.CompleteTaskRequest{Name: team.GetName()})
	wantCode(t, err, codes.PermissionDenied)
	done, err := e.Transition.CompleteTask(own, &transitionv1.CompleteTaskRequest{Name: team.GetName()})
	must(t, err)
	if done.GetState() != transitionv1.TaskState_TASK_STATE_DONE {
		t.Fatalf("task %v", done)
	}

	// Reads: own plan yes, another provider's no; lists hold only its own.
	_, err = e.Transition.GetTransitionPlan(own, &transitionv1.GetTransitionPlanRequest{Name: p.GetName()})
	must(t, err)
	_, err = e.Transition.GetTransitionPlan(stranger, &transitionv1.GetTransitionPlanRequest{Name: p.GetName()})
	wantCode(t, err, codes.PermissionDenied)
	_, err = e.Transition.GetTransitionPlan(stranger, &transitionv1.GetTransitionPlanRequest{Name: "transitionPlans/NOPE"})
	wantCode(t, err, codes.PermissionDenied) // missing and foreign look alike
	_, err = e.Transition.ListTasks(stranger, &transitionv1.ListTasksRequest{Parent: p.GetName()})
	wantCode(t, err, codes.PermissionDenied)
	_, err = e.Transition.CheckReadiness(stranger, &transitionv1.CheckReadinessRequest{Name: p.GetName()})
	wantCode(t, err, codes.PermissionDenied)
	list, err := e.Transition.ListTransitionPlans(stranger, &transitionv1.ListTransitionPlansRequest{})
	must(t, err)
	if len(list.GetTransitionPlans()) != 0 {
		t.Fatalf("another provider's user lists %v", list.GetTransitionPlans())
	}
	list, err = e.Transition.ListTransitionPlans(own, &transitionv1.ListTransitionPlansRequest{Filter: "contract = " + s.Contract.GetName()})
	must(t, err)
	if len(list.GetTransitionPlans()) != 1 || list.GetTransitionPlans()[0].GetName() != p.GetName() {
		t.Fatalf("own plans %v", list.GetTransitionPlans())
	}
}

// spec: transition.md, "Readiness gates" and "Cutover"; README.md — the
// commencement date is recorded on the contract.
func cutover(t *testing.T, e *testenv.Env) {
	s := e.SignedContract(t)
	p := e.TransitionPlan(t, s)
	tm := e.AsRole(t, auth.TransitionManager)
	tasks := listTasks(t, e, p.GetName())

	// Everything before CUTOVER is open: the gate lists exactly those.
	r, err := e.Transition.CheckReadiness(e.AsRole(t, auth.Auditor), &transitionv1.CheckReadinessRequest{Name: p.GetName()})
	must(t, err)
	var pre []*transitionv1.Task
	for _, task := range tasks {
		if task.GetPhase() < transitionv1.Phase_PHASE_CUTOVER {
			pre = append(pre, task)
		}
	}
	if r.GetReady() || len(r.GetGates()) != 5 || r.GetGates()[0].GetGate() != "tasks" || len(r.GetGates()[0].GetMissing()) != len(pre) {
		t.Fatalf("readiness %v: want the tasks gate failing on the %d pre-cutover tasks", r, len(pre))
	}
	// The other four: nothing handed over yet; the scope lists no
	// integration (its gate passes); its two weeks of parallel run and
	// its one CRITICAL level (asa_20s ≥ 80) are still to come.
	wantGates := map[string][]string{
		"knowledge":   {"no knowledge item is recorded: add the SOPs, documents, recorded sessions and system accesses handed over (CreateKnowledgeItem)"},
		"training":    {"no trainee is recorded: schedule the provider staff's training sessions (CreateTrainingSession) and record their results"},
		"integration": nil,
		"parallel_run": {"the parallel run has not started: the scope asks for 2 weeks (14 days) of it",
			"CRITICAL level asa_20s (Calls answered within 20 s, at least 80) has no parallel-run result: the provider reports it (ReportParallelRunResult)"},
	}
	for _, g := range r.GetGates()[1:] {
		if want, ok := wantGates[g.GetGate()]; !ok || strings.Join(g.GetMissing(), "|") != strings.Join(want, "|") || g.GetPassed() != (len(want) == 0) {
			t.Errorf("gate %s: passed %v, missing %q; want %q", g.GetGate(), g.GetPassed(), g.GetMissing(), want)
		}
	}
	_, err = e.Transition.CompleteCutover(tm, &transitionv1.CompleteCutoverRequest{Name: p.GetName(), CommencementDate: s.GoLive})
	wantMessage(t, err, codes.FailedPrecondition, p.GetName()+` is not ready for cutover: gate "tasks": PLANNING task "Transition kick-off"`)
	wantMessage(t, err, codes.FailedPrecondition, "and 24 more (complete or skip these tasks)") // 34 open, 10 listed

	// All but the last: still not ready, and the message names it alone.
	e.FinishPreCutoverTasks(t, p)
	last := pre[len(pre)-1] // the parallel-run review
	list, err := e.Transition.ListTasks(tm, &transitionv1.ListTasksRequest{Parent: p.GetName(), Filter: "state != DONE AND phase != CUTOVER AND phase != HYPERCARE"})
	must(t, err)
	if len(list.GetTasks()) != 0 {
		t.Fatalf("open pre-cutover tasks %v", list.GetTasks())
	}
	got, err := e.Transition.GetTransitionPlan(tm, &transitionv1.GetTransitionPlanRequest{Name: p.GetName()})
	must(t, err)
	if got.GetState() != transitionv1.PlanState_PLAN_STATE_CUTOVER_READY || got.GetTasksFinished() != int32(len(pre)) {
		t.Fatalf("plan %v: want CUTOVER_READY with %d tasks finished", got, len(pre))
	}
	// A new pre-cutover task makes it not ready again.
	extra, err := e.Transition.CreateTask(tm, &transitionv1.CreateTaskRequest{Parent: p.GetName(), Task: &transitionv1.Task{
		Title: "Extra security audit", Phase: transitionv1.Phase_PHASE_INFRASTRUCTURE, DependsOn: []*transitionv1.Dependency{{Task: last.GetName()}},
	}})
	must(t, err)
	got, err = e.Transition.GetTransitionPlan(tm, &transitionv1.GetTransitionPlanRequest{Name: p.GetName()})
	must(t, err)
	if got.GetState() != transitionv1.PlanState_PLAN_STATE_ACTIVE {
		t.Fatalf("plan %v: want ACTIVE again", got)
	}
	_, err = e.Transition.CompleteCutover(tm, &transitionv1.CompleteCutoverRequest{Name: p.GetName(), CommencementDate: s.GoLive})
	wantMessage(t, err, codes.FailedPrecondition, `INFRASTRUCTURE task "Extra security audit"`)
	c, err := e.Contract.GetContract(tm, &contractv1.GetContractRequest{Name: s.Contract.GetName()})
	must(t, err)
	if c.GetServiceCommencementDate() != nil {
		t.Fatalf("a refused cutover recorded commencement %v", c.GetServiceCommencementDate())
	}
	_, err = e.Transition.SkipTask(tm, &transitionv1.SkipTaskRequest{Name: extra.GetName(), Reason: "covered by the security review"})
	must(t, err)

	// A date before the plan's start is refused before anything is written.
	_, err = e.Transition.CompleteCutover(tm, &transitionv1.CompleteCutoverRequest{Name: p.GetName(), CommencementDate: day(2000, 1, 1)})
	wantViolations(t, err, "commencement_date")

	req := &transitionv1.CompleteCutoverRequest{Name: p.GetName(), CommencementDate: s.GoLive, RequestId: "cutover-1"}
	live, err := e.Transition.CompleteCutover(tm, req)
	must(t, err)
	if live.GetState() != transitionv1.PlanState_PLAN_STATE_LIVE || !proto.Equal(live.GetCommencementDate(), s.GoLive) {
		t.Fatalf("plan %v: want LIVE from %v", live, s.GoLive)
	}
	c, err = e.Contract.GetContract(tm, &contractv1.GetContractRequest{Name: s.Contract.GetName()})
	must(t, err)
	if !proto.Equal(c.GetServiceCommencementDate(), s.GoLive) {
		t.Fatalf("contract commenced %v, want %v", c.GetServiceCommencementDate(), s.GoLive)
	}
	// The retry answers the first result; a new cutover is refused.
	again, err := e.Transition.CompleteCutover(tm, req)
	must(t, err)
	if !proto.Equal(again, live) {
		t.Fatalf("retry %v, want %v", again, live)
	}
	_, err = e.Transition.CompleteCutover(tm, &transitionv1.CompleteCutoverRequest{Name: p.GetName()})
	wantMessage(t, err, codes.FailedPrecondition, "it is LIVE")

	// Only the transition manager cuts over.
	_, err = e.Transition.CompleteCutover(e.AsProvider(t, s.Provider), &transitionv1.CompleteCutoverRequest{Name: p.GetName()})
	wantCode(t, err, codes.PermissionDenied)

	// Every change is audited, in an intact chain, on both sides.
	auditor := e.AsRole(t, auth.Auditor)
	events, err := e.Transition.ListAuditEvents(auditor, &transitionv1.ListAuditEventsRequest{Filter: "resource = " + p.GetName(), PageSize: 1000})
	must(t, err)
	if n := len(events.GetAuditEvents()); n < 3 {
		t.Fatalf("%d audit events of the plan, want its creation, start and cutover at least", n)
	}
	last2 := events.GetAuditEvents()[len(events.GetAuditEvents())-1]
	if last2.GetMethod() != transitionv1.TransitionService_CompleteCutover_FullMethodName || last2.GetRequestId() != "cutover-1" {
		t.Fatalf("last event %v: want the cutover", last2)
	}
	v, err := e.Transition.VerifyAuditLog(auditor, &transitionv1.VerifyAuditLogRequest{})
	must(t, err)
	wantIntact(t, v.GetVerification())
	cv, err := e.Contract.VerifyAuditLog(auditor, &contractv1.VerifyAuditLogRequest{})
	must(t, err)
	wantIntact(t, cv.GetVerification())
	_, err = e.Transition.ListAuditEvents(tm, &transitionv1.ListAuditEventsRequest{})
	wantCode(t, err, codes.PermissionDenied)
}

// A cutover whose remote half succeeded but whose local half did not (a
// crash between the two) is completed by calling it again: the retry takes
// the date already on the contract, and contract answers it as a no-op.
func cutoverRetry(t *testing.T, e *testenv.Env) {
	s := e.SignedContract(t)
	p := e.TransitionPlan(t, s)
	e.FinishPreCutoverTasks(t, p)
	tm := e.AsRole(t, auth.TransitionManager)
	// The remote half, as CompleteCutover makes it.
	_, err := e.Contract.RecordServiceCommencement(tm, &contractv1.RecordServiceCommencementRequest{
		Name: s.Contract.GetName(), CommencementDate: s.GoLive, TransitionPlan: p.GetName(),
	})
	must(t, err)
	// Another date than the one recorded is refused by contract, and the
	// plan stays as it was.
	other := proto.Clone(s.GoLive).(*date.Date)
	other.Day = 2
	_, err = e.Transition.CompleteCutover(tm, &transitionv1.CompleteCutoverRequest{Name: p.GetName(), CommencementDate: other})
	wantMessage(t, err, codes.FailedPrecondition, "already commenced")
	got, err := e.Transition.GetTransitionPlan(tm, &transitionv1.GetTransitionPlanRequest{Name: p.GetName()})
	must(t, err)
	if got.GetState() != transitionv1.PlanState_PLAN_STATE_CUTOVER_READY {
		t.Fatalf("plan %v after a refused cutover: want CUTOVER_READY", got)
	}
	// Without a date, the retry takes the recorded one (not today).
	live, err := e.Transition.CompleteCutover(tm, &transitionv1.CompleteCutoverRequest{Name: p.GetName(), Etag: got.GetEtag()})
	must(t, err)
	if live.GetState() != transitionv1.PlanState_PLAN_STATE_LIVE || !proto.Equal(live.GetCommencementDate(), s.GoLive) {
		t.Fatalf("plan %v: want LIVE from %v", live, s.GoLive)
	}
}

// spec: issue 3 item 7 — a dependency that is down gives the caller a
// clear UNAVAILABLE, never a hang or an INTERNAL.
func TestContractDown(t *testing.T) {
	key := []byte("transition-contract-down-test-k!")
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	deadAddr := dead.Addr().String()
	dead.Close() // nothing listens there any more
	conn, err := downstream.Dial("contract", deadAddr)
	must(t, err)
	defer conn.Close()

	verifier, err := auth.NewHMACVerifier(key)
	must(t, err)
	srv, err := grpcserver.New(grpcserver.Config{Log: zaptest.NewLogger(t), Verifier: verifier, Policy: transition.Policy})
	must(t, err)
	transitionv1.RegisterTransitionServiceServer(srv, transition.New(sqltest.Open(t, sqltest.SQLite, "transition", nil), contractv1.NewContractServiceClient(conn), nil))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, lis, 5*time.Second) }()
	client, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	must(t, err)
	t.Cleanup(func() {
		client.Close()
		stop()
		<-served
	})

	tok, err := auth.NewSigner(key).Mint("tm", []auth.Role{auth.TransitionManager}, "", time.Hour)
	must(t, err)
	call := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+tok)
	_, err = transitionv1.NewTransitionServiceClient(client).CreateTransitionPlan(call, &transitionv1.CreateTransitionPlanRequest{
		TransitionPlan: &transitionv1.TransitionPlan{Contract: "contracts/C1", StartDate: day(2026, 1, 5)},
	})
	wantMessage(t, err, codes.Unavailable, "contract is unavailable; try again later")
}

// The helper other services' tests use walks to a LIVE plan.
func liveContract(t *testing.T, e *testenv.Env) {
	l := e.LiveContract(t)
	if l.Plan.GetState() != transitionv1.PlanState_PLAN_STATE_LIVE || !proto.Equal(l.Contract.GetServiceCommencementDate(), l.CommencementDate) {
		t.Fatalf("live %v / %v", l.Plan, l.Contract.GetServiceCommencementDate())
	}
	list, err := e.Transition.ListTransitionPlans(e.AsRole(t, auth.Auditor), &transitionv1.ListTransitionPlansRequest{Filter: "state = LIVE AND contract = " + l.Contract.GetName()})
	must(t, err)
	if len(list.GetTransitionPlans()) != 1 {
		t.Fatalf("LIVE plans of the contract: %v", list.GetTransitionPlans())
	}
}

// Every task change rewrites its plan's counts, so concurrent changes of
// different tasks race on the plan; each must still succeed, and the
// counts must add up.
func concurrentTasks(t *testing.T, e *testenv.Env) {
	s := e.SignedContract(t)
	p := e.TransitionPlan(t, s)
	tm := e.AsRole(t, auth.TransitionManager)
	const n = 8
	var names []string
	for i := range n {
		task, err := e.Transition.CreateTask(tm, &transitionv1.CreateTaskRequest{Parent: p.GetName(), Task: &transitionv1.Task{
			Title: fmt.Sprintf("Parallel %d", i), Phase: transitionv1.Phase_PHASE_DOCUMENTATION,
		}})
		must(t, err)
		names = append(names, task.GetName())
	}
	errs := make(chan error, n)
	for _, name := range names {
		go func() {
			_, err := e.Transition.SkipTask(tm, &transitionv1.SkipTaskRequest{Name: name, Reason: "not needed"})
			errs <- err
		}()
	}
	for range n {
		must(t, <-errs)
	}
	got, err := e.Transition.GetTransitionPlan(tm, &transitionv1.GetTransitionPlanRequest{Name: p.GetName()})
	must(t, err)
	if got.GetTasksTotal() != 41+n || got.GetTasksFinished() != n {
		t.Fatalf("plan counts %d/%d, want %d/%d", got.GetTasksFinished(), got.GetTasksTotal(), n, 41+n)
	}
}

func day(y, m, d int32) *date.Date { return &date.Date{Year: y, Month: m, Day: d} }

func listTasks(t *testing.T, e *testenv.Env, plan string) []*transitionv1.Task {
	t.Helper()
	list, err := e.Transition.ListTasks(e.AsRole(t, auth.TransitionManager), &transitionv1.ListTasksRequest{Parent: plan, PageSize: 1000})
	must(t, err)
	return list.GetTasks()
}

func byTitle(tasks []*transitionv1.Task) map[string]*transitionv1.Task {
	out := map[string]*transitionv1.Task{}
	for _, t := range tasks {
		out[t.GetTitle()] = t
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, err error, want codes.Code) *status.Status {
	t.Helper()
	st, ok := status.FromError(err)
	if !ok || st.Code() != want {
		t.Fatalf("got %v, want %v", err, want)
	}
	return st
}

func wantMessage(t *testing.T, err error, code codes.Code, sub string) {
	t.Helper()
	if st := wantCode(t, err, code); !strings.Contains(st.Message(), sub) {
		t.Fatalf("message %q does not contain %q", st.Message(), sub)
	}
}

// violations returns the field violations of an INVALID_ARGUMENT.
func violations(t *testing.T, err error) map[string]string {
	t.Helper()
	st := wantCode(t, err, codes.InvalidArgument)
	out := map[string]string{}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				out[v.GetField()] = v.GetDescription()
			}
		}
	}
	return out
}

func violation(t *testing.T, err error, field string) string {
	t.Helper()
	v := violations(t, err)
	if _, ok := v[field]; !ok || len(v) != 1 {
		t.Fatalf("violations %v, want one on %s", v, field)
	}
	return v[field]
}

func wantViolations(t *testing.T, err error, fields ...string) {
	t.Helper()
	v := violations(t, err)
	var got []string
	for f := range v {
		got = append(got, f)
	}
	slices.Sort(got)
	slices.Sort(fields)
	if !slices.Equal(got, fields) {
		t.Fatalf("violations on %v, want %v (%v)", got, fields, err)
	}
}

func wantIntact(t *testing.T, v *auditv1.Verification) {
	t.Helper()
	if !v.GetIntact() || v.GetEventsChecked() == 0 {
		t.Fatalf("audit log %v: want intact", v)
	}
}
