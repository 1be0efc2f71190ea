package walk

// The transition's handover and readiness, over REST: knowledge items
// signed by both sides, the agents' training and its results, the
// provider's parallel-run results, and the five readiness gates the
// cutover needs. The Cutover step (steps.go) uses these.

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/civil"
	"github.com/acme/bpo/kit/protoenum"
	"google.golang.org/genproto/googleapis/type/date"
)

// Trainees are the provider's agents trained for the service.
var Trainees = []string{"agent-0107", "agent-0112", "agent-0131", "agent-0140"}

// planTasks lists every task of the walk's plan.
func (w *Walk) planTasks(ctx context.Context) ([]*transitionv1.Task, error) {
	var tasks []*transitionv1.Task
	token := ""
	for {
		var resp transitionv1.ListTasksResponse
		q := url.Values{"pageSize": {"1000"}}
		if token != "" {
			q.Set("pageToken", token)
		}
		if err := w.do(ctx, w.Cast.TransitionManager, "GET", "/v1/"+w.Plan+"/tasks", q, nil, &resp); err != nil {
			return nil, err
		}
		tasks = append(tasks, resp.GetTasks()...)
		if token = resp.GetNextPageToken(); token == "" {
			return tasks, nil
		}
	}
}

// finishPreCutoverTasks does every task before the cutover phase, in
// dependency order — the provider's own tasks by the provider's user —
// recording each on the dates its schedule gave it (the transition ran in
// the weeks before the commencement; an operator records it after the
// fact), never after today. It returns how many each side did.
func (w *Walk) finishPreCutoverTasks(ctx context.Context, now time.Time) (byClient, byProvider int, err error) {
	tm := w.Cast.TransitionManager
	tasks, err := w.planTasks(ctx)
	if err != nil {
		return 0, 0, err
	}
	var sched transitionv1.Schedule
	if err := w.do(ctx, tm, "GET", "/v1/"+w.Plan+"/schedule", nil, nil, &sched); err != nil {
		return 0, 0, err
	}
	when := map[string]*transitionv1.ScheduledTask{}
	for _, st := range sched.GetTasks() {
		when[st.GetTask()] = st
	}
	today := civil.Of(now.UTC())
	notAfterToday := func(d *date.Date) *date.Date {
		if civil.Format(d) > civil.Format(today) {
			return today
		}
		return d
	}
	finished := map[string]bool{}
	var todo []*transitionv1.Task
	for _, t := range tasks {
		switch {
		case t.GetState() == transitionv1.TaskState_TASK_STATE_DONE || t.GetState() == transitionv1.TaskState_TASK_STATE_SKIPPED:
			finished[t.GetName()] = true
		case t.GetPhase() < transitionv1.Phase_PHASE_CUTOVER:
			todo = append(todo, t)
		}
	}
	for len(todo) > 0 {
		var next []*transitionv1.Task
		for _, t := range todo {
			ready := true
			for _, d := range t.GetDependsOn() {
				ready = ready && finished[d.GetTask()]
			}
			if !ready {
				next = append(next, t)
				continue
			}
			u := tm
			if t.GetOwnerSide() == transitionv1.OwnerSide_OWNER_SIDE_PROVIDER {
				u = w.Awarded.User
				byProvider++
			} else {
				byClient++
			}
			st := when[t.GetName()]
			if t.GetState() == transitionv1.TaskState_TASK_STATE_NOT_STARTED {
				if err := w.do(ctx, u, "POST", "/v1/"+t.GetName()+":start", nil, &transitionv1.StartTaskRequest{ActualDate: notAfterToday(st.GetEarliestStart())}, nil); err != nil {
					return 0, 0, err
				}
			}
			if err := w.do(ctx, u, "POST", "/v1/"+t.GetName()+":complete", nil, &transitionv1.CompleteTaskRequest{ActualDate: notAfterToday(st.GetEarliestFinish())}, nil); err != nil {
				return 0, 0, err
			}
			finished[t.GetName()] = true
		}
		if len(next) == len(todo) {
			return 0, 0, fmt.Errorf("plan %s: %d tasks before cutover wait for tasks after it (e.g. %s)", w.Plan, len(next), next[0].GetName())
		}
		todo = next
	}
	return byClient, byProvider, nil
}

