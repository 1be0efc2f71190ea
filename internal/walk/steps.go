package walk

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/civil"
	"github.com/acme/bpo/kit/money"
	"github.com/acme/bpo/kit/protoenum"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The steps, in the order Run takes them; each acts as the users whose
// role does it and says what happened.

// ---------------------------------------------------------------------------
// 1. Decide

// Decide: the process owner describes the process, the sourcing manager
// has it assessed and opens an engagement for it.
func (w *Walk) Decide(ctx context.Context) error {
	var p catalogv1.Process
	err := w.do(ctx, w.Cast.ProcessOwner, "POST", "/v1/processes", nil, &catalogv1.Process{
		DisplayName:  "Customer support for online orders",
		Description:  "Voice, e-mail and chat support for orders, deliveries and returns of the web shop.",
		Function:     catalogv1.BusinessFunction_BUSINESS_FUNCTION_CUSTOMER_SUPPORT,
		Vertical:     catalogv1.Industry_INDUSTRY_RETAIL,
		BusinessUnit: "E-commerce",
		HomeCountry:  "US", HomeTimeZone: ServiceZone,
		Fte:                   "60",
		AnnualCostPerFte:      usd(58_000_00),
		AnnualVolume:          1_200_000,
		Repetitiveness:        4,
		Complexity:            2,
		StrategicImportance:   2,
		RequiredExpertise:     2,
		DocumentationMaturity: 4,
		DataClassification:    catalogv1.DataClassification_DATA_CLASSIFICATION_CONFIDENTIAL,
		CustomerFacing:        true,
	}, &p)
	if err != nil {
		return err
	}
	w.Process = p.GetName()
	w.say("decide", w.Cast.ProcessOwner, "process %s %q: %s FTE at %s a year each", p.GetName(), p.GetDisplayName(), p.GetFte(), money.Format(p.GetAnnualCostPerFte()))

	var a catalogv1.Assessment
	if err := w.do(ctx, w.Cast.SourcingManager, "POST", "/v1/"+w.Process+":assess", nil, &catalogv1.AssessProcessRequest{}, &a); err != nil {
		return err
	}
	best := ""
	for _, bc := range a.GetBusinessCases() {
		if bc.GetShoreModel() == a.GetRecommendedShoreModel() {
			best = fmt.Sprintf("; %s saves %s a year, payback %d months, 3-year NPV %s",
				protoenum.Short(bc.GetShoreModel()), money.Format(bc.GetAnnualSaving()), bc.GetPaybackMonths(), money.Format(bc.GetNpv_3Y()))
		}
	}
	w.say("decide", w.Cast.SourcingManager, "assessed: score %.1f, %s, collaboration %s%s",
		a.GetScore(), protoenum.Short(a.GetRecommendation()),
		protoenum.Short(a.GetCollaborationModel()), best)

	var e catalogv1.Engagement
	err = w.do(ctx, w.Cast.SourcingManager, "POST", "/v1/engagements", nil, &catalogv1.Engagement{
		DisplayName:     "Northwind customer support",
		Processes:       []string{w.Process},
		ClientCountry:   "US",
		ClientTimeZone:  ServiceZone,
		TargetSavingBps: 3000,
		QualityGoals:    "Answer 80 % of calls within 20 seconds; keep CSAT at 4.2 or better.",
	}, &e)
	if err != nil {
		return err
	}
	w.Engagement = e.GetName()
	w.say("decide", w.Cast.SourcingManager, "engagement %s %q", e.GetName(), e.GetDisplayName())
	return nil
}

// ---------------------------------------------------------------------------
// 2. Scope

