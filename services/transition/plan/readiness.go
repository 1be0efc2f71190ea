package plan

import (
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strings"
	"time"

	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/protoenum"
)

// The names of the readiness gates, in the order they are evaluated.
const (
	GateTasks       = "tasks"
	GateKnowledge   = "knowledge"
	GateTraining    = "training"
	GateIntegration = "integration"
	GateParallelRun = "parallel_run"
)

// DefaultTrainingThresholdBps is the training gate's threshold when the
// plan sets none: 90 % of trainees passed. spec: transition.md.
const DefaultTrainingThresholdBps = 9000

// Facts are what the readiness gates look at: the plan (its readiness
// terms, copied from the approved scope and the contract when it was
// created), its tasks in plan order, knowledge items, training sessions and
// the provider's parallel-run results. All of it is transition's own data,
// so the gates are evaluated inside one transaction with no remote call.
type Facts struct {
	Plan     *transitionv1.TransitionPlan
	Tasks    []*transitionv1.Task
	Items    []*transitionv1.KnowledgeItem
	Sessions []*transitionv1.TrainingSession
	Results  []*transitionv1.ParallelRunResult
}

// Readiness evaluates the five readiness gates. spec: transition.md,
// "Readiness gates". Each gate lists exactly what is missing.
func Readiness(f Facts) *transitionv1.Readiness {
	gates := []*transitionv1.Gate{
		tasksGate(f.Tasks),
		knowledgeGate(f.Items),
		trainingGate(f.Plan, f.Sessions),
		integrationGate(f.Plan, f.Tasks),
		parallelRunGate(f.Plan, f.Tasks, f.Results),
	}
	r := &transitionv1.Readiness{Ready: true, Gates: gates}
	for _, g := range gates {
		r.Ready = r.Ready && g.GetPassed()
	}
	return r
}

func gate(name string, missing []string) *transitionv1.Gate {
	return &transitionv1.Gate{Gate: name, Passed: len(missing) == 0, Missing: missing}
}

// tasksGate passes when every task of a phase before CUTOVER is DONE or
// SKIPPED; it lists each one that is not, with its phase and state.
func tasksGate(tasks []*transitionv1.Task) *transitionv1.Gate {
	var missing []string
	for _, t := range tasks {
		if t.GetPhase() < transitionv1.Phase_PHASE_CUTOVER && !Finished(t.GetState()) {
			missing = append(missing, fmt.Sprintf("%s task %s is %s", protoenum.Short(t.GetPhase()), Label(t), protoenum.Short(t.GetState())))
		}
	}
	return gate(GateTasks, missing)
}

// knowledgeGate passes when there is at least one knowledge item and every
// item is signed off by both sides; it names each side still to sign. A
// plan with no item at all has handed nothing over, which is what the
// gate is for, so it does not pass.
func knowledgeGate(items []*transitionv1.KnowledgeItem) *transitionv1.Gate {
	if len(items) == 0 {
		return gate(GateKnowledge, []string{"no knowledge item is recorded: add the SOPs, documents, recorded sessions and system accesses handed over (CreateKnowledgeItem)"})
	}
	var missing []string
	for _, it := range items {
		var sides []string
		if it.GetClientSignOff() == nil {
			sides = append(sides, fmt.Sprintf("the client (owner %s)", it.GetOwner()))
		}
		if it.GetProviderSignOff() == nil {
			sides = append(sides, fmt.Sprintf("the provider (receiver %s)", it.GetReceiver()))
		}
		if len(sides) > 0 {
			missing = append(missing, fmt.Sprintf("%s %s is not signed off by %s", protoenum.Short(it.GetKind()), itemLabel(it), strings.Join(sides, " nor ")))
		}
	}
	return gate(GateKnowledge, missing)
}

func itemLabel(it *transitionv1.KnowledgeItem) string {
	var n transitionv1.KnowledgeItemResourceName
	if n.UnmarshalString(it.GetName()) != nil {
		return fmt.Sprintf("%q", it.GetTitle())
	}
	return fmt.Sprintf("%q (%s)", it.GetTitle(), n.KnowledgeItem)
}

