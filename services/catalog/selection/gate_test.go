package selection_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/services/catalog/selection"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/proto"
)

// gateScope requires ISO 27001 through go-live on 2026-03-02, data in the
// US, PH or CO only, 4 h of overlap, answer speed at least 80 % (critical),
// handle time at most 300 s (critical) and CSAT at least 4.5 (a KPI).
func gateScope() *catalogv1.Scope {
	return &catalogv1.Scope{
		Compliance: &catalogv1.Compliance{
			RequiredCertifications: []catalogv1.CertificationType{catalogv1.CertificationType_CERTIFICATION_TYPE_ISO_27001},
			AllowedDataCountries:   []string{"US", "PH", "CO"},
			MinOverlapHours:        4,
		},
		ServiceLevels: []*typev1.ServiceLevel{
			{Key: "asa_20s", Comparator: typev1.Comparator_COMPARATOR_AT_LEAST, Target: "80", Kind: typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL},
			{Key: "aht", Comparator: typev1.Comparator_COMPARATOR_AT_MOST, Target: "300", Kind: typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL},
			{Key: "csat", Comparator: typev1.Comparator_COMPARATOR_AT_LEAST, Target: "4.5", Kind: typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_KPI},
		},
		Transition: &catalogv1.TransitionTerms{GoLiveDate: &date.Date{Year: 2026, Month: 3, Day: 2}},
	}
}

// gateProvider is an active provider with ISO 27001 until the end of 2026
// and centers in Bogotá, Manila and Lisbon.
func gateProvider() *catalogv1.Provider {
	return &catalogv1.Provider{
		Name:  "providers/acme",
		State: catalogv1.ProviderState_PROVIDER_STATE_ACTIVE,
		DeliveryCenters: []*catalogv1.DeliveryCenter{
			{Name: "Bogota", Country: "CO", TimeZone: "America/Bogota"},
			{Name: "Manila", Country: "PH", TimeZone: "Asia/Manila"},
			{Name: "Lisbon", Country: "PT", TimeZone: "Europe/Lisbon"},
		},
		Certifications: []*catalogv1.Certification{
			{Type: catalogv1.CertificationType_CERTIFICATION_TYPE_ISO_27001, ValidUntil: &date.Date{Year: 2026, Month: 12, Day: 31}},
		},
	}
}

func gateProposal() *catalogv1.Proposal {
	return &catalogv1.Proposal{
		DeliveryCenters: []string{"Bogota"},
		ServiceLevels: []*catalogv1.ProposedServiceLevel{
			{Key: "asa_20s", Target: "80"}, {Key: "aht", Target: "300"}, {Key: "csat", Target: "4"},
		},
	}
}