// handOver records the handover as it stands a few days before go-live:
// three knowledge items the client signed off, of which the provider has
// signed two; a training session of four agents, one of whom failed; and
// the provider's parallel-run result of the 20-second level only. It
// returns the item the provider has not signed and the session.
func (w *Walk) handOver(ctx context.Context) (unsigned, session string, err error) {
	tm, pu := w.Cast.TransitionManager, w.Awarded.User
	items := []*transitionv1.KnowledgeItem{
		{Title: "Order, delivery and returns SOP", Kind: transitionv1.KnowledgeItemKind_KNOWLEDGE_ITEM_KIND_SOP, Owner: "support.lead@northwind.example", Receiver: "kt.lead@" + providerDomain(pu.Subject)},
		{Title: "Recorded call-shadowing sessions, weeks 1–2", Kind: transitionv1.KnowledgeItemKind_KNOWLEDGE_ITEM_KIND_RECORDED_SESSION, Owner: "support.lead@northwind.example", Receiver: "kt.lead@" + providerDomain(pu.Subject)},
		{Title: "Zendesk and order-system access for 40 agents", Kind: transitionv1.KnowledgeItemKind_KNOWLEDGE_ITEM_KIND_SYSTEM_ACCESS, Owner: "it.access@northwind.example", Receiver: "it.lead@" + providerDomain(pu.Subject)},
	}
	for i, in := range items {
		var it transitionv1.KnowledgeItem
		if err := w.do(ctx, tm, "POST", "/v1/"+w.Plan+"/knowledgeItems", nil, in, &it); err != nil {
			return "", "", err
		}
		if err := w.do(ctx, tm, "POST", "/v1/"+it.GetName()+":signOff", nil, &transitionv1.SignOffKnowledgeItemRequest{}, &it); err != nil {
			return "", "", err
		}
		if i == len(items)-1 {
			unsigned = it.GetName()
			break // the provider has not checked the accesses yet
		}
		if err := w.do(ctx, pu, "POST", "/v1/"+it.GetName()+":signOff", nil, &transitionv1.SignOffKnowledgeItemRequest{}, &it); err != nil {
			return "", "", err
		}
	}
	w.say("transition", tm, "%d knowledge items handed over; the provider has signed off %d of them", len(items), len(items)-1)

	var ts transitionv1.TrainingSession
	trainees := make([]*transitionv1.Trainee, len(Trainees))
	for i, id := range Trainees {
		trainees[i] = &transitionv1.Trainee{Trainee: id}
	}
	err = w.do(ctx, pu, "POST", "/v1/"+w.Plan+"/trainingSessions", nil, &transitionv1.TrainingSession{
		Topic: "Orders, returns and refunds", SessionDate: civil.Of(w.Commencement.AddDate(0, 0, -14)), Trainer: "trainer@northwind.example", Trainees: trainees,
	}, &ts)
	if err != nil {
		return "", "", err
	}
	results := make([]*transitionv1.Trainee, len(Trainees))
	for i, id := range Trainees {
		r := transitionv1.TraineeResult_TRAINEE_RESULT_PASSED
		if i == 2 {
			r = transitionv1.TraineeResult_TRAINEE_RESULT_FAILED
		}
		results[i] = &transitionv1.Trainee{Trainee: id, Result: r}
	}
	if err := w.do(ctx, pu, "POST", "/v1/"+ts.GetName()+":recordResults", nil, &transitionv1.RecordTrainingResultsRequest{Results: results}, &ts); err != nil {
		return "", "", err
	}
	w.say("transition", pu, "training %q on %s: %d agents, results %s", ts.GetTopic(), day(ts.GetSessionDate()), len(ts.GetTrainees()), traineeResults(ts.GetTrainees()))

	if err := w.reportParallelRun(ctx, "asa_20s", "82.4", 2_840); err != nil {
		return "", "", err
	}
	return unsigned, ts.GetName(), nil
}