// TrainingOutcome is one trainee's standing across a plan's sessions.
type TrainingOutcome struct {
	Trainee string
	Passed  bool
	// Why lists the topics not passed: "Order returns: FAILED on 2026-03-02".
	Why []string
}

// Trainees works out, per trainee (in order of first appearance), whether
// it passed: for each topic it was trained on, the result of its latest
// session of that topic (by date, then by plan order) counts — a later
// session of a topic is a retake — and it passes when that result is
// PASSED for every topic.
func Trainees(sessions []*transitionv1.TrainingSession) []TrainingOutcome {
	type key struct{ trainee, topic string }
	type seen struct {
		day    string
		result transitionv1.TraineeResult
	}
	latest := map[key]seen{}
	var order []string
	topics := map[string][]string{}
	for _, s := range sessions {
		day := fmt.Sprintf("%04d-%02d-%02d", s.GetSessionDate().GetYear(), s.GetSessionDate().GetMonth(), s.GetSessionDate().GetDay())
		topic := strings.TrimSpace(s.GetTopic())
		for _, tr := range s.GetTrainees() {
			id := tr.GetTrainee()
			if _, ok := topics[id]; !ok {
				order = append(order, id)
				topics[id] = nil
			}
			k := key{id, topic}
			prev, ok := latest[k]
			if !ok {
				topics[id] = append(topics[id], topic)
			}
			if !ok || day >= prev.day {
				latest[k] = seen{day, tr.GetResult()}
			}
		}
	}
	out := make([]TrainingOutcome, 0, len(order))
	for _, id := range order {
		o := TrainingOutcome{Trainee: id, Passed: true}
		for _, topic := range topics[id] {
			s := latest[key{id, topic}]
			if s.result != transitionv1.TraineeResult_TRAINEE_RESULT_PASSED {
				o.Passed = false
				res := "no result recorded"
				if s.result != transitionv1.TraineeResult_TRAINEE_RESULT_UNSPECIFIED {
					res = protoenum.Short(s.result)
				}
				o.Why = append(o.Why, fmt.Sprintf("%s: %s on %s", topic, res, s.day))
			}
		}
		out = append(out, o)
	}
	return out
}

// TrainingThresholdBps is the plan's training threshold in basis points.
func TrainingThresholdBps(p *transitionv1.TransitionPlan) int32 {
	if t := p.GetTrainingPassThresholdBps(); t > 0 {
		return t
	}
	return DefaultTrainingThresholdBps
}

// trainingGate passes when passed trainees ÷ trainees ≥ the plan's
// threshold, compared exactly in integers: passed × 10 000 ≥ threshold ×
// trainees. It names every trainee who has not passed and why. No
// trainee at all does not pass: nobody has been shown to be ready.
func trainingGate(p *transitionv1.TransitionPlan, sessions []*transitionv1.TrainingSession) *transitionv1.Gate {
	outcomes := Trainees(sessions)
	threshold := TrainingThresholdBps(p)
	if len(outcomes) == 0 {
		return gate(GateTraining, []string{"no trainee is recorded: schedule the provider staff's training sessions (CreateTrainingSession) and record their results"})
	}
	passed := 0
	var failing []string
	for _, o := range outcomes {
		if o.Passed {
			passed++
		} else {
			failing = append(failing, fmt.Sprintf("trainee %s has not passed (%s)", o.Trainee, strings.Join(o.Why, "; ")))
		}
	}
	if int64(passed)*10000 >= int64(threshold)*int64(len(outcomes)) {
		return gate(GateTraining, nil)
	}
	missing := []string{fmt.Sprintf("%d of %d trainees passed (%s), below the threshold of %s", passed, len(outcomes), percent(int64(passed)*10000, int64(len(outcomes))), percent(int64(threshold), 1))}
	return gate(GateTraining, append(missing, failing...))
}