func TestComplianceGate(t *testing.T) {
	client := selection.Client{Country: "US", TimeZone: "America/New_York"}
	goLive := at(t, "America/New_York", 2026, 3, 2) // still EST: the US changes on 8 March
	tests := []struct {
		name      string
		change    func(s *catalogv1.Scope, p *catalogv1.Provider, pr *catalogv1.Proposal)
		want      []string // a fragment of each reason, in order
		wantShore catalogv1.ShoreModel
	}{
		// Bogotá overlaps New York 8 h in EST; a KPI proposed worse than
		// its target does not disqualify.
		{"qualified", func(*catalogv1.Scope, *catalogv1.Provider, *catalogv1.Proposal) {}, nil, catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE},
		{"provider suspended", func(_ *catalogv1.Scope, p *catalogv1.Provider, _ *catalogv1.Proposal) {
			p.State = catalogv1.ProviderState_PROVIDER_STATE_SUSPENDED
		}, []string{"is SUSPENDED, not ACTIVE"}, catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE},
		{"certification missing", func(s *catalogv1.Scope, _ *catalogv1.Provider, _ *catalogv1.Proposal) {
			s.Compliance.RequiredCertifications = append(s.Compliance.RequiredCertifications, catalogv1.CertificationType_CERTIFICATION_TYPE_PCI_DSS)
		}, []string{"PCI_DSS is missing"}, catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE},
		{"certification expires before go-live", func(_ *catalogv1.Scope, p *catalogv1.Provider, _ *catalogv1.Proposal) {
			p.Certifications[0].ValidUntil = &date.Date{Year: 2026, Month: 3, Day: 1}
		}, []string{"ISO_27001 is valid only until 2026-03-01, before the go-live date 2026-03-02"}, catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE},
		{"certification valid on the go-live day", func(_ *catalogv1.Scope, p *catalogv1.Provider, _ *catalogv1.Proposal) {
			p.Certifications[0].ValidUntil = &date.Date{Year: 2026, Month: 3, Day: 2}
		}, nil, catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE},
		{"an expired and a renewed certificate", func(_ *catalogv1.Scope, p *catalogv1.Provider, _ *catalogv1.Proposal) {
			p.Certifications = append([]*catalogv1.Certification{{Type: catalogv1.CertificationType_CERTIFICATION_TYPE_ISO_27001, ValidUntil: &date.Date{Year: 2025, Month: 1, Day: 1}}}, p.Certifications...)
		}, nil, catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE},
		// Lisbon is outside the allowed countries; the best center is
		// still Bogotá, so the overlap holds.
		{"center outside the allowed data countries", func(_ *catalogv1.Scope, _ *catalogv1.Provider, pr *catalogv1.Proposal) {
			pr.DeliveryCenters = append(pr.DeliveryCenters, "Lisbon")
		}, []string{`"Lisbon" is in PT, outside the allowed data countries (US, PH, CO)`}, catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE},
		{"any country allowed", func(s *catalogv1.Scope, _ *catalogv1.Provider, pr *catalogv1.Proposal) {
			s.Compliance.AllowedDataCountries = nil
			pr.DeliveryCenters = []string{"Lisbon", "Bogota"}
		}, nil, catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE},
		// Manila overlaps New York 0 h in March (EST).
		{"overlap below the minimum", func(_ *catalogv1.Scope, _ *catalogv1.Provider, pr *catalogv1.Proposal) {
			pr.DeliveryCenters = []string{"Manila"}
		}, []string{"overlap with the client is 0.00 h per weekday, below the required 4 h"}, catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE},
		{"critical level proposed below an AT_LEAST target", func(_ *catalogv1.Scope, _ *catalogv1.Provider, pr *catalogv1.Proposal) {
			pr.ServiceLevels[0].Target = "79.5"
		}, []string{"asa_20s is proposed at 79.5, worse than the scope's target at least 80"}, catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE},
		{"critical level proposed above an AT_MOST target", func(_ *catalogv1.Scope, _ *catalogv1.Provider, pr *catalogv1.Proposal) {
			pr.ServiceLevels[1].Target = "300.000001"
		}, []string{"aht is proposed at 300.000001, worse than the scope's target at most 300"}, catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE},
		{"critical levels proposed better than their targets", func(_ *catalogv1.Scope, _ *catalogv1.Provider, pr *catalogv1.Proposal) {
			pr.ServiceLevels[0].Target, pr.ServiceLevels[1].Target = "90", "240"
		}, nil, catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE},
		{"critical level not proposed is taken at its target", func(_ *catalogv1.Scope, _ *catalogv1.Provider, pr *catalogv1.Proposal) {
			pr.ServiceLevels = nil
		}, nil, catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE},
		{"every reason at once", func(s *catalogv1.Scope, p *catalogv1.Provider, pr *catalogv1.Proposal) {
			p.State = catalogv1.ProviderState_PROVIDER_STATE_BLOCKED
			p.Certifications = nil
			pr.DeliveryCenters = []string{"Manila", "Lisbon"}
			pr.ServiceLevels[0].Target = "70"
			pr.ServiceLevels[1].Target = "400"
		}, []string{
			"is BLOCKED, not ACTIVE",
			"ISO_27001 is missing",
			`"Lisbon" is in PT`,
			// Lisbon (WET, UTC+0) 09–17 = 09:00–17:00 UTC against New
			// York's 14:00–22:00: 3 h, better than Manila's 0 h.
			"overlap with the client is 3.00 h per weekday, below the required 4 h",
			"asa_20s is proposed at 70",
			"aht is proposed at 400",
		}, catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, p, pr := gateScope(), gateProvider(), gateProposal()
			tt.change(s, p, pr)
			reasons, place, err := selection.Gate(selection.GateInput{Client: client, Scope: s, Provider: p, Proposal: pr, At: goLive})
			if err != nil {
				t.Fatal(err)
			}
			if len(reasons) != len(tt.want) {
				t.Fatalf("reasons %q, want %d matching %q", reasons, len(tt.want), tt.want)
			}
			for i, r := range reasons {
				if !strings.Contains(r, tt.want[i]) {
					t.Errorf("reason %d = %q, want it to contain %q", i, r, tt.want[i])
				}
			}
			if place.Shore != tt.wantShore {
				t.Errorf("shore model %v, want %v", place.Shore, tt.wantShore)
			}
		})
	}
}

