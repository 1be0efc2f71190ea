package provider

import (
	"fmt"
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"google.golang.org/genproto/googleapis/type/date"
)

func score(contract, period string, s int32, y, m, d int32) *catalogv1.PeriodScore {
	return &catalogv1.PeriodScore{Contract: contract, Period: period, Score: s, PeriodEnd: &date.Date{Year: y, Month: m, Day: d}}
}

func TestStandingThresholds(t *testing.T) {
	tests := []struct {
		scores []int32
		want   catalogv1.Standing
	}{
		{nil, catalogv1.Standing_STANDING_UNSPECIFIED},
		{[]int32{80}, catalogv1.Standing_STANDING_EXCELLENT},
		// (80 + 79) / 2 = 79.5 < 80: AVERAGE, never rounded up to 80.
		{[]int32{80, 79}, catalogv1.Standing_STANDING_AVERAGE},
		{[]int32{50}, catalogv1.Standing_STANDING_AVERAGE},
		// (50 + 49 + 50) / 3 = 49.67 < 50: POOR.
		{[]int32{50, 49, 50}, catalogv1.Standing_STANDING_POOR},
		{[]int32{30}, catalogv1.Standing_STANDING_POOR},
		{[]int32{29}, catalogv1.Standing_STANDING_VERY_POOR},
		{[]int32{0, 100}, catalogv1.Standing_STANDING_AVERAGE}, // 50
	}
	for _, tt := range tests {
		var perf []*catalogv1.PeriodScore
		for i, s := range tt.scores {
			perf = append(perf, score("contracts/a", fmt.Sprintf("2026-%02d", i+1), s, 2026, int32(i+1), 28))
		}
		if got := Standing(perf); got != tt.want {
			t.Errorf("Standing(%v) = %v, want %v", tt.scores, got, tt.want)
		}
	}
}

// The standing averages the newest 12 scores of all contracts together:
// twelve months of 90 under contract b (Jan–Dec 2026) and an older 0
// under contract a (Dec 2025) → the 0 is the 13th newest and does not
// count: average 90, EXCELLENT. A thirteenth 90 is not needed to push it
// out; adding a newer 0 (Jan 2027) instead makes the window
// 0 + 11 × 90 = 990 / 12 = 82.5: still EXCELLENT; three newer 0s make it
// 9 × 90 / 12 = 67.5: AVERAGE.
func TestStandingUsesTheNewestTwelveAcrossContracts(t *testing.T) {
	var perf []*catalogv1.PeriodScore
	var changed bool
	perf, _ = RecordScore(perf, score("contracts/a", "2025-12", 0, 2025, 12, 31))
	for m := int32(1); m <= 12; m++ {
		perf, _ = RecordScore(perf, score("contracts/b", fmt.Sprintf("2026-%02d", m), 90, 2026, m, 28))
	}
	if got := Standing(perf); got != catalogv1.Standing_STANDING_EXCELLENT {
		t.Fatalf("standing = %v, want EXCELLENT (the old 0 is the 13th)", got)
	}
	if avg := Average(perf); avg != "90.00 over 12 period(s)" {
		t.Errorf("Average = %q", avg)
	}
	perf, _ = RecordScore(perf, score("contracts/a", "2027-01", 0, 2027, 1, 31))
	if avg := Average(perf); avg != "82.50 over 12 period(s)" {
		t.Errorf("Average = %q, want 82.50", avg)
	}
	perf, _ = RecordScore(perf, score("contracts/a", "2027-02", 0, 2027, 2, 28))
	perf, changed = RecordScore(perf, score("contracts/a", "2027-03", 0, 2027, 3, 31))
	if !changed {
		t.Fatal("a new period reported as unchanged")
	}
	if got := Standing(perf); got != catalogv1.Standing_STANDING_AVERAGE {
		t.Fatalf("standing = %v (%s), want AVERAGE (67.5)", got, Average(perf))
	}
	// Newest first.
	if perf[0].GetPeriod() != "2027-03" || perf[len(perf)-1].GetPeriod() != "2025-12" {
		t.Errorf("order: first %s last %s, want 2027-03 … 2025-12", perf[0].GetPeriod(), perf[len(perf)-1].GetPeriod())
	}
}

func TestRecordScoreReplacesARestatedPeriodAndKeepsTwelvePerContract(t *testing.T) {
	var perf []*catalogv1.PeriodScore
	for m := int32(1); m <= 13; m++ {
		perf, _ = RecordScore(perf, score("contracts/a", fmt.Sprintf("%d-%02d", 2026+m/12, m%12+1), 70, 2026+m/12, m%12+1, 28))
	}
	// 13 months reported under one contract: the oldest dropped.
	if len(perf) != 12 {
		t.Fatalf("kept %d scores, want 12", len(perf))
	}
	restated, changed := RecordScore(perf, score("contracts/a", "2026-05", 20, 2026, 5, 28))
	if !changed || len(restated) != 12 {
		t.Fatalf("restatement: changed %v, %d scores; want changed, still 12", changed, len(restated))
	}
	n := 0
	for _, p := range restated {
		if p.GetPeriod() == "2026-05" {
			n++
			if p.GetScore() != 20 {
				t.Errorf("2026-05 score %d, want the restated 20", p.GetScore())
			}
		}
	}
	if n != 1 {
		t.Errorf("2026-05 appears %d times, want once", n)
	}
	if _, changed := RecordScore(restated, score("contracts/a", "2026-05", 20, 2026, 5, 28)); changed {
		t.Error("the same report again changed the performance")
	}
}

func TestCheckScore(t *testing.T) {
	if err := CheckScore(score("contracts/a", "2026-Q3", 55, 2026, 9, 30), "score"); err != nil {
		t.Fatalf("valid score refused: %v", err)
	}
	for _, bad := range []*catalogv1.PeriodScore{
		score("", "2026-10", 50, 2026, 10, 31),
		score("contracts/a", "October", 50, 2026, 10, 31),
		score("contracts/a", "2026-10", 101, 2026, 10, 31),
		score("contracts/a", "2026-10", 50, 2026, 2, 30),
		{Contract: "contracts/a", Period: "2026-10", Score: 50},
	} {
		if err := CheckScore(bad, "score"); err == nil {
			t.Errorf("CheckScore(%v) accepted it", bad)
		}
	}
}
