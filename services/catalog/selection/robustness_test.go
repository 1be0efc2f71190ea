package selection_test

import (
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/services/catalog/selection"
)

// The worked example. Weights EXPERTISE 40, LOCATION 20, COST 40; one
// evaluator.
//
//	A: TCV 1 000 000 (cost 10), offshore (location 4), expertise 6
//	   total = 40×0.6 + 20×0.4 + 40×1.0 = 24 + 8 + 40 = 72
//	B: TCV 1 250 000 (cost 10 × 1 000 000 / 1 250 000 = 8), onshore (10), expertise 9
//	   total = 40×0.9 + 20×1.0 + 40×0.8 = 36 + 20 + 32 = 88
//
// B leads by 16. Raising COST by δ rescales the other two by (60 − δ)/60:
//
//	A = 32 (60 − δ)/60 + (40 + δ)×1.0,  B = 56 (60 − δ)/60 + (40 + δ)×0.8
//	A − B = −16 + 0.6 δ  > 0  ⇔  δ > 26.67  →  27 points (COST 40 → 67):
//	at 27: A = 17.6 + 67 = 84.60, B = 30.8 + 53.6 = 84.40 (A ahead);
//	at 26: A = 84.13, B = 84.53 (B still ahead).
//
// Cutting LOCATION by δ gives A − B = −16 + 0.55 δ, needing 30 points of
// a weight of 20; cutting EXPERTISE gives −16 + 0.2333 δ, needing 69 of
// 40; raising EXPERTISE or LOCATION or cutting COST widens B's lead. So
// the answer is COST +27.
func TestRobustnessWorkedExample(t *testing.T) {
	criteria := []*catalogv1.CriterionWeight{
		{Criterion: catalogv1.Criterion_CRITERION_EXPERTISE, Weight: 40},
		{Criterion: catalogv1.Criterion_CRITERION_LOCATION, Weight: 20},
		{Criterion: catalogv1.Criterion_CRITERION_COST, Weight: 40},
	}
	cands := []selection.Candidate{
		{Proposal: "A", TCV: usd(1_000_000), Shore: catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE,
			Scores: map[string]map[catalogv1.Criterion]int32{"ev": {catalogv1.Criterion_CRITERION_EXPERTISE: 6}}},
		{Proposal: "B", TCV: usd(1_250_000), Shore: catalogv1.ShoreModel_SHORE_MODEL_ONSHORE,
			Scores: map[string]map[catalogv1.Criterion]int32{"ev": {catalogv1.Criterion_CRITERION_EXPERTISE: 9}}},
	}
	r := selection.Rank(criteria, []string{"ev"}, cands)
	if r.Top() != "B" || selection.Decimal2(r.Proposals[0].Total) != "88.00" || selection.Decimal2(r.Proposals[1].Total) != "72.00" {
		t.Fatalf("ranking %s %s / %s %s, want B 88.00, A 72.00", r.Proposals[0].Proposal, selection.Decimal2(r.Proposals[0].Total), r.Proposals[1].Proposal, selection.Decimal2(r.Proposals[1].Total))
	}
	got, ok := selection.RobustnessOf(r)
	want := selection.Robustness{Leader: "B", RunnerUp: "A", Found: true, Criterion: catalogv1.Criterion_CRITERION_COST, Weight: 40, Change: 27}
	if !ok || got != want {
		t.Fatalf("robustness = %+v, want %+v", got, want)
	}
	if s := got.Summary(); s != "The lead of B over A holds until COST moves +27 points (from 40 to 67, the other weights rescaled to keep 100)." {
		t.Errorf("summary %q", s)
	}
}

// A lead that no single weight can undo: A beats B on every criterion.
func TestRobustnessNoSwap(t *testing.T) {
	criteria := []*catalogv1.CriterionWeight{
		{Criterion: catalogv1.Criterion_CRITERION_EXPERTISE, Weight: 50},
		{Criterion: catalogv1.Criterion_CRITERION_COST, Weight: 50},
	}
	cands := []selection.Candidate{
		{Proposal: "A", TCV: usd(100), Scores: map[string]map[catalogv1.Criterion]int32{"ev": {catalogv1.Criterion_CRITERION_EXPERTISE: 9}}},
		{Proposal: "B", TCV: usd(200), Scores: map[string]map[catalogv1.Criterion]int32{"ev": {catalogv1.Criterion_CRITERION_EXPERTISE: 5}}},
	}
	got, ok := selection.RobustnessOf(selection.Rank(criteria, []string{"ev"}, cands))
	if !ok || got.Found {
		t.Fatalf("robustness = %+v, want none found", got)
	}
	if _, ok := selection.RobustnessOf(selection.Rank(criteria, []string{"ev"}, cands[:1])); ok {
		t.Error("robustness of a single proposal")
	}
}

// Location scores follow the engagement's preference order: 10 / 7 / 4 by
// place, 0 for a model left out.
func TestLocationScoreFor(t *testing.T) {
	on, near, off := catalogv1.ShoreModel_SHORE_MODEL_ONSHORE, catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE, catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE
	tests := []struct {
		pref  []catalogv1.ShoreModel
		shore catalogv1.ShoreModel
		want  string
	}{
		{nil, on, "10.00"}, {nil, near, "7.00"}, {nil, off, "4.00"},
		// A client that prefers nearshore, then offshore, then onshore.
		{[]catalogv1.ShoreModel{near, off, on}, near, "10.00"},
		{[]catalogv1.ShoreModel{near, off, on}, off, "7.00"},
		{[]catalogv1.ShoreModel{near, off, on}, on, "4.00"},
		// Onshore only: the others score 0.
		{[]catalogv1.ShoreModel{on}, off, "0.00"},
		{nil, catalogv1.ShoreModel_SHORE_MODEL_UNSPECIFIED, "0.00"},
	}
	for _, tt := range tests {
		if got := selection.Decimal2(selection.LocationScoreFor(tt.pref, tt.shore)); got != tt.want {
			t.Errorf("LocationScoreFor(%v, %v) = %s, want %s", tt.pref, tt.shore, got, tt.want)
		}
	}
}
