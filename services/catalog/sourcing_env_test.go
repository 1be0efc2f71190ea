package catalog_test

// The plumbing of the sourcing tests: the catalog server of env_test.go,
// but on a clock the test moves (deadlines pass without waiting), and a
// fixture that walks decide → scope through the real API and registers
// the three providers of the worked example in selection/score_test.go.

import (
	"context"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"github.com/acme/bpo/services/testenv"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// sourcingEnv is a catalog server on a test clock.
type sourcingEnv struct {
	*env
	clock *testenv.Clock
}

// forEachSourcingDialect runs test on a fresh server per dialect.
func forEachSourcingDialect(t *testing.T, test func(t *testing.T, e *sourcingEnv)) {
	t.Helper()
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) { test(t, startSourcingServer(t, dialect)) })
	}
}

func startSourcingServer(t *testing.T, dialect string) *sourcingEnv {
	t.Helper()
	clock := testenv.NewClock(time.Now())
	return &sourcingEnv{env: startServer(t, dialect, testenv.WithClock(clock.Now)), clock: clock}
}

// asUser is a staff user with its own subject (two evaluators, two
// approvers).
func (e *sourcingEnv) asUser(t *testing.T, subject string, roles ...auth.Role) context.Context {
	t.Helper()
	return e.withToken(t, subject, roles, "")
}

// The worked example: a US client in New York, go-live Monday 11 January
// 2027 (EST), and three providers — Manila (offshore, 0 h overlap),
// Bogotá (nearshore, 8 h), Chicago (onshore, 7 h).
var goLive = &date.Date{Year: 2027, Month: 1, Day: 11}

// sourcingScope requires ISO 27001 through go-live, data in the US, PH or
// CO, and an answer speed of at least 80 % (critical); 36 months in USD.
func sourcingScope(name string) *catalogv1.Scope {
	return &catalogv1.Scope{
		Name:         name,
		Deliverables: []*catalogv1.Deliverable{{Name: "Inbound voice support", Unit: "contacts", ExpectedMonthlyVolume: 80_000}},
		ServiceLevels: []*typev1.ServiceLevel{
			{
				Key: "asa_20s", DisplayName: "Calls answered within 20 s",
				Metric:     &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_PERCENT_WITHIN, Unit: "s", Threshold: "20"},
				Comparator: typev1.Comparator_COMPARATOR_AT_LEAST, Target: "80", Kind: typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL,
			},
		},
		Compliance: &catalogv1.Compliance{
			RequiredCertifications: []catalogv1.CertificationType{catalogv1.CertificationType_CERTIFICATION_TYPE_ISO_27001},
			DataClassification:     catalogv1.DataClassification_DATA_CLASSIFICATION_CONFIDENTIAL,
			AllowedDataCountries:   []string{"US", "PH", "CO"},
		},
		Transition: &catalogv1.TransitionTerms{GoLiveDate: goLive},
		Commercial: &catalogv1.CommercialTerms{TermMonths: 36, CurrencyCode: "USD"},
	}
}

// sourcingProcess is customer support of a US retailer: an OUTSOURCE
// recommendation.
func sourcingProcess() *catalogv1.Process {
	return &catalogv1.Process{
		DisplayName:           "Customer support",
		Function:              catalogv1.BusinessFunction_BUSINESS_FUNCTION_CUSTOMER_SUPPORT,
		BusinessUnit:          "Retail",
		HomeCountry:           "US",
		HomeTimeZone:          "America/New_York",
		Fte:                   "40",
		AnnualCostPerFte:      &typev1.Money{CurrencyCode: "USD", MinorUnits: 6_000_000},
		AnnualVolume:          1_000_000,
		Repetitiveness:        5,
		Complexity:            2,
		StrategicImportance:   2,
		RequiredExpertise:     2,
		DocumentationMaturity: 4,
		DataClassification:    catalogv1.DataClassification_DATA_CLASSIFICATION_CONFIDENTIAL,
		CustomerFacing:        true,
	}
}

