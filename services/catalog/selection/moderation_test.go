package selection_test

import (
	"errors"
	"strings"
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/services/catalog/selection"
)

// TestRankWithConfirmations: a confirmation lifts the flag only while the
// lowest and highest scores are the ones it confirmed.
// spec: catalog.md §3 "Evaluation" step 2.
func TestRankWithConfirmations(t *testing.T) {
	criteria := []*catalogv1.CriterionWeight{{Criterion: expertise, Weight: 50}, {Criterion: cost, Weight: 50}}
	evaluators := []string{"eva", "ed", "ann"}
	cand := func(confirmed map[catalogv1.Criterion]selection.Spread, byEvaluator map[string]int32) selection.Candidate {
		c := selection.Candidate{Proposal: "A", TCV: usd(100), Scores: map[string]map[catalogv1.Criterion]int32{}, Confirmed: confirmed}
		for ev, s := range byEvaluator {
			c.Scores[ev] = map[catalogv1.Criterion]int32{expertise: s}
		}
		return c
	}
	at := func(lo, hi int32) map[catalogv1.Criterion]selection.Spread {
		return map[catalogv1.Criterion]selection.Spread{expertise: {Low: lo, High: hi}}
	}
	tests := []struct {
		name          string
		cand          selection.Candidate
		wantSpread    selection.Spread
		wantConfirmed bool
		wantFlag      bool // NeedsModeration
		wantEvaluated bool
		wantTotal     string
	}{
		// 2, 5, 8: spread 8 − 2 = 6 > 4, nothing confirmed. Mean 5; total
		// (50×5 + 50×10)/10 = 75.
		{"flagged and not confirmed blocks", cand(nil, map[string]int32{"eva": 2, "ed": 5, "ann": 8}), selection.Spread{Low: 2, High: 8}, false, true, false, "75.00"},
		// The confirmation of 2–8 is in force: the event may be EVALUATED;
		// the scores (and the total) stand as they are.
		{"confirmed at this spread no longer blocks", cand(at(2, 8), map[string]int32{"eva": 2, "ed": 5, "ann": 8}), selection.Spread{Low: 2, High: 8}, true, false, true, "75.00"},
		// ed revises 5 → 7, between the two: still 2–8, still confirmed.
		// Mean (2+7+8)/3 = 17/3; total (50×17/3 + 500)/10 = 78.33.
		{"a revision between lowest and highest keeps it", cand(at(2, 8), map[string]int32{"eva": 2, "ed": 7, "ann": 8}), selection.Spread{Low: 2, High: 8}, true, false, true, "78.33"},
		// ann revises 8 → 9: 2–9 is not what was confirmed; flagged again.
		// Mean 16/3; total (50×16/3 + 500)/10 = 76.67.
		{"a revision of the highest invalidates it", cand(at(2, 8), map[string]int32{"eva": 2, "ed": 5, "ann": 9}), selection.Spread{Low: 2, High: 9}, false, true, false, "76.67"},
		// eva revises 2 → 3: 3–8 (spread 5, still flagged) is not 2–8.
		// Mean 16/3: 76.67.
		{"a revision of the lowest invalidates it", cand(at(2, 8), map[string]int32{"eva": 3, "ed": 5, "ann": 8}), selection.Spread{Low: 3, High: 8}, false, true, false, "76.67"},
		// eva revises 2 → 4: 4–8 is within 4 points; nothing to moderate.
		// Mean 17/3: 78.33.
		{"a revision within 4 points needs no confirmation", cand(at(2, 8), map[string]int32{"eva": 4, "ed": 5, "ann": 8}), selection.Spread{Low: 4, High: 8}, false, false, true, "78.33"},
		// ann has not scored yet: 2–5 is fine but the ranking is
		// incomplete; mean 3.5, total (175 + 500)/10 = 67.50.
		{"a confirmation does not make a ranking complete", cand(at(2, 8), map[string]int32{"eva": 2, "ed": 5}), selection.Spread{Low: 2, High: 5}, false, false, false, "67.50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := selection.Rank(criteria, evaluators, []selection.Candidate{tt.cand})
			got := r.Proposals[0].Criteria[0]
			if got.Spread != tt.wantSpread || got.Confirmed != tt.wantConfirmed || got.NeedsModeration != tt.wantFlag {
				t.Errorf("spread %v, confirmed %v, needs moderation %v; want %v, %v, %v", got.Spread, got.Confirmed, got.NeedsModeration, tt.wantSpread, tt.wantConfirmed, tt.wantFlag)
			}
			if r.NeedsModeration != tt.wantFlag || r.Evaluated() != tt.wantEvaluated {
				t.Errorf("ranking needs moderation %v, evaluated %v; want %v, %v", r.NeedsModeration, r.Evaluated(), tt.wantFlag, tt.wantEvaluated)
			}
			if total := selection.Decimal2(r.Proposals[0].Total); total != tt.wantTotal {
				t.Errorf("total %s, want %s", total, tt.wantTotal)
			}
		})
	}
}

