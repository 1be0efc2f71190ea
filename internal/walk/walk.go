// Package walk walks one engagement through the six steps — decide, scope,
// select, contract, transition, monitor — over the public REST API, acting
// at each step as the user whose role does it. `bpo demo` runs the whole
// walk and prints it; the end-to-end test runs it step by step, asserting
// the lifecycle stage in between and that each gate refuses a skipped step.
//
// The story: Northwind Retail, a US online retailer, outsources the
// customer support of its online orders. Three providers bid — from the
// Philippines, Colombia and the US. The winner runs the service from the
// start of last month, and in that month misses the level of calls
// answered within 20 seconds, which costs it a service credit.
//
// Dates: proposals and approvals happen now, but the contract's term and
// the service commencement are put at the first day of the previous month
// in the service time zone, so that a whole month of measurements lies in
// the past and can be evaluated today — as an operator recording a
// go-live that already happened would.
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
	lifecyclev1 "github.com/acme/bpo/gen/go/bpo/lifecycle/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/money"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// ServiceZone is the service time zone of the engagement: the retailer's
// contact centre hours are Central time.
const ServiceZone = "America/Chicago"

// Cast is the people of the client who act in the walk.
type Cast struct {
	ProcessOwner      User
	SourcingManager   User
	Approver          User
	Evaluators        []User
	ContractManager   User
	ClientSignatory   User
	TransitionManager User
	GovernanceManager User
}

// DefaultCast is the client's team at Northwind Retail.
func DefaultCast() Cast {
	u := func(subject, title string, roles ...auth.Role) User {
		return User{Subject: subject + "@northwind.example", Roles: roles, Title: title}
	}
	return Cast{
		ProcessOwner:    u("paula.owner", "process owner", auth.ProcessOwner),
		SourcingManager: u("sam.sourcing", "sourcing manager", auth.SourcingManager),
		Approver:        u("alex.approver", "approver", auth.Approver),
		Evaluators: []User{
			u("eva.evaluator", "evaluator", auth.Evaluator),
			u("eli.evaluator", "evaluator", auth.Evaluator),
		},
		ContractManager: u("carla.contracts", "contract manager", auth.ContractManager),
		// The CFO signs for the client; she is an approver by role, but
		// signs as the contract's named client signatory.
		ClientSignatory:   u("chris.cfo", "client signatory", auth.Approver),
		TransitionManager: u("tom.transition", "transition manager", auth.TransitionManager),
		GovernanceManager: u("gina.governance", "governance manager", auth.GovernanceManager),
	}
}

// Bidder is one of the three providers, its proposal and how the
// evaluators see it.
type Bidder struct {
	Key      string // PH, CO, US
	Profile  *catalogv1.Provider
	Proposal *catalogv1.Proposal
	// Scores of each evaluator (in Cast.Evaluators order), 0–10 per criterion.
	Scores []map[catalogv1.Criterion]int32

	// Set as the walk goes.
	Name         string // providers/{id}
	User         User   // its user who bids, signs and reports
	ProposalName string
}

// Walk is one engagement's walk. Its exported fields name what the walk
// created, for the steps that follow and for tests that call the API
// themselves in between.
type Walk struct {
	Client  *Client
	Cast    Cast
	Bidders []*Bidder
	// Say prints one line of the walk: the step, who acts, what happened.
	Say func(step, who, text string)
	// Commencement is the service commencement date (the first day of the
	// previous month in the service time zone); Period is its month.
	Commencement time.Time
	Period       string

	Process, Engagement, Event, Contract, Plan string
	Awarded                                    *Bidder
	Evaluation                                 *monitoringv1.PeriodEvaluation
}

// New returns a walk with the default cast and bidders, with dates
// relative to now.
func New(c *Client, now time.Time, say func(step, who, text string)) (*Walk, error) {
	loc, err := time.LoadLocation(ServiceZone)
	if err != nil {
		return nil, fmt.Errorf("time zone %s: %w", ServiceZone, err)
	}
	local := now.In(loc)
	commencement := time.Date(local.Year(), local.Month()-1, 1, 0, 0, 0, 0, loc)
	return &Walk{
		Client:       c,
		Cast:         DefaultCast(),
		Bidders:      defaultBidders(now),
		Say:          say,
		Commencement: commencement,
		Period:       commencement.Format("2006-01"),
	}, nil
}

