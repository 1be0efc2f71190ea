package transition_test

import (
	"strings"
	"testing"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/services/testenv"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

// Blocking tasks, closing a plan after hypercare and aborting one before
// go-live, through the gRPC API on each dialect.
func TestPlanEnds(t *testing.T) {
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		t.Run("block task", func(t *testing.T) { blockTask(t, e) })
		t.Run("close plan", func(t *testing.T) { closePlan(t, e) })
		t.Run("abort plan", func(t *testing.T) { abortPlan(t, e) })
		t.Run("abort refused once live or commenced", func(t *testing.T) { abortRefused(t, e) })
	})
}

// spec: transition.md, task state "BLOCKED (with reason)"; StartTask
// resumes a blocked task.
func blockTask(t *testing.T, e *testenv.Env) {
	s := e.SignedContract(t)
	p := e.TransitionPlan(t, s)
	tasks := byTitle(listTasks(t, e, p.GetName()))
	kickoff, team := tasks["Transition kick-off"], tasks["Mobilise the provider's transition team and site leads"]
	tm := e.AsRole(t, auth.TransitionManager)
	own := e.AsProvider(t, s.Provider)

	_, err := e.Transition.BlockTask(tm, &transitionv1.BlockTaskRequest{Name: kickoff.GetName(), Reason: "   "})
	wantViolations(t, err, "reason")
	_, err = e.Transition.BlockTask(tm, &transitionv1.BlockTaskRequest{Name: kickoff.GetName(), Reason: "x", Etag: "stale"})
	wantCode(t, err, codes.Aborted)
	// A provider user blocks only PROVIDER tasks of its own plans.
	_, err = e.Transition.BlockTask(own, &transitionv1.BlockTaskRequest{Name: kickoff.GetName(), Reason: "x"})
	wantMessage(t, err, codes.PermissionDenied, "only PROVIDER tasks")
	_, err = e.Transition.BlockTask(e.AsRole(t, auth.Auditor), &transitionv1.BlockTaskRequest{Name: kickoff.GetName(), Reason: "x"})
	wantCode(t, err, codes.PermissionDenied)

	// Blocked before it started: no actual start; a retry answers the first.
	req := &transitionv1.BlockTaskRequest{Name: kickoff.GetName(), Reason: "sponsor not yet named", Etag: kickoff.GetEtag(), RequestId: "block-kickoff"}
	blocked, err := e.Transition.BlockTask(tm, req)
	must(t, err)
	if blocked.GetState() != transitionv1.TaskState_TASK_STATE_BLOCKED || blocked.GetStateReason() != "sponsor not yet named" || blocked.GetActualStart() != nil {
		t.Fatalf("blocked %v", blocked)
	}
	again, err := e.Transition.BlockTask(tm, req)
	must(t, err)
	if !proto.Equal(again, blocked) {
		t.Fatalf("retry answered %v, want %v", again, blocked)
	}
	_, err = e.Transition.BlockTask(tm, &transitionv1.BlockTaskRequest{Name: kickoff.GetName(), Reason: "still"})
	wantMessage(t, err, codes.FailedPrecondition, "it is BLOCKED; only a task that is NOT_STARTED or IN_PROGRESS can be")
	_, err = e.Transition.CompleteTask(tm, &transitionv1.CompleteTaskRequest{Name: kickoff.GetName()})
	wantMessage(t, err, codes.FailedPrecondition, "it is BLOCKED; only a task that is IN_PROGRESS can be")
	// The readiness gate names it as BLOCKED.
	r, err := e.Transition.CheckReadiness(tm, &transitionv1.CheckReadinessRequest{Name: p.GetName()})
	must(t, err)
	if m := r.GetGates()[0].GetMissing(); len(m) == 0 || !strings.Contains(m[0], `"Transition kick-off"`) || !strings.HasSuffix(m[0], "is BLOCKED") {
		t.Fatalf("readiness %v: want the kick-off listed as BLOCKED", m)
	}
	// Resumed: IN_PROGRESS, the reason cleared.
	resumed, err := e.Transition.StartTask(tm, &transitionv1.StartTaskRequest{Name: kickoff.GetName()})
	must(t, err)
	if resumed.GetState() != transitionv1.TaskState_TASK_STATE_IN_PROGRESS || resumed.GetStateReason() != "" || resumed.GetActualStart() == nil {
		t.Fatalf("resumed %v", resumed)
	}
	_, err = e.Transition.CompleteTask(tm, &transitionv1.CompleteTaskRequest{Name: kickoff.GetName()})
	must(t, err)

	// A provider user blocks its own PROVIDER task while working on it;
	// resuming keeps the first actual start.
	started, err := e.Transition.StartTask(own, &transitionv1.StartTaskRequest{Name: team.GetName()})
	must(t, err)
	_, err = e.Transition.BlockTask(e.AsProvider(t, otherProvider(s)), &transitionv1.BlockTaskRequest{Name: team.GetName(), Reason: "x"})
	wantCode(t, err, codes.PermissionDenied)
	blocked, err = e.Transition.BlockTask(own, &transitionv1.BlockTaskRequest{Name: team.GetName(), Reason: "site lease not signed"})
	must(t, err)
	if blocked.GetState() != transitionv1.TaskState_TASK_STATE_BLOCKED || !proto.Equal(blocked.GetActualStart(), started.GetActualStart()) {
		t.Fatalf("blocked %v", blocked)
	}
	list, err := e.Transition.ListTasks(tm, &transitionv1.ListTasksRequest{Parent: p.GetName(), Filter: "state = BLOCKED"})
	must(t, err)
	if len(list.GetTasks()) != 1 || list.GetTasks()[0].GetName() != team.GetName() {
		t.Fatalf("BLOCKED tasks %v", list.GetTasks())
	}
	resumed, err = e.Transition.StartTask(own, &transitionv1.StartTaskRequest{Name: team.GetName()})
	must(t, err)
	if !proto.Equal(resumed.GetActualStart(), started.GetActualStart()) || resumed.GetStateReason() != "" {
		t.Fatalf("resumed %v: want the first actual start %v and no reason", resumed, started.GetActualStart())
	}

	events, err := e.Transition.ListAuditEvents(e.AsRole(t, auth.Auditor), &transitionv1.ListAuditEventsRequest{
		Filter: "method = " + transitionv1.TransitionService_BlockTask_FullMethodName, PageSize: 1000,
	})
	must(t, err)
	if n := len(events.GetAuditEvents()); n < 2 {
		t.Fatalf("%d BlockTask audit events, want 2 at least", n)
	}
}