// Providers: the sourcing manager records the three providers that will be
// invited (part of select, but any time before the sourcing event).
func (w *Walk) Providers(ctx context.Context) error {
	for _, b := range w.Bidders {
		var p catalogv1.Provider
		if err := w.do(ctx, w.Cast.SourcingManager, "POST", "/v1/providers", nil, b.Profile, &p); err != nil {
			return err
		}
		b.Name = p.GetName()
		b.User = User{
			Subject:  "bids@" + strings.ToLower(strings.Fields(p.GetDisplayName())[0]) + ".example",
			Roles:    []auth.Role{auth.ProviderUser},
			Provider: p.GetName(),
			Title:    "provider " + b.Key,
		}
		var centers []string
		for _, dc := range p.GetDeliveryCenters() {
			centers = append(centers, dc.GetName())
		}
		w.say("select", w.Cast.SourcingManager, "provider %s %q (%s), centers %s", p.GetName(), p.GetDisplayName(), p.GetHqCountry(), strings.Join(centers, ", "))
	}
	return nil
}

// ScopeBody is the scope called name that the sourcing manager writes.
func (w *Walk) ScopeBody(name string) *catalogv1.Scope {
	return &catalogv1.Scope{
		Name: name,
		Deliverables: []*catalogv1.Deliverable{
			{Name: "Inbound voice support", Description: "Order, delivery and return calls.", Unit: "calls", ExpectedMonthlyVolume: 70_000},
			{Name: "E-mail and chat support", Description: "Written contacts within one business day.", Unit: "contacts", ExpectedMonthlyVolume: 30_000},
		},
		Coverage: &catalogv1.Coverage{
			Hours:           catalogv1.CoverageHours_COVERAGE_HOURS_EXTENDED,
			ServiceTimeZone: ServiceZone,
			Languages:       []string{"en", "es"},
		},
		ServiceLevels: ServiceLevels(),
		Compliance: &catalogv1.Compliance{
			RequiredCertifications: []catalogv1.CertificationType{
				catalogv1.CertificationType_CERTIFICATION_TYPE_ISO_27001,
				catalogv1.CertificationType_CERTIFICATION_TYPE_PCI_DSS,
			},
			DataClassification:   catalogv1.DataClassification_DATA_CLASSIFICATION_CONFIDENTIAL,
			AllowedDataCountries: []string{"US", "PH", "CO"},
			MinOverlapHours:      4,
			BackgroundChecks:     true,
		},
		Transition: &catalogv1.TransitionTerms{GoLiveDate: civil.Of(w.Commencement)},
		Commercial: &catalogv1.CommercialTerms{
			PreferredPricingModels: []catalogv1.PricingModel{catalogv1.PricingModel_PRICING_MODEL_FIXED_PRICE},
			TermMonths:             36,
			CurrencyCode:           "USD",
		},
	}
}

// ServiceLevels are the quality requirements: two critical levels that
// carry credits and a KPI that is only reported.
func ServiceLevels() []*typev1.ServiceLevel {
	return []*typev1.ServiceLevel{
		{
			Key: "asa_20s", DisplayName: "Calls answered within 20 s",
			Metric: &typev1.MetricDefinition{
				Aggregation: typev1.Aggregation_AGGREGATION_PERCENT_WITHIN, Unit: "s",
				Threshold: "20", ThresholdComparator: typev1.Comparator_COMPARATOR_AT_MOST,
			},
			Comparator: typev1.Comparator_COMPARATOR_AT_LEAST, Target: "80",
			Kind: typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL, Window: typev1.MeasurementWindow_MEASUREMENT_WINDOW_MONTHLY,
			AllocationBps: 6000,
		},
		{
			Key: "csat", DisplayName: "Customer satisfaction (1–5)",
			Metric:     &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_MEAN, Unit: "points", MinValue: "1", MaxValue: "5"},
			Comparator: typev1.Comparator_COMPARATOR_AT_LEAST, Target: "4.2",
			Kind: typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL, Window: typev1.MeasurementWindow_MEASUREMENT_WINDOW_MONTHLY,
			AllocationBps: 4000,
		},
		{
			Key: "aht_s", DisplayName: "Average handle time",
			Metric:     &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_MEAN, Unit: "s"},
			Comparator: typev1.Comparator_COMPARATOR_AT_MOST, Target: "420",
			Kind: typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_KPI, Window: typev1.MeasurementWindow_MEASUREMENT_WINDOW_MONTHLY,
		},
	}
}

