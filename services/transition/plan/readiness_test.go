package plan_test

import (
	"strings"
	"testing"
	"time"

	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/services/transition/plan"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func at(y int, m time.Month, d int) *timestamppb.Timestamp {
	return timestamppb.New(time.Date(y, m, d, 15, 0, 0, 0, time.UTC))
}

// readyFacts is a plan whose five gates all pass; each case breaks one.
func readyFacts() plan.Facts {
	mk := func(id string, phase transitionv1.Phase, state transitionv1.TaskState) *transitionv1.Task {
		return &transitionv1.Task{Name: p1 + "/tasks/" + id, Title: id, Phase: phase, State: state}
	}
	crm := mk("crm", transitionv1.Phase_PHASE_INTEGRATION_TESTING, done)
	crm.Integrations = []string{"Zendesk"}
	tel := mk("tel", transitionv1.Phase_PHASE_INTEGRATION_TESTING, done)
	tel.Integrations = []string{" genesys cloud "} // case and spaces aside
	// The parallel run: pilot Mon 2 – Fri 6 March, ramp-up Mon 9 – Sun 15:
	// 2 to 15 March, 14 days counted both ends = 2 weeks.
	pilot := mk("pilot", transitionv1.Phase_PHASE_PARALLEL_RUN, done)
	pilot.ActualStart, pilot.ActualFinish = at(2026, 3, 2), at(2026, 3, 6)
	ramp := mk("ramp", transitionv1.Phase_PHASE_PARALLEL_RUN, done)
	ramp.ActualStart, ramp.ActualFinish = at(2026, 3, 9), at(2026, 3, 15)
	sig := &transitionv1.SignOff{Signer: "x", SignTime: at(2026, 3, 1)}
	return plan.Facts{
		Plan: &transitionv1.TransitionPlan{
			Name:             p1,
			Integrations:     []string{"Zendesk", "Genesys Cloud"},
			ParallelRunWeeks: 2,
			CriticalServiceLevels: []*typev1.ServiceLevel{
				{Key: "asa_20s", DisplayName: "Calls answered within 20 s", Comparator: typev1.Comparator_COMPARATOR_AT_LEAST, Target: "80"},
				{Key: "aht_s", DisplayName: "Handle time", Comparator: typev1.Comparator_COMPARATOR_AT_MOST, Target: "420"},
			},
		},
		Tasks: []*transitionv1.Task{
			mk("plan", transitionv1.Phase_PHASE_PLANNING, done),
			mk("kt", transitionv1.Phase_PHASE_KNOWLEDGE_TRANSFER, skipped),
			crm, tel, pilot, ramp,
			// Cutover and hypercare happen at and after cutover: not gated.
			mk("go-live", transitionv1.Phase_PHASE_CUTOVER, notStarted),
			mk("care", transitionv1.Phase_PHASE_HYPERCARE, notStarted),
		},
		Items: []*transitionv1.KnowledgeItem{
			{Name: p1 + "/knowledgeItems/sop", Title: "Returns SOP", Kind: transitionv1.KnowledgeItemKind_KNOWLEDGE_ITEM_KIND_SOP, Owner: "ana", Receiver: "ben", ClientSignOff: sig, ProviderSignOff: sig},
		},
		Sessions: sessions(10, 0),
		Results: []*transitionv1.ParallelRunResult{
			{ServiceLevel: "asa_20s", Value: "80.0"}, // exactly the target: met
			{ServiceLevel: "aht_s", Value: "419.9"},
		},
	}
}

// sessions is one "Returns" session on 2 March with n trainees, the first
// failed of them FAILED and the rest PASSED.
func sessions(n, failed int) []*transitionv1.TrainingSession {
	s := &transitionv1.TrainingSession{Name: p1 + "/trainingSessions/s1", Topic: "Returns", SessionDate: &date.Date{Year: 2026, Month: 3, Day: 2}}
	for i := range n {
		r := transitionv1.TraineeResult_TRAINEE_RESULT_PASSED
		if i < failed {
			r = transitionv1.TraineeResult_TRAINEE_RESULT_FAILED
		}
		s.Trainees = append(s.Trainees, &transitionv1.Trainee{Trainee: string(rune('a'+i)) + "@ph", Result: r})
	}
	return []*transitionv1.TrainingSession{s}
}