// spec: transition.md, "LIVE → CLOSED (after hypercare)"; "Hypercare tasks
// follow; ClosePlan ends it".
func closePlan(t *testing.T, e *testenv.Env) {
	tm := e.AsRole(t, auth.TransitionManager)

	// Before cutover a plan cannot close; the message says what to do.
	s := e.SignedContract(t)
	active := e.TransitionPlan(t, s)
	_, err := e.Transition.ClosePlan(tm, &transitionv1.ClosePlanRequest{Name: active.GetName()})
	wantMessage(t, err, codes.FailedPrecondition, "it is ACTIVE; only a plan that is LIVE can be; a plan closes after cutover and hypercare; to abandon it, abort it (AbortPlan)")

	l := e.LiveContract(t)
	p := l.Plan
	var care []*transitionv1.Task
	for _, task := range listTasks(t, e, p.GetName()) {
		if task.GetPhase() == transitionv1.Phase_PHASE_HYPERCARE {
			care = append(care, task)
		}
	}
	if len(care) < 2 {
		t.Fatalf("%d hypercare tasks in the template, want 2 at least", len(care))
	}
	_, err = e.Transition.ClosePlan(e.AsProvider(t, l.Provider), &transitionv1.ClosePlanRequest{Name: p.GetName()})
	wantCode(t, err, codes.PermissionDenied)
	_, err = e.Transition.ClosePlan(tm, &transitionv1.ClosePlanRequest{Name: p.GetName()})
	wantMessage(t, err, codes.FailedPrecondition, "cannot close "+p.GetName()+": hypercare is not finished, these HYPERCARE tasks are open: "+label(care[0])+" is NOT_STARTED")

	// One blocked, the others skipped: the blocked one alone is named.
	_, err = e.Transition.BlockTask(tm, &transitionv1.BlockTaskRequest{Name: care[0].GetName(), Reason: "waiting for the first month's report"})
	must(t, err)
	for _, task := range care[1:] {
		_, err = e.Transition.SkipTask(tm, &transitionv1.SkipTaskRequest{Name: task.GetName(), Reason: "stable since go-live"})
		must(t, err)
	}
	_, err = e.Transition.ClosePlan(tm, &transitionv1.ClosePlanRequest{Name: p.GetName()})
	wantMessage(t, err, codes.FailedPrecondition, "these HYPERCARE tasks are open: "+label(care[0])+" is BLOCKED; complete or skip them first")
	_, err = e.Transition.SkipTask(tm, &transitionv1.SkipTaskRequest{Name: care[0].GetName(), Reason: "report accepted early"})
	must(t, err)

	live, err := e.Transition.GetTransitionPlan(tm, &transitionv1.GetTransitionPlanRequest{Name: p.GetName()})
	must(t, err)
	_, err = e.Transition.ClosePlan(tm, &transitionv1.ClosePlanRequest{Name: p.GetName(), Etag: "stale"})
	wantCode(t, err, codes.Aborted)
	req := &transitionv1.ClosePlanRequest{Name: p.GetName(), Etag: live.GetEtag(), RequestId: "close-1"}
	closed, err := e.Transition.ClosePlan(tm, req)
	must(t, err)
	if closed.GetState() != transitionv1.PlanState_PLAN_STATE_CLOSED || closed.GetEndTime() == nil || closed.GetStateReason() != "" ||
		!proto.Equal(closed.GetCommencementDate(), live.GetCommencementDate()) {
		t.Fatalf("closed %v", closed)
	}
	again, err := e.Transition.ClosePlan(tm, req)
	must(t, err)
	if !proto.Equal(again, closed) {
		t.Fatalf("retry %v, want %v", again, closed)
	}
	_, err = e.Transition.ClosePlan(tm, &transitionv1.ClosePlanRequest{Name: p.GetName()})
	wantMessage(t, err, codes.FailedPrecondition, "it is CLOSED")

	// A closed plan is over: its tasks no longer change, and it cannot be aborted.
	_, err = e.Transition.CreateTask(tm, &transitionv1.CreateTaskRequest{Parent: p.GetName(), Task: &transitionv1.Task{Title: "More care", Phase: transitionv1.Phase_PHASE_HYPERCARE}})
	wantMessage(t, err, codes.FailedPrecondition, "is CLOSED; its tasks can no longer be changed")
	_, err = e.Transition.AbortPlan(tm, &transitionv1.AbortPlanRequest{Name: p.GetName(), Reason: "too late"})
	wantMessage(t, err, codes.FailedPrecondition, "it is CLOSED")
	// The contract runs on: still commenced.
	c, err := e.Contract.GetContract(tm, &contractv1.GetContractRequest{Name: l.Contract.GetName()})
	must(t, err)
	if !proto.Equal(c.GetServiceCommencementDate(), l.CommencementDate) {
		t.Fatalf("contract %v after close", c)
	}

	auditor := e.AsRole(t, auth.Auditor)
	events, err := e.Transition.ListAuditEvents(auditor, &transitionv1.ListAuditEventsRequest{Filter: "resource = " + p.GetName(), PageSize: 1000})
	must(t, err)
	last := events.GetAuditEvents()[len(events.GetAuditEvents())-1]
	if last.GetMethod() != transitionv1.TransitionService_ClosePlan_FullMethodName || last.GetRequestId() != "close-1" {
		t.Fatalf("last event %v: want the close", last)
	}
	v, err := e.Transition.VerifyAuditLog(auditor, &transitionv1.VerifyAuditLogRequest{})
	must(t, err)
	wantIntact(t, v.GetVerification())
}