// Scope: the sourcing manager writes the scope and submits it; an
// approver who did not write it approves it.
func (w *Walk) Scope(ctx context.Context) error {
	e, err := w.engagement()
	if err != nil {
		return err
	}
	scope := e.ScopeResourceName().String()
	var sc catalogv1.Scope
	// The mask is explicit: over REST, grpc-gateway fills an absent one
	// with every nested path of the body, which is not what a PATCH of
	// whole parts means.
	q := url.Values{"updateMask": {"deliverables,coverage,service_levels,compliance,transition,commercial"}}
	if err := w.do(ctx, w.Cast.SourcingManager, "PATCH", "/v1/"+scope, q, w.ScopeBody(scope), &sc); err != nil {
		return err
	}
	var levels []string
	for _, l := range sc.GetServiceLevels() {
		levels = append(levels, describeLevel(l))
	}
	w.say("scope", w.Cast.SourcingManager, "scope revision %d: %d deliverables; levels %s", sc.GetRevision(), len(sc.GetDeliverables()), strings.Join(levels, "; "))
	if err := w.do(ctx, w.Cast.SourcingManager, "POST", "/v1/"+scope+":submit", nil, &catalogv1.SubmitScopeRequest{}, &sc); err != nil {
		return err
	}
	w.say("scope", w.Cast.SourcingManager, "submitted revision %d for review: %s", sc.GetRevision(), protoenum.Short(sc.GetState()))
	if err := w.do(ctx, w.Cast.Approver, "POST", "/v1/"+scope+":approve", nil, &catalogv1.ApproveScopeRequest{}, &sc); err != nil {
		return err
	}
	w.say("scope", w.Cast.Approver, "approved revision %d: %s", sc.GetRevision(), protoenum.Short(sc.GetState()))
	return nil
}

// ---------------------------------------------------------------------------
// 3. Select

// DraftSourcingEvent: the sourcing manager prepares the RFP (DRAFT),
// inviting the three providers and naming the evaluators.
func (w *Walk) DraftSourcingEvent(ctx context.Context) error {
	var invited, evaluators []string
	for _, b := range w.Bidders {
		invited = append(invited, b.Name)
	}
	// A fourth provider is invited too; it will decline (selection.go).
	decliner, err := w.inviteDecliner(ctx)
	if err != nil {
		return err
	}
	invited = append(invited, decliner)
	for _, e := range w.Cast.Evaluators {
		evaluators = append(evaluators, e.Subject)
	}
	var ev catalogv1.SourcingEvent
	err = w.do(ctx, w.Cast.SourcingManager, "POST", "/v1/sourcingEvents", nil, &catalogv1.SourcingEvent{
		Engagement:         w.Engagement,
		DisplayName:        "RFP: Northwind customer support",
		InvitedProviders:   invited,
		Evaluators:         evaluators,
		ProposalDeadline:   timestamppb.New(time.Now().Add(14 * 24 * time.Hour).Truncate(time.Second)),
		ContractTermMonths: 36,
	}, &ev)
	if err != nil {
		return err
	}
	w.Event = ev.GetName()
	w.say("select", w.Cast.SourcingManager, "sourcing event %s: %d providers invited, proposals until %s", ev.GetName(), len(invited), ev.GetProposalDeadline().AsTime().Format("2006-01-02"))
	return nil
}

