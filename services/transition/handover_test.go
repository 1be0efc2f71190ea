package transition_test

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/civil"
	"github.com/acme/bpo/services/testenv"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

func TestHandover(t *testing.T) {
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		t.Run("knowledge items and their sign-offs", func(t *testing.T) { knowledgeItems(t, e) })
		t.Run("training and parallel run settle the plan", func(t *testing.T) { gatesSettle(t, e) })
		t.Run("plan update and task deletion", func(t *testing.T) { planEdits(t, e) })
		t.Run("export", func(t *testing.T) { exportSchedule(t, e) })
		t.Run("a terminated contract aborts its plan", func(t *testing.T) { terminated(t, e) })
	})
}

// spec: transition.md, "Knowledge items … signed off by both";
// conventions.md — each side only its own signature, a provider user only
// for its own plans, every change audited and idempotent by request_id.
func knowledgeItems(t *testing.T, e *testenv.Env) {
	s := e.SignedContract(t)
	p := e.TransitionPlan(t, s)
	tm := e.AsRole(t, auth.TransitionManager)
	own, stranger := e.AsProvider(t, s.Provider), e.AsProvider(t, "providers/STRANGER")

	// The template comes from the engagement's function (customer
	// support), the target go-live from the scope.
	if p.GetTemplate() != "front_office" || !proto.Equal(p.GetTargetGoLive(), s.GoLive) || p.GetParallelRunWeeks() != 2 || len(p.GetCriticalServiceLevels()) != 1 {
		t.Fatalf("plan %v: want the front-office template, the scope's go-live and readiness terms", p)
	}

	req := &transitionv1.CreateKnowledgeItemRequest{Parent: p.GetName(), RequestId: "item-1", KnowledgeItem: &transitionv1.KnowledgeItem{
		Title: "Returns SOP", Kind: transitionv1.KnowledgeItemKind_KNOWLEDGE_ITEM_KIND_SOP, Owner: "ana@client", Receiver: "ben@provider",
		ClientSignOff: &transitionv1.SignOff{Signer: "forged"}, // output only: never stored
	}}
	_, err := e.Transition.CreateKnowledgeItem(own, req)
	wantCode(t, err, codes.PermissionDenied) // the client hands knowledge over
	item, err := e.Transition.CreateKnowledgeItem(tm, req)
	must(t, err)
	if item.GetClientSignOff() != nil {
		t.Fatalf("a sign-off was taken from the request: %v", item)
	}
	again, err := e.Transition.CreateKnowledgeItem(tm, req)
	must(t, err)
	if again.GetName() != item.GetName() {
		t.Fatalf("retry created %s, want %s", again.GetName(), item.GetName())
	}
	_, err = e.Transition.CreateKnowledgeItem(tm, &transitionv1.CreateKnowledgeItemRequest{Parent: p.GetName(), KnowledgeItem: &transitionv1.KnowledgeItem{Title: " "}})
	wantViolations(t, err, "knowledge_item.kind", "knowledge_item.owner", "knowledge_item.receiver", "knowledge_item.title")

	// Another provider's user neither reads nor signs it.
	_, err = e.Transition.GetKnowledgeItem(stranger, &transitionv1.GetKnowledgeItemRequest{Name: item.GetName()})
	wantCode(t, err, codes.PermissionDenied)
	_, err = e.Transition.SignOffKnowledgeItem(stranger, &transitionv1.SignOffKnowledgeItemRequest{Name: item.GetName()})
	wantCode(t, err, codes.PermissionDenied)

	// Nor records training or parallel-run results on it.
	_, err = e.Transition.CreateTrainingSession(stranger, &transitionv1.CreateTrainingSessionRequest{Parent: p.GetName(), TrainingSession: &transitionv1.TrainingSession{
		Topic: "Returns", SessionDate: p.GetStartDate(), Trainees: []*transitionv1.Trainee{{Trainee: "x"}},
	}})
	wantCode(t, err, codes.PermissionDenied)
	_, err = e.Transition.ReportParallelRunResult(stranger, &transitionv1.ReportParallelRunResultRequest{Parent: p.GetName(),
		ParallelRunResult: &transitionv1.ParallelRunResult{ServiceLevel: testenv.LevelASA, Value: "99"}})
	wantCode(t, err, codes.PermissionDenied)

	// Each side signs its own signature, once.
	signed, err := e.Transition.SignOffKnowledgeItem(own, &transitionv1.SignOffKnowledgeItemRequest{Name: item.GetName(), RequestId: "sign-p"})
	must(t, err)
	if signed.GetProviderSignOff().GetSigner() != testenv.ProviderUser(s.Provider) || signed.GetClientSignOff() != nil {
		t.Fatalf("after the provider's sign-off: %v", signed)
	}
	retry, err := e.Transition.SignOffKnowledgeItem(own, &transitionv1.SignOffKnowledgeItemRequest{Name: item.GetName(), RequestId: "sign-p"})
	must(t, err)
	if !proto.Equal(retry, signed) {
		t.Fatalf("retry %v, want %v", retry, signed)
	}
	_, err = e.Transition.SignOffKnowledgeItem(own, &transitionv1.SignOffKnowledgeItemRequest{Name: item.GetName()})
	wantMessage(t, err, codes.FailedPrecondition, "is already signed off for the provider by "+testenv.ProviderUser(s.Provider))
	r, err := e.Transition.CheckReadiness(tm, &transitionv1.CheckReadinessRequest{Name: p.GetName()})
	must(t, err)
	if g := r.GetGates()[1]; g.GetGate() != "knowledge" || strings.Join(g.GetMissing(), "|") != `SOP "Returns SOP" (`+idOf(item.GetName())+`) is not signed off by the client (owner ana@client)` {
		t.Fatalf("knowledge gate %v", g)
	}
	both, err := e.Transition.SignOffKnowledgeItem(tm, &transitionv1.SignOffKnowledgeItemRequest{Name: item.GetName()})
	must(t, err)
	if both.GetClientSignOff().GetSigner() != "transition_manager" {
		t.Fatalf("after the client's sign-off: %v", both)
	}
	r, err = e.Transition.CheckReadiness(tm, &transitionv1.CheckReadinessRequest{Name: p.GetName()})
	must(t, err)
	if g := r.GetGates()[1]; !g.GetPassed() {
		t.Fatalf("knowledge gate %v: want passed", g)
	}
	list, err := e.Transition.ListKnowledgeItems(own, &transitionv1.ListKnowledgeItemsRequest{Parent: p.GetName(), Filter: "kind = SOP"})
	must(t, err)
	if len(list.GetKnowledgeItems()) != 1 {
		t.Fatalf("items %v", list.GetKnowledgeItems())
	}
	// Audited: the creation and both sign-offs.
	events, err := e.Transition.ListAuditEvents(e.AsRole(t, auth.Auditor), &transitionv1.ListAuditEventsRequest{Filter: "resource = " + item.GetName()})
	must(t, err)
	if len(events.GetAuditEvents()) != 3 {
		t.Fatalf("%d audit events of %s, want 3", len(events.GetAuditEvents()), item.GetName())
	}
}