// engagementWithScope walks decide and, when state says so, scope through
// the API: a process assessed, an engagement for it, and its scope left
// DRAFT, IN_REVIEW or APPROVED.
func (e *sourcingEnv) engagementWithScope(t *testing.T, state catalogv1.ScopeState) *catalogv1.Engagement {
	t.Helper()
	sm := e.as(t, auth.SourcingManager)
	p, err := e.client.CreateProcess(e.as(t, auth.ProcessOwner), &catalogv1.CreateProcessRequest{Process: sourcingProcess()})
	if err != nil {
		t.Fatalf("CreateProcess: %v", err)
	}
	if _, err := e.client.AssessProcess(sm, &catalogv1.AssessProcessRequest{Name: p.GetName()}); err != nil {
		t.Fatalf("AssessProcess: %v", err)
	}
	eng, err := e.client.CreateEngagement(sm, &catalogv1.CreateEngagementRequest{Engagement: &catalogv1.Engagement{
		DisplayName: "Customer support for the US", Processes: []string{p.GetName()},
		ClientCountry: "US", ClientTimeZone: "America/New_York",
	}})
	if err != nil {
		t.Fatalf("CreateEngagement: %v", err)
	}
	var en catalogv1.EngagementResourceName
	if err := en.UnmarshalString(eng.GetName()); err != nil {
		t.Fatal(err)
	}
	name := en.ScopeResourceName().String()
	if _, err := e.client.UpdateScope(sm, &catalogv1.UpdateScopeRequest{Scope: sourcingScope(name)}); err != nil {
		t.Fatalf("UpdateScope: %v", err)
	}
	if state == catalogv1.ScopeState_SCOPE_STATE_DRAFT {
		return eng
	}
	if _, err := e.client.SubmitScope(sm, &catalogv1.SubmitScopeRequest{Name: name}); err != nil {
		t.Fatalf("SubmitScope: %v", err)
	}
	if state == catalogv1.ScopeState_SCOPE_STATE_IN_REVIEW {
		return eng
	}
	if _, err := e.client.ApproveScope(e.as(t, auth.Approver), &catalogv1.ApproveScopeRequest{Name: name}); err != nil {
		t.Fatalf("ApproveScope: %v", err)
	}
	return eng
}

// bidder is a provider of the worked example and a context of its user.
type bidder struct {
	provider *catalogv1.Provider
	ctx      context.Context
}

func (b bidder) name() string { return b.provider.GetName() }

// newBidder registers a provider with one center and ISO 27001 valid
// through 2028.
func (e *sourcingEnv) newBidder(t *testing.T, display, country, center, zone string) bidder {
	t.Helper()
	p, err := e.client.CreateProvider(e.as(t, auth.SourcingManager), &catalogv1.CreateProviderRequest{Provider: &catalogv1.Provider{
		DisplayName: display, LegalName: display + " Inc.", HqCountry: country, BillingCurrency: "USD",
		DeliveryCenters: []*catalogv1.DeliveryCenter{{Name: center, Country: country, TimeZone: zone, Languages: []string{"en"}, SeatCapacity: 300}},
		Certifications: []*catalogv1.Certification{
			{Type: catalogv1.CertificationType_CERTIFICATION_TYPE_ISO_27001, ValidUntil: &date.Date{Year: 2028, Month: 12, Day: 31}},
		},
	}})
	if err != nil {
		t.Fatalf("CreateProvider(%s): %v", display, err)
	}
	return bidder{provider: p, ctx: e.asProvider(t, p.GetName())}
}

// fixture is an engagement with an approved scope and three bidders.
type fixture struct {
	eng                     *catalogv1.Engagement
	manila, bogota, chicago bidder
}

func (f fixture) bidders() []bidder { return []bidder{f.manila, f.bogota, f.chicago} }

func (e *sourcingEnv) fixture(t *testing.T) fixture {
	t.Helper()
	return fixture{
		eng:     e.engagementWithScope(t, catalogv1.ScopeState_SCOPE_STATE_APPROVED),
		manila:  e.newBidder(t, "Manila BPO", "PH", "Manila", "Asia/Manila"),
		bogota:  e.newBidder(t, "Bogota BPO", "CO", "Bogota", "America/Bogota"),
		chicago: e.newBidder(t, "Chicago BPO", "US", "Chicago", "America/Chicago"),
	}
}