// reportParallelRun: the provider reports its parallel-run value of a
// CRITICAL level, over the four weeks before go-live.
func (w *Walk) reportParallelRun(ctx context.Context, key, value string, sample int64) error {
	var r transitionv1.ParallelRunResult
	err := w.do(ctx, w.Awarded.User, "POST", "/v1/"+w.Plan+"/parallelRunResults:report", nil, &transitionv1.ParallelRunResult{
		ServiceLevel: key, Value: value, SampleSize: sample,
		StartDate: civil.Of(w.Commencement.AddDate(0, 0, -28)), EndDate: civil.Of(w.Commencement.AddDate(0, 0, -1)),
	}, &r)
	if err != nil {
		return err
	}
	verdict := "met"
	if !r.GetMet() {
		verdict = "missed"
	}
	w.say("transition", w.Awarded.User, "parallel run %s: %s over %d (target %s %s): %s", key, r.GetValue(), r.GetSampleSize(), comparatorWord(r.GetComparator().String()), r.GetTarget(), verdict)
	return nil
}

func comparatorWord(c string) string {
	if strings.HasSuffix(c, "AT_MOST") {
		return "≤"
	}
	return "≥"
}

// closeGaps does what the readiness check asked: the provider signs off
// the accesses, the failed agent retakes the training and passes, and the
// provider reports the CSAT of the parallel run.
func (w *Walk) closeGaps(ctx context.Context, unsigned, session string) error {
	pu := w.Awarded.User
	var it transitionv1.KnowledgeItem
	if err := w.do(ctx, pu, "POST", "/v1/"+unsigned+":signOff", nil, &transitionv1.SignOffKnowledgeItemRequest{}, &it); err != nil {
		return err
	}
	w.say("transition", pu, "signed off %q", it.GetTitle())
	var first transitionv1.TrainingSession
	if err := w.do(ctx, pu, "GET", "/v1/"+session, nil, nil, &first); err != nil {
		return err
	}
	var retake transitionv1.TrainingSession
	err := w.do(ctx, pu, "POST", "/v1/"+w.Plan+"/trainingSessions", nil, &transitionv1.TrainingSession{
		Topic: first.GetTopic(), SessionDate: civil.Of(w.Commencement.AddDate(0, 0, -7)), Trainer: first.GetTrainer(),
		Trainees: []*transitionv1.Trainee{{Trainee: Trainees[2]}},
	}, &retake)
	if err != nil {
		return err
	}
	if err := w.do(ctx, pu, "POST", "/v1/"+retake.GetName()+":recordResults", nil, &transitionv1.RecordTrainingResultsRequest{
		Results: []*transitionv1.Trainee{{Trainee: Trainees[2], Result: transitionv1.TraineeResult_TRAINEE_RESULT_PASSED}},
	}, &retake); err != nil {
		return err
	}
	w.say("transition", pu, "retake on %s: %s", day(retake.GetSessionDate()), traineeResults(retake.GetTrainees()))
	return w.reportParallelRun(ctx, "csat", "4.35", 540)
}

// checkReadiness prints every gate, passed or what it misses, and returns
// the readiness.
func (w *Walk) checkReadiness(ctx context.Context) (*transitionv1.Readiness, error) {
	tm := w.Cast.TransitionManager
	var r transitionv1.Readiness
	if err := w.do(ctx, tm, "GET", "/v1/"+w.Plan+":checkReadiness", nil, nil, &r); err != nil {
		return nil, err
	}
	for _, g := range r.GetGates() {
		line := "passed"
		if !g.GetPassed() {
			line = "MISSING " + strings.Join(g.GetMissing(), "; ")
		}
		w.say("transition", tm, "readiness gate %s: %s", g.GetGate(), line)
	}
	var p transitionv1.TransitionPlan
	if err := w.do(ctx, tm, "GET", "/v1/"+w.Plan, nil, nil, &p); err != nil {
		return nil, err
	}
	w.say("transition", tm, "ready for cutover: %v; plan %s", r.GetReady(), protoenum.Short(p.GetState()))
	return &r, nil
}

func traineeResults(ts []*transitionv1.Trainee) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.GetTrainee() + " " + protoenum.Short(t.GetResult())
	}
	return strings.Join(parts, ", ")
}

// providerDomain is the domain of a provider user's subject.
func providerDomain(subject string) string {
	if i := strings.LastIndex(subject, "@"); i >= 0 {
		return subject[i+1:]
	}
	return "provider.example"
}