// Run walks every step and returns the lifecycle at the end.
func (w *Walk) Run(ctx context.Context) (*lifecyclev1.EngagementLifecycle, error) {
	for _, step := range []func(context.Context) error{
		w.Decide, w.Providers, w.Scope, w.Select,
		w.DraftContract, w.SignContract,
		w.StartTransition, w.Cutover,
		w.Measure, w.Evaluate,
	} {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	return w.Lifecycle(ctx, w.Cast.GovernanceManager)
}

func (w *Walk) do(ctx context.Context, u User, method, path string, query url.Values, body, out proto.Message) error {
	return w.Client.Do(ctx, u, method, path, query, body, out)
}

// label names a provider for people: "Luzon Contact Solutions (PH)".
func (w *Walk) label(provider string) string {
	for _, b := range w.Bidders {
		if b.Name == provider {
			return fmt.Sprintf("%s (%s)", b.Profile.GetDisplayName(), b.Key)
		}
	}
	return provider
}

func (w *Walk) say(step string, u User, format string, args ...any) {
	if w.Say != nil {
		w.Say(step, u.Title, fmt.Sprintf(format, args...))
	}
}

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
	w.say("decide", w.Cast.ProcessOwner, "process %s %q: %s FTE at %s a year each", p.GetName(), p.GetDisplayName(), p.GetFte(), amount(p.GetAnnualCostPerFte()))

	var a catalogv1.Assessment
	if err := w.do(ctx, w.Cast.SourcingManager, "POST", "/v1/"+w.Process+":assess", nil, &catalogv1.AssessProcessRequest{}, &a); err != nil {
		return err
	}
	best := ""
	for _, bc := range a.GetBusinessCases() {
		if bc.GetShoreModel() == a.GetRecommendedShoreModel() {
			best = fmt.Sprintf("; %s saves %s a year, payback %d months, 3-year NPV %s",
				short(bc.GetShoreModel().String(), "SHORE_MODEL_"), amount(bc.GetAnnualSaving()), bc.GetPaybackMonths(), amount(bc.GetNpv_3Y()))
		}
	}
	w.say("decide", w.Cast.SourcingManager, "assessed: score %.1f, %s, collaboration %s%s",
		a.GetScore(), short(a.GetRecommendation().String(), "RECOMMENDATION_"),
		short(a.GetCollaborationModel().String(), "COLLABORATION_MODEL_"), best)

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

// ScopeBody is the scope the sourcing manager writes.
func (w *Walk) ScopeBody() *catalogv1.Scope {
	return &catalogv1.Scope{
		Name: w.Engagement + "/scope",
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
		Transition: &catalogv1.TransitionTerms{GoLiveDate: civil(w.Commencement)},
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
			Metric:     &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_MEAN, Unit: "points"},
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
	var sc catalogv1.Scope
	// The mask is explicit: over REST, grpc-gateway fills an absent one
	// with every nested path of the body, which is not what a PATCH of
	// whole parts means.
	q := url.Values{"updateMask": {"deliverables,coverage,service_levels,compliance,transition,commercial"}}
	if err := w.do(ctx, w.Cast.SourcingManager, "PATCH", "/v1/"+w.Engagement+"/scope", q, w.ScopeBody(), &sc); err != nil {
		return err
	}
	var levels []string
	for _, l := range sc.GetServiceLevels() {
		levels = append(levels, describeLevel(l))
	}
	w.say("scope", w.Cast.SourcingManager, "scope revision %d: %d deliverables; levels %s", sc.GetRevision(), len(sc.GetDeliverables()), strings.Join(levels, "; "))
	if err := w.do(ctx, w.Cast.SourcingManager, "POST", "/v1/"+w.Engagement+"/scope:submit", nil, &catalogv1.SubmitScopeRequest{}, &sc); err != nil {
		return err
	}
	w.say("scope", w.Cast.SourcingManager, "submitted revision %d for review: %s", sc.GetRevision(), short(sc.GetState().String(), "SCOPE_STATE_"))
	if err := w.do(ctx, w.Cast.Approver, "POST", "/v1/"+w.Engagement+"/scope:approve", nil, &catalogv1.ApproveScopeRequest{}, &sc); err != nil {
		return err
	}
	w.say("scope", w.Cast.Approver, "approved revision %d: %s", sc.GetRevision(), short(sc.GetState().String(), "SCOPE_STATE_"))
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
	for _, e := range w.Cast.Evaluators {
		evaluators = append(evaluators, e.Subject)
	}
	var ev catalogv1.SourcingEvent
	err := w.do(ctx, w.Cast.SourcingManager, "POST", "/v1/sourcingEvents", nil, &catalogv1.SourcingEvent{
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
		var p catalogv1.Proposal
		if err := w.do(ctx, b.User, "POST", "/v1/"+w.Event+"/proposals", nil, b.Proposal, &p); err != nil {
			return err
		}
		b.ProposalName = p.GetName()
		w.say("select", b.User, "proposal %s: %s a month from %s", p.GetName(), amount(b.Proposal.GetPricing().GetMonthlyFee()), strings.Join(b.Proposal.GetDeliveryCenters(), ", "))
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
		line := fmt.Sprintf("%s %s: %s, TCV %s, %s", w.label(p.GetProvider()), short(p.GetState().String(), "PROPOSAL_STATE_"),
			short(p.GetShoreModel().String(), "SHORE_MODEL_"), amount(p.GetTotalContractValue()), overlap(p.GetOverlapHours()))
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
		w.say("select", sm, "rank %d: %s total %s, TCV %s", rp.GetRank(), w.label(rp.GetProvider()), rp.GetTotal(), amount(rp.GetTotalContractValue()))
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
	w.say("select", w.Cast.Approver, "approved the award: %s", short(ev.GetState().String(), "SOURCING_EVENT_STATE_"))
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
		StartDate:        civil(w.Commencement),
		EndDate:          civil(w.Commencement.AddDate(3, 0, -1)),
		ServiceTimeZone:  ServiceZone,
		EscalationCapBps: 300,
		CreditRegime:     &contractv1.CreditRegime{AtRiskBps: 1200, ChronicMisses: 3, ChronicWindow: 6},
	}, &c)
	if err != nil {
		return err
	}
	w.Contract = c.GetName()
	w.say("contract", cm, "draft %s with %s: %s a month, %s to %s", c.GetName(), w.label(c.GetProvider()), amount(c.GetMonthlyFee()), isoDate(c.GetStartDate()), isoDate(c.GetEndDate()))

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
	w.say("contract", cm, "submitted for review: %s", short(c.GetState().String(), "CONTRACT_STATE_"))
	if err := w.do(ctx, w.Cast.Approver, "POST", "/v1/"+w.Contract+":approve", nil, &contractv1.ApproveContractRequest{}, &c); err != nil {
		return err
	}
	w.say("contract", w.Cast.Approver, "approved: %s", short(c.GetState().String(), "CONTRACT_STATE_"))
	return nil
}

// SignContract: the client signatory and the provider's user sign.
func (w *Walk) SignContract(ctx context.Context) error {
	var c contractv1.Contract
	for _, u := range []User{w.Cast.ClientSignatory, w.Awarded.User} {
		if err := w.do(ctx, u, "POST", "/v1/"+w.Contract+":sign", nil, &contractv1.SignContractRequest{}, &c); err != nil {
			return err
		}
		w.say("contract", u, "%s signed: %s", u.Subject, short(c.GetState().String(), "CONTRACT_STATE_"))
	}
	return nil
}

// ---------------------------------------------------------------------------
// 5. Transition

// StartTransition: the transition manager creates the plan from the
// front-office template and starts it.
func (w *Walk) StartTransition(ctx context.Context) error {
	tm := w.Cast.TransitionManager
	var p transitionv1.TransitionPlan
	err := w.do(ctx, tm, "POST", "/v1/transitionPlans", nil, &transitionv1.TransitionPlan{
		Contract:     w.Contract,
		Template:     "front_office",
		StartDate:    civil(w.Commencement.AddDate(0, 0, -12*7)),
		TargetGoLive: civil(w.Commencement),
	}, &p)
	if err != nil {
		return err
	}
	w.Plan = p.GetName()
	w.say("transition", tm, "plan %s from the %s template: %d tasks, go-live %s", p.GetName(), p.GetTemplate(), p.GetTasksTotal(), isoDate(p.GetTargetGoLive()))
	if err := w.do(ctx, tm, "POST", "/v1/"+w.Plan+":start", nil, &transitionv1.StartTransitionPlanRequest{}, &p); err != nil {
		return err
	}
	w.say("transition", tm, "started: %s", short(p.GetState().String(), "PLAN_STATE_"))
	return nil
}

// Cutover: every task before the cutover phase is done — the provider's
// own tasks by the provider's user — and the transition manager cuts over
// with the commencement date.
func (w *Walk) Cutover(ctx context.Context) error {
	tm := w.Cast.TransitionManager
	var tasks []*transitionv1.Task
	token := ""
	for {
		var resp transitionv1.ListTasksResponse
		q := url.Values{"pageSize": {"1000"}}
		if token != "" {
			q.Set("pageToken", token)
		}
		if err := w.do(ctx, tm, "GET", "/v1/"+w.Plan+"/tasks", q, nil, &resp); err != nil {
			return err
		}
		tasks = append(tasks, resp.GetTasks()...)
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
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
	byProvider, byClient := 0, 0
	// Finish-to-start: a task is done once every task it depends on is.
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
			if t.GetState() == transitionv1.TaskState_TASK_STATE_NOT_STARTED {
				if err := w.do(ctx, u, "POST", "/v1/"+t.GetName()+":start", nil, &transitionv1.StartTaskRequest{}, nil); err != nil {
					return err
				}
			}
			if err := w.do(ctx, u, "POST", "/v1/"+t.GetName()+":complete", nil, &transitionv1.CompleteTaskRequest{}, nil); err != nil {
				return err
			}
			finished[t.GetName()] = true
		}
		if len(next) == len(todo) {
			return fmt.Errorf("plan %s: %d tasks before cutover wait for tasks after it (e.g. %s)", w.Plan, len(next), next[0].GetName())
		}
		todo = next
	}
	w.say("transition", tm, "every task before cutover is done: %d by the client, %d by %s", byClient, byProvider, w.label(w.Awarded.Name))

	var r transitionv1.Readiness
	if err := w.do(ctx, tm, "GET", "/v1/"+w.Plan+":checkReadiness", nil, nil, &r); err != nil {
		return err
	}
	for _, g := range r.GetGates() {
		line := "passed"
		if !g.GetPassed() {
			line = "missing " + strings.Join(g.GetMissing(), "; ")
		}
		w.say("transition", tm, "readiness gate %s: %s", g.GetGate(), line)
	}
	var p transitionv1.TransitionPlan
	err := w.do(ctx, tm, "POST", "/v1/"+w.Plan+":completeCutover", nil, &transitionv1.CompleteCutoverRequest{CommencementDate: civil(w.Commencement)}, &p)
	if err != nil {
		return err
	}
	w.say("transition", tm, "cut over: plan %s, service commencement %s", short(p.GetState().String(), "PLAN_STATE_"), isoDate(p.GetCommencementDate()))
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
	var ev monitoringv1.PeriodEvaluation
	if err := w.do(ctx, gm, "GET", "/v1/"+w.Contract+"/periods/"+w.Period+":evaluate", nil, nil, &ev); err != nil {
		return err
	}
	w.Evaluation = &ev
	state := "final"
	if ev.GetProvisional() {
		state = "provisional"
	}
	w.say("monitor", gm, "period %s (%s):", w.Period, state)
	for _, r := range ev.GetResults() {
		line := fmt.Sprintf("  %s %s: %s against %s %s (%d measurements)", r.GetKey(), short(r.GetOutcome().String(), "OUTCOME_"),
			orDash(r.GetValue()), comparator(r.GetComparator()), r.GetTarget(), r.GetMeasurementsUsed())
		if c := amount(r.GetCredit()); c != "" && r.GetOutcome() != monitoringv1.Outcome_OUTCOME_MET {
			line += ", credit " + c
		}
		w.say("monitor", gm, "%s", line)
	}
	w.say("monitor", gm, "  charges %s, at risk %s, credits %s, net %s", amount(ev.GetCharges()), amount(ev.GetAtRiskAmount()), amount(ev.GetCredits()), amount(ev.GetNet()))
	return nil
}