// newEvent is a valid CreateSourcingEvent input: the default criteria,
// evaluators eva and ed, a deadline a week from the server's now.
func (e *sourcingEnv) newEvent(engagement string, invited ...bidder) *catalogv1.SourcingEvent {
	var names []string
	for _, b := range invited {
		names = append(names, b.name())
	}
	return &catalogv1.SourcingEvent{
		Engagement:       engagement,
		DisplayName:      "Customer support RFP",
		InvitedProviders: names,
		Evaluators:       []string{"eva", "ed"},
		ProposalDeadline: timestamppb.New(e.clock.Now().Add(7 * 24 * time.Hour)),
	}
}

// publishedEvent creates and publishes an event inviting the bidders.
func (e *sourcingEnv) publishedEvent(t *testing.T, engagement string, invited ...bidder) *catalogv1.SourcingEvent {
	t.Helper()
	sm := e.as(t, auth.SourcingManager)
	ev, err := e.client.CreateSourcingEvent(sm, &catalogv1.CreateSourcingEventRequest{SourcingEvent: e.newEvent(engagement, invited...)})
	if err != nil {
		t.Fatalf("CreateSourcingEvent: %v", err)
	}
	ev, err = e.client.PublishSourcingEvent(sm, &catalogv1.PublishSourcingEventRequest{Name: ev.GetName()})
	if err != nil {
		t.Fatalf("PublishSourcingEvent: %v", err)
	}
	return ev
}

// fixedPrice is a proposal of the bidder's one center at a monthly fee in
// USD cents, proposing 85 % answered within 20 s.
func fixedPrice(b bidder, monthlyCents int64) *catalogv1.Proposal {
	return &catalogv1.Proposal{
		Pricing: &catalogv1.ProposalPricing{
			Model:      catalogv1.PricingModel_PRICING_MODEL_FIXED_PRICE,
			MonthlyFee: &typev1.Money{CurrencyCode: "USD", MinorUnits: monthlyCents},
		},
		DeliveryCenters: []string{b.provider.GetDeliveryCenters()[0].GetName()},
		ServiceLevels:   []*catalogv1.ProposedServiceLevel{{Key: "asa_20s", Target: "85"}},
		Certifications:  []catalogv1.CertificationType{catalogv1.CertificationType_CERTIFICATION_TYPE_ISO_27001},
		TransitionWeeks: 12,
		Notes:           "Our best offer",
	}
}

func (e *sourcingEnv) submit(t *testing.T, event string, b bidder, p *catalogv1.Proposal) *catalogv1.Proposal {
	t.Helper()
	got, err := e.client.CreateProposal(b.ctx, &catalogv1.CreateProposalRequest{Parent: event, Proposal: p})
	if err != nil {
		t.Fatalf("CreateProposal(%s): %v", b.provider.GetDisplayName(), err)
	}
	return got
}

// score submits one evaluator's scores of expertise, technology,
// communication, scalability and security.
func (e *sourcingEnv) score(t *testing.T, evaluator, proposal string, exp, tech, comm, scal, sec int32) error {
	t.Helper()
	var scores []*catalogv1.CriterionScore
	for i, c := range []catalogv1.Criterion{
		catalogv1.Criterion_CRITERION_EXPERTISE, catalogv1.Criterion_CRITERION_TECHNOLOGY, catalogv1.Criterion_CRITERION_COMMUNICATION,
		catalogv1.Criterion_CRITERION_SCALABILITY, catalogv1.Criterion_CRITERION_SECURITY_COMPLIANCE,
	} {
		scores = append(scores, &catalogv1.CriterionScore{Criterion: c, Score: []int32{exp, tech, comm, scal, sec}[i], Comment: "seen in the orals"})
	}
	_, err := e.client.ScoreProposal(e.asUser(t, evaluator, auth.Evaluator), &catalogv1.ScoreProposalRequest{Name: proposal, Scores: scores})
	return err
}