// spec: transition.md, "ABORTED with a reason"; the contract is released
// for a new plan.
func abortPlan(t *testing.T, e *testenv.Env) {
	s := e.SignedContract(t)
	p := e.TransitionPlan(t, s)
	tm := e.AsRole(t, auth.TransitionManager)
	kickoff := byTitle(listTasks(t, e, p.GetName()))["Transition kick-off"]
	_, err := e.Transition.StartTask(tm, &transitionv1.StartTaskRequest{Name: kickoff.GetName()})
	must(t, err)

	_, err = e.Transition.AbortPlan(e.AsProvider(t, s.Provider), &transitionv1.AbortPlanRequest{Name: p.GetName(), Reason: "x"})
	wantCode(t, err, codes.PermissionDenied)
	_, err = e.Transition.AbortPlan(tm, &transitionv1.AbortPlanRequest{Name: p.GetName(), Reason: " "})
	wantViolations(t, err, "reason")
	_, err = e.Transition.AbortPlan(tm, &transitionv1.AbortPlanRequest{Name: p.GetName()})
	wantViolations(t, err, "reason")
	_, err = e.Transition.AbortPlan(tm, &transitionv1.AbortPlanRequest{Name: p.GetName(), Reason: "x", Etag: "stale"})
	wantCode(t, err, codes.Aborted)

	current, err := e.Transition.GetTransitionPlan(tm, &transitionv1.GetTransitionPlanRequest{Name: p.GetName()})
	must(t, err)
	req := &transitionv1.AbortPlanRequest{Name: p.GetName(), Reason: " the provider's site failed the security audit ", Etag: current.GetEtag(), RequestId: "abort-1"}
	aborted, err := e.Transition.AbortPlan(tm, req)
	must(t, err)
	if aborted.GetState() != transitionv1.PlanState_PLAN_STATE_ABORTED || aborted.GetStateReason() != "the provider's site failed the security audit" || aborted.GetEndTime() == nil {
		t.Fatalf("aborted %v", aborted)
	}
	again, err := e.Transition.AbortPlan(tm, req)
	must(t, err)
	if !proto.Equal(again, aborted) {
		t.Fatalf("retry %v, want %v", again, aborted)
	}
	_, err = e.Transition.AbortPlan(tm, &transitionv1.AbortPlanRequest{Name: p.GetName(), Reason: "again"})
	wantMessage(t, err, codes.FailedPrecondition, "it is ABORTED")

	// Its tasks freeze; it cannot start, cut over or close.
	_, err = e.Transition.CompleteTask(tm, &transitionv1.CompleteTaskRequest{Name: kickoff.GetName()})
	wantMessage(t, err, codes.FailedPrecondition, "is ABORTED; its tasks can no longer change state")
	_, err = e.Transition.CompleteCutover(tm, &transitionv1.CompleteCutoverRequest{Name: p.GetName()})
	wantMessage(t, err, codes.FailedPrecondition, "it is ABORTED")
	_, err = e.Transition.ClosePlan(tm, &transitionv1.ClosePlanRequest{Name: p.GetName()})
	wantMessage(t, err, codes.FailedPrecondition, "it is ABORTED")

	// The contract is released: a new plan can be made for it, and only one.
	fresh, err := e.Transition.CreateTransitionPlan(tm, &transitionv1.CreateTransitionPlanRequest{TransitionPlan: &transitionv1.TransitionPlan{
		Contract: s.Contract.GetName(), StartDate: p.GetStartDate(), Template: "back_office",
	}})
	must(t, err)
	if fresh.GetName() == p.GetName() || fresh.GetState() != transitionv1.PlanState_PLAN_STATE_DRAFT {
		t.Fatalf("new plan %v", fresh)
	}
	_, err = e.Transition.CreateTransitionPlan(tm, &transitionv1.CreateTransitionPlanRequest{TransitionPlan: &transitionv1.TransitionPlan{
		Contract: s.Contract.GetName(), StartDate: p.GetStartDate(),
	}})
	wantMessage(t, err, codes.AlreadyExists, s.Contract.GetName()+" already has a transition plan, "+fresh.GetName())
	list, err := e.Transition.ListTransitionPlans(tm, &transitionv1.ListTransitionPlansRequest{Filter: "contract = " + s.Contract.GetName()})
	must(t, err)
	if len(list.GetTransitionPlans()) != 2 {
		t.Fatalf("plans of the contract %v: want the aborted one and the new one", list.GetTransitionPlans())
	}
	list, err = e.Transition.ListTransitionPlans(tm, &transitionv1.ListTransitionPlansRequest{Filter: "contract = " + s.Contract.GetName() + " AND state = ABORTED"})
	must(t, err)
	if len(list.GetTransitionPlans()) != 1 || list.GetTransitionPlans()[0].GetName() != p.GetName() {
		t.Fatalf("aborted plans of the contract %v", list.GetTransitionPlans())
	}
	// A DRAFT plan can be aborted as well.
	draft, err := e.Transition.AbortPlan(tm, &transitionv1.AbortPlanRequest{Name: fresh.GetName(), Reason: "wrong template"})
	must(t, err)
	if draft.GetState() != transitionv1.PlanState_PLAN_STATE_ABORTED {
		t.Fatalf("aborted draft %v", draft)
	}

	// The abort and the release of the contract are audited.
	auditor := e.AsRole(t, auth.Auditor)
	events, err := e.Transition.ListAuditEvents(auditor, &transitionv1.ListAuditEventsRequest{Filter: "request_id = abort-1", PageSize: 1000})
	must(t, err)
	resources := map[string]string{}
	for _, ev := range events.GetAuditEvents() {
		resources[ev.GetResource()] = ev.GetMethod()
	}
	if resources[p.GetName()] != transitionv1.TransitionService_AbortPlan_FullMethodName ||
		resources[s.Contract.GetName()+"/transitionPlan"] != transitionv1.TransitionService_AbortPlan_FullMethodName || len(resources) != 2 {
		t.Fatalf("audit of the abort %v: want the plan and the contract's claim", resources)
	}
	v, err := e.Transition.VerifyAuditLog(auditor, &transitionv1.VerifyAuditLogRequest{})
	must(t, err)
	wantIntact(t, v.GetVerification())
}

