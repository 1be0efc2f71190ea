package stage

import (
	"strings"
	"testing"
	"time"
)

// The engagement at each point of its walk through the six steps; each
// fixture builds on the previous one, as the services' answers do.
var (
	decided = Facts{
		Decide: Decide{Assessments: []Assessment{{Process: "processes/P1", Score: "72.5", Recommendation: "OUTSOURCE"}}},
		Scope:  Scope{Revision: 1, State: "DRAFT"},
	}
	inReview   = with(decided, func(f *Facts) { f.Scope.State = "IN_REVIEW" })
	scoped     = with(decided, func(f *Facts) { f.Scope.State = "APPROVED" })
	eventDraft = with(scoped, func(f *Facts) { f.Select = Select{Event: "sourcingEvents/E1", EventState: "DRAFT"} })
	published  = with(scoped, func(f *Facts) {
		f.Select = Select{Event: "sourcingEvents/E1", EventState: "PUBLISHED", ProposalDeadline: time.Date(2025, 3, 14, 17, 0, 0, 0, time.UTC)}
	})
	awardProposed = with(scoped, func(f *Facts) {
		f.Select = Select{Event: "sourcingEvents/E1", EventState: "EVALUATED", ProposedProvider: "providers/PH"}
	})
	selected = with(scoped, func(f *Facts) {
		f.Select = Select{Event: "sourcingEvents/E1", EventState: "AWARDED", Award: &Award{
			Provider: "providers/PH", Proposal: "sourcingEvents/E1/proposals/X", TotalContractValue: "USD 1080000.00", TotalScore: "86.40",
		}}
	})
	contractDraft = with(selected, func(f *Facts) {
		f.Contract = Contract{Name: "contracts/C1", State: "DRAFT", Provider: "providers/PH", MonthlyFee: "USD 90000.00", ClientSignatory: "cfo@retailer.example"}
	})
	clientSigned = with(contractDraft, func(f *Facts) { f.Contract.State, f.Contract.ClientSigned = "APPROVED", true })
	contracted   = with(clientSigned, func(f *Facts) { f.Contract.State, f.Contract.ProviderSigned = "SIGNED", true })
	planDraft    = with(contracted, func(f *Facts) {
		f.Transition = Transition{Plan: "transitionPlans/T1", State: "DRAFT", TasksTotal: 30}
	})
	transitioning = with(planDraft, func(f *Facts) { f.Transition.State, f.Transition.TasksFinished = "ACTIVE", 12 })
	live          = with(transitioning, func(f *Facts) {
		f.Transition.State, f.Transition.TasksFinished, f.Transition.Commencement = "LIVE", 28, "2025-05-01"
		f.Contract.Commencement = "2025-05-01"
		f.Monitor = Monitor{
			Period: "2025-05", Charges: "USD 90000.00", Credits: "USD 5400.00", Net: "USD 84600.00",
			Levels: []Level{
				{Key: "asa_20s", Kind: "CRITICAL", Outcome: "MISSED", Value: "76.5", Comparator: "AT_LEAST", Target: "80", Credit: "USD 5400.00"},
				{Key: "csat", Kind: "CRITICAL", Outcome: "MET", Value: "4.31", Comparator: "AT_LEAST", Target: "4.2"},
			},
		}
	})
)

func with(f Facts, change func(*Facts)) Facts {
	f.Decide.Assessments = append([]Assessment(nil), f.Decide.Assessments...)
	if f.Select.Award != nil {
		a := *f.Select.Award
		f.Select.Award = &a
	}
	f.Monitor.Levels = append([]Level(nil), f.Monitor.Levels...)
	change(&f)
	return f
}