func idOf(name string) string { return name[strings.LastIndex(name, "/")+1:] }

// spec: transition.md, "Readiness gates" — the plan becomes CUTOVER_READY
// when the last gate passes, and only then may it cut over.
func gatesSettle(t *testing.T, e *testenv.Env) {
	s := e.SignedContract(t)
	p := e.TransitionPlan(t, s)
	tm, own := e.AsRole(t, auth.TransitionManager), e.AsProvider(t, s.Provider)

	// A start in the future, or before the plan's start, is refused.
	tasks := listTasks(t, e, p.GetName())
	tomorrow := time.Now().UTC().AddDate(0, 0, 1)
	_, err := e.Transition.StartTask(tm, &transitionv1.StartTaskRequest{Name: tasks[0].GetName(), ActualDate: day(int32(tomorrow.Year()), int32(tomorrow.Month()), int32(tomorrow.Day()))})
	wantViolations(t, err, "actual_date")
	_, err = e.Transition.StartTask(tm, &transitionv1.StartTaskRequest{Name: tasks[0].GetName(), ActualDate: day(2000, 1, 3)})
	wantViolations(t, err, "actual_date")

	e.FinishPreCutoverTasks(t, p) // every gate passes: CUTOVER_READY
	got, err := e.Transition.GetTransitionPlan(tm, &transitionv1.GetTransitionPlanRequest{Name: p.GetName()})
	must(t, err)
	if got.GetState() != transitionv1.PlanState_PLAN_STATE_CUTOVER_READY {
		t.Fatalf("plan %v: want CUTOVER_READY", got)
	}

	// A trainee who fails takes it back to ACTIVE: 1 of 2 passed, 50 %
	// < 90 %; a cutover is refused naming the trainee.
	session, err := e.Transition.CreateTrainingSession(own, &transitionv1.CreateTrainingSessionRequest{Parent: p.GetName(), TrainingSession: &transitionv1.TrainingSession{
		Topic: "Refunds", SessionDate: p.GetStartDate(), Trainees: []*transitionv1.Trainee{{Trainee: "agent-002"}},
	}})
	must(t, err)
	_, err = e.Transition.RecordTrainingResults(own, &transitionv1.RecordTrainingResultsRequest{Name: session.GetName(),
		Results: []*transitionv1.Trainee{{Trainee: "agent-999", Result: transitionv1.TraineeResult_TRAINEE_RESULT_PASSED}}})
	wantViolations(t, err, "results[0].trainee")
	_, err = e.Transition.RecordTrainingResults(own, &transitionv1.RecordTrainingResultsRequest{Name: session.GetName(),
		Results: []*transitionv1.Trainee{{Trainee: "agent-002", Result: transitionv1.TraineeResult_TRAINEE_RESULT_FAILED}}})
	must(t, err)
	got, err = e.Transition.GetTransitionPlan(tm, &transitionv1.GetTransitionPlanRequest{Name: p.GetName()})
	must(t, err)
	if got.GetState() != transitionv1.PlanState_PLAN_STATE_ACTIVE {
		t.Fatalf("plan %v: want ACTIVE again", got)
	}
	_, err = e.Transition.CompleteCutover(tm, &transitionv1.CompleteCutoverRequest{Name: p.GetName(), CommencementDate: s.GoLive})
	wantMessage(t, err, codes.FailedPrecondition, `gate "training": 1 of 2 trainees passed (50 %), below the threshold of 90 %; trainee agent-002 has not passed (Refunds: FAILED on`)

	// A lower threshold lets it through: 1 × 10 000 ≥ 5 000 × 2.
	upd, err := e.Transition.UpdateTransitionPlan(tm, &transitionv1.UpdateTransitionPlanRequest{
		TransitionPlan: &transitionv1.TransitionPlan{Name: p.GetName(), TrainingPassThresholdBps: 5000},
		UpdateMask:     &fieldmaskpb.FieldMask{Paths: []string{"training_pass_threshold_bps"}},
	})
	must(t, err)
	if upd.GetState() != transitionv1.PlanState_PLAN_STATE_CUTOVER_READY {
		t.Fatalf("plan %v: want CUTOVER_READY at a 50 %% threshold", upd)
	}

	// The provider reports a missed level: back to ACTIVE, the gate names it.
	_, err = e.Transition.ReportParallelRunResult(tm, &transitionv1.ReportParallelRunResultRequest{Parent: p.GetName(),
		ParallelRunResult: &transitionv1.ParallelRunResult{ServiceLevel: testenv.LevelASA, Value: "90"}})
	wantCode(t, err, codes.PermissionDenied) // the provider reports
	_, err = e.Transition.ReportParallelRunResult(own, &transitionv1.ReportParallelRunResultRequest{Parent: p.GetName(),
		ParallelRunResult: &transitionv1.ParallelRunResult{ServiceLevel: "nope", Value: "abc"}})
	wantViolations(t, err, "parallel_run_result.value") // the value first, before the plan is read
	_, err = e.Transition.ReportParallelRunResult(own, &transitionv1.ReportParallelRunResultRequest{Parent: p.GetName(),
		ParallelRunResult: &transitionv1.ParallelRunResult{ServiceLevel: "nope", Value: "1"}})
	wantMessage(t, err, codes.InvalidArgument, `"nope" is not a CRITICAL level of `+s.Contract.GetName()+"; its CRITICAL levels are "+testenv.LevelASA)
	res, err := e.Transition.ReportParallelRunResult(own, &transitionv1.ReportParallelRunResultRequest{Parent: p.GetName(),
		ParallelRunResult: &transitionv1.ParallelRunResult{ServiceLevel: testenv.LevelASA, Value: "79.5", SampleSize: 1200}})
	must(t, err)
	if res.GetMet() || res.GetTarget() != "80" || res.GetName() != p.GetName()+"/parallelRunResults/"+testenv.LevelASA {
		t.Fatalf("result %v: want missed against 80", res)
	}
	r, err := e.Transition.CheckReadiness(e.AsRole(t, auth.Auditor), &transitionv1.CheckReadinessRequest{Name: p.GetName()})
	must(t, err)
	if g := r.GetGates()[4]; g.GetPassed() || !strings.Contains(strings.Join(g.GetMissing(), "|"), "CRITICAL level "+testenv.LevelASA+" (Calls answered within 20 s) was missed in the parallel run: 79.5, wants at least 80") {
		t.Fatalf("parallel-run gate %v", g)
	}
	if _, err := e.Transition.ReportParallelRunResult(own, &transitionv1.ReportParallelRunResultRequest{Parent: p.GetName(),
		ParallelRunResult: &transitionv1.ParallelRunResult{ServiceLevel: testenv.LevelASA, Value: "81.2"}}); err != nil {
		t.Fatal(err)
	}
	live, err := e.Transition.CompleteCutover(tm, &transitionv1.CompleteCutoverRequest{Name: p.GetName(), CommencementDate: s.GoLive})
	must(t, err)
	if live.GetState() != transitionv1.PlanState_PLAN_STATE_LIVE {
		t.Fatalf("plan %v: want LIVE", live)
	}
}

