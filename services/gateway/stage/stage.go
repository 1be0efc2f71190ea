// Package stage derives an engagement's lifecycle from what the four
// services say about it: each of the six steps' state, whether its gate for
// the next step is open, its key facts and what blocks it, and the
// engagement's stage. It is plain Go: the gateway gathers the facts with
// the caller's token and hands them in; nothing here calls a service.
// spec: README.md, "The stage of an engagement" and "Services and their
// dependencies" (the lifecycle view).
package stage

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Stage is how far an engagement has come. The order matters: a later
// stage implies every earlier one.
type Stage int

// The stages of spec README "The stage of an engagement".
const (
	Unspecified Stage = iota
	// Decided: an engagement exists for assessed processes.
	Decided
	// Scoped: a scope revision was approved.
	Scoped
	// Selected: an award was made (approved).
	Selected
	// Contracted: the contract is signed.
	Contracted
	// Transitioning: the transition plan is started.
	Transitioning
	// Live: cutover done; monitoring running.
	Live
	// Closed: the contract expired or was terminated.
	Closed
)

var stageNames = [...]string{"UNSPECIFIED", "DECIDED", "SCOPED", "SELECTED", "CONTRACTED", "TRANSITIONING", "LIVE", "CLOSED"}

func (s Stage) String() string {
	if s < 0 || int(s) >= len(stageNames) {
		return "Stage(" + strconv.Itoa(int(s)) + ")"
	}
	return stageNames[s]
}

// The names of the six steps, in order.
const (
	StepDecide     = "decide"
	StepScope      = "scope"
	StepSelect     = "select"
	StepContract   = "contract"
	StepTransition = "transition"
	StepMonitor    = "monitor"
)

// States a step shows besides its service's own.
const (
	// NotStarted: nothing exists yet for the step.
	NotStarted = "NOT_STARTED"
	// Hidden: the caller may not see the step (its service answered
	// PERMISSION_DENIED), e.g. a provider user and the client's processes.
	Hidden = "HIDDEN"
	// Running is the monitor step's state when the service is live but no
	// period has been evaluated.
	Running = "RUNNING"
	// NotEvaluated is the outcome of a level whose aggregation or window
	// monitoring does not evaluate yet: neither met nor missed.
	NotEvaluated = "NOT_EVALUATED"
)

// Facts are what the gateway learned from the services. States are the
// services' enum values without their prefix (`APPROVED`, not
// `SCOPE_STATE_APPROVED`); money is already formatted (kit/money).
type Facts struct {
	Decide     Decide
	Scope      Scope
	Select     Select
	Contract   Contract
	Transition Transition
	Monitor    Monitor
}

// Decide is the engagement's processes and their latest assessments.
type Decide struct {
	Hidden      bool
	Assessments []Assessment
}

// Assessment is a process's latest assessment.
type Assessment struct {
	Process        string // processes/{id}
	Score          string // e.g. "72.5"; empty when not assessed
	Recommendation string // OUTSOURCE, HYBRID, RETAIN
	// Stale: the process was edited after this assessment, which no longer
	// describes it until the process is assessed again.
	Stale bool
}

// Scope is the latest revision of the engagement's scope.
type Scope struct {
	Hidden   bool
	Revision int64
	State    string // DRAFT, IN_REVIEW, APPROVED; empty when there is none
}

// Select is the engagement's sourcing event and award.
type Select struct {
	Hidden bool
	// Event is the sourcing event that matters (the awarded one, else the
	// latest not cancelled, else the latest); empty when there is none.
	Event            string
	EventState       string // DRAFT, PUBLISHED, CLOSED, EVALUATED, AWARDED, CANCELLED
	ProposalDeadline time.Time
	// ProposedProvider is the provider of an award proposed but not yet
	// approved.
	ProposedProvider string
	// Award is the engagement's approved award; nil until then.
	Award *Award
}

// Award is an approved award.
type Award struct {
	Provider           string
	Proposal           string
	TotalContractValue string // e.g. "USD 1440000.00"
	TotalScore         string // e.g. "83.50"
}

// Contract is the engagement's contract.
type Contract struct {
	Hidden          bool
	Name            string // contracts/{id}; empty when there is none
	State           string // DRAFT, IN_REVIEW, APPROVED, SIGNED, EXPIRED, TERMINATED
	Provider        string
	MonthlyFee      string
	ClientSignatory string
	ClientSigned    bool
	ProviderSigned  bool
	Commencement    string // YYYY-MM-DD, recorded at cutover; empty before
}

