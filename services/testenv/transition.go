package testenv

import (
	"testing"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/auth"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// Live is a signed contract whose transition plan has cut over: service
// commenced on the scope's go-live date.
type Live struct {
	*Signed
	// Plan is the LIVE transition plan.
	Plan *transitionv1.TransitionPlan
	// CommencementDate is the service commencement date, the scope's
	// go-live (the first of a month), recorded on Contract.
	CommencementDate *date.Date
}

// TransitionPlan creates the transition plan of s's signed contract from
// the template the engagement's function gives (front office for the
// customer support of SignedContract), starting ten weeks ago (UTC), so
// that work can be recorded as done in the past and the scope's two
// weeks of parallel run fit, and aiming at the scope's go-live, and
// starts it: an ACTIVE plan with every task NOT_STARTED.
func (e *Env) TransitionPlan(t testing.TB, s *Signed) *transitionv1.TransitionPlan {
	t.Helper()
	tm := e.AsRole(t, auth.TransitionManager)
	now := time.Now().UTC().AddDate(0, 0, -10*7)
	p, err := e.Transition.CreateTransitionPlan(tm, &transitionv1.CreateTransitionPlanRequest{TransitionPlan: &transitionv1.TransitionPlan{
		Contract:     s.Contract.GetName(),
		StartDate:    &date.Date{Year: int32(now.Year()), Month: int32(now.Month()), Day: int32(now.Day())},
		TargetGoLive: s.GoLive,
	}})
	must(t, "CreateTransitionPlan", err)
	p, err = e.Transition.StartTransitionPlan(tm, &transitionv1.StartTransitionPlanRequest{Name: p.GetName()})
	must(t, "StartTransitionPlan", err)
	return p
}

// FinishPreCutoverTasks brings plan to CUTOVER_READY: it starts and
// completes every task before the CUTOVER phase, in dependency order —
// PROVIDER tasks by a user of the contracted provider, CLIENT tasks by the
// transition manager — each started on the plan's start date (recorded
// after the fact, so the parallel run has lasted from then until today:
// the plan must start at least the scope's parallel-run weeks ago), the
// first INTEGRATION_TESTING task naming every integration of the scope;
// then MeetHandover. Afterwards every readiness gate passes.
func (e *Env) FinishPreCutoverTasks(t testing.TB, plan *transitionv1.TransitionPlan) {
	t.Helper()
	tm := e.AsRole(t, auth.TransitionManager)
	pu := e.AsProvider(t, plan.GetProvider())
	list, err := e.Transition.ListTasks(tm, &transitionv1.ListTasksRequest{Parent: plan.GetName(), PageSize: 1000})
	must(t, "ListTasks", err)
	finished := map[string]bool{}
	var open []*transitionv1.Task
	integrations := plan.GetIntegrations()
	for _, task := range list.GetTasks() {
		if task.GetPhase() < transitionv1.Phase_PHASE_CUTOVER {
			if task.GetPhase() == transitionv1.Phase_PHASE_INTEGRATION_TESTING && len(integrations) > 0 {
				task, err = e.Transition.UpdateTask(tm, &transitionv1.UpdateTaskRequest{
					Task:       &transitionv1.Task{Name: task.GetName(), Integrations: integrations},
					UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"integrations"}},
				})
				must(t, "UpdateTask integrations", err)
				integrations = nil
			}
			open = append(open, task)
		} else {
			finished[task.GetName()] = true // not needed, not done
		}
	}
	// Each round completes the tasks whose dependencies are all finished;
	// the template is acyclic, so every round makes progress.
	for len(open) > 0 {
		var rest []*transitionv1.Task
		for _, task := range open {
			ready := true
			for _, d := range task.GetDependsOn() {
				if !finished[d.GetTask()] {
					ready = false
				}
			}
			if !ready {
				rest = append(rest, task)
				continue
			}
			ctx := tm
			if task.GetOwnerSide() == transitionv1.OwnerSide_OWNER_SIDE_PROVIDER {
				ctx = pu
			}
			_, err := e.Transition.StartTask(ctx, &transitionv1.StartTaskRequest{Name: task.GetName(), ActualDate: plan.GetStartDate()})
			must(t, "StartTask "+task.GetTitle(), err)
			_, err = e.Transition.CompleteTask(ctx, &transitionv1.CompleteTaskRequest{Name: task.GetName()})
			must(t, "CompleteTask "+task.GetTitle(), err)
			finished[task.GetName()] = true
		}
		if len(rest) == len(open) {
			t.Fatalf("testenv: %d tasks of %s wait on tasks that never finish", len(rest), plan.GetName())
		}
		open = rest
	}
	e.MeetHandover(t, plan)
}