// UpdateTransitionPlan and DeleteTask.
func planEdits(t *testing.T, e *testenv.Env) {
	s := e.SignedContract(t)
	p := e.TransitionPlan(t, s)
	tm := e.AsRole(t, auth.TransitionManager)
	_, err := e.Transition.UpdateTransitionPlan(tm, &transitionv1.UpdateTransitionPlanRequest{
		TransitionPlan: &transitionv1.TransitionPlan{Name: p.GetName(), StartDate: day(2026, 1, 5)},
		UpdateMask:     &fieldmaskpb.FieldMask{Paths: []string{"start_date"}},
	})
	wantMessage(t, err, codes.InvalidArgument, "can change only while the plan is DRAFT; it is ACTIVE")
	_, err = e.Transition.UpdateTransitionPlan(tm, &transitionv1.UpdateTransitionPlanRequest{
		TransitionPlan: &transitionv1.TransitionPlan{Name: p.GetName(), Contract: "contracts/OTHER"},
		UpdateMask:     &fieldmaskpb.FieldMask{Paths: []string{"contract"}},
	})
	wantCode(t, err, codes.InvalidArgument) // immutable
	target := day(2027, 3, 1)
	upd, err := e.Transition.UpdateTransitionPlan(tm, &transitionv1.UpdateTransitionPlanRequest{
		TransitionPlan: &transitionv1.TransitionPlan{Name: p.GetName(), TargetGoLive: target, Holidays: []*dateT{day(2026, 12, 25), day(2026, 12, 24), day(2026, 12, 25)}},
		UpdateMask:     &fieldmaskpb.FieldMask{Paths: []string{"target_go_live", "holidays"}},
		RequestId:      "upd-1",
	})
	must(t, err)
	if !proto.Equal(upd.GetTargetGoLive(), target) || len(upd.GetHolidays()) != 2 || upd.GetHolidays()[0].GetDay() != 24 {
		t.Fatalf("updated %v: want the new target and two holidays in order", upd)
	}
	_, err = e.Transition.UpdateTransitionPlan(e.AsProvider(t, s.Provider), &transitionv1.UpdateTransitionPlanRequest{TransitionPlan: &transitionv1.TransitionPlan{Name: p.GetName()}})
	wantCode(t, err, codes.PermissionDenied)

	// DeleteTask: refused while others depend on it, naming them.
	tasks := listTasks(t, e, p.GetName())
	kickoff := tasks[0]
	_, err = e.Transition.DeleteTask(tm, &transitionv1.DeleteTaskRequest{Name: kickoff.GetName()})
	wantMessage(t, err, codes.FailedPrecondition, `cannot delete task "Transition kick-off" (`+idOf(kickoff.GetName())+`): "Transition charter, RACI and communication plan"`)
	extra, err := e.Transition.CreateTask(tm, &transitionv1.CreateTaskRequest{Parent: p.GetName(), Task: &transitionv1.Task{
		Title: "Extra review", Phase: transitionv1.Phase_PHASE_DOCUMENTATION, DependsOn: []*transitionv1.Dependency{{Task: kickoff.GetName(), Type: transitionv1.DependencyType_DEPENDENCY_TYPE_START_TO_START, LagDays: 2}},
	}})
	must(t, err)
	before, err := e.Transition.GetTransitionPlan(tm, &transitionv1.GetTransitionPlanRequest{Name: p.GetName()})
	must(t, err)
	_, err = e.Transition.DeleteTask(tm, &transitionv1.DeleteTaskRequest{Name: extra.GetName(), RequestId: "del-1"})
	must(t, err)
	_, err = e.Transition.DeleteTask(tm, &transitionv1.DeleteTaskRequest{Name: extra.GetName(), RequestId: "del-1"})
	must(t, err) // the retry answers the first result
	_, err = e.Transition.GetTask(tm, &transitionv1.GetTaskRequest{Name: extra.GetName()})
	wantCode(t, err, codes.NotFound)
	after, err := e.Transition.GetTransitionPlan(tm, &transitionv1.GetTransitionPlanRequest{Name: p.GetName()})
	must(t, err)
	if after.GetTasksTotal() != before.GetTasksTotal()-1 {
		t.Fatalf("tasks_total %d after a deletion, want %d", after.GetTasksTotal(), before.GetTasksTotal()-1)
	}
	// A started task stays: skip it instead.
	hypercare := tasks[len(tasks)-1]
	_, err = e.Transition.StartTask(tm, &transitionv1.StartTaskRequest{Name: hypercare.GetName()})
	must(t, err)
	_, err = e.Transition.DeleteTask(tm, &transitionv1.DeleteTaskRequest{Name: hypercare.GetName()})
	wantMessage(t, err, codes.FailedPrecondition, "it is IN_PROGRESS, and its work is part of the plan's record; skip it instead")
}