// Transition is the contract's transition plan.
type Transition struct {
	Hidden        bool
	Plan          string // transitionPlans/{id}; empty when there is none
	State         string // DRAFT, ACTIVE, CUTOVER_READY, LIVE, CLOSED, ABORTED
	TasksFinished int32
	TasksTotal    int32
	Commencement  string // YYYY-MM-DD
}

// Monitor is the evaluation of the latest period since commencement.
type Monitor struct {
	Hidden      bool
	Period      string // YYYY-MM; empty when no period was evaluated
	Provisional bool
	Levels      []Level
	Charges     string
	Credits     string
	Net         string
}

// Level is one service level's result for the period.
type Level struct {
	Key        string
	Kind       string // CRITICAL or KPI
	Outcome    string // MET, MISSED, NO_DATA, NOT_EVALUATED
	Value      string // empty for NO_DATA
	Comparator string // AT_LEAST or AT_MOST
	Target     string
	Credit     string // for a missed critical level
}

// Step is one step of the lifecycle view.
type Step struct {
	Name  string
	State string
	// Done says the step's gate for the next step is open.
	Done  bool
	Facts map[string]string
	// Blocker says, in words, what must happen for the step to be done;
	// empty when it is done, when an earlier step is not, or when the
	// caller may not see it.
	Blocker string
}

// View is an engagement's lifecycle.
type View struct {
	Stage Stage
	Steps []Step // decide, scope, select, contract, transition, monitor
}

// Derive computes the lifecycle from the facts.
//
// The stage is the furthest stage with evidence, not the first gap: an
// award proves an approved scope even when the scope has since gained a
// new DRAFT revision, and a caller who may not see one step (HIDDEN) still
// sees the stage the later steps prove.
func Derive(f Facts) View {
	reached := furthest(f)
	st := reached
	if !f.Contract.Hidden && (f.Contract.State == "EXPIRED" || f.Contract.State == "TERMINATED") {
		st = Closed
	}
	steps := []Step{
		decideStep(f.Decide),
		scopeStep(f.Scope),
		selectStep(f.Select),
		contractStep(f.Contract),
		transitionStep(f.Transition, f.Contract),
		monitorStep(f.Monitor, reached),
	}
	// The stage each step's completion proves. Steps are done by what was
	// reached before a closure: a contract terminated during transition
	// does not make its transition done.
	proves := []Stage{Decided, Scoped, Selected, Contracted, Live, Live}
	for i := range steps {
		s := &steps[i]
		s.Done = reached >= proves[i]
		open := i == 0 || steps[i-1].Done
		if s.Done || !open || s.State == Hidden || st == Closed {
			s.Blocker = ""
		}
	}
	return View{Stage: st, Steps: steps}
}

// furthest is the furthest stage before CLOSED that the facts prove.
func furthest(f Facts) Stage {
	c, t := f.Contract, f.Transition
	switch {
	case !t.Hidden && (t.State == "LIVE" || t.State == "CLOSED"),
		!c.Hidden && c.Commencement != "":
		return Live
	case !t.Hidden && (t.State == "ACTIVE" || t.State == "CUTOVER_READY"):
		return Transitioning
	case !c.Hidden && (c.State == "SIGNED" || c.State == "ACTIVE" || c.State == "EXPIRED" || c.State == "TERMINATED"):
		// Only a signed contract expires or is terminated (contract.md, States).
		return Contracted
	case !f.Select.Hidden && f.Select.Award != nil:
		return Selected
	case !f.Scope.Hidden && (f.Scope.State == "APPROVED" || f.Scope.Revision > 1):
		// A revision after the first exists only because an approved one
		// was changed (catalog.md §2: a change to an approved scope makes
		// a new revision), so an earlier revision was approved.
		return Scoped
	}
	return Decided
}

func decideStep(d Decide) Step {
	s := Step{Name: StepDecide, Facts: map[string]string{}}
	if d.Hidden {
		s.State = Hidden
		return s
	}
	// An engagement is created only from assessed processes (catalog.md §2).
	s.State = "ASSESSED"
	one := len(d.Assessments) == 1
	var stale []string
	for _, a := range d.Assessments {
		if a.Score == "" {
			s.State = "NOT_ASSESSED"
		}
		if a.Stale {
			stale = append(stale, a.Process)
		}
		if one {
			s.Facts["process"] = a.Process
			s.Facts["score"] = a.Score
			s.Facts["recommendation"] = a.Recommendation
			continue
		}
		s.Facts["score "+a.Process] = a.Score
		s.Facts["recommendation "+a.Process] = a.Recommendation
	}
	if len(stale) > 0 && s.State == "ASSESSED" {
		s.State = "STALE"
		// Edited after assessment: a process owner must assess it again.
		s.Facts["stale"] = strings.Join(stale, ", ")
	}
	return s
}