// Select: the event is published, each provider bids, the event closes
// (early: everyone has bid), the evaluators score, the sourcing manager
// awards the top-ranked proposal and an approver approves the award.
func (w *Walk) Select(ctx context.Context) error {
	if w.Event == "" {
		if err := w.DraftSourcingEvent(ctx); err != nil {
			return err
		}
	}
	sm := w.Cast.SourcingManager
	var ev catalogv1.SourcingEvent
	if err := w.do(ctx, sm, "POST", "/v1/"+w.Event+":publish", nil, &catalogv1.PublishSourcingEventRequest{}, &ev); err != nil {
		return err
	}
	w.say("select", sm, "published on scope revision %d", ev.GetScopeRevision())

	for _, b := range w.Bidders {
		if b.Key == "CO" {
			// Andes CX prices by the hour (selection.go).
			b.Proposal.Pricing = timeAndMaterials()
		}
		var p catalogv1.Proposal
		if err := w.do(ctx, b.User, "POST", "/v1/"+w.Event+"/proposals", nil, b.Proposal, &p); err != nil {
			return err
		}
		b.ProposalName = p.GetName()
		w.say("select", b.User, "proposal %s: %s from %s; TCV over %d months %s", p.GetName(), describePricing(p.GetPricing()),
			strings.Join(b.Proposal.GetDeliveryCenters(), ", "), ev.GetContractTermMonths(), money.Format(p.GetTotalContractValue()))
	}
	if err := w.declineTheOthers(ctx, &ev); err != nil {
		return err
	}
	if err := w.changeScopeWhileLive(ctx); err != nil {
		return err
	}

	if err := w.do(ctx, sm, "POST", "/v1/"+w.Event+":close", nil, &catalogv1.CloseSourcingEventRequest{}, &ev); err != nil {
		return err
	}
	var list catalogv1.ListProposalsResponse
	if err := w.do(ctx, sm, "GET", "/v1/"+w.Event+"/proposals", nil, nil, &list); err != nil {
		return err
	}
	qualified := map[string]bool{}
	for _, p := range list.GetProposals() {
		line := fmt.Sprintf("%s %s: %s, TCV %s, %s", w.label(p.GetProvider()), protoenum.Short(p.GetState()),
			protoenum.Short(p.GetShoreModel()), money.Format(p.GetTotalContractValue()), overlap(p.GetOverlapHours()))
		if rs := p.GetDisqualificationReasons(); len(rs) > 0 {
			line += " — " + strings.Join(rs, "; ")
		}
		if p.GetState() == catalogv1.ProposalState_PROPOSAL_STATE_QUALIFIED {
			qualified[p.GetName()] = true
		}
		w.say("select", sm, "closed: %s", line)
	}

	for i, e := range w.Cast.Evaluators {
		for _, b := range w.Bidders {
			if !qualified[b.ProposalName] {
				continue
			}
			var scores []*catalogv1.CriterionScore
			for _, c := range []catalogv1.Criterion{
				catalogv1.Criterion_CRITERION_EXPERTISE, catalogv1.Criterion_CRITERION_TECHNOLOGY,
				catalogv1.Criterion_CRITERION_COMMUNICATION, catalogv1.Criterion_CRITERION_SCALABILITY,
				catalogv1.Criterion_CRITERION_SECURITY_COMPLIANCE,
			} {
				scores = append(scores, &catalogv1.CriterionScore{Criterion: c, Score: b.Scores[i][c], Comment: "from the proposal and the reference calls"})
			}
			if err := w.do(ctx, e, "POST", "/v1/"+b.ProposalName+":score", nil, &catalogv1.ScoreProposalRequest{Scores: scores}, nil); err != nil {
				return err
			}
		}
		w.say("select", e, "%s scored %d qualified proposals", e.Subject, len(qualified))
	}

	var r catalogv1.Ranking
	if err := w.do(ctx, sm, "GET", "/v1/"+w.Event+"/ranking", nil, nil, &r); err != nil {
		return err
	}
	if len(r.GetProposals()) == 0 {
		return fmt.Errorf("sourcing event %s: the ranking is empty", w.Event)
	}
	for _, rp := range r.GetProposals() {
		w.say("select", sm, "rank %d: %s total %s, TCV %s", rp.GetRank(), w.label(rp.GetProvider()), rp.GetTotal(), money.Format(rp.GetTotalContractValue()))
	}
	if line := w.robustnessLine(&r); line != "" {
		w.say("select", sm, "%s", line)
	}
	top := r.GetProposals()[0]
	for _, b := range w.Bidders {
		if b.ProposalName == top.GetProposal() {
			w.Awarded = b
		}
	}
	if w.Awarded == nil {
		return fmt.Errorf("sourcing event %s: the top-ranked proposal %s is none of the walk's", w.Event, top.GetProposal())
	}
	if err := w.do(ctx, sm, "POST", "/v1/"+w.Event+":award", nil, &catalogv1.AwardSourcingEventRequest{Proposal: top.GetProposal()}, &ev); err != nil {
		return err
	}
	w.say("select", sm, "proposed the award to %s", w.label(top.GetProvider()))
	if err := w.do(ctx, w.Cast.Approver, "POST", "/v1/"+w.Event+":approveAward", nil, &catalogv1.ApproveAwardRequest{}, &ev); err != nil {
		return err
	}
	w.say("select", w.Cast.Approver, "approved the award: %s", protoenum.Short(ev.GetState()))
	return nil
}