// spec: issue 11 — a CSV a project manager can open and an SVG Gantt chart
// with one bar per task.
func exportSchedule(t *testing.T, e *testenv.Env) {
	s := e.SignedContract(t)
	p := e.TransitionPlan(t, s)
	reader := e.AsRole(t, auth.Auditor)
	n := len(listTasks(t, e, p.GetName()))

	body, err := e.Transition.ExportSchedule(reader, &transitionv1.ExportScheduleRequest{Name: p.GetName() + "/schedule", Format: "csv"})
	must(t, err)
	if body.GetContentType() != "text/csv; charset=utf-8" {
		t.Fatalf("content type %q", body.GetContentType())
	}
	rows, err := csv.NewReader(bytes.NewReader(body.GetData())).ReadAll()
	must(t, err)
	if len(rows) != n+1 || strings.Join(rows[0][:12], ",") != "task,title,phase,state,owner_side,duration_days,earliest_start,earliest_finish,latest_start,latest_finish,slack_days,critical" {
		t.Fatalf("%d rows, header %v; want %d tasks after the header", len(rows), rows[0], n)
	}
	sched, err := e.Transition.GetSchedule(reader, &transitionv1.GetScheduleRequest{Name: p.GetName() + "/schedule"})
	must(t, err)
	first := sched.GetTasks()[0]
	if rows[1][0] != first.GetTask() || rows[1][6] != civilDate(first.GetEarliestStart()) || rows[1][11] != "true" {
		t.Fatalf("first row %v, want %v", rows[1], first)
	}

	// As of a status date after the start, no task that has not started
	// starts before it: the schedule as it will stand on that day.
	asOf := time.Now().UTC().AddDate(0, 0, 7)
	for asOf.Weekday() == time.Saturday || asOf.Weekday() == time.Sunday {
		asOf = asOf.AddDate(0, 0, 1)
	}
	asOfDay := day(int32(asOf.Year()), int32(asOf.Month()), int32(asOf.Day()))
	later, err := e.Transition.GetSchedule(reader, &transitionv1.GetScheduleRequest{Name: p.GetName() + "/schedule", AsOf: asOfDay})
	must(t, err)
	if !proto.Equal(later.GetAsOf(), asOfDay) {
		t.Fatalf("as_of %v, want %v", later.GetAsOf(), asOfDay)
	}
	for _, st := range later.GetTasks() {
		if civilDate(st.GetEarliestStart()) < civilDate(asOfDay) {
			t.Fatalf("%s starts on %s, before the status date %s", st.GetTitle(), civilDate(st.GetEarliestStart()), civilDate(asOfDay))
		}
	}
	_, err = e.Transition.GetSchedule(reader, &transitionv1.GetScheduleRequest{Name: p.GetName() + "/schedule", AsOf: day(2026, 2, 30)})
	wantViolations(t, err, "as_of")

	body, err = e.Transition.ExportSchedule(reader, &transitionv1.ExportScheduleRequest{Name: p.GetName() + "/schedule", Format: "SVG"})
	must(t, err)
	if body.GetContentType() != "image/svg+xml" {
		t.Fatalf("content type %q", body.GetContentType())
	}
	bars, critical := 0, 0
	dec := xml.NewDecoder(bytes.NewReader(body.GetData()))
	root := ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		must(t, err)
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Local
			}
			for _, a := range se.Attr {
				if se.Name.Local == "rect" && a.Name.Local == "class" && strings.Fields(a.Value)[0] == "bar" {
					bars++
					if strings.Contains(a.Value, "critical") {
						critical++
					}
				}
			}
		}
	}
	if root != "svg" || bars != n || critical == 0 {
		t.Fatalf("root %q with %d bars (%d critical), want svg with %d bars", root, bars, critical, n)
	}
	_, err = e.Transition.ExportSchedule(reader, &transitionv1.ExportScheduleRequest{Name: p.GetName() + "/schedule", Format: "pdf"})
	wantViolations(t, err, "format")
	_, err = e.Transition.ExportSchedule(e.AsProvider(t, "providers/STRANGER"), &transitionv1.ExportScheduleRequest{Name: p.GetName() + "/schedule", Format: "csv"})
	wantCode(t, err, codes.PermissionDenied)
}