func scopeStep(sc Scope) Step {
	s := Step{Name: StepScope, Facts: map[string]string{}}
	switch {
	case sc.Hidden:
		s.State = Hidden
		return s
	case sc.State == "":
		s.State = NotStarted
		s.Blocker = "the engagement has no scope: the sourcing manager must write one and submit it for review"
		return s
	}
	s.State = sc.State
	s.Facts["revision"] = strconv.FormatInt(sc.Revision, 10)
	switch sc.State {
	case "DRAFT":
		s.Blocker = fmt.Sprintf("scope revision %d is DRAFT: the sourcing manager or process owner must complete it and submit it for review", sc.Revision)
	case "IN_REVIEW":
		s.Blocker = fmt.Sprintf("scope revision %d is IN_REVIEW: an approver who is not its author must approve it", sc.Revision)
	}
	return s
}

func selectStep(se Select) Step {
	s := Step{Name: StepSelect, Facts: map[string]string{}}
	switch {
	case se.Hidden:
		s.State = Hidden
		return s
	case se.Event == "":
		s.State = NotStarted
		s.Blocker = "no sourcing event yet: the sourcing manager must create one on the approved scope and publish it"
		return s
	}
	s.State = se.EventState
	s.Facts["sourcing_event"] = se.Event
	if a := se.Award; a != nil {
		s.Facts["provider"] = a.Provider
		s.Facts["proposal"] = a.Proposal
		s.Facts["total_contract_value"] = a.TotalContractValue
		s.Facts["total_score"] = a.TotalScore
		return s
	}
	switch se.EventState {
	case "DRAFT":
		s.Blocker = fmt.Sprintf("sourcing event %s is DRAFT: the sourcing manager must publish it", se.Event)
	case "PUBLISHED":
		deadline := se.ProposalDeadline.UTC().Format(time.RFC3339)
		s.Facts["proposal_deadline"] = deadline
		s.Blocker = fmt.Sprintf("sourcing event %s is PUBLISHED: providers submit proposals until %s; then the sourcing manager closes it (earlier once every invited provider has submitted)", se.Event, deadline)
	case "CLOSED":
		s.Blocker = fmt.Sprintf("sourcing event %s is CLOSED: every evaluator must score every qualified proposal", se.Event)
	case "EVALUATED":
		if se.ProposedProvider != "" {
			s.Facts["proposed_provider"] = se.ProposedProvider
			s.Blocker = fmt.Sprintf("the award of sourcing event %s to %s awaits the approval of an approver who did not propose it", se.Event, se.ProposedProvider)
		} else {
			s.Blocker = fmt.Sprintf("sourcing event %s is EVALUATED: the sourcing manager must propose the award", se.Event)
		}
	case "CANCELLED":
		s.Blocker = fmt.Sprintf("sourcing event %s was CANCELLED: the sourcing manager must create and publish a new one", se.Event)
	}
	return s
}

func contractStep(c Contract) Step {
	s := Step{Name: StepContract, Facts: map[string]string{}}
	switch {
	case c.Hidden:
		s.State = Hidden
		return s
	case c.Name == "":
		s.State = NotStarted
		s.Blocker = "no contract yet: a contract manager must draft one for the award"
		return s
	}
	s.State = c.State
	s.Facts["contract"] = c.Name
	set(s.Facts, "provider", c.Provider)
	set(s.Facts, "monthly_fee", c.MonthlyFee)
	set(s.Facts, "service_commencement_date", c.Commencement)
	s.Facts["client_signature"] = signed(c.ClientSigned)
	s.Facts["provider_signature"] = signed(c.ProviderSigned)
	switch c.State {
	case "DRAFT":
		s.Blocker = fmt.Sprintf("contract %s is DRAFT: the contract manager must complete it and submit it for review", c.Name)
	case "IN_REVIEW":
		s.Blocker = fmt.Sprintf("contract %s is IN_REVIEW: an approver who is neither its author nor a provider user must approve it", c.Name)
	case "APPROVED":
		var missing []string
		if !c.ClientSigned {
			who := "the client signatory"
			if c.ClientSignatory != "" {
				who += " (" + c.ClientSignatory + ")"
			}
			missing = append(missing, who)
		}
		if !c.ProviderSigned {
			who := "a user of the provider"
			if c.Provider != "" {
				who = "a user of " + c.Provider
			}
			missing = append(missing, who)
		}
		s.Blocker = fmt.Sprintf("contract %s is APPROVED: it awaits the signature of %s", c.Name, strings.Join(missing, " and "))
	}
	return s
}

