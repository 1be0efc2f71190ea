package testenv

import (
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/auth"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The people of the stage helpers. Roles not named here act under their
// role's name (AsRole).
const (
	// ClientSignatory signs contracts for the client (an approver's
	// subject, but not the approver who approves).
	ClientSignatory = "cfo"
	// Evaluators score every proposal.
	Evaluator1, Evaluator2 = "evaluator-1", "evaluator-2"
)

// The scope's service levels.
const (
	// LevelASA is CRITICAL: at least 80 % of calls answered within 20 s
	// (PERCENT_WITHIN, threshold 20, AT_MOST; target 80, AT_LEAST).
	LevelASA = "asa_20s"
	// LevelAHT is a KPI: mean handle time at most 300 s (MEAN).
	LevelAHT = "aht_mean"
)

// The engagement's commercial terms.
const (
	Currency   = "USD"
	TermMonths = 24
	TimeZone   = "America/New_York"
)

// Awarded is an engagement whose sourcing event is AWARDED and whose award
// is approved: the state in which a contract can be drafted.
type Awarded struct {
	Engagement *catalogv1.Engagement    // with its award
	Scope      *catalogv1.Scope         // the approved revision
	Event      *catalogv1.SourcingEvent // AWARDED
	// Providers are the three invited, by country: "PH", "CO", "US".
	Providers map[string]*catalogv1.Provider
	// Proposals by provider name.
	Proposals map[string]*catalogv1.Proposal
	// Provider and Proposal are the awarded ones' names.
	Provider, Proposal string
	// MonthlyFee is the awarded proposal's fixed monthly fee.
	MonthlyFee *typev1.Money
	// GoLive is the scope's go-live date, the first day of a month.
	GoLive *date.Date
}

// Signed is an awarded engagement with its SIGNED contract.
type Signed struct {
	*Awarded
	Contract *contractv1.Contract
}

// offer is one invited provider and what it proposes.
type offer struct {
	country, zone string
	fee           int64 // USD cents a month
	score         int32 // every evaluator's score of every criterion
}

// offers: a Philippine, a Colombian and a US provider; the Philippine one
// is cheapest and best scored, so it ranks first and is awarded.
var offers = []offer{
	{"PH", "Asia/Manila", 9_500_000, 9},
	{"CO", "America/Bogota", 11_000_000, 7},
	{"US", "America/Chicago", 16_000_000, 6},
}

// AwardedEngagement walks the real catalog API from an empty store to an
// approved award: three providers; a customer-support process, assessed;
// an engagement; its scope (a CRITICAL PERCENT_WITHIN level, a MEAN KPI,
// coverage in America/New_York, go-live on the first of a month about four
// months ahead, a 24-month term in USD), submitted and approved by another
// subject; a sourcing event inviting the three, published; a fixed-price
// proposal from a user of each provider; closed; scored by two evaluators;
// awarded to the top-ranked proposal and approved by another subject.
func (e *Env) AwardedEngagement(t testing.TB) *Awarded {
	t.Helper()
	sm := e.AsRole(t, auth.SourcingManager)
	a := &Awarded{Providers: map[string]*catalogv1.Provider{}, Proposals: map[string]*catalogv1.Proposal{}}

	for _, o := range offers {
		p, err := e.Catalog.CreateProvider(sm, &catalogv1.CreateProviderRequest{Provider: &catalogv1.Provider{
			DisplayName:     "Provider " + o.country,
			LegalName:       "Provider " + o.country + " Ltd.",
			Website:         "https://provider-" + o.country + ".example",
			HqCountry:       o.country,
			BillingCurrency: Currency,
			DeliveryCenters: []*catalogv1.DeliveryCenter{
				{Name: "Center " + o.country, Country: o.country, TimeZone: o.zone, Languages: []string{"en"}, SeatCapacity: 500, Operates_24X7: true},
			},
			Capabilities: []*catalogv1.Capability{
				{Function: catalogv1.BusinessFunction_BUSINESS_FUNCTION_CUSTOMER_SUPPORT, YearsOfExperience: 10},
			},
		}})
		must(t, "CreateProvider", err)
		a.Providers[o.country] = p
	}

	eng := e.Engagement(t)
	a.GoLive = firstOfMonthAhead(4)
	scope, err := e.Catalog.UpdateScope(sm, &catalogv1.UpdateScopeRequest{Scope: &catalogv1.Scope{
		Name: nameOf[catalogv1.EngagementResourceName](t, eng.GetName()).ScopeResourceName().String(),
		Deliverables: []*catalogv1.Deliverable{
			{Name: "Inbound voice support", Unit: "contacts", ExpectedMonthlyVolume: 75_000},
		},
		Coverage: &catalogv1.Coverage{Hours: catalogv1.CoverageHours_COVERAGE_HOURS_ALWAYS, ServiceTimeZone: TimeZone, Languages: []string{"en"}},
		ServiceLevels: []*typev1.ServiceLevel{
			{
				Key: LevelASA, DisplayName: "Calls answered within 20 s",
				Metric: &typev1.MetricDefinition{
					Aggregation: typev1.Aggregation_AGGREGATION_PERCENT_WITHIN, Unit: "s",
					Threshold: "20", ThresholdComparator: typev1.Comparator_COMPARATOR_AT_MOST,
				},
				Comparator: typev1.Comparator_COMPARATOR_AT_LEAST, Target: "80",
				Kind: typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL, Window: typev1.MeasurementWindow_MEASUREMENT_WINDOW_MONTHLY,
			},
			{
				Key: LevelAHT, DisplayName: "Mean handle time",
				Metric:     &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_MEAN, Unit: "s"},
				Comparator: typev1.Comparator_COMPARATOR_AT_MOST, Target: "300",
				Kind: typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_KPI, Window: typev1.MeasurementWindow_MEASUREMENT_WINDOW_MONTHLY,
			},
		},
		Compliance: &catalogv1.Compliance{DataClassification: catalogv1.DataClassification_DATA_CLASSIFICATION_INTERNAL},
		Transition: &catalogv1.TransitionTerms{GoLiveDate: a.GoLive, ParallelRunWeeks: 2},
		Commercial: &catalogv1.CommercialTerms{
			PreferredPricingModels: []catalogv1.PricingModel{catalogv1.PricingModel_PRICING_MODEL_FIXED_PRICE},
			TermMonths:             TermMonths,
			CurrencyCode:           Currency,
		},
	}})
	must(t, "UpdateScope", err)
	_, err = e.Catalog.SubmitScope(sm, &catalogv1.SubmitScopeRequest{Name: scope.GetName()})
	must(t, "SubmitScope", err)
	a.Scope, err = e.Catalog.ApproveScope(e.AsRole(t, auth.Approver), &catalogv1.ApproveScopeRequest{Name: scope.GetName()})
	must(t, "ApproveScope", err)

	var invited []string
	for _, o := range offers {
		invited = append(invited, a.Providers[o.country].GetName())
	}
	event, err := e.Catalog.CreateSourcingEvent(sm, &catalogv1.CreateSourcingEventRequest{SourcingEvent: &catalogv1.SourcingEvent{
		Engagement:       eng.GetName(),
		DisplayName:      "Customer support RFP",
		InvitedProviders: invited,
		Evaluators:       []string{Evaluator1, Evaluator2},
		ProposalDeadline: timestamppb.New(time.Now().Add(time.Hour)),
	}})
	must(t, "CreateSourcingEvent", err)
	_, err = e.Catalog.PublishSourcingEvent(sm, &catalogv1.PublishSourcingEventRequest{Name: event.GetName()})
	must(t, "PublishSourcingEvent", err)

	scoreOf := map[string]int32{}
	for _, o := range offers {
		provider := a.Providers[o.country].GetName()
		p, err := e.Catalog.CreateProposal(e.AsProvider(t, provider), &catalogv1.CreateProposalRequest{Parent: event.GetName(), Proposal: &catalogv1.Proposal{
			Pricing: &catalogv1.ProposalPricing{
				Model:      catalogv1.PricingModel_PRICING_MODEL_FIXED_PRICE,
				MonthlyFee: &typev1.Money{CurrencyCode: Currency, MinorUnits: o.fee},
			},
			DeliveryCenters: []string{"Center " + o.country},
			ServiceLevels: []*catalogv1.ProposedServiceLevel{
				{Key: LevelASA, Target: "80"},
				{Key: LevelAHT, Target: "300"},
			},
			TransitionWeeks: 12,
		}})
		must(t, "CreateProposal "+o.country, err)
		a.Proposals[provider] = p
		scoreOf[p.GetName()] = o.score
	}
	_, err = e.Catalog.CloseSourcingEvent(sm, &catalogv1.CloseSourcingEventRequest{Name: event.GetName()})
	must(t, "CloseSourcingEvent", err)

	for _, evaluator := range []string{Evaluator1, Evaluator2} {
		ctx := e.As(t, evaluator, auth.Evaluator)
		for name, score := range scoreOf {
			var scores []*catalogv1.CriterionScore
			for _, c := range []catalogv1.Criterion{
				catalogv1.Criterion_CRITERION_EXPERTISE, catalogv1.Criterion_CRITERION_TECHNOLOGY,
				catalogv1.Criterion_CRITERION_COMMUNICATION, catalogv1.Criterion_CRITERION_SCALABILITY,
				catalogv1.Criterion_CRITERION_SECURITY_COMPLIANCE,
			} {
				scores = append(scores, &catalogv1.CriterionScore{Criterion: c, Score: score, Comment: "as seen in the proposal"})
			}
			_, err := e.Catalog.ScoreProposal(ctx, &catalogv1.ScoreProposalRequest{Name: name, Scores: scores})
			must(t, "ScoreProposal", err)
		}
	}

	ranking, err := e.Catalog.GetRanking(sm, &catalogv1.GetRankingRequest{
		Name: nameOf[catalogv1.SourcingEventResourceName](t, event.GetName()).RankingResourceName().String(),
	})
	must(t, "GetRanking", err)
	if len(ranking.GetProposals()) == 0 {
		t.Fatalf("testenv: the ranking of %s is empty", event.GetName())
	}
	best := ranking.GetProposals()[0]
	_, err = e.Catalog.AwardSourcingEvent(sm, &catalogv1.AwardSourcingEventRequest{Name: event.GetName(), Proposal: best.GetProposal()})
	must(t, "AwardSourcingEvent", err)
	a.Event, err = e.Catalog.ApproveAward(e.AsRole(t, auth.Approver), &catalogv1.ApproveAwardRequest{Name: event.GetName()})
	must(t, "ApproveAward", err)

	a.Engagement, err = e.Catalog.GetEngagement(sm, &catalogv1.GetEngagementRequest{Name: eng.GetName()})
	must(t, "GetEngagement", err)
	a.Provider, a.Proposal = best.GetProvider(), best.GetProposal()
	a.MonthlyFee = a.Proposals[a.Provider].GetPricing().GetMonthlyFee()
	return a
}