// A LIVE plan is not aborted, nor one whose cutover recorded the
// commencement on the contract but did not finish (see CompleteCutover).
func abortRefused(t *testing.T, e *testenv.Env) {
	tm := e.AsRole(t, auth.TransitionManager)
	l := e.LiveContract(t)
	_, err := e.Transition.AbortPlan(tm, &transitionv1.AbortPlanRequest{Name: l.Plan.GetName(), Reason: "x"})
	wantMessage(t, err, codes.FailedPrecondition, "it is LIVE; only a plan that is DRAFT or ACTIVE or CUTOVER_READY can be; the service has commenced")

	s := e.SignedContract(t)
	p := e.TransitionPlan(t, s)
	e.FinishPreCutoverTasks(t, p)
	_, err = e.Contract.RecordServiceCommencement(tm, &contractv1.RecordServiceCommencementRequest{
		Name: s.Contract.GetName(), CommencementDate: s.GoLive, TransitionPlan: p.GetName(),
	})
	must(t, err)
	_, err = e.Transition.AbortPlan(tm, &transitionv1.AbortPlanRequest{Name: p.GetName(), Reason: "x"})
	wantMessage(t, err, codes.FailedPrecondition, "already records service commencement on")
	wantMessage(t, err, codes.FailedPrecondition, "complete it (CompleteCutover)")
	got, err := e.Transition.GetTransitionPlan(tm, &transitionv1.GetTransitionPlanRequest{Name: p.GetName()})
	must(t, err)
	if got.GetState() != transitionv1.PlanState_PLAN_STATE_CUTOVER_READY {
		t.Fatalf("plan %v after a refused abort: want CUTOVER_READY", got)
	}
}

// label is how messages name a task: "Title" (id).
func label(task *transitionv1.Task) string {
	return `"` + task.GetTitle() + `" (` + task.GetName()[strings.LastIndex(task.GetName(), "/")+1:] + ")"
}

// otherProvider is a provider of s's sourcing event other than the
// contracted one.
func otherProvider(s *testenv.Signed) string {
	for _, prov := range s.Providers {
		if prov.GetName() != s.Provider {
			return prov.GetName()
		}
	}
	return ""
}
