package terms

import (
	"slices"
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	gdate "google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/genproto/googleapis/type/timeofday"
)

func usd(minor int64) *typev1.Money { return &typev1.Money{CurrencyCode: "USD", MinorUnits: minor} }

// timeAndMaterials is a reviewable T&M contract: agents at 18.50 USD an
// hour, team leads at 26.00, capped at 100,000.00 a month.
func timeAndMaterials() *contractv1.Contract {
	c := reviewable()
	c.Type = contractv1.ContractType_CONTRACT_TYPE_TIME_AND_MATERIALS
	c.MonthlyFee = nil
	c.RateCard = []*typev1.RateCardEntry{
		{Role: "agent", HourlyRate: usd(1850), EstimatedMonthlyHours: 4000},
		{Role: "team_lead", HourlyRate: usd(2600), EstimatedMonthlyHours: 400},
	}
	c.MonthlyNotToExceed = usd(10_000_000)
	return c
}

// performanceBased is a reviewable performance-based contract: 80,000.00
// a month, a bonus pool of 5,000.00 earned on the aht KPI.
func performanceBased() *contractv1.Contract {
	c := reviewable()
	c.Type = contractv1.ContractType_CONTRACT_TYPE_PERFORMANCE_BASED
	c.MonthlyFee = nil
	c.BaseMonthlyFee = usd(8_000_000)
	c.BonusPool = usd(500_000)
	c.BonusKpis = []string{"aht"}
	return c
}