func TestCheckModeration(t *testing.T) {
	criteria := []*catalogv1.CriterionWeight{
		{Criterion: expertise, Weight: 40}, {Criterion: technology, Weight: 20}, {Criterion: scalability, Weight: 0},
		{Criterion: location, Weight: 10}, {Criterion: cost, Weight: 30},
	}
	// eva and ed: expertise 1 and 9 (flagged), technology 5 and 7 (not).
	ranked := selection.Rank(criteria, []string{"eva", "ed"}, []selection.Candidate{{
		Proposal: "sourcingEvents/e/proposals/a", TCV: usd(100),
		Scores: map[string]map[catalogv1.Criterion]int32{"eva": {expertise: 1, technology: 5}, "ed": {expertise: 9, technology: 7}},
	}}).Proposals[0]
	tests := []struct {
		name       string
		confirm    []catalogv1.Criterion
		wantErr    bool
		wantKind   apperr.Kind
		wantField  string
		wantInMsg  string
		wantSpread selection.Spread
	}{
		{"a flagged criterion is confirmed with its spread", []catalogv1.Criterion{expertise}, false, 0, "", "", selection.Spread{Low: 1, High: 9}},
		{"an unflagged criterion is refused", []catalogv1.Criterion{technology}, true, apperr.FailedPrecondition, "", "TECHNOLOGY (scores 5–7)", selection.Spread{}},
		{"one unflagged among flagged refuses all", []catalogv1.Criterion{expertise, technology}, true, apperr.FailedPrecondition, "", "not flagged NEEDS_MODERATION", selection.Spread{}},
		{"an automatic criterion is not moderated", []catalogv1.Criterion{expertise, cost}, true, apperr.InvalidArgument, "criteria[1]", "COST", selection.Spread{}},
		{"a criterion weighted 0 is not moderated", []catalogv1.Criterion{scalability}, true, apperr.InvalidArgument, "criteria[0]", "SCALABILITY", selection.Spread{}},
		{"a criterion not on the event is not moderated", []catalogv1.Criterion{security}, true, apperr.InvalidArgument, "criteria[0]", "SECURITY_COMPLIANCE", selection.Spread{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := selection.CheckModeration(criteria, ranked, tt.confirm, "criteria")
			if !tt.wantErr {
				if err != nil || len(got) != 1 || got[0].Spread != tt.wantSpread || got[0].Criterion != tt.confirm[0] {
					t.Fatalf("CheckModeration = %v, %v; want %v at %v", got, err, tt.confirm[0], tt.wantSpread)
				}
				return
			}
			if apperr.KindOf(err) != tt.wantKind || !strings.Contains(err.Error(), tt.wantInMsg) {
				t.Fatalf("CheckModeration error %v; want kind %d mentioning %q", err, tt.wantKind, tt.wantInMsg)
			}
			if tt.wantField != "" {
				var ae *apperr.Error
				if !errors.As(err, &ae) || len(ae.Violations) != 1 || ae.Violations[0].Field != tt.wantField {
					t.Errorf("violations of %v, want one of %s", err, tt.wantField)
				}
			}
		})
	}
}