// ---------------------------------------------------------------------------
// 4. Contract

// DraftContract: the contract manager drafts the contract from the award
// (provider, price and service levels pre-filled), sets its term and
// credit regime and submits it; an approver approves it.
func (w *Walk) DraftContract(ctx context.Context) error {
	cm := w.Cast.ContractManager
	var c contractv1.Contract
	err := w.do(ctx, cm, "POST", "/v1/contracts", nil, &contractv1.Contract{
		Engagement:       w.Engagement,
		DisplayName:      "Northwind customer support services agreement",
		Type:             contractv1.ContractType_CONTRACT_TYPE_FIXED_PRICE,
		ClientSignatory:  w.Cast.ClientSignatory.Subject,
		StartDate:        civil.Of(w.Commencement),
		EndDate:          civil.Of(w.Commencement.AddDate(3, 0, -1)),
		ServiceTimeZone:  ServiceZone,
		EscalationCapBps: 300,
		CreditRegime:     &contractv1.CreditRegime{AtRiskBps: 1200, ChronicMisses: 3, ChronicWindow: 6, EarnBackPeriods: 1}, // earn-back: monthend.go
	}, &c)
	if err != nil {
		return err
	}
	w.Contract = c.GetName()
	w.say("contract", cm, "draft %s with %s: %s a month, %s to %s", c.GetName(), w.label(c.GetProvider()), money.Format(c.GetMonthlyFee()), day(c.GetStartDate()), day(c.GetEndDate()))

	// Allocations bind in the contract (contract.md, credit regime): the
	// contract manager sets the negotiated ones — most of the pool on the
	// calls answered in time — over whatever the draft was pre-filled with.
	changed := false
	want := map[string]int32{}
	for _, l := range ServiceLevels() {
		want[l.GetKey()] = l.GetAllocationBps()
	}
	levels := c.GetServiceLevels()
	for _, l := range levels {
		if a, ok := want[l.GetKey()]; ok && l.GetKind() == typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL && l.GetAllocationBps() != a {
			l.AllocationBps = a
			changed = true
		}
	}
	if changed {
		q := url.Values{"updateMask": {"service_levels"}}
		if err := w.do(ctx, cm, "PATCH", "/v1/"+w.Contract, q, &contractv1.Contract{Name: w.Contract, ServiceLevels: levels, Etag: c.GetEtag()}, &c); err != nil {
			return err
		}
	}
	var alloc []string
	for _, l := range c.GetServiceLevels() {
		if l.GetKind() == typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL {
			alloc = append(alloc, fmt.Sprintf("%s %s", l.GetKey(), bps(l.GetAllocationBps())))
		}
	}
	w.say("contract", cm, "credit regime: %s of the monthly charges at risk; allocations %s", bps(c.GetCreditRegime().GetAtRiskBps()), strings.Join(alloc, ", "))

	if err := w.do(ctx, cm, "POST", "/v1/"+w.Contract+":submit", nil, &contractv1.SubmitContractRequest{}, &c); err != nil {
		return err
	}
	w.say("contract", cm, "submitted for review: %s", protoenum.Short(c.GetState()))
	if err := w.do(ctx, w.Cast.Approver, "POST", "/v1/"+w.Contract+":approve", nil, &contractv1.ApproveContractRequest{}, &c); err != nil {
		return err
	}
	w.say("contract", w.Cast.Approver, "approved: %s", protoenum.Short(c.GetState()))
	return nil
}