// percent renders bps/den basis points as a percentage with one decimal
// (big.Rat.FloatString: to the nearest, a half away from zero): 7 of 9 → 7×10 000/9 = 7 777.7… bps → "77.8 %".
func percent(bps, den int64) string {
	r := new(big.Rat).SetFrac64(bps, den*100)
	return strings.TrimSuffix(strings.TrimSuffix(r.FloatString(1), "0"), ".") + " %"
}

// integrationGate passes when every integration of the approved scope has
// a DONE INTEGRATION_TESTING task that names its system (case and
// surrounding spaces aside); it names the systems without one.
func integrationGate(p *transitionv1.TransitionPlan, tasks []*transitionv1.Task) *transitionv1.Gate {
	tested := map[string]bool{}
	named := map[string][]string{}
	for _, t := range tasks {
		if t.GetPhase() != transitionv1.Phase_PHASE_INTEGRATION_TESTING {
			continue
		}
		for _, sys := range t.GetIntegrations() {
			k := normal(sys)
			if t.GetState() == transitionv1.TaskState_TASK_STATE_DONE {
				tested[k] = true
			} else {
				named[k] = append(named[k], fmt.Sprintf("%s is %s", Label(t), protoenum.Short(t.GetState())))
			}
		}
	}
	var missing []string
	for _, sys := range p.GetIntegrations() {
		k := normal(sys)
		switch {
		case tested[k]:
		case len(named[k]) > 0:
			missing = append(missing, fmt.Sprintf("integration %s is not tested yet: %s", sys, strings.Join(named[k], ", ")))
		default:
			missing = append(missing, fmt.Sprintf("integration %s has no INTEGRATION_TESTING task naming it: name it in a task's integrations", sys))
		}
	}
	return gate(GateIntegration, missing)
}