func TestValidateEveryModel(t *testing.T) {
	tests := []struct {
		name   string
		base   func() *contractv1.Contract
		change func(c *contractv1.Contract)
		want   []string
	}{
		{"a complete T&M contract passes", timeAndMaterials, func(*contractv1.Contract) {}, nil},
		{"T&M without a cap passes", timeAndMaterials, func(c *contractv1.Contract) { c.MonthlyNotToExceed = nil }, nil},
		{"T&M rate card problems, one violation each", timeAndMaterials, func(c *contractv1.Contract) {
			c.RateCard[1].Role = "agent"
			c.RateCard[0].HourlyRate.MinorUnits = 0
			c.RateCard = append(c.RateCard, &typev1.RateCardEntry{Role: "qa"})
			c.MonthlyNotToExceed.MinorUnits = 0
		}, []string{"contract.rate_card[1].role", "contract.rate_card[0].hourly_rate.minor_units", "contract.rate_card[2].hourly_rate", "contract.monthly_not_to_exceed.minor_units"}},
		{"T&M rate in another currency", timeAndMaterials, func(c *contractv1.Contract) {
			c.RateCard[0].HourlyRate.CurrencyCode = "EUR"
		}, []string{"contract.rate_card[0].hourly_rate.currency_code"}},
		{"T&M with a fixed fee and a bonus pool", timeAndMaterials, func(c *contractv1.Contract) {
			c.MonthlyFee = usd(1)
			c.BonusPool = usd(1)
		}, []string{"contract.monthly_fee", "contract.bonus_pool"}},
		{"a complete performance-based contract passes", performanceBased, func(*contractv1.Contract) {}, nil},
		{"performance-based without a bonus passes", performanceBased, func(c *contractv1.Contract) { c.BonusPool, c.BonusKpis = nil, nil }, nil},
		{"performance-based needs its base fee", performanceBased, func(c *contractv1.Contract) { c.BaseMonthlyFee = nil }, []string{"contract.base_monthly_fee"}},
		{"bonus KPIs name KPI levels of the contract, once", performanceBased, func(c *contractv1.Contract) {
			c.BonusKpis = []string{"aht", "asa_20s", "nope", "aht"}
		}, []string{"contract.bonus_kpis[1]", "contract.bonus_kpis[2]", "contract.bonus_kpis[3]"}},
		{"a bonus pool needs KPIs", performanceBased, func(c *contractv1.Contract) { c.BonusKpis = nil }, []string{"contract.bonus_kpis"}},
		{"KPIs without a pool", performanceBased, func(c *contractv1.Contract) { c.BonusPool = nil }, []string{"contract.bonus_pool"}},
		{"fixed price with a rate card", reviewable, func(c *contractv1.Contract) {
			c.RateCard = timeAndMaterials().RateCard
		}, []string{"contract.rate_card"}},
		{"credit regime bounds", reviewable, func(c *contractv1.Contract) {
			c.CreditRegime = &contractv1.CreditRegime{AtRiskBps: 1200, ChronicMisses: 0, ChronicWindow: 6, EarnBackPeriods: 13, AnnualCapBps: 10001}
		}, []string{"contract.credit_regime.chronic_misses", "contract.credit_regime.earn_back_periods", "contract.credit_regime.annual_cap_bps"}},
		{"no chronic-failure rule at all is allowed", reviewable, func(c *contractv1.Contract) {
			c.CreditRegime.ChronicMisses, c.CreditRegime.ChronicWindow = 0, 0
		}, nil},
		{"the renewal notice falls before the start", reviewable, func(c *contractv1.Contract) {
			// 2026-01-01 to 2028-12-31 is 1095 days; 1100 days before the end is 2025-12-27.
			c.RenewalNoticeDays = 1100
		}, []string{"contract.renewal_notice_days"}},
		{"service hours: end before start, a bad holiday", reviewable, func(c *contractv1.Contract) {
			c.ServiceHours = &contractv1.ServiceHours{
				Start: &timeofday.TimeOfDay{Hours: 18}, End: &timeofday.TimeOfDay{Hours: 8},
				Holidays: []*gdate.Date{day(2026, 2, 30)},
			}
		}, []string{"contract.service_hours.end", "contract.service_hours.holidays[0]"}},
		{"service hours 08:00–24:00 pass", reviewable, func(c *contractv1.Contract) {
			c.ServiceHours = &contractv1.ServiceHours{Start: &timeofday.TimeOfDay{Hours: 8}, End: &timeofday.TimeOfDay{Hours: 24}}
		}, nil},
		{"regulated data needs breach notification; countries are ISO codes", reviewable, func(c *contractv1.Contract) {
			c.DataProtection = &contractv1.DataProtection{
				Classification:       catalogv1.DataClassification_DATA_CLASSIFICATION_REGULATED,
				AllowedDataCountries: []string{"US", "XX"},
			}
		}, []string{"contract.data_protection.breach_notification_hours", "contract.data_protection.allowed_data_countries[1]"}},
		{"a termination fee in another currency", reviewable, func(c *contractv1.Contract) {
			c.TerminationTerms = &contractv1.TerminationTerms{ConvenienceNoticeDays: 90, ConvenienceFee: &typev1.Money{CurrencyCode: "EUR", MinorUnits: 100}}
		}, []string{"contract.termination_terms.convenience_fee.currency_code"}},
		{"reports named twice", reviewable, func(c *contractv1.Contract) {
			c.Reporting = &contractv1.Reporting{DueDays: 5, RequiredReports: []string{"SLA report", "SLA report"}}
		}, []string{"contract.reporting.required_reports[1]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.base()
			tt.change(c)
			got := violationFields(t, ValidateForReview(c, "contract"))
			want := slices.Sorted(slices.Values(tt.want))
			if !slices.Equal(got, want) {
				t.Errorf("violations on %v, want %v", got, want)
			}
		})
	}
}