// Engagement walks the decide step of the real catalog API: a
// customer-support process of a US retailer (60 FTE, repetitive, not
// core), assessed, and an engagement for it. Its scope is not written yet,
// so nothing later is possible: the state in which every later gate
// refuses.
func (e *Env) Engagement(t testing.TB) *catalogv1.Engagement {
	t.Helper()
	sm := e.AsRole(t, auth.SourcingManager)
	process, err := e.Catalog.CreateProcess(e.AsRole(t, auth.ProcessOwner), &catalogv1.CreateProcessRequest{Process: &catalogv1.Process{
		DisplayName:           "Tier-1 customer support",
		Description:           "Inbound voice and chat support for retail customers",
		Function:              catalogv1.BusinessFunction_BUSINESS_FUNCTION_CUSTOMER_SUPPORT,
		BusinessUnit:          "Retail",
		HomeCountry:           "US",
		HomeTimeZone:          TimeZone,
		Fte:                   "60",
		AnnualCostPerFte:      &typev1.Money{CurrencyCode: Currency, MinorUnits: 6_000_000},
		AnnualVolume:          900_000,
		Repetitiveness:        5,
		Complexity:            2,
		StrategicImportance:   2,
		RequiredExpertise:     2,
		DocumentationMaturity: 4,
		DataClassification:    catalogv1.DataClassification_DATA_CLASSIFICATION_INTERNAL,
		CustomerFacing:        true,
	}})
	must(t, "CreateProcess", err)
	_, err = e.Catalog.AssessProcess(sm, &catalogv1.AssessProcessRequest{Name: process.GetName()})
	must(t, "AssessProcess", err)

	eng, err := e.Catalog.CreateEngagement(sm, &catalogv1.CreateEngagementRequest{Engagement: &catalogv1.Engagement{
		DisplayName:    "Customer support outsourcing",
		Processes:      []string{process.GetName()},
		ClientCountry:  "US",
		ClientTimeZone: TimeZone,
	}})
	must(t, "CreateEngagement", err)
	return eng
}