func normal(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ParallelRunSpan returns the first and last day of the parallel-run
// phase — the earliest actual start and latest actual finish (UTC days) of
// its PARALLEL_RUN tasks — and whether it ran at all (a task started).
func ParallelRunSpan(tasks []*transitionv1.Task) (first, last time.Time, ran bool) {
	for _, t := range tasks {
		if t.GetPhase() != transitionv1.Phase_PHASE_PARALLEL_RUN || t.GetActualStart() == nil {
			continue
		}
		s := utcDay(t.GetActualStart().AsTime())
		f := s
		if t.GetActualFinish() != nil {
			f = utcDay(t.GetActualFinish().AsTime())
		}
		if !ran || s.Before(first) {
			first = s
		}
		if !ran || f.After(last) {
			last = f
		}
		ran = true
	}
	return first, last, ran
}

func utcDay(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// parallelRunGate passes when the parallel-run phase lasted at least the
// scope's weeks — from its first day to its last, both counted: 14 days
// are 2 weeks — and every CRITICAL level of the contract was met in the
// provider's reported parallel-run results. It names the shortfall in
// days and each level not reported or missed, with value and target.
func parallelRunGate(p *transitionv1.TransitionPlan, tasks []*transitionv1.Task, results []*transitionv1.ParallelRunResult) *transitionv1.Gate {
	var missing []string
	if weeks := p.GetParallelRunWeeks(); weeks > 0 {
		want := int(weeks) * 7
		first, last, ran := ParallelRunSpan(tasks)
		if !ran {
			missing = append(missing, fmt.Sprintf("the parallel run has not started: the scope asks for %d weeks (%d days) of it", weeks, want))
		} else if days := int(last.Sub(first).Hours()/24) + 1; days < want {
			missing = append(missing, fmt.Sprintf("the parallel run lasted %d days (%s to %s), the scope asks for %d weeks (%d days): %d days short",
				days, first.Format(time.DateOnly), last.Format(time.DateOnly), weeks, want, want-days))
		}
	}
	byKey := map[string]*transitionv1.ParallelRunResult{}
	for _, r := range results {
		byKey[r.GetServiceLevel()] = r
	}
	for _, l := range p.GetCriticalServiceLevels() {
		r := byKey[l.GetKey()]
		want := fmt.Sprintf("%s %s", comparatorWord(l.GetComparator()), l.GetTarget())
		switch {
		case r == nil:
			missing = append(missing, fmt.Sprintf("CRITICAL level %s (%s, %s) has no parallel-run result: the provider reports it (ReportParallelRunResult)", l.GetKey(), l.GetDisplayName(), want))
		case !Met(r.GetValue(), l.GetComparator(), l.GetTarget()):
			missing = append(missing, fmt.Sprintf("CRITICAL level %s (%s) was missed in the parallel run: %s, wants %s", l.GetKey(), l.GetDisplayName(), r.GetValue(), want))
		}
	}
	return gate(GateParallelRun, missing)
}

func comparatorWord(c typev1.Comparator) string {
	if c == typev1.Comparator_COMPARATOR_AT_MOST {
		return "at most"
	}
	return "at least"
}

// decimalPattern is a plain decimal: digits, an optional fraction and sign;
// no exponent, fraction bar or base prefix.
var decimalPattern = regexp.MustCompile(`^[+-]?[0-9]{1,30}(\.[0-9]{1,30})?$`)

// ParseDecimal parses a decimal value ("82.5", "-1", "4.31") exactly.
func ParseDecimal(s string) (*big.Rat, bool) {
	s = strings.TrimSpace(s)
	if !decimalPattern.MatchString(s) {
		return nil, false
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

// Met reports whether value meets target under comparator, compared
// exactly as decimals (an unparsable number never meets).
func Met(value string, c typev1.Comparator, target string) bool {
	v, ok1 := ParseDecimal(value)
	t, ok2 := ParseDecimal(target)
	if !ok1 || !ok2 {
		return false
	}
	if c == typev1.Comparator_COMPARATOR_AT_MOST {
		return v.Cmp(t) <= 0
	}
	return v.Cmp(t) >= 0
}

// CriticalLevels returns the CRITICAL levels among levels, in order.
func CriticalLevels(levels []*typev1.ServiceLevel) []*typev1.ServiceLevel {
	var out []*typev1.ServiceLevel
	for _, l := range levels {
		if l.GetKind() == typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL {
			out = append(out, l)
		}
	}
	return slices.Clip(out)
}

// gateAction says, per gate, what to do about what is missing.
var gateAction = map[string]string{
	GateTasks:       "complete or skip these tasks",
	GateKnowledge:   "each side signs off its items (SignOffKnowledgeItem)",
	GateTraining:    "retrain and record the results (RecordTrainingResults)",
	GateIntegration: "complete an INTEGRATION_TESTING task naming each integration",
	GateParallelRun: "run the parallel run long enough and have the provider report every CRITICAL level met (ReportParallelRunResult)",
}

// maxListed bounds how many missing items a refusal's message lists;
// CheckReadiness lists them all.
const maxListed = 10

// CheckReady refuses a cutover of the plan named plan unless r is ready,
// saying per gate what is missing and what to do.
func CheckReady(plan string, r *transitionv1.Readiness) error {
	if r.GetReady() {
		return nil
	}
	var parts []string
	for _, g := range r.GetGates() {
		if g.GetPassed() {
			continue
		}
		missing := g.GetMissing()
		more := ""
		if len(missing) > maxListed {
			more = fmt.Sprintf(" and %d more", len(missing)-maxListed)
			missing = missing[:maxListed]
		}
		parts = append(parts, fmt.Sprintf("gate %q: %s%s (%s)", g.GetGate(), strings.Join(missing, "; "), more, gateAction[g.GetGate()]))
	}
	return apperr.New(apperr.FailedPrecondition, "%s is not ready for cutover: %s; CheckReadiness lists everything missing",
		plan, strings.Join(parts, "; "))
}