func TestPrefillEveryModel(t *testing.T) {
	t.Run("time and materials", func(t *testing.T) {
		a := awarded()
		a.Proposal.Pricing = &catalogv1.ProposalPricing{
			Model:              catalogv1.PricingModel_PRICING_MODEL_TIME_AND_MATERIALS,
			RateCard:           timeAndMaterials().GetRateCard(),
			MonthlyNotToExceed: usd(10_000_000),
		}
		got := Prefill(a, nil)
		if got.GetType() != contractv1.ContractType_CONTRACT_TYPE_TIME_AND_MATERIALS || len(got.GetRateCard()) != 2 ||
			got.GetRateCard()[0].GetHourlyRate().GetMinorUnits() != 1850 || got.GetMonthlyNotToExceed().GetMinorUnits() != 10_000_000 || got.GetMonthlyFee() != nil {
			t.Errorf("got %v", got)
		}
		a.Proposal.Pricing.RateCard[0].HourlyRate.MinorUnits = 1
		if got.GetRateCard()[0].GetHourlyRate().GetMinorUnits() != 1850 {
			t.Error("the draft shares the proposal's rate card")
		}
	})
	t.Run("performance based", func(t *testing.T) {
		a := awarded()
		a.Proposal.Pricing = &catalogv1.ProposalPricing{
			Model:          catalogv1.PricingModel_PRICING_MODEL_PERFORMANCE_BASED,
			BaseMonthlyFee: usd(8_000_000), BonusPool: usd(500_000), AtRiskBps: 1500,
		}
		got := Prefill(a, nil)
		if got.GetBaseMonthlyFee().GetMinorUnits() != 8_000_000 || got.GetBonusPool().GetMinorUnits() != 500_000 ||
			got.GetCreditRegime().GetAtRiskBps() != 1500 || !slices.Equal(got.GetBonusKpis(), []string{"aht"}) {
			t.Errorf("got %v", got)
		}
		if err := ValidateForReview(got, "contract"); err == nil || slices.Contains(violationFields(t, err), "contract.bonus_kpis") {
			t.Errorf("review of the pre-filled draft: %v", err)
		}
	})
	t.Run("another type than the award's drops the awarded prices", func(t *testing.T) {
		a := awarded() // a fixed-price award
		if Prefill(a, nil).GetMonthlyFee() == nil {
			t.Fatal("the fixed-price award pre-fills no monthly fee")
		}
		got := Prefill(a, &contractv1.Contract{Type: contractv1.ContractType_CONTRACT_TYPE_TIME_AND_MATERIALS, RateCard: timeAndMaterials().GetRateCard()})
		if got.GetMonthlyFee() != nil || len(got.GetRateCard()) != 2 {
			t.Errorf("T&M over a fixed-price award: monthly fee %v, rate card %v; want no fee and the request's card", got.GetMonthlyFee(), got.GetRateCard())
		}
		kept := Prefill(a, &contractv1.Contract{Type: contractv1.ContractType_CONTRACT_TYPE_TIME_AND_MATERIALS, MonthlyFee: usd(1)})
		if kept.GetMonthlyFee().GetMinorUnits() != 1 {
			t.Errorf("a fee the request sets itself is kept (for review to judge): %v", kept.GetMonthlyFee())
		}
	})
	t.Run("centers, compliance and the proposal's committed targets", func(t *testing.T) {
		a := awarded()
		a.Proposal.DeliveryCenters = []string{"Manila 1", "Cebu"}
		a.Proposal.ServiceLevels = []*catalogv1.ProposedServiceLevel{{Key: "asa_20s", Target: "85"}}
		a.Scope.Compliance = &catalogv1.Compliance{
			RequiredCertifications: []catalogv1.CertificationType{catalogv1.CertificationType_CERTIFICATION_TYPE_ISO_27001},
			DataClassification:     catalogv1.DataClassification_DATA_CLASSIFICATION_CONFIDENTIAL,
			AllowedDataCountries:   []string{"US", "PH"},
		}
		got := Prefill(a, nil)
		if !slices.Equal(got.GetDeliveryCenters(), []string{"Manila 1", "Cebu"}) ||
			len(got.GetRequiredCertifications()) != 1 ||
			got.GetDataProtection().GetClassification() != catalogv1.DataClassification_DATA_CLASSIFICATION_CONFIDENTIAL ||
			!slices.Equal(got.GetDataProtection().GetAllowedDataCountries(), []string{"US", "PH"}) ||
			got.GetDataProtection().GetBreachNotificationHours() != 72 {
			t.Errorf("got centers %v certs %v protection %v", got.GetDeliveryCenters(), got.GetRequiredCertifications(), got.GetDataProtection())
		}
		// asa_20s: the scope says 80, the provider committed to 85.
		for _, sl := range got.GetServiceLevels() {
			want := "80"
			if sl.GetKey() == "asa_20s" {
				want = "85"
			}
			if sl.GetTarget() != want {
				t.Errorf("%s target %s, want %s", sl.GetKey(), sl.GetTarget(), want)
			}
		}
	})
}