func gateOf(r *transitionv1.Readiness, name string) *transitionv1.Gate {
	for _, g := range r.GetGates() {
		if g.GetGate() == name {
			return g
		}
	}
	return nil
}

func TestReadinessGates(t *testing.T) {
	r := plan.Readiness(readyFacts())
	if !r.GetReady() || len(r.GetGates()) != 5 {
		t.Fatalf("readiness %v: want five passing gates", r)
	}
	if err := plan.CheckReady(p1, r); err != nil {
		t.Fatalf("CheckReady: %v", err)
	}
	tests := []struct {
		name    string
		gate    string
		change  func(f *plan.Facts)
		missing []string
	}{
		{"an open task before cutover", plan.GateTasks, func(f *plan.Facts) {
			f.Tasks[0].State = inProgress
		}, []string{`PLANNING task "plan" (plan) is IN_PROGRESS`}},
		{"an item the provider has not signed", plan.GateKnowledge, func(f *plan.Facts) {
			f.Items[0].ProviderSignOff = nil
		}, []string{`SOP "Returns SOP" (sop) is not signed off by the provider (receiver ben)`}},
		{"an item neither side signed", plan.GateKnowledge, func(f *plan.Facts) {
			f.Items[0].ProviderSignOff, f.Items[0].ClientSignOff = nil, nil
		}, []string{`SOP "Returns SOP" (sop) is not signed off by the client (owner ana) nor the provider (receiver ben)`}},
		{"no knowledge item at all", plan.GateKnowledge, func(f *plan.Facts) { f.Items = nil },
			[]string{"no knowledge item is recorded: add the SOPs, documents, recorded sessions and system accesses handed over (CreateKnowledgeItem)"}},
		{
			// 9 of 10 passed: 9 × 10 000 = 90 000 ≥ 9 000 × 10 = 90 000 —
			// exactly the default threshold passes (case "9 of 10" below
			// with a 91 % threshold fails).
			"one of ten failed passes at 90 %", plan.GateTraining, func(f *plan.Facts) { f.Sessions = sessions(10, 1) }, nil,
		},
		{
			// 9 × 10 000 = 90 000 < 9 100 × 10 = 91 000.
			"one of ten failed misses 91 %", plan.GateTraining, func(f *plan.Facts) {
				f.Sessions = sessions(10, 1)
				f.Plan.TrainingPassThresholdBps = 9100
			}, []string{"9 of 10 trainees passed (90 %), below the threshold of 91 %", "trainee a@ph has not passed (Returns: FAILED on 2026-03-02)"},
		},
		{
			// 7 of 9: 7 × 10 000 / 9 = 7 777.7… bps = 77.8 % < 90 %.
			"two of nine failed", plan.GateTraining, func(f *plan.Facts) { f.Sessions = sessions(9, 2) },
			[]string{"7 of 9 trainees passed (77.8 %), below the threshold of 90 %",
				"trainee a@ph has not passed (Returns: FAILED on 2026-03-02)", "trainee b@ph has not passed (Returns: FAILED on 2026-03-02)"},
		},
		{
			// A retake on 9 March: a@ph passes it, so its FAILED of 2 March
			// no longer counts; b@ph was ABSENT at the retake.
			"a retake counts, not the first attempt", plan.GateTraining, func(f *plan.Facts) {
				f.Sessions = sessions(2, 2)
				f.Sessions = append(f.Sessions, &transitionv1.TrainingSession{Topic: "Returns", SessionDate: &date.Date{Year: 2026, Month: 3, Day: 9},
					Trainees: []*transitionv1.Trainee{{Trainee: "a@ph", Result: transitionv1.TraineeResult_TRAINEE_RESULT_PASSED}, {Trainee: "b@ph", Result: transitionv1.TraineeResult_TRAINEE_RESULT_ABSENT}}})
			}, []string{"1 of 2 trainees passed (50 %), below the threshold of 90 %", "trainee b@ph has not passed (Returns: ABSENT on 2026-03-09)"},
		},
		{"no trainee at all", plan.GateTraining, func(f *plan.Facts) { f.Sessions = nil },
			[]string{"no trainee is recorded: schedule the provider staff's training sessions (CreateTrainingSession) and record their results"}},
		{"an integration tested by a skipped task, another by none", plan.GateIntegration, func(f *plan.Facts) {
			f.Tasks[2].State = skipped
			f.Tasks[3].Integrations = nil
		}, []string{`integration Zendesk is not tested yet: "crm" (crm) is SKIPPED`,
			"integration Genesys Cloud has no INTEGRATION_TESTING task naming it: name it in a task's integrations"}},
		{
			// Ramp-up finished on Sat 14 instead: 2 to 14 March is 13 days,
			// one short of 2 × 7 = 14.
			"a parallel run a day short", plan.GateParallelRun, func(f *plan.Facts) { f.Tasks[5].ActualFinish = at(2026, 3, 14) },
			[]string{"the parallel run lasted 13 days (2026-03-02 to 2026-03-14), the scope asks for 2 weeks (14 days): 1 days short"},
		},
		{"a level missed and one not reported", plan.GateParallelRun, func(f *plan.Facts) {
			f.Results = []*transitionv1.ParallelRunResult{{ServiceLevel: "asa_20s", Value: "79.99"}}
		}, []string{"CRITICAL level asa_20s (Calls answered within 20 s) was missed in the parallel run: 79.99, wants at least 80",
			"CRITICAL level aht_s (Handle time, at most 420) has no parallel-run result: the provider reports it (ReportParallelRunResult)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := readyFacts()
			tt.change(&f)
			r := plan.Readiness(f)
			for _, g := range r.GetGates() {
				if g.GetGate() != tt.gate && !g.GetPassed() {
					t.Errorf("gate %s fails too: %v", g.GetGate(), g.GetMissing())
				}
			}
			g := gateOf(r, tt.gate)
			if got := strings.Join(g.GetMissing(), "|"); got != strings.Join(tt.missing, "|") {
				t.Fatalf("missing\n%q\nwant\n%q", g.GetMissing(), tt.missing)
			}
			if g.GetPassed() != (len(tt.missing) == 0) || r.GetReady() != g.GetPassed() {
				t.Fatalf("passed %v, ready %v", g.GetPassed(), r.GetReady())
			}
			if len(tt.missing) > 0 {
				err := plan.CheckReady(p1, r)
				if apperr.KindOf(err) != apperr.FailedPrecondition || !strings.Contains(err.Error(), tt.missing[0]) {
					t.Fatalf("CheckReady: got %v", err)
				}
			}
		})
	}
}

func TestMet(t *testing.T) {
	tests := []struct {
		value, target string
		c             typev1.Comparator
		want          bool
	}{
		{"80", "80.00", typev1.Comparator_COMPARATOR_AT_LEAST, true},
		{"79.999", "80", typev1.Comparator_COMPARATOR_AT_LEAST, false},
		{"4.2", "4.2", typev1.Comparator_COMPARATOR_AT_MOST, true},
		{"4.21", "4.2", typev1.Comparator_COMPARATOR_AT_MOST, false},
		{"1e3", "4.2", typev1.Comparator_COMPARATOR_AT_LEAST, false}, // not a plain decimal
		{"", "4.2", typev1.Comparator_COMPARATOR_AT_LEAST, false},
	}
	for _, tt := range tests {
		if got := plan.Met(tt.value, tt.c, tt.target); got != tt.want {
			t.Errorf("Met(%q, %v, %q) = %v, want %v", tt.value, tt.c, tt.target, got, tt.want)
		}
	}
}