func TestComplianceGateWithoutGoLiveUsesToday(t *testing.T) {
	client := selection.Client{Country: "US", TimeZone: "America/New_York"}
	s, p, pr := gateScope(), gateProvider(), gateProposal()
	s.Transition = nil
	p.Certifications[0].ValidUntil = &date.Date{Year: 2026, Month: 6, Day: 30}
	now := time.Date(2026, 7, 1, 16, 0, 0, 0, time.UTC) // 12:00 in New York
	reasons, _, err := selection.Gate(selection.GateInput{Client: client, Scope: s, Provider: p, Proposal: pr, At: now})
	if err != nil || len(reasons) != 1 || !strings.Contains(reasons[0], "valid only until 2026-06-30, before today 2026-07-01") {
		t.Fatalf("reasons %q (%v), want the certification expired before today", reasons, err)
	}
}

func TestCheckProposal(t *testing.T) {
	scope := gateScope()
	scope.Commercial = &catalogv1.CommercialTerms{CurrencyCode: "USD"}
	valid := func() *catalogv1.Proposal {
		p := gateProposal()
		p.Pricing = &catalogv1.ProposalPricing{Model: catalogv1.PricingModel_PRICING_MODEL_FIXED_PRICE, MonthlyFee: usd(10_000_000).Proto()}
		p.Certifications = []catalogv1.CertificationType{catalogv1.CertificationType_CERTIFICATION_TYPE_ISO_27001}
		return p
	}
	tests := []struct {
		name   string
		change func(p *catalogv1.Proposal)
		want   []string
	}{
		{"valid", func(*catalogv1.Proposal) {}, nil},
		{"no pricing", func(p *catalogv1.Proposal) { p.Pricing = nil }, []string{"proposal.pricing"}},
		// A T&M price with a fixed fee: the fee is refused, the rate card missing.
		{"time and materials priced as a fixed fee", func(p *catalogv1.Proposal) {
			p.Pricing.Model = catalogv1.PricingModel_PRICING_MODEL_TIME_AND_MATERIALS
		}, []string{"proposal.pricing.monthly_fee", "proposal.pricing.rate_card"}},
		{"no fee", func(p *catalogv1.Proposal) { p.Pricing.MonthlyFee = nil }, []string{"proposal.pricing.monthly_fee"}},
		{"zero fee", func(p *catalogv1.Proposal) { p.Pricing.MonthlyFee.MinorUnits = 0 }, []string{"proposal.pricing.monthly_fee.minor_units"}},
		// USD 1 trillion a month is the most: × 120 months and × 10 for the
		// cost score it still fits an int64 (9.2 × 10^18).
		{"the largest fee", func(p *catalogv1.Proposal) { p.Pricing.MonthlyFee.MinorUnits = selection.MaxMonthlyFee }, nil},
		// 10^17 cents × 120 months = 1.2 × 10^19 would wrap round to a
		// negative TCV and rank first.
		{"a fee whose TCV would overflow", func(p *catalogv1.Proposal) { p.Pricing.MonthlyFee.MinorUnits = 100_000_000_000_000_000 }, []string{"proposal.pricing.monthly_fee.minor_units"}},
		{"another currency than the scope's", func(p *catalogv1.Proposal) { p.Pricing.MonthlyFee.CurrencyCode = "EUR" }, []string{"proposal.pricing.monthly_fee.currency_code"}},
		{"no center", func(p *catalogv1.Proposal) { p.DeliveryCenters = nil }, []string{"proposal.delivery_centers"}},
		{"someone else's center", func(p *catalogv1.Proposal) { p.DeliveryCenters = []string{"Bogota", "Mumbai"} }, []string{"proposal.delivery_centers[1]"}},
		{"a center twice", func(p *catalogv1.Proposal) { p.DeliveryCenters = []string{"Bogota", "Bogota"} }, []string{"proposal.delivery_centers[1]"}},
		{"a service level the scope lacks", func(p *catalogv1.Proposal) {
			p.ServiceLevels = append(p.ServiceLevels, &catalogv1.ProposedServiceLevel{Key: "fcr", Target: "70"})
		}, []string{"proposal.service_levels[3].key"}},
		{"a service level twice", func(p *catalogv1.Proposal) {
			p.ServiceLevels = append(p.ServiceLevels, &catalogv1.ProposedServiceLevel{Key: "aht", Target: "200"})
		}, []string{"proposal.service_levels[3].key"}},
		{"a certification twice", func(p *catalogv1.Proposal) {
			p.Certifications = append(p.Certifications, p.Certifications[0])
		}, []string{"proposal.certifications[1]"}},
		{"two bad fields, two violations", func(p *catalogv1.Proposal) {
			p.Pricing.MonthlyFee.MinorUnits = -1
			p.DeliveryCenters = []string{"Mumbai"}
		}, []string{"proposal.pricing.monthly_fee.minor_units", "proposal.delivery_centers[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := valid()
			tt.change(p)
			err := selection.CheckProposal(p, gateProvider(), scope, "proposal")
			if got := violationFields(err); !slices.Equal(got, tt.want) {
				t.Errorf("violations on %v, want %v (%v)", got, tt.want, err)
			}
		})
	}
	t.Run("without a scope currency, USD", func(t *testing.T) {
		p := valid()
		p.Pricing.MonthlyFee.CurrencyCode = "EUR"
		err := selection.CheckProposal(p, gateProvider(), gateScope(), "proposal")
		if got := violationFields(err); !slices.Equal(got, []string{"proposal.pricing.monthly_fee.currency_code"}) {
			t.Errorf("violations on %v (%v)", got, err)
		}
	})
	t.Run("TCV is the fee times the term", func(t *testing.T) {
		// USD 100 000.00 a month × 36 months = USD 3 600 000.00.
		if got, err := selection.TCV(valid().GetPricing(), 36); err != nil || got != usd(360_000_000) {
			t.Errorf("TCV = %v, %v; want USD 3600000.00", got, err)
		}
	})
}