// spec: issue 11 — a terminated contract ends its open plan (ABORTED with
// the termination as the reason), found when the plan is next read.
func terminated(t *testing.T, e *testenv.Env) {
	s := e.SignedContract(t)
	p := e.TransitionPlan(t, s)
	tm := e.AsRole(t, auth.TransitionManager)
	loc, err := time.LoadLocation(s.Contract.GetServiceTimeZone())
	must(t, err)
	now := time.Now().In(loc)
	_, err = e.Contract.TerminateContract(e.AsRole(t, auth.ContractManager), &contractv1.TerminateContractRequest{
		Name: s.Contract.GetName(), Reason: contractv1.TerminationReason_TERMINATION_REASON_MUTUAL,
		EffectiveDate: day(int32(now.Year()), int32(now.Month()), int32(now.Day())), Explanation: "the retailer sold its online business",
	})
	must(t, err)
	// Any write is refused once the plan is aborted.
	_, err = e.Transition.StartTask(tm, &transitionv1.StartTaskRequest{Name: listTasks(t, e, p.GetName())[0].GetName()})
	wantMessage(t, err, codes.FailedPrecondition, "is ABORTED")
	got, err := e.Transition.GetTransitionPlan(tm, &transitionv1.GetTransitionPlanRequest{Name: p.GetName()})
	must(t, err)
	want := s.Contract.GetName() + " was terminated effective " + now.Format("2006-01-02") + " (MUTUAL): the retailer sold its online business"
	if got.GetState() != transitionv1.PlanState_PLAN_STATE_ABORTED || got.GetStateReason() != want || got.GetEndTime() == nil {
		t.Fatalf("plan %v: want ABORTED with %q", got, want)
	}
	events, err := e.Transition.ListAuditEvents(e.AsRole(t, auth.Auditor), &transitionv1.ListAuditEventsRequest{Filter: "resource = " + p.GetName(), PageSize: 100})
	must(t, err)
	last := events.GetAuditEvents()[len(events.GetAuditEvents())-1]
	if !strings.Contains(string(mustJSON(t, last)), "ABORTED") {
		t.Fatalf("last audit event of the plan %v: want the abort", last)
	}
}

type dateT = date.Date

func civilDate(d *date.Date) string { return civil.Format(d) }

func mustJSON(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := protojson.Marshal(m)
	must(t, err)
	return b
}
