package evaluation

import (
	"math/big"
	"strings"
	"testing"

	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/money"
)

// Hand-worked statements, one per step of spec monitoring.md "The period
// statement". Amounts are USD cents.

func critical(key string, bps int32) *typev1.ServiceLevel {
	return level(key, typev1.Aggregation_AGGREGATION_MEAN, typev1.Comparator_COMPARATOR_AT_LEAST, "1", true, bps)
}

func kpi(key string) *typev1.ServiceLevel {
	return level(key, typev1.Aggregation_AGGREGATION_MEAN, typev1.Comparator_COMPARATOR_AT_LEAST, "1", false, 0)
}

func amount(c int64) money.Amount { return money.New("USD", c) }

func lineOf(s Statement, kind LineKind, key string) (Line, bool) {
	for _, l := range s.Lines {
		if l.Kind == kind && l.Key == key {
			return l, true
		}
	}
	return Line{}, false
}

func TestStep1ChargesOfEachPricingModel(t *testing.T) {
	hours := func(role string, h int64) Result {
		l := level(HoursKey(role), typev1.Aggregation_AGGREGATION_SUM, typev1.Comparator_COMPARATOR_AT_LEAST, "0", false, 0)
		return Result{Level: l, Outcome: Met, Value: big.NewRat(h, 1)}
	}
	nte := amount(2_000_000)
	tests := []struct {
		name    string
		terms   Terms
		results []Result
		charges int64
	}{{
		// 30-day month, 10 days of service (commenced on the 21st):
		// 5,000,000 × 10 / 30 = 1,666,666.67 → 1,666,667 cents.
		name:    "fixed fee prorated by days of service",
		terms:   Terms{Pricing: FixedPrice, Currency: "USD", MonthlyFee: amount(5_000_000), ServiceDays: 10, PeriodDays: 30},
		charges: 1_666_667,
	}, {
		// agent 1,000 h × USD 12.50 = 12,500.00; lead 160.5 h × USD 30.00
		// = 4,815.00; Σ 17,315.00 < NTE 20,000.00.
		name:    "time and materials: hours × rate within the not-to-exceed",
		terms:   Terms{Pricing: TimeAndMaterials, Currency: "USD", Rates: []Rate{{"agent", amount(1250)}, {"lead", amount(3000)}}, NotToExceed: &nte},
		results: []Result{hours("agent", 1000), {Level: hours("lead", 0).Level, Outcome: Met, Value: big.NewRat(321, 2)}},
		charges: 1_731_500,
	}, {
		// agent 1,500 h × 12.50 = 18,750.00; lead 200 h × 30.00 = 6,000.00;
		// Σ 24,750.00 capped at 20,000.00.
		name:    "time and materials capped at the not-to-exceed",
		terms:   Terms{Pricing: TimeAndMaterials, Currency: "USD", Rates: []Rate{{"agent", amount(1250)}, {"lead", amount(3000)}}, NotToExceed: &nte},
		results: []Result{hours("agent", 1500), hours("lead", 200)},
		charges: 2_000_000,
	}, {
		// Base fee 40,000.00 for a full month.
		name:    "performance-based: the base fee",
		terms:   Terms{Pricing: PerformanceBased, Currency: "USD", BaseFee: amount(4_000_000)},
		charges: 4_000_000,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Compute(tt.terms, "2025-06", tt.results, nil)
			if err != nil {
				t.Fatal(err)
			}
			if s.Charges != amount(tt.charges) {
				t.Errorf("charges %v, want %v\n%s", s.Charges, amount(tt.charges), strings.Join(s.Texts(), "\n"))
			}
		})
	}
}

func TestStep3AnnualCap(t *testing.T) {
	// Fee 10,000.00, at risk 12 % = 1,200.00; asa (60 %) missed → 720.00.
	// Annual cap 100 bps of the charges of the last 12 periods: 11 closed
	// periods of 10,000.00 + this one = 120,000.00 × 1 % = 1,200.00; the 11
	// before credited 1,000.00 in all, so 200.00 is left: credits 200.00,
	// net 9,800.00.
	past := make([]*Past, 11)
	for i := range past {
		past[i] = &Past{Period: "p", Charges: amount(1_000_000), Credits: amount(0), Outcomes: map[string]Outcome{"asa": Met}}
	}
	past[3].Credits = amount(100_000)
	terms := Terms{Pricing: FixedPrice, Currency: "USD", MonthlyFee: amount(1_000_000), AtRiskBps: 1200, AnnualCapBps: 100}
	s, err := Compute(terms, "2025-12", []Result{{Level: critical("asa", 6000), Outcome: Missed}}, past)
	if err != nil {
		t.Fatal(err)
	}
	if s.Credit["asa"] != amount(72_000) || s.Credits != amount(20_000) || s.Credited["asa"] != amount(20_000) || s.Net != amount(980_000) {
		t.Errorf("credit %v credits %v credited %v net %v, want 720.00, 200.00, 200.00, 9800.00", s.Credit["asa"], s.Credits, s.Credited["asa"], s.Net)
	}
	if s.AnnualCapRemaining == nil || *s.AnnualCapRemaining != amount(20_000) {
		t.Errorf("annual cap remaining %v, want 200.00", s.AnnualCapRemaining)
	}
}

