package scorecard

import (
	"math/big"
	"slices"
	"testing"
)

func TestCompute(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       Input
		score    int
		critical string // C as a fraction
		trend    []int
		delta    string // "" when none
	}{
		{
			// Everything met, no credit: 60 + 20 + 20 = 100.
			name: "a clean period",
			in: Input{Levels: []Level{
				{Key: "asa", Critical: true, AllocationBps: 6000, Outcome: Met},
				{Key: "aht", Outcome: Met},
			}, Charges: 9_500_000, AtRisk: 950_000},
			score: 100, critical: "1", trend: []int{100},
		},
		{
			// Critical asa (60 %) missed, abandon (40 %) met: C = 4000/10000
			// = 0.4. KPI aht met, csat missed: K = 1/2. Credit = 950,000 ×
			// 60 % = 570,000 of 950,000 at risk: R = 0.6.
			// 60 × 0.4 + 20 × 0.5 + 20 × 0.4 = 24 + 10 + 8 = 42.
			// Earlier 80, 70 → mean 75 → delta 42 − 75 = −33.
			name: "one heavy critical level missed",
			in: Input{Levels: []Level{
				{Key: "asa", Critical: true, AllocationBps: 6000, Outcome: Missed},
				{Key: "abandon", Critical: true, AllocationBps: 4000, Outcome: Met},
				{Key: "aht", Outcome: Met},
				{Key: "csat", Outcome: Missed},
				{Key: "weekly", Outcome: NotEvaluated},
			}, Charges: 9_500_000, AtRisk: 950_000, Credit: 570_000, Earlier: []int{80, 70}},
			score: 42, critical: "2/5", trend: []int{80, 70, 42}, delta: "-33",
		},
		{
			// NO_DATA counts as not met. No allocations: each critical
			// counts once, 1 of 2 → C = 1/2. No KPIs → K = 1. Nothing at
			// risk → R = 0. 30 + 20 + 20 = 70.
			name: "no data, no allocations, nothing at risk",
			in: Input{Levels: []Level{
				{Key: "a", Critical: true, Outcome: NoData},
				{Key: "b", Critical: true, Outcome: Met},
			}, Charges: 100},
			score: 70, critical: "1/2", trend: []int{70},
		},
		{
			// C = 1/3 → 60/3 = 20; K = 1 → 20; R = 1/3 → 20 × 2/3 = 13⅓.
			// 53⅓ rounds to 53. 13 earlier scores: only the last 11 stay.
			name: "a third, rounded, and a trend of 12",
			in: Input{Levels: []Level{
				{Key: "a", Critical: true, AllocationBps: 1000, Outcome: Met},
				{Key: "b", Critical: true, AllocationBps: 2000, Outcome: Missed},
			}, Charges: 3000, AtRisk: 300, Credit: 100, Earlier: []int{1, 2, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10}},
			score: 53, critical: "1/3", trend: []int{10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 53}, delta: "43",
		},
		{
			// 60 × 1/2 + 20 × 1/2 + 20 × (1 − 3/8) = 30 + 10 + 12.5 =
			// 52.5 → half-even → 52.
			name: "half rounds to even",
			in: Input{Levels: []Level{
				{Key: "a", Critical: true, AllocationBps: 5000, Outcome: Met},
				{Key: "b", Critical: true, AllocationBps: 5000, Outcome: Missed},
				{Key: "k1", Outcome: Met},
				{Key: "k2", Outcome: Missed},
			}, Charges: 8000, AtRisk: 800, Credit: 300},
			score: 52, critical: "1/2", trend: []int{52},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Compute(tc.in)
			if c.Score != tc.score {
				t.Errorf("score %d, want %d\n%v", c.Score, tc.score, c.Explanation)
			}
			want, _ := new(big.Rat).SetString(tc.critical)
			if c.CriticalMet.Cmp(want) != 0 {
				t.Errorf("C = %s, want %s", c.CriticalMet.RatString(), tc.critical)
			}
			if !slices.Equal(c.Trend, tc.trend) {
				t.Errorf("trend %v, want %v", c.Trend, tc.trend)
			}
			got := ""
			if c.Delta != nil {
				got = Decimal(c.Delta)
			}
			if got != tc.delta {
				t.Errorf("delta %q, want %q", got, tc.delta)
			}
		})
	}
}

func TestDecimal(t *testing.T) {
	for in, want := range map[string]string{"1/3": "0.33", "5/2": "2.5", "-33": "-33", "1/200": "0", "3/200": "0.02", "0": "0"} {
		r, _ := new(big.Rat).SetString(in)
		if got := Decimal(r); got != want {
			t.Errorf("Decimal(%s) = %s, want %s", in, got, want)
		}
	}
}