// Lifecycle reads the engagement's lifecycle view as u.
func (w *Walk) Lifecycle(ctx context.Context, u User) (*lifecyclev1.EngagementLifecycle, error) {
	var lc lifecyclev1.EngagementLifecycle
	if err := w.do(ctx, u, "GET", "/v1/"+w.Engagement+"/lifecycle", nil, nil, &lc); err != nil {
		return nil, err
	}
	return &lc, nil
}

// FormatLifecycle renders a lifecycle view for people: the stage, then
// each step with its state, its facts and what blocks it.
func FormatLifecycle(lc *lifecyclev1.EngagementLifecycle) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %q: stage %s\n", lc.GetEngagement(), lc.GetDisplayName(), short(lc.GetStage().String(), "STAGE_"))
	for _, s := range lc.GetSteps() {
		mark := " "
		if s.GetDone() {
			mark = "✓"
		}
		fmt.Fprintf(&b, "  %s %-10s %s\n", mark, s.GetStep(), s.GetState())
		keys := make([]string, 0, len(s.GetFacts()))
		for k := range s.GetFacts() {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "      %-26s %s\n", k, s.GetFacts()[k])
		}
		if s.GetBlocker() != "" {
			fmt.Fprintf(&b, "      blocked: %s\n", s.GetBlocker())
		}
	}
	return b.String()
}