// SignContract: the client signatory and the provider's user sign.
func (w *Walk) SignContract(ctx context.Context) error {
	var c contractv1.Contract
	for _, u := range []User{w.Cast.ClientSignatory, w.Awarded.User} {
		if err := w.do(ctx, u, "POST", "/v1/"+w.Contract+":sign", nil, &contractv1.SignContractRequest{}, &c); err != nil {
			return err
		}
		w.say("contract", u, "%s signed: %s", u.Subject, protoenum.Short(c.GetState()))
	}
	return nil
}

// ---------------------------------------------------------------------------
// 5. Transition

// StartTransition: the transition manager creates the plan sixteen weeks
// before the commencement, naming no template: transition picks it from
// the engagement's function (customer support: the front-office template,
// with call shadowing and reverse shadowing) and takes the target go-live
// from the approved scope; then starts it.
func (w *Walk) StartTransition(ctx context.Context) error {
	tm := w.Cast.TransitionManager
	var p transitionv1.TransitionPlan
	err := w.do(ctx, tm, "POST", "/v1/transitionPlans", nil, &transitionv1.TransitionPlan{
		Contract:  w.Contract,
		StartDate: civil.Of(w.Commencement.AddDate(0, 0, -16*7)),
	}, &p)
	if err != nil {
		return err
	}
	w.Plan = p.GetName()
	w.say("transition", tm, "plan %s from the %s template (chosen by the engagement's function): %d tasks, target go-live %s (from the scope), %d CRITICAL levels to prove in the parallel run",
		p.GetName(), p.GetTemplate(), p.GetTasksTotal(), day(p.GetTargetGoLive()), len(p.GetCriticalServiceLevels()))
	if err := w.do(ctx, tm, "POST", "/v1/"+w.Plan+":start", nil, &transitionv1.StartTransitionPlanRequest{}, &p); err != nil {
		return err
	}
	w.say("transition", tm, "started: %s", protoenum.Short(p.GetState()))
	return nil
}

// Cutover: every task before the cutover phase is done on its scheduled
// dates — the provider's own tasks by the provider's user — and the
// handover recorded; the readiness check shows what is still missing (an
// access not signed off by the provider, an agent who failed training, the
// CSAT of the parallel run not reported); once that is done every gate
// passes, and the transition manager cuts over with the commencement date.
func (w *Walk) Cutover(ctx context.Context) error {
	tm := w.Cast.TransitionManager
	byClient, byProvider, err := w.finishPreCutoverTasks(ctx, time.Now())
	if err != nil {
		return err
	}
	w.say("transition", tm, "every task before cutover is done: %d by the client, %d by %s", byClient, byProvider, w.label(w.Awarded.Name))
	var sched transitionv1.Schedule
	if err := w.do(ctx, tm, "GET", "/v1/"+w.Plan+"/schedule", nil, nil, &sched); err != nil {
		return err
	}
	slip := "on target"
	if sched.SlipDays != nil && sched.GetSlipDays() != 0 {
		slip = fmt.Sprintf("%+d working days against the target", sched.GetSlipDays())
	}
	w.say("transition", tm, "schedule: forecast go-live %s (%s), critical path of %d tasks", day(sched.GetForecastGoLive()), slip, len(sched.GetCriticalPath()))

	unsigned, session, err := w.handOver(ctx)
	if err != nil {
		return err
	}
	r, err := w.checkReadiness(ctx)
	if err != nil {
		return err
	}
	if r.GetReady() {
		return fmt.Errorf("plan %s: ready before the handover was complete", w.Plan)
	}
	if err := w.closeGaps(ctx, unsigned, session); err != nil {
		return err
	}
	if r, err = w.checkReadiness(ctx); err != nil {
		return err
	}
	if !r.GetReady() {
		return fmt.Errorf("plan %s: not ready after the handover was completed", w.Plan)
	}
	var p transitionv1.TransitionPlan
	err = w.do(ctx, tm, "POST", "/v1/"+w.Plan+":completeCutover", nil, &transitionv1.CompleteCutoverRequest{CommencementDate: civil.Of(w.Commencement)}, &p)
	if err != nil {
		return err
	}
	w.say("transition", tm, "cut over: plan %s, service commencement %s", protoenum.Short(p.GetState()), day(p.GetCommencementDate()))
	return nil
}

