package warning

import (
	"math/big"
	"slices"
	"testing"
	"time"
)

func rat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic(s)
	}
	return r
}

// asa is "at least 80 % of calls answered within 20 s", critical.
var asa = Level{Key: "asa_20s", Critical: true, Budgeted: true, AtLeast: true, Target: rat("80")}

func TestAssess(t *testing.T) {
	for _, tc := range []struct {
		name       string
		level      Level
		in         Input
		used, b24  string // "" when nil
		burn       string
		conditions []Condition
	}{
		{
			// budget 20 %; 90 % within → 10 % failed → burn 10/20 = 0.5;
			// half the period gone → used 0.5 × 0.5 = 25 %. Last 24 h:
			// 85 % within → 15/20 = 0.75. Nothing raised.
			name:  "on track: half the budget's pace",
			level: asa,
			in:    Input{Period: Sample{rat("90"), 1000}, Last24h: Sample{rat("85"), 40}, Elapsed: rat("1/2"), Silent: time.Hour},
			used:  "1/4", burn: "1/2", b24: "3/4",
		},
		{
			// 88 % within → 12 % failed → burn 12/20 = 0.6; 5/6 of the
			// period gone → used 0.6 × 5/6 = 0.5 exactly: BUDGET_50.
			name:  "half the budget used",
			level: asa,
			in:    Input{Period: Sample{rat("88"), 600}, Elapsed: rat("5/6"), Silent: time.Hour},
			used:  "1/2", burn: "3/5",
			conditions: []Condition{Budget50},
		},
		{
			// 70 % within → 30 % failed → burn 30/20 = 1.5; 60 % elapsed →
			// used 1.5 × 0.6 = 0.9: 50 and 75. Last 24 h 60 % within → 40/20
			// = 2 > 1 and the period's 1.5 > 1: BURN_RATE.
			name:  "three quarters used and burning fast",
			level: asa,
			in:    Input{Period: Sample{rat("70"), 1000}, Last24h: Sample{rat("60"), 100}, Elapsed: rat("3/5"), Silent: time.Minute},
			used:  "9/10", burn: "3/2", b24: "2",
			conditions: []Condition{Budget50, Budget75, BurnRate},
		},
		{
			// 70 % within, whole period over → used 1.5 × 1 = 1.5 > 1:
			// missed. Last 24 h all within: burn 0, so no BURN_RATE.
			name:  "missed beyond recovery",
			level: asa,
			in:    Input{Period: Sample{rat("70"), 1000}, Last24h: Sample{rat("100"), 10}, Elapsed: rat("1"), Silent: time.Minute},
			used:  "3/2", burn: "3/2", b24: "0",
			conditions: []Condition{Budget50, Budget75, Missed},
		},
		{
			// Exactly on target at the end: 80 % within → burn 1, used 1:
			// not missed (the level is met at 80 %).
			name:  "exactly on target is not a miss",
			level: asa,
			in:    Input{Period: Sample{rat("80"), 100}, Elapsed: rat("1"), Silent: time.Minute},
			used:  "1", burn: "1",
			conditions: []Condition{Budget50, Budget75},
		},
		{
			// RATIO "at most 5 % abandoned": budget 5 %; value 8 % → failed
			// 8 % → burn 8/5 = 1.6; a quarter gone → used 0.4.
			name:  "at-most ratio",
			level: Level{Key: "abandon", Budgeted: true, AtLeast: false, Target: rat("5")},
			in:    Input{Period: Sample{rat("8"), 500}, Last24h: Sample{rat("10"), 50}, Elapsed: rat("1/4")},
			used:  "2/5", burn: "8/5", b24: "2",
			conditions: []Condition{BurnRate},
		},
		{
			name:       "critical level silent for a day",
			level:      asa,
			in:         Input{Elapsed: rat("1/3"), Silent: 25 * time.Hour},
			conditions: []Condition{NoData24h},
		},
		{
			name:  "a KPI silent for a day raises nothing",
			level: Level{Key: "fcr", Budgeted: true, AtLeast: true, Target: rat("70")},
			in:    Input{Elapsed: rat("1/3"), Silent: 25 * time.Hour},
		},
		{
			// A MEAN level has no budget: only the no-data rule applies.
			name:  "no budget without a share of events",
			level: Level{Key: "csat", Critical: true, Target: rat("4.2")},
			in:    Input{Period: Sample{rat("3"), 10}, Elapsed: rat("1/2"), Silent: time.Hour},
		},
		{
			// Target 100 %: the budget is 0; one failed event exhausts it.
			name:       "zero budget",
			level:      Level{Key: "payroll", Critical: true, Budgeted: true, AtLeast: true, Target: rat("100")},
			in:         Input{Period: Sample{rat("99.9"), 1000}, Elapsed: rat("1/10"), Silent: time.Hour},
			conditions: []Condition{Budget50, Budget75, Missed},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := Assess(tc.level, tc.in)
			check := func(what string, got *big.Rat, want string) {
				t.Helper()
				switch {
				case want == "" && got != nil:
					t.Errorf("%s = %s, want none", what, got.RatString())
				case want != "" && (got == nil || got.Cmp(rat(want)) != 0):
					t.Errorf("%s = %v, want %s", what, got, want)
				}
			}
			check("used", a.Used, tc.used)
			check("burn", a.BurnPeriod, tc.burn)
			check("burn 24h", a.Burn24h, tc.b24)
			if !slices.Equal(a.Conditions, tc.conditions) {
				t.Errorf("conditions %v, want %v (%s)", a.Conditions, tc.conditions, a.Explanation)
			}
		})
	}
}

func TestElapsed(t *testing.T) {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 1, 0) // 30 days
	if got := Elapsed(start, end, start.Add(72*time.Hour)); got.Cmp(big.NewRat(1, 10)) != 0 {
		t.Errorf("3 of 30 days = %s, want 1/10", got.RatString())
	}
	if got := Elapsed(start, end, end.Add(time.Hour)); got.Cmp(big.NewRat(1, 1)) != 0 {
		t.Errorf("after the end = %s, want 1", got.RatString())
	}
}

func TestDecimal(t *testing.T) {
	for in, want := range map[string]string{"1/3": "0.3333", "2/3": "0.6667", "1/20000": "0", "3/20000": "0.0002", "5/2": "2.5", "-1/2": "-0.5"} {
		if got := Decimal(rat(in)); got != want {
			t.Errorf("Decimal(%s) = %s, want %s", in, got, want)
		}
	}
}