func TestStep3PerPeriodCapFilledInLevelOrder(t *testing.T) {
	// At risk 1,200.00: a (100 %) 1,200.00 + b (50 %) 600.00 = 1,800.00,
	// capped at 1,200.00: a is credited 1,200.00, b nothing.
	terms := Terms{Pricing: FixedPrice, Currency: "USD", MonthlyFee: amount(1_000_000), AtRiskBps: 1200}
	s, err := Compute(terms, "2025-06", []Result{{Level: critical("a", 10000), Outcome: Missed}, {Level: critical("b", 5000), Outcome: NoData}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Credits != amount(120_000) || s.Credited["a"] != amount(120_000) || s.Credited["b"] != amount(0) {
		t.Errorf("credits %v, credited %v", s.Credits, s.Credited)
	}
}

func TestStep3WeeklyLevelCreditsTheShareOfWeeksMissed(t *testing.T) {
	// At risk 1,200.00 × 30 % = 360.00 × 2 of 4 weeks missed = 180.00.
	terms := Terms{Pricing: FixedPrice, Currency: "USD", MonthlyFee: amount(1_000_000), AtRiskBps: 1200}
	s, err := Compute(terms, "2025-06", []Result{{Level: critical("w", 3000), Outcome: Missed, Share: big.NewRat(2, 4)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Credit["w"] != amount(18_000) {
		t.Errorf("credit %v, want 180.00", s.Credit["w"])
	}
}

func TestStep4EarnBack(t *testing.T) {
	// Earn-back after 2 periods: asa was credited 360.00 in 2025-04, met in
	// 2025-05 and in 2025-06 (this period): the 360.00 comes back.
	// Fee 10,000.00, nothing missed now: net 10,000.00 + 360.00 = 10,360.00.
	past := []*Past{
		{Period: "2025-04", Charges: amount(1_000_000), Credits: amount(36_000), Credited: map[string]money.Amount{"asa": amount(36_000)}, Outcomes: map[string]Outcome{"asa": Missed}},
		{Period: "2025-05", Charges: amount(1_000_000), Credits: amount(0), Outcomes: map[string]Outcome{"asa": Met}},
	}
	terms := Terms{Pricing: FixedPrice, Currency: "USD", MonthlyFee: amount(1_000_000), AtRiskBps: 1200, EarnBackPeriods: 2}
	s, err := Compute(terms, "2025-06", []Result{{Level: critical("asa", 3000), Outcome: Met}}, past)
	if err != nil {
		t.Fatal(err)
	}
	if s.EarnBacks != amount(36_000) || s.Net != amount(1_036_000) {
		t.Errorf("earn-backs %v net %v, want 360.00 and 10,360.00\n%s", s.EarnBacks, s.Net, strings.Join(s.Texts(), "\n"))
	}
	if l, ok := lineOf(s, EarnBackLine, "asa"); !ok || !strings.Contains(l.Text, "2025-05, 2025-06") {
		t.Errorf("earn-back line %q", l.Text)
	}
	// Missed in between (2025-05): nothing is earned back.
	past[1].Outcomes["asa"] = Missed
	if s, _ = Compute(terms, "2025-06", []Result{{Level: critical("asa", 3000), Outcome: Met}}, past); s.EarnBacks != amount(0) {
		t.Errorf("earn-back %v after a miss in between, want none", s.EarnBacks)
	}
}

func TestStep5Bonus(t *testing.T) {
	// Base 40,000.00, pool 4,000.00, 2 of 3 bonus KPIs met: 2,666.666… →
	// 2,666.67; at risk 12 % of 40,000.00 = 4,800.00, nothing missed; net
	// 40,000.00 + 2,666.67 = 42,666.67.
	terms := Terms{Pricing: PerformanceBased, Currency: "USD", BaseFee: amount(4_000_000), BonusPool: amount(400_000),
		BonusKPIs: []string{"fcr", "csat", "nps"}, AtRiskBps: 1200}
	s, err := Compute(terms, "2025-06", []Result{{Level: kpi("fcr"), Outcome: Met}, {Level: kpi("csat"), Outcome: Met}, {Level: kpi("nps"), Outcome: Missed}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Bonus != amount(266_667) || s.Net != amount(4_266_667) {
		t.Errorf("bonus %v net %v, want 2,666.67 and 42,666.67", s.Bonus, s.Net)
	}
	// A last period of 15 of 30 days: base 20,000.00; pool × 15/30 × 2/3 =
	// 4,000.00 × 1/3 = 1,333.333… → 1,333.33 (one rounding).
	terms.ServiceDays, terms.PeriodDays = 15, 30
	s, _ = Compute(terms, "2025-06", []Result{{Level: kpi("fcr"), Outcome: Met}, {Level: kpi("csat"), Outcome: Met}}, nil)
	if s.Charges != amount(2_000_000) || s.Bonus != amount(133_333) {
		t.Errorf("prorated charges %v bonus %v, want 20,000.00 and 1,333.33", s.Charges, s.Bonus)
	}
}

func TestStep7ChronicFailure(t *testing.T) {
	// 3 of the last 6: missed in 2025-02 and 2025-04 and now (2025-06).
	o := func(out Outcome) map[string]Outcome { return map[string]Outcome{"asa": out} }
	past := []*Past{
		{Period: "2024-12", Outcomes: o(Missed)}, // 7 periods back: outside the window
		{Period: "2025-01", Outcomes: o(Met)},
		{Period: "2025-02", Outcomes: o(Missed)},
		{Period: "2025-03", Outcomes: o(Met)},
		{Period: "2025-04", Outcomes: o(NoData)},
		nil, // 2025-05 not closed
	}
	for i := range past {
		if past[i] != nil {
			past[i].Charges, past[i].Credits = amount(0), amount(0)
		}
	}
	terms := Terms{Pricing: FixedPrice, Currency: "USD", MonthlyFee: amount(1_000_000), AtRiskBps: 1200}
	s, err := Compute(terms, "2025-06", []Result{{Level: critical("asa", 3000), Outcome: Missed}}, past)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Chronic) != 1 || strings.Join(s.Chronic[0].Missed, ",") != "2025-02,2025-04,2025-06" {
		t.Fatalf("chronic %+v, want asa missed in 2025-02, 2025-04, 2025-06", s.Chronic)
	}
	// Met now: 2 of 6, no chronic failure.
	if s, _ = Compute(terms, "2025-06", []Result{{Level: critical("asa", 3000), Outcome: Met}}, past); len(s.Chronic) != 0 {
		t.Errorf("chronic %+v, want none", s.Chronic)
	}
}

func TestQuarterlyLevelCountsItsQuarters(t *testing.T) {
	// A quarterly critical level has results only in March, June, …; the
	// months between do not break an earn-back or fill the chronic window.
	q := critical("q", 5000)
	o := func(out Outcome) map[string]Outcome {
		if out == NotEvaluated {
			return map[string]Outcome{}
		}
		return map[string]Outcome{"q": out}
	}
	past := []*Past{
		{Period: "2024-12", Outcomes: o(Missed)},
		{Period: "2025-01", Outcomes: o(NotEvaluated)},
		{Period: "2025-02", Outcomes: o(NotEvaluated)},
		{Period: "2025-03", Outcomes: o(Missed), Credited: map[string]money.Amount{"q": amount(60_000)}},
		{Period: "2025-04", Outcomes: o(NotEvaluated)},
		{Period: "2025-05", Outcomes: o(NotEvaluated)},
	}
	for _, p := range past {
		p.Charges, p.Credits = amount(1_000_000), amount(0)
	}
	terms := Terms{Pricing: FixedPrice, Currency: "USD", MonthlyFee: amount(1_000_000), AtRiskBps: 1200, EarnBackPeriods: 1}
	// Met in June: March's 600.00 is earned back (one evaluated period later).
	s, err := Compute(terms, "2025-06", []Result{{Level: q, Outcome: Met}}, past)
	if err != nil {
		t.Fatal(err)
	}
	if s.EarnBacks != amount(60_000) {
		t.Errorf("earn-back %v, want 600.00\n%s", s.EarnBacks, strings.Join(s.Texts(), "\n"))
	}
	// Missed in June: December, March and June are 3 of its last 6
	// evaluated periods → chronic failure.
	s, _ = Compute(terms, "2025-06", []Result{{Level: q, Outcome: Missed}}, past)
	if len(s.Chronic) != 1 || strings.Join(s.Chronic[0].Missed, ",") != "2024-12,2025-03,2025-06" {
		t.Errorf("chronic %+v", s.Chronic)
	}
}