func transitionStep(t Transition, c Contract) Step {
	s := Step{Name: StepTransition, Facts: map[string]string{}}
	switch {
	case t.Hidden:
		s.State = Hidden
		return s
	case t.Plan == "":
		s.State = NotStarted
		s.Blocker = "no transition plan yet: a transition manager must create one for the signed contract"
		if c.Name != "" {
			s.Blocker = "no transition plan yet: a transition manager must create one for " + c.Name
		}
		return s
	}
	s.State = t.State
	s.Facts["plan"] = t.Plan
	s.Facts["progress"] = fmt.Sprintf("%d of %d tasks finished", t.TasksFinished, t.TasksTotal)
	set(s.Facts, "commencement_date", t.Commencement)
	switch t.State {
	case "DRAFT":
		s.Blocker = fmt.Sprintf("transition plan %s is DRAFT: the transition manager must start it", t.Plan)
	case "ACTIVE":
		s.Blocker = fmt.Sprintf("transition plan %s is ACTIVE with %d of %d tasks finished: every task before cutover must be done or skipped and every readiness gate pass, then the transition manager completes the cutover", t.Plan, t.TasksFinished, t.TasksTotal)
	case "CUTOVER_READY":
		s.Blocker = fmt.Sprintf("transition plan %s is CUTOVER_READY: the transition manager must complete the cutover", t.Plan)
	case "ABORTED":
		s.Blocker = fmt.Sprintf("transition plan %s was ABORTED: a transition manager must create a new plan", t.Plan)
	}
	return s
}

func monitorStep(m Monitor, st Stage) Step {
	s := Step{Name: StepMonitor, Facts: map[string]string{}}
	switch {
	case m.Hidden:
		s.State = Hidden
		return s
	case m.Period == "":
		s.State = NotStarted
		if st >= Live {
			s.State = Running
		}
		return s
	}
	// A period is OPEN while its result may still change (monitoring.md,
	// "Periods and evaluation"), CLOSED once final.
	s.State = "CLOSED"
	period := m.Period
	if m.Provisional {
		s.State = "OPEN"
		period += " (provisional)"
	}
	s.Facts["period"] = period
	set(s.Facts, "charges", m.Charges)
	set(s.Facts, "credits", m.Credits)
	set(s.Facts, "net", m.Net)
	var missed []string
	for _, l := range m.Levels {
		s.Facts["level "+l.Key] = describeLevel(l)
		// NO_DATA counts as missed for a critical level only
		// (monitoring.md, "Metric definitions"); a level not evaluated
		// is neither met nor missed.
		if l.Outcome == "MISSED" || (l.Outcome == "NO_DATA" && l.Kind == "CRITICAL") {
			missed = append(missed, l.Key)
		}
	}
	if len(missed) > 0 {
		s.Facts["missed"] = strings.Join(missed, ", ")
	}
	return s
}

// describeLevel reads like "MISSED: 76.5 against at least 80 (CRITICAL,
// credit USD 1080.00)".
func describeLevel(l Level) string {
	var b strings.Builder
	b.WriteString(l.Outcome)
	b.WriteString(":")
	if l.Value != "" {
		b.WriteString(" " + l.Value)
	}
	cmp := map[string]string{"AT_LEAST": "at least", "AT_MOST": "at most"}[l.Comparator]
	if cmp == "" {
		cmp = "target"
	}
	b.WriteString(" against " + cmp + " " + l.Target)
	extra := l.Kind
	if l.Credit != "" && l.Outcome != "MET" {
		extra += ", credit " + l.Credit
	}
	if extra != "" {
		b.WriteString(" (" + extra + ")")
	}
	return b.String()
}

func signed(ok bool) string {
	if ok {
		return "signed"
	}
	return "pending"
}

func set(m map[string]string, k, v string) {
	if v != "" {
		m[k] = v
	}
}