// ---------------------------------------------------------------------------
// 6. Monitor

// Measurements is a month of the provider's measurements for the period
// starting at start: 3 000 calls of which 76.5 % are answered within 20 s
// (the level wants 80 %: missed), 600 CSAT surveys averaging 4.31 (the
// level wants 4.2: met) and 600 handle times averaging 395 s (KPI ≤ 420:
// met). Events are spread evenly over the month, none in the future.
func Measurements(start time.Time, now time.Time) []*monitoringv1.Measurement {
	end := start.AddDate(0, 1, 0)
	if now.Before(end) {
		end = now
	}
	span := end.Sub(start)
	at := func(i, n int) *timestamppb.Timestamp {
		return timestamppb.New(start.Add(span * time.Duration(i) / time.Duration(n+1)).Add(time.Second).Truncate(time.Second))
	}
	var ms []*monitoringv1.Measurement
	const calls = 3000
	for i := 0; i < calls; i++ {
		// 153 of every 200 calls within 20 s: 153/200 = 76.5 %.
		v := float64(25 + i%90)
		if i%200 < 153 {
			v = float64(3 + i%17)
		}
		ms = append(ms, &monitoringv1.Measurement{ServiceLevelKey: "asa_20s", EventId: fmt.Sprintf("call-%05d", i), EventTime: at(i, calls), Value: v})
	}
	// Every 100 surveys: 55 × 5, 29 × 4, 10 × 3, 4 × 2, 2 × 1 = 431 points,
	// a mean of 4.31.
	csat := make([]float64, 0, 100)
	for score, n := range map[float64]int{5: 55, 4: 29, 3: 10, 2: 4, 1: 2} {
		for j := 0; j < n; j++ {
			csat = append(csat, score)
		}
	}
	sort.Float64s(csat)
	const surveys = 600
	for i := 0; i < surveys; i++ {
		ms = append(ms, &monitoringv1.Measurement{ServiceLevelKey: "csat", EventId: fmt.Sprintf("survey-%05d", i), EventTime: at(i, surveys), Value: csat[(i*37)%100]})
	}
	// 360 s and 430 s alternately: a mean of 395 s.
	for i := 0; i < surveys; i++ {
		v := 360.0
		if i%2 == 1 {
			v = 430
		}
		ms = append(ms, &monitoringv1.Measurement{ServiceLevelKey: "aht_s", EventId: fmt.Sprintf("handle-%05d", i), EventTime: at(i, surveys), Value: v})
	}
	return ms
}

// Measure: the provider's system reports the month's measurements.
func (w *Walk) Measure(ctx context.Context) error {
	u := w.Awarded.User
	ms := Measurements(w.Commencement, time.Now())
	var accepted, dups, rejected int64
	for len(ms) > 0 {
		n := min(len(ms), 10_000)
		var resp monitoringv1.BatchCreateMeasurementsResponse
		if err := w.do(ctx, u, "POST", "/v1/"+w.Contract+"/measurements:batchCreate", nil,
			&monitoringv1.BatchCreateMeasurementsRequest{Measurements: ms[:n]}, &resp); err != nil {
			return err
		}
		accepted, dups, rejected = accepted+resp.GetAccepted(), dups+resp.GetDuplicates(), rejected+resp.GetRejected()
		for _, r := range resp.GetResults() {
			if r.GetOutcome() == monitoringv1.MeasurementOutcome_MEASUREMENT_OUTCOME_REJECTED {
				return fmt.Errorf("measurement %s of %s rejected: %s", r.GetEventId(), r.GetServiceLevelKey(), r.GetReason())
			}
		}
		ms = ms[n:]
	}
	w.say("monitor", u, "reported the measurements of %s: %d accepted, %d duplicates, %d rejected", w.Period, accepted, dups, rejected)
	return nil
}