// ---------------------------------------------------------------------------
// The bidders.

func defaultBidders(now time.Time) []*Bidder {
	valid := civil(now.AddDate(2, 0, 0))
	cert := func(t catalogv1.CertificationType, issuer string) *catalogv1.Certification {
		return &catalogv1.Certification{Type: t, Issuer: issuer, ValidUntil: valid}
	}
	const (
		iso  = catalogv1.CertificationType_CERTIFICATION_TYPE_ISO_27001
		pci  = catalogv1.CertificationType_CERTIFICATION_TYPE_PCI_DSS
		soc2 = catalogv1.CertificationType_CERTIFICATION_TYPE_SOC2_TYPE2
		copc = catalogv1.CertificationType_CERTIFICATION_TYPE_COPC
	)
	support := func(years, fte int32, verticals ...catalogv1.Industry) []*catalogv1.Capability {
		return []*catalogv1.Capability{{Function: catalogv1.BusinessFunction_BUSINESS_FUNCTION_CUSTOMER_SUPPORT, Verticals: verticals, YearsOfExperience: years, FteDeployed: fte}}
	}
	proposal := func(monthlyFee int64, weeks int32, asa, csat string, centers []string, certs ...catalogv1.CertificationType) *catalogv1.Proposal {
		return &catalogv1.Proposal{
			Pricing:         &catalogv1.ProposalPricing{Model: catalogv1.PricingModel_PRICING_MODEL_FIXED_PRICE, MonthlyFee: usd(monthlyFee)},
			DeliveryCenters: centers,
			ServiceLevels:   []*catalogv1.ProposedServiceLevel{{Key: "asa_20s", Target: asa}, {Key: "csat", Target: csat}},
			Certifications:  certs,
			TransitionWeeks: weeks,
			Notes:           "Fixed monthly fee for the scoped volumes; overflow at the same rate.",
		}
	}
	type scores = map[catalogv1.Criterion]int32
	sc := func(expertise, technology, communication, scalability, security int32) scores {
		return scores{
			catalogv1.Criterion_CRITERION_EXPERTISE: expertise, catalogv1.Criterion_CRITERION_TECHNOLOGY: technology,
			catalogv1.Criterion_CRITERION_COMMUNICATION: communication, catalogv1.Criterion_CRITERION_SCALABILITY: scalability,
			catalogv1.Criterion_CRITERION_SECURITY_COMPLIANCE: security,
		}
	}
	retail := []catalogv1.Industry{catalogv1.Industry_INDUSTRY_RETAIL, catalogv1.Industry_INDUSTRY_TELECOM}
	return []*Bidder{
		{
			Key: "PH",
			Profile: &catalogv1.Provider{
				DisplayName: "Luzon Contact Solutions", LegalName: "Luzon Contact Solutions Inc.",
				Website: "https://luzon-contact.example", HqCountry: "PH", BillingCurrency: "USD",
				DeliveryCenters: []*catalogv1.DeliveryCenter{
					{Name: "Manila - Ortigas", Country: "PH", TimeZone: "Asia/Manila", Languages: []string{"en"}, SeatCapacity: 450, Operates_24X7: true},
					{Name: "Cebu IT Park", Country: "PH", TimeZone: "Asia/Manila", Languages: []string{"en"}, SeatCapacity: 300, Operates_24X7: true},
				},
				Capabilities:    support(15, 3200, retail...),
				Certifications:  []*catalogv1.Certification{cert(iso, "BSI"), cert(pci, "Trustwave"), cert(copc, "COPC Inc.")},
				Technologies:    []string{"zendesk", "genesys", "salesforce"},
				FinancialRating: catalogv1.FinancialRating_FINANCIAL_RATING_B,
			},
			Proposal: proposal(124_500_00, 10, "82", "4.3", []string{"Manila - Ortigas", "Cebu IT Park"}, iso, pci, copc),
			Scores:   []scores{sc(8, 7, 7, 9, 8), sc(8, 8, 6, 9, 8)},
		},
		{
			Key: "CO",
			Profile: &catalogv1.Provider{
				DisplayName: "Andes CX", LegalName: "Andes CX S.A.S.",
				Website: "https://andes-cx.example", HqCountry: "CO", BillingCurrency: "USD",
				DeliveryCenters: []*catalogv1.DeliveryCenter{
					{Name: "Bogotá - Chapinero", Country: "CO", TimeZone: "America/Bogota", Languages: []string{"es", "en"}, SeatCapacity: 220},
				},
				Capabilities:    support(9, 1100, retail...),
				Certifications:  []*catalogv1.Certification{cert(iso, "ICONTEC"), cert(pci, "SecureTrust")},
				Technologies:    []string{"zendesk", "five9"},
				FinancialRating: catalogv1.FinancialRating_FINANCIAL_RATING_B,
			},
			Proposal: proposal(151_000_00, 8, "80", "4.4", []string{"Bogotá - Chapinero"}, iso, pci),
			Scores:   []scores{sc(7, 7, 9, 6, 7), sc(7, 6, 8, 7, 7)},
		},
		{
			Key: "US",
			Profile: &catalogv1.Provider{
				DisplayName: "Heartland Support Co.", LegalName: "Heartland Support Company LLC",
				Website: "https://heartland-support.example", HqCountry: "US", BillingCurrency: "USD",
				DeliveryCenters: []*catalogv1.DeliveryCenter{
					{Name: "Omaha", Country: "US", TimeZone: "America/Chicago", Languages: []string{"en", "es"}, SeatCapacity: 150},
				},
				Capabilities:    support(22, 900, catalogv1.Industry_INDUSTRY_RETAIL),
				Certifications:  []*catalogv1.Certification{cert(iso, "Schellman"), cert(pci, "Coalfire"), cert(soc2, "Schellman")},
				Technologies:    []string{"salesforce", "genesys"},
				FinancialRating: catalogv1.FinancialRating_FINANCIAL_RATING_A,
			},
			Proposal: proposal(219_000_00, 6, "85", "4.5", []string{"Omaha"}, iso, pci, soc2),
			Scores:   []scores{sc(9, 8, 9, 5, 9), sc(9, 7, 9, 6, 9)},
		},
	}
}