// MeetHandover records what the knowledge, training and parallel-run gates
// of plan ask besides tasks: a knowledge item signed off by both sides, a
// training session whose one trainee passed, and the provider's
// parallel-run result of each CRITICAL level of the contract at exactly
// its target (which meets it).
func (e *Env) MeetHandover(t testing.TB, plan *transitionv1.TransitionPlan) {
	t.Helper()
	tm := e.AsRole(t, auth.TransitionManager)
	pu := e.AsProvider(t, plan.GetProvider())
	item, err := e.Transition.CreateKnowledgeItem(tm, &transitionv1.CreateKnowledgeItemRequest{Parent: plan.GetName(), KnowledgeItem: &transitionv1.KnowledgeItem{
		Title: "Order returns SOP", Kind: transitionv1.KnowledgeItemKind_KNOWLEDGE_ITEM_KIND_SOP, Owner: "returns.lead@client.example", Receiver: "kt.lead@provider.example",
	}})
	must(t, "CreateKnowledgeItem", err)
	_, err = e.Transition.SignOffKnowledgeItem(tm, &transitionv1.SignOffKnowledgeItemRequest{Name: item.GetName()})
	must(t, "SignOffKnowledgeItem (client)", err)
	_, err = e.Transition.SignOffKnowledgeItem(pu, &transitionv1.SignOffKnowledgeItemRequest{Name: item.GetName()})
	must(t, "SignOffKnowledgeItem (provider)", err)
	session, err := e.Transition.CreateTrainingSession(tm, &transitionv1.CreateTrainingSessionRequest{Parent: plan.GetName(), TrainingSession: &transitionv1.TrainingSession{
		Topic: "Order returns", SessionDate: plan.GetStartDate(), Trainees: []*transitionv1.Trainee{{Trainee: "agent-001"}},
	}})
	must(t, "CreateTrainingSession", err)
	_, err = e.Transition.RecordTrainingResults(pu, &transitionv1.RecordTrainingResultsRequest{Name: session.GetName(),
		Results: []*transitionv1.Trainee{{Trainee: "agent-001", Result: transitionv1.TraineeResult_TRAINEE_RESULT_PASSED}}})
	must(t, "RecordTrainingResults", err)
	current, err := e.Transition.GetTransitionPlan(tm, &transitionv1.GetTransitionPlanRequest{Name: plan.GetName()})
	must(t, "GetTransitionPlan", err)
	for _, l := range current.GetCriticalServiceLevels() {
		_, err := e.Transition.ReportParallelRunResult(pu, &transitionv1.ReportParallelRunResultRequest{Parent: plan.GetName(),
			ParallelRunResult: &transitionv1.ParallelRunResult{ServiceLevel: l.GetKey(), Value: l.GetTarget()}})
		must(t, "ReportParallelRunResult "+l.GetKey(), err)
	}
}

// LiveContract walks an engagement to service commencement: SignedContract;
// the transition manager creates and starts the plan; every pre-cutover
// task is done (FinishPreCutoverTasks); the cutover completes with the
// scope's go-live as the commencement date, which the contract then shows.
// Monitoring evaluates periods from that date.
func (e *Env) LiveContract(t testing.TB) *Live {
	t.Helper()
	l := &Live{Signed: e.SignedContract(t)}
	plan := e.TransitionPlan(t, l.Signed)
	e.FinishPreCutoverTasks(t, plan)
	l.CommencementDate = l.GoLive
	var err error
	l.Plan, err = e.Transition.CompleteCutover(e.AsRole(t, auth.TransitionManager), &transitionv1.CompleteCutoverRequest{
		Name: plan.GetName(), CommencementDate: l.CommencementDate,
	})
	must(t, "CompleteCutover", err)
	l.Contract, err = e.Contract.GetContract(e.AsRole(t, auth.TransitionManager), &contractv1.GetContractRequest{Name: l.Contract.GetName()})
	must(t, "GetContract", err)
	if !proto.Equal(l.Contract.GetServiceCommencementDate(), l.CommencementDate) {
		t.Fatalf("testenv: %s commenced on %v after cutover, want %v", l.Contract.GetName(), l.Contract.GetServiceCommencementDate(), l.CommencementDate)
	}
	return l
}