// Evaluate: the governance manager evaluates the month.
func (w *Walk) Evaluate(ctx context.Context) error {
	gm := w.Cast.GovernanceManager
	var contract contractv1.ContractResourceName
	if err := contract.UnmarshalString(w.Contract); err != nil {
		return fmt.Errorf("contract %q: %w", w.Contract, err)
	}
	period := monitoringv1.PeriodResourceName{Contract: contract.Contract, Period: w.Period}
	var ev monitoringv1.PeriodEvaluation
	if err := w.do(ctx, gm, "GET", "/v1/"+period.String()+":evaluate", nil, nil, &ev); err != nil {
		return err
	}
	w.Evaluation = &ev
	state := "final"
	if ev.GetProvisional() {
		state = "provisional"
	}
	w.say("monitor", gm, "period %s (%s):", w.Period, state)
	for _, r := range ev.GetResults() {
		line := fmt.Sprintf("  %s %s: %s against %s %s (%d measurements)", r.GetKey(), protoenum.Short(r.GetOutcome()),
			orDash(r.GetValue()), comparator(r.GetComparator()), r.GetTarget(), r.GetMeasurementsUsed())
		if c := money.Format(r.GetCredit()); c != "" && r.GetOutcome() != monitoringv1.Outcome_OUTCOME_MET {
			line += ", credit " + c
		}
		w.say("monitor", gm, "%s", line)
	}
	w.say("monitor", gm, "  charges %s, at risk %s, credits %s, net %s", money.Format(ev.GetCharges()), money.Format(ev.GetAtRiskAmount()), money.Format(ev.GetCredits()), money.Format(ev.GetNet()))
	return nil
}

// Audit: what the platform refuses and what it can prove. The provider's
// system sends a CSAT of 1,000,000 on the 1–5 scale — rejected with its
// reason, the month's outcome unchanged — and the client's auditor
// verifies each service's audit log, which answers with a checkpoint
// signed by the server's audit key: the auditor keeps it, and a later
// verification given it back proves nothing since was cut off or rewritten.
func (w *Walk) Audit(ctx context.Context) error {
	u := w.Awarded.User
	outlier := &monitoringv1.Measurement{ServiceLevelKey: "csat", EventId: "survey-outlier", EventTime: timestamppb.New(w.Commencement.Add(time.Hour)), Value: 1_000_000}
	var resp monitoringv1.BatchCreateMeasurementsResponse
	if err := w.do(ctx, u, "POST", "/v1/"+w.Contract+"/measurements:batchCreate", nil,
		&monitoringv1.BatchCreateMeasurementsRequest{Measurements: []*monitoringv1.Measurement{outlier}}, &resp); err != nil {
		return err
	}
	r := resp.GetResults()[0]
	if r.GetOutcome() != monitoringv1.MeasurementOutcome_MEASUREMENT_OUTCOME_REJECTED {
		return fmt.Errorf("a CSAT of 1,000,000 was %s, want REJECTED", protoenum.Short(r.GetOutcome()))
	}
	w.say("monitor", u, "a CSAT of 1,000,000 is %s: %s", protoenum.Short(r.GetOutcome()), r.GetReason())

	auditor := User{Subject: "ada.audit@northwind.example", Roles: []auth.Role{auth.Auditor}, Title: "auditor"}
	for _, service := range []string{"catalog", "contract", "transition", "monitoring"} {
		var v catalogv1.VerifyAuditLogResponse // the four services answer the same message shape
		if err := w.do(ctx, auditor, "GET", "/v1/"+service+"/auditEvents:verify", nil, nil, &v); err != nil {
			return err
		}
		ver := v.GetVerification()
		if !ver.GetIntact() {
			return fmt.Errorf("the %s audit log is broken at event %d: %s", service, ver.GetFirstBrokenSequence(), ver.GetProblem())
		}
		cp := ver.GetCheckpoint()
		w.say("audit", auditor, "%s: %d events intact; checkpoint event %d, signed by audit key %s", service, ver.GetEventsChecked(), cp.GetSequence(), cp.GetKeyId())
	}
	return nil
}
