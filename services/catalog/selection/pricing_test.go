package selection_test

import (
	"slices"
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/services/catalog/selection"
)

func usdProto(minor int64) *typev1.Money {
	return &typev1.Money{CurrencyCode: "USD", MinorUnits: minor}
}

// The three pricing models' TCV over a 36-month term, worked by hand.
// spec: catalog.md §3 "Proposal", total contract value.
func TestTCVOfEachPricingModel(t *testing.T) {
	tests := []struct {
		name    string
		pricing *catalogv1.ProposalPricing
		want    int64 // cents
	}{
		// USD 100 000.00 a month × 36 = USD 3 600 000.00.
		{"fixed price", &catalogv1.ProposalPricing{
			Model: catalogv1.PricingModel_PRICING_MODEL_FIXED_PRICE, MonthlyFee: usdProto(10_000_000),
		}, 360_000_000},
		// agent USD 18.50 × 4 000 h = USD 74 000.00; team_lead USD 32.25 ×
		// 320 h = USD 10 320.00; month USD 84 320.00 × 36 = USD 3 035 520.00.
		// (Cents: 1 850 × 4 000 = 7 400 000; 3 225 × 320 = 1 032 000;
		// 8 432 000 × 36 = 303 552 000.)
		{"time and materials", &catalogv1.ProposalPricing{
			Model: catalogv1.PricingModel_PRICING_MODEL_TIME_AND_MATERIALS,
			RateCard: []*typev1.RateCardEntry{
				{Role: "agent", HourlyRate: usdProto(1_850), EstimatedMonthlyHours: 4_000},
				{Role: "team_lead", HourlyRate: usdProto(3_225), EstimatedMonthlyHours: 320},
			},
			MonthlyNotToExceed: usdProto(9_000_000), // USD 90 000.00 ≥ the estimate
		}, 303_552_000},
		// Base USD 80 000.00 × 36 = USD 2 880 000.00; the full bonus pool,
		// USD 5 000.00 a month × 36 = USD 180 000.00; TCV USD 3 060 000.00.
		// The 12 % at risk does not lower it: the TCV is what the client
		// could pay at most.
		{"performance based", &catalogv1.ProposalPricing{
			Model:          catalogv1.PricingModel_PRICING_MODEL_PERFORMANCE_BASED,
			BaseMonthlyFee: usdProto(8_000_000), AtRiskBps: 1200, BonusPool: usdProto(500_000),
		}, 306_000_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := selection.TCV(tt.pricing, 36)
			if err != nil || got != usd(tt.want) {
				t.Fatalf("TCV = %v, %v; want %v", got, err, usd(tt.want))
			}
			p := gateProposal()
			p.Pricing = tt.pricing
			scope := gateScope()
			scope.Commercial = &catalogv1.CommercialTerms{CurrencyCode: "USD"}
			if err := selection.CheckProposal(p, gateProvider(), scope, "proposal"); err != nil {
				t.Fatalf("CheckProposal: %v", err)
			}
		})
	}
}

func TestCheckPricingPerModel(t *testing.T) {
	scope := gateScope()
	scope.Commercial = &catalogv1.CommercialTerms{CurrencyCode: "USD"}
	tm := func() *catalogv1.ProposalPricing {
		return &catalogv1.ProposalPricing{
			Model: catalogv1.PricingModel_PRICING_MODEL_TIME_AND_MATERIALS,
			RateCard: []*typev1.RateCardEntry{
				{Role: "agent", HourlyRate: usdProto(1_850), EstimatedMonthlyHours: 4_000},
			},
		}
	}
	pb := func() *catalogv1.ProposalPricing {
		return &catalogv1.ProposalPricing{
			Model:          catalogv1.PricingModel_PRICING_MODEL_PERFORMANCE_BASED,
			BaseMonthlyFee: usdProto(8_000_000), AtRiskBps: 1200, BonusPool: usdProto(0),
		}
	}
	tests := []struct {
		name    string
		pricing func() *catalogv1.ProposalPricing
		want    []string
	}{
		{"T&M valid", tm, nil},
		{"T&M without a rate card", func() *catalogv1.ProposalPricing { p := tm(); p.RateCard = nil; return p }, []string{"proposal.pricing.rate_card"}},
		{"T&M role twice, no hours, rate in EUR", func() *catalogv1.ProposalPricing {
			p := tm()
			p.RateCard = append(p.RateCard, &typev1.RateCardEntry{Role: "agent", HourlyRate: &typev1.Money{CurrencyCode: "EUR", MinorUnits: 100}})
			return p
		}, []string{"proposal.pricing.rate_card[1].role", "proposal.pricing.rate_card[1].hourly_rate.currency_code", "proposal.pricing.rate_card[1].estimated_monthly_hours"}},
		{"T&M role not a key", func() *catalogv1.ProposalPricing { p := tm(); p.RateCard[0].Role = "Team Lead"; return p }, []string{"proposal.pricing.rate_card[0].role"}},
		// 1 850 × 4 000 = USD 74 000.00 a month, above a USD 70 000.00 cap.
		{"T&M estimate above its own cap", func() *catalogv1.ProposalPricing { p := tm(); p.MonthlyNotToExceed = usdProto(7_000_000); return p }, []string{"proposal.pricing"}},
		{"T&M with a base fee", func() *catalogv1.ProposalPricing { p := tm(); p.BaseMonthlyFee = usdProto(1); return p }, []string{"proposal.pricing.base_monthly_fee"}},
		{"PB valid with no bonus", pb, nil},
		{"PB without base, bonus and at-risk", func() *catalogv1.ProposalPricing {
			return &catalogv1.ProposalPricing{Model: catalogv1.PricingModel_PRICING_MODEL_PERFORMANCE_BASED}
		}, []string{"proposal.pricing.base_monthly_fee", "proposal.pricing.at_risk_bps", "proposal.pricing.bonus_pool"}},
		{"PB at risk above 20 %", func() *catalogv1.ProposalPricing { p := pb(); p.AtRiskBps = 2001; return p }, []string{"proposal.pricing.at_risk_bps"}},
		{"PB negative bonus", func() *catalogv1.ProposalPricing { p := pb(); p.BonusPool.MinorUnits = -1; return p }, []string{"proposal.pricing.bonus_pool.minor_units"}},
		{"fixed with a rate card", func() *catalogv1.ProposalPricing {
			p := tm()
			p.Model = catalogv1.PricingModel_PRICING_MODEL_FIXED_PRICE
			p.MonthlyFee = usdProto(100)
			return p
		}, []string{"proposal.pricing.rate_card"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := gateProposal()
			p.Pricing = tt.pricing()
			err := selection.CheckProposal(p, gateProvider(), scope, "proposal")
			if got := violationFields(err); !slices.Equal(got, tt.want) {
				t.Errorf("violations on %v, want %v (%v)", got, tt.want, err)
			}
		})
	}
}