func TestDerive(t *testing.T) {
	tests := []struct {
		name  string
		facts Facts
		stage Stage
		// states of decide, scope, select, contract, transition, monitor
		states string
		// which steps are done, as D (done) or . per step
		done string
		// the blocker of one step, or "" when no step may have one
		blockerStep, blocker string
		wantFacts            map[string]map[string]string // step → fact → value
	}{
		{
			name: "new engagement: decided, the draft scope blocks", facts: decided, stage: Decided,
			states: "ASSESSED DRAFT NOT_STARTED NOT_STARTED NOT_STARTED NOT_STARTED", done: "D.....",
			blockerStep: StepScope, blocker: "scope revision 1 is DRAFT: the sourcing manager or process owner must complete it and submit it for review",
			wantFacts: map[string]map[string]string{StepDecide: {"process": "processes/P1", "score": "72.5", "recommendation": "OUTSOURCE"}, StepScope: {"revision": "1"}},
		},
		{
			name: "scope in review waits for an approver", facts: inReview, stage: Decided,
			states: "ASSESSED IN_REVIEW NOT_STARTED NOT_STARTED NOT_STARTED NOT_STARTED", done: "D.....",
			blockerStep: StepScope, blocker: "scope revision 1 is IN_REVIEW: an approver who is not its author must approve it",
		},
		{
			name: "approved scope: scoped, no sourcing event yet", facts: scoped, stage: Scoped,
			states: "ASSESSED APPROVED NOT_STARTED NOT_STARTED NOT_STARTED NOT_STARTED", done: "DD....",
			blockerStep: StepSelect, blocker: "no sourcing event yet: the sourcing manager must create one on the approved scope and publish it",
		},
		{
			name: "draft event must be published", facts: eventDraft, stage: Scoped,
			states: "ASSESSED APPROVED DRAFT NOT_STARTED NOT_STARTED NOT_STARTED", done: "DD....",
			blockerStep: StepSelect, blocker: "sourcing event sourcingEvents/E1 is DRAFT: the sourcing manager must publish it",
		},
		{
			name: "published event names its deadline in UTC", facts: published, stage: Scoped,
			states: "ASSESSED APPROVED PUBLISHED NOT_STARTED NOT_STARTED NOT_STARTED", done: "DD....",
			blockerStep: StepSelect, blocker: "sourcing event sourcingEvents/E1 is PUBLISHED: providers submit proposals until 2025-03-14T17:00:00Z; then the sourcing manager closes it (earlier once every invited provider has submitted)",
		},
		{
			name: "proposed award waits for an approver", facts: awardProposed, stage: Scoped,
			states: "ASSESSED APPROVED EVALUATED NOT_STARTED NOT_STARTED NOT_STARTED", done: "DD....",
			blockerStep: StepSelect, blocker: "the award of sourcing event sourcingEvents/E1 to providers/PH awaits the approval of an approver who did not propose it",
		},
		{
			name: "approved award: selected, no contract yet", facts: selected, stage: Selected,
			states: "ASSESSED APPROVED AWARDED NOT_STARTED NOT_STARTED NOT_STARTED", done: "DDD...",
			blockerStep: StepContract, blocker: "no contract yet: a contract manager must draft one for the award",
			wantFacts: map[string]map[string]string{StepSelect: {"provider": "providers/PH", "total_contract_value": "USD 1080000.00", "total_score": "86.40"}},
		},
		{
			name: "draft contract must be submitted", facts: contractDraft, stage: Selected,
			states: "ASSESSED APPROVED AWARDED DRAFT NOT_STARTED NOT_STARTED", done: "DDD...",
			blockerStep: StepContract, blocker: "contract contracts/C1 is DRAFT: the contract manager must complete it and submit it for review",
		},
		{
			name: "approved contract signed by the client waits for the provider", facts: clientSigned, stage: Selected,
			states: "ASSESSED APPROVED AWARDED APPROVED NOT_STARTED NOT_STARTED", done: "DDD...",
			blockerStep: StepContract, blocker: "contract contracts/C1 is APPROVED: it awaits the signature of a user of providers/PH",
			wantFacts: map[string]map[string]string{StepContract: {"client_signature": "signed", "provider_signature": "pending", "monthly_fee": "USD 90000.00"}},
		},
		{
			name: "approved contract names both missing signatures", stage: Selected,
			facts:  with(contractDraft, func(f *Facts) { f.Contract.State = "APPROVED" }),
			states: "ASSESSED APPROVED AWARDED APPROVED NOT_STARTED NOT_STARTED", done: "DDD...",
			blockerStep: StepContract, blocker: "contract contracts/C1 is APPROVED: it awaits the signature of the client signatory (cfo@retailer.example) and a user of providers/PH",
		},
		{
			name: "signed contract: contracted, no plan yet", facts: contracted, stage: Contracted,
			states: "ASSESSED APPROVED AWARDED SIGNED NOT_STARTED NOT_STARTED", done: "DDDD..",
			blockerStep: StepTransition, blocker: "no transition plan yet: a transition manager must create one for contracts/C1",
		},
		{
			name: "a draft plan is not yet a transition", facts: planDraft, stage: Contracted,
			states: "ASSESSED APPROVED AWARDED SIGNED DRAFT NOT_STARTED", done: "DDDD..",
			blockerStep: StepTransition, blocker: "transition plan transitionPlans/T1 is DRAFT: the transition manager must start it",
		},
		{
			name: "started plan: transitioning, with its progress", facts: transitioning, stage: Transitioning,
			states: "ASSESSED APPROVED AWARDED SIGNED ACTIVE NOT_STARTED", done: "DDDD..",
			blockerStep: StepTransition, blocker: "transition plan transitionPlans/T1 is ACTIVE with 12 of 30 tasks finished: every task before cutover must be done or skipped and every readiness gate pass, then the transition manager completes the cutover",
			wantFacts: map[string]map[string]string{StepTransition: {"progress": "12 of 30 tasks finished"}},
		},
		{
			name: "cut over: live, the missed level and its credit shown", facts: live, stage: Live,
			states: "ASSESSED APPROVED AWARDED SIGNED LIVE CLOSED", done: "DDDDDD",
			wantFacts: map[string]map[string]string{
				StepMonitor: {
					"period":        "2025-05",
					"level asa_20s": "MISSED: 76.5 against at least 80 (CRITICAL, credit USD 5400.00)",
					"level csat":    "MET: 4.31 against at least 4.2 (CRITICAL)",
					"missed":        "asa_20s",
					"credits":       "USD 5400.00",
					"net":           "USD 84600.00",
				},
				StepContract:   {"service_commencement_date": "2025-05-01"},
				StepTransition: {"progress": "28 of 30 tasks finished", "commencement_date": "2025-05-01"},
			},
		},
		{
			// Of a critical level MISSED, a critical one without data, a KPI
			// without data and a level not evaluated yet, only the first
			// two are missed: NO_DATA counts as missed for critical levels.
			name: "missed are the missed levels and the critical ones without data", stage: Live,
			facts: with(live, func(f *Facts) {
				f.Monitor.Levels = []Level{
					{Key: "asa_20s", Kind: "CRITICAL", Outcome: "MISSED", Value: "76.5", Comparator: "AT_LEAST", Target: "80", Credit: "USD 3240.00"},
					{Key: "csat", Kind: "CRITICAL", Outcome: "NO_DATA", Comparator: "AT_LEAST", Target: "4.2", Credit: "USD 2160.00"},
					{Key: "backlog", Kind: "KPI", Outcome: "NO_DATA", Comparator: "AT_MOST", Target: "10"},
					{Key: "aht_p90", Kind: "CRITICAL", Outcome: NotEvaluated, Comparator: "AT_MOST", Target: "480"},
				}
			}),
			states: "ASSESSED APPROVED AWARDED SIGNED LIVE CLOSED", done: "DDDDDD",
			wantFacts: map[string]map[string]string{StepMonitor: {
				"missed":        "asa_20s, csat",
				"level csat":    "NO_DATA: against at least 4.2 (CRITICAL, credit USD 2160.00)",
				"level backlog": "NO_DATA: against at most 10 (KPI)",
				"level aht_p90": "NOT_EVALUATED: against at most 480 (CRITICAL)",
			}},
		},
		{
			name: "an open period is provisional", stage: Live,
			facts:  with(live, func(f *Facts) { f.Monitor.Provisional = true }),
			states: "ASSESSED APPROVED AWARDED SIGNED LIVE OPEN", done: "DDDDDD",
			wantFacts: map[string]map[string]string{StepMonitor: {"period": "2025-05 (provisional)"}},
		},
		{
			name: "live before any evaluation: monitoring running", stage: Live,
			facts:  with(live, func(f *Facts) { f.Monitor = Monitor{} }),
			states: "ASSESSED APPROVED AWARDED SIGNED LIVE RUNNING", done: "DDDDDD",
		},
		{
			name: "a new scope revision after the award does not undo the selection", stage: Selected,
			facts:  with(selected, func(f *Facts) { f.Scope = Scope{Revision: 2, State: "DRAFT"} }),
			states: "ASSESSED DRAFT AWARDED NOT_STARTED NOT_STARTED NOT_STARTED", done: "DDD...",
			blockerStep: StepContract, blocker: "no contract yet: a contract manager must draft one for the award",
		},
		{
			name: "revision 2 proves an earlier approved revision", stage: Scoped,
			facts:  with(decided, func(f *Facts) { f.Scope = Scope{Revision: 2, State: "IN_REVIEW"} }),
			states: "ASSESSED IN_REVIEW NOT_STARTED NOT_STARTED NOT_STARTED NOT_STARTED", done: "DD....",
			blockerStep: StepSelect, blocker: "no sourcing event yet: the sourcing manager must create one on the approved scope and publish it",
		},
		{
			name: "a cancelled event needs a new one", stage: Scoped,
			facts:  with(scoped, func(f *Facts) { f.Select = Select{Event: "sourcingEvents/E1", EventState: "CANCELLED"} }),
			states: "ASSESSED APPROVED CANCELLED NOT_STARTED NOT_STARTED NOT_STARTED", done: "DD....",
			blockerStep: StepSelect, blocker: "sourcing event sourcingEvents/E1 was CANCELLED: the sourcing manager must create and publish a new one",
		},
		{
			name: "an aborted plan falls back to contracted", stage: Contracted,
			facts:  with(transitioning, func(f *Facts) { f.Transition.State = "ABORTED" }),
			states: "ASSESSED APPROVED AWARDED SIGNED ABORTED NOT_STARTED", done: "DDDD..",
			blockerStep: StepTransition, blocker: "transition plan transitionPlans/T1 was ABORTED: a transition manager must create a new plan",
		},
		{
			name: "a terminated contract closes the engagement", stage: Closed,
			facts:  with(live, func(f *Facts) { f.Contract.State = "TERMINATED" }),
			states: "ASSESSED APPROVED AWARDED TERMINATED LIVE CLOSED", done: "DDDDDD",
		},
		{
			name: "terminated during transition: closed, transition not done, nothing blocks", stage: Closed,
			facts:  with(transitioning, func(f *Facts) { f.Contract.State = "TERMINATED" }),
			states: "ASSESSED APPROVED AWARDED TERMINATED ACTIVE NOT_STARTED", done: "DDDD..",
		},
		{
			name: "provider user: hidden steps are done by what the later ones prove", stage: Live,
			facts: with(live, func(f *Facts) {
				f.Decide = Decide{Hidden: true}
				f.Scope = Scope{Hidden: true}
				f.Select = Select{Hidden: true}
			}),
			states: "HIDDEN HIDDEN HIDDEN SIGNED LIVE CLOSED", done: "DDDDDD",
		},
		{
			name: "a hidden step has no blocker", stage: Decided,
			facts:  with(decided, func(f *Facts) { f.Scope = Scope{Hidden: true} }),
			states: "ASSESSED HIDDEN NOT_STARTED NOT_STARTED NOT_STARTED NOT_STARTED", done: "D.....",
		},
		{
			name: "the commencement on the contract proves live when the plan is hidden", stage: Live,
			facts:  with(live, func(f *Facts) { f.Transition = Transition{Hidden: true} }),
			states: "ASSESSED APPROVED AWARDED SIGNED HIDDEN CLOSED", done: "DDDDDD",
		},
		{
			name: "several processes: facts per process", stage: Decided,
			facts: with(decided, func(f *Facts) {
				f.Decide.Assessments = append(f.Decide.Assessments, Assessment{Process: "processes/P2", Score: "58.0", Recommendation: "HYBRID"})
			}),
			states: "ASSESSED DRAFT NOT_STARTED NOT_STARTED NOT_STARTED NOT_STARTED", done: "D.....",
			blockerStep: StepScope, blocker: "scope revision 1 is DRAFT: the sourcing manager or process owner must complete it and submit it for review",
			wantFacts: map[string]map[string]string{StepDecide: {"score processes/P1": "72.5", "recommendation processes/P2": "HYBRID"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Derive(tt.facts)
			if v.Stage != tt.stage {
				t.Errorf("stage = %s; want %s", v.Stage, tt.stage)
			}
			var states []string
			var done strings.Builder
			for _, s := range v.Steps {
				states = append(states, s.State)
				if s.Done {
					done.WriteString("D")
				} else {
					done.WriteString(".")
				}
			}
			if got := strings.Join(states, " "); got != tt.states {
				t.Errorf("states = %s\n              want %s", got, tt.states)
			}
			if done.String() != tt.done {
				t.Errorf("done = %s; want %s", done.String(), tt.done)
			}
			for _, s := range v.Steps {
				want := ""
				if s.Name == tt.blockerStep {
					want = tt.blocker
				}
				if s.Blocker != want {
					t.Errorf("step %s blocker = %q\n  want %q", s.Name, s.Blocker, want)
				}
				for k, wv := range tt.wantFacts[s.Name] {
					if s.Facts[k] != wv {
						t.Errorf("step %s fact %q = %q; want %q (facts %v)", s.Name, k, s.Facts[k], wv, s.Facts)
					}
				}
			}
		})
	}
}

func TestStepsInOrder(t *testing.T) {
	v := Derive(decided)
	var names []string
	for _, s := range v.Steps {
		names = append(names, s.Name)
	}
	if got, want := strings.Join(names, ","), "decide,scope,select,contract,transition,monitor"; got != want {
		t.Errorf("steps %s; want %s", got, want)
	}
}

func TestStageString(t *testing.T) {
	for s, want := range map[Stage]string{Decided: "DECIDED", Live: "LIVE", Closed: "CLOSED", Stage(42): "Stage(42)"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q; want %q", int(s), s.String(), want)
		}
	}
}

// A process edited after its assessment shows the decide step STALE,
// naming the process, without undoing what later steps reached.
func TestAStaleAssessmentIsShownOnTheDecideStep(t *testing.T) {
	f := with(scoped, func(f *Facts) {
		f.Decide.Assessments = []Assessment{
			{Process: "processes/P1", Score: "72.5", Recommendation: "OUTSOURCE", Stale: true},
			{Process: "processes/P2", Score: "64.0", Recommendation: "HYBRID"},
		}
	})
	v := Derive(f)
	d := v.Steps[0]
	if d.State != "STALE" || d.Facts["stale"] != "processes/P1" {
		t.Fatalf("decide step = %s %v; want STALE naming processes/P1", d.State, d.Facts)
	}
	if v.Stage != Scoped {
		t.Errorf("stage = %v; want Scoped (a stale assessment does not undo the approved scope)", v.Stage)
	}
	fresh := Derive(scoped).Steps[0]
	if fresh.State != "ASSESSED" || fresh.Facts["stale"] != "" {
		t.Errorf("fresh decide step = %s %v; want ASSESSED without a stale fact", fresh.State, fresh.Facts)
	}
}