// SignedContract walks an engagement to a SIGNED contract: AwardedEngagement,
// then the contract manager drafts the contract (pre-filled from the award
// and scope) naming ClientSignatory, submits it; an approver approves; the
// client signatory and a user of the awarded provider sign.
func (e *Env) SignedContract(t testing.TB) *Signed {
	t.Helper()
	s := &Signed{Awarded: e.AwardedEngagement(t)}
	cm := e.AsRole(t, auth.ContractManager)
	c, err := e.Contract.CreateContract(cm, &contractv1.CreateContractRequest{Contract: &contractv1.Contract{
		Engagement:      s.Engagement.GetName(),
		ClientSignatory: ClientSignatory,
	}})
	must(t, "CreateContract", err)
	_, err = e.Contract.SubmitContract(cm, &contractv1.SubmitContractRequest{Name: c.GetName()})
	must(t, "SubmitContract", err)
	_, err = e.Contract.ApproveContract(e.AsRole(t, auth.Approver), &contractv1.ApproveContractRequest{Name: c.GetName()})
	must(t, "ApproveContract", err)
	_, err = e.Contract.SignContract(e.As(t, ClientSignatory, auth.Approver), &contractv1.SignContractRequest{Name: c.GetName()})
	must(t, "SignContract (client)", err)
	s.Contract, err = e.Contract.SignContract(e.AsProvider(t, s.Provider), &contractv1.SignContractRequest{Name: c.GetName()})
	must(t, "SignContract (provider)", err)
	if s.Contract.GetState() != contractv1.ContractState_CONTRACT_STATE_SIGNED {
		t.Fatalf("testenv: %s is %v after both signatures", c.GetName(), s.Contract.GetState())
	}
	return s
}

// firstOfMonthAhead is the first day of the month n months from now (UTC).
func firstOfMonthAhead(n int) *date.Date {
	now := time.Now().UTC()
	d := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, n, 0)
	return &date.Date{Year: int32(d.Year()), Month: int32(d.Month()), Day: 1}
}

// must stops the test when a stage's call fails, naming the call.
func must(t testing.TB, call string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("testenv: %s: %v", call, err)
	}
}

// nameOf reads value, a name the services gave, as an N, whose methods
// build the names of its parts (EngagementResourceName.ScopeResourceName).
func nameOf[N any, P interface {
	*N
	UnmarshalString(string) error
}](t testing.TB, value string) N {
	t.Helper()
	var n N
	if err := P(&n).UnmarshalString(value); err != nil {
		t.Fatalf("testenv: %q: %v", value, err)
	}
	return n
}