// TestSealedBids checks who sees what of a proposal, in every proposal
// state. spec: catalog.md §3 "Sealed bids".
func TestSealedBids(t *testing.T) {
	full := gateProposal()
	full.Name, full.Provider, full.Revision, full.Etag = "sourcingEvents/e/proposals/acme", "providers/acme", 2, "2-abc"
	full.Pricing = &catalogv1.ProposalPricing{Model: catalogv1.PricingModel_PRICING_MODEL_FIXED_PRICE, MonthlyFee: usd(1).Proto()}
	own := selection.Viewer{Provider: "providers/acme", ProviderOnly: true}
	other := selection.Viewer{Provider: "providers/beta", ProviderOnly: true}
	staff := selection.Viewer{} // admins, sourcing managers, evaluators, …
	for _, state := range []catalogv1.ProposalState{
		catalogv1.ProposalState_PROPOSAL_STATE_SUBMITTED, catalogv1.ProposalState_PROPOSAL_STATE_NEEDS_CONFIRMATION,
		catalogv1.ProposalState_PROPOSAL_STATE_QUALIFIED, catalogv1.ProposalState_PROPOSAL_STATE_DISQUALIFIED,
		catalogv1.ProposalState_PROPOSAL_STATE_AWARDED, catalogv1.ProposalState_PROPOSAL_STATE_NOT_SELECTED,
	} {
		t.Run(state.String(), func(t *testing.T) {
			p := proto.Clone(full).(*catalogv1.Proposal)
			p.State = state
			if got, err := selection.ProposalFor(p, own); err != nil || !proto.Equal(got, p) {
				t.Errorf("its own provider sees %v (%v), want all of it", got, err)
			}
			if got, err := selection.ProposalFor(p, other); err == nil {
				t.Errorf("another provider sees %v, want PERMISSION_DENIED", got)
			}
			got, err := selection.ProposalFor(p, staff)
			if err != nil {
				t.Fatal(err)
			}
			opened := state != catalogv1.ProposalState_PROPOSAL_STATE_SUBMITTED && state != catalogv1.ProposalState_PROPOSAL_STATE_NEEDS_CONFIRMATION
			sealed := &catalogv1.Proposal{Name: p.Name, Provider: p.Provider, State: state, Sealed: true}
			switch {
			case opened && !proto.Equal(got, p):
				t.Errorf("after the close, staff see %v, want all of it", got)
			case !opened && !proto.Equal(got, sealed):
				t.Errorf("before the close, staff see %v, want only %v", got, sealed)
			}
		})
	}
}

func TestEventForAProvider(t *testing.T) {
	e := &catalogv1.SourcingEvent{
		Name:             "sourcingEvents/e",
		InvitedProviders: []string{"providers/acme", "providers/beta"},
		Evaluators:       []string{"eva"},
		Award:            &catalogv1.Award{Proposal: "sourcingEvents/e/proposals/beta", Provider: "providers/beta", Justification: "cheaper by 10 %", ProposedBy: "sm", ApprovedBy: "ap"},
	}
	acme := selection.EventFor(e, selection.Viewer{Provider: "providers/acme", ProviderOnly: true})
	if !slices.Equal(acme.GetInvitedProviders(), []string{"providers/acme"}) || acme.GetEvaluators() != nil || acme.GetAward() != nil {
		t.Errorf("an unsuccessful provider sees %v; want only itself invited, no evaluators, no award", acme)
	}
	beta := selection.EventFor(e, selection.Viewer{Provider: "providers/beta", ProviderOnly: true})
	if beta.GetAward().GetProvider() != "providers/beta" || beta.GetAward().GetJustification() != "" {
		t.Errorf("the winner sees the award %v; want its own, without the justification", beta.GetAward())
	}
	if got := selection.EventFor(e, selection.Viewer{}); !proto.Equal(got, e) {
		t.Errorf("staff see %v, want all of it", got)
	}
}