// ---------------------------------------------------------------------------
// Formatting.

func usd(minor int64) *typev1.Money { return &typev1.Money{CurrencyCode: "USD", MinorUnits: minor} }

func amount(m *typev1.Money) string {
	if m == nil || m.GetCurrencyCode() == "" {
		return ""
	}
	return money.FromProto(m).String()
}

func civil(t time.Time) *date.Date {
	return &date.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
}

func isoDate(d *date.Date) string {
	if d == nil || d.GetYear() == 0 {
		return "-"
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.GetYear(), d.GetMonth(), d.GetDay())
}

func short(enum, prefix string) string { return strings.TrimPrefix(enum, prefix) }

func bps(v int32) string {
	if v%100 == 0 {
		return fmt.Sprintf("%d %%", v/100)
	}
	return fmt.Sprintf("%d.%02d %%", v/100, v%100)
}

func overlap(h float64) string { return fmt.Sprintf("%.1f h overlap", h) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func comparator(c typev1.Comparator) string {
	switch c {
	case typev1.Comparator_COMPARATOR_AT_LEAST:
		return "at least"
	case typev1.Comparator_COMPARATOR_AT_MOST:
		return "at most"
	}
	return "target"
}

func describeLevel(l *typev1.ServiceLevel) string {
	return fmt.Sprintf("%s %s %s %s (%s)", l.GetKey(), comparator(l.GetComparator()), l.GetTarget(),
		strings.ToLower(short(l.GetMetric().GetAggregation().String(), "AGGREGATION_")), short(l.GetKind().String(), "SERVICE_LEVEL_KIND_"))
}
