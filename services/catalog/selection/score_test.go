package selection_test

import (
	"math/big"
	"slices"
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/money"
	"github.com/acme/bpo/services/catalog/selection"
)

const (
	expertise     = catalogv1.Criterion_CRITERION_EXPERTISE
	technology    = catalogv1.Criterion_CRITERION_TECHNOLOGY
	communication = catalogv1.Criterion_CRITERION_COMMUNICATION
	scalability   = catalogv1.Criterion_CRITERION_SCALABILITY
	security      = catalogv1.Criterion_CRITERION_SECURITY_COMPLIANCE
	location      = catalogv1.Criterion_CRITERION_LOCATION
	cost          = catalogv1.Criterion_CRITERION_COST
)

func usd(minor int64) money.Amount { return money.New("USD", minor) }

// scores builds one evaluator's scores of the five evaluated criteria, in
// the order expertise, technology, communication, scalability, security.
func scores(exp, tech, comm, scal, sec int32) map[catalogv1.Criterion]int32 {
	return map[catalogv1.Criterion]int32{expertise: exp, technology: tech, communication: comm, scalability: scal, security: sec}
}

func TestCostScore(t *testing.T) {
	tests := []struct {
		name         string
		lowest, this int64
		want         *big.Rat
		wantShown    string
	}{
		{"the lowest TCV scores 10", 360_000_000, 360_000_000, big.NewRat(10, 1), "10.00"},
		// 10 × 3 600 000 / 4 320 000 = 25/3 = 8.333…
		{"20 % dearer", 360_000_000, 432_000_000, big.NewRat(25, 3), "8.33"},
		// 10 × 3 600 000 / 5 400 000 = 20/3 = 6.666…
		{"50 % dearer", 360_000_000, 540_000_000, big.NewRat(20, 3), "6.67"},
		// 10 × 1 / 3 = 3.333…
		{"three times the price", 100, 300, big.NewRat(10, 3), "3.33"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := selection.CostScore(usd(tt.lowest), usd(tt.this))
			if got.Cmp(tt.want) != 0 || selection.Decimal2(got) != tt.wantShown {
				t.Errorf("CostScore = %v (%s), want %v (%s)", got, selection.Decimal2(got), tt.want, tt.wantShown)
			}
		})
	}
}

func TestDecimal2RoundsHalfEven(t *testing.T) {
	tests := []struct {
		r    *big.Rat
		want string
	}{
		{big.NewRat(83, 1), "83.00"},
		{big.NewRat(125, 1000), "0.12"}, // 12.5 hundredths: tie, to the even 12
		{big.NewRat(135, 1000), "0.14"}, // 13.5: tie, to the even 14
		{big.NewRat(1, 3), "0.33"},
		{big.NewRat(2, 3), "0.67"},
		{big.NewRat(30525, 400), "76.31"}, // 76.3125
		{big.NewRat(0, 1), "0.00"},
	}
	for _, tt := range tests {
		if got := selection.Decimal2(tt.r); got != tt.want {
			t.Errorf("Decimal2(%v) = %s, want %s", tt.r, got, tt.want)
		}
	}
}

// TestRankThreeProposals ranks three qualified proposals of an event with
// the default weights (expertise 20, technology 10, communication 10,
// scalability 10, security 15, location 5, cost 30) over 36 months and two
// evaluators.
//
//	A, Manila (offshore, 4):  USD 100 000/month → TCV 3 600 000, cost 10
//	B, Bogotá (nearshore, 7): USD 120 000/month → TCV 4 320 000, cost 10 × 3.6/4.32 = 25/3
//	C, Chicago (onshore, 10): USD 150 000/month → TCV 5 400 000, cost 10 × 3.6/5.4 = 20/3
//
// Means of the two evaluators, and totals Σ weight × score / 10:
//
//	A: exp (6+8)/2=7, tech 7, comm (5+6)/2=5.5, scal 8, sec (7+6)/2=6.5
//	   (20×7 + 10×7 + 10×5.5 + 10×8 + 15×6.5 + 5×4 + 30×10) / 10
//	   = (140 + 70 + 55 + 80 + 97.5 + 20 + 300) / 10 = 762.5 / 10 = 76.25
//	B: exp 8.5, tech 7.5, comm 8.5, scal 7, sec 8.5
//	   (170 + 75 + 85 + 70 + 127.5 + 35 + 30×25/3=250) / 10 = 812.5 / 10 = 81.25
//	C: exp 9, tech 8.5, comm 9.5, scal 8.5, sec 9
//	   (180 + 85 + 95 + 85 + 135 + 50 + 30×20/3=200) / 10 = 830 / 10 = 83.00
//
// So C ranks first though it is the dearest, then B, then A.
func TestRankThreeProposals(t *testing.T) {
	cands := []selection.Candidate{
		{Proposal: "A", TCV: usd(360_000_000), Shore: catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE, Scores: map[string]map[catalogv1.Criterion]int32{
			"eva": scores(6, 7, 5, 8, 7), "ed": scores(8, 7, 6, 8, 6)}},
		{Proposal: "B", TCV: usd(432_000_000), Shore: catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE, Scores: map[string]map[catalogv1.Criterion]int32{
			"eva": scores(8, 8, 9, 7, 8), "ed": scores(9, 7, 8, 7, 9)}},
		{Proposal: "C", TCV: usd(540_000_000), Shore: catalogv1.ShoreModel_SHORE_MODEL_ONSHORE, Scores: map[string]map[catalogv1.Criterion]int32{
			"eva": scores(9, 9, 10, 8, 9), "ed": scores(9, 8, 9, 9, 9)}},
	}
	r := selection.Rank(selection.DefaultCriteria(), []string{"eva", "ed"}, cands)
	if !r.Complete || r.NeedsModeration || !r.Evaluated() {
		t.Fatalf("complete %v, needs moderation %v: want a complete ranking needing no moderation", r.Complete, r.NeedsModeration)
	}
	type row struct {
		rank     int
		proposal string
		total    string
		scores   []string // in the order of the default criteria
	}
	want := []row{
		{1, "C", "83.00", []string{"9.00", "8.50", "9.50", "8.50", "9.00", "10.00", "6.67"}},
		{2, "B", "81.25", []string{"8.50", "7.50", "8.50", "7.00", "8.50", "7.00", "8.33"}},
		{3, "A", "76.25", []string{"7.00", "7.00", "5.50", "8.00", "6.50", "4.00", "10.00"}},
	}
	var got []row
	for _, p := range r.Proposals {
		var s []string
		for _, c := range p.Criteria {
			s = append(s, selection.Decimal2(c.Score))
		}
		got = append(got, row{p.Rank, p.Proposal, selection.Decimal2(p.Total), s})
	}
	if !slices.EqualFunc(got, want, func(a, b row) bool {
		return a.rank == b.rank && a.proposal == b.proposal && a.total == b.total && slices.Equal(a.scores, b.scores)
	}) {
		t.Fatalf("ranking\n got %v\nwant %v", got, want)
	}
	// The totals are exact: B's 81.25 carries 30 × 25/3 / 10 = 25 exactly.
	if b, _ := r.Find("B"); b.Total.Cmp(big.NewRat(8125, 100)) != 0 {
		t.Errorf("B's exact total %v, want 81.25", b.Total)
	}
	if r.Top() != "C" {
		t.Errorf("Top = %s, want C", r.Top())
	}
}

func TestRankTieGoesToTheLowerTCV(t *testing.T) {
	// Expertise 100 %, cost 0 %: both score 8 → totals 80.00 each.
	criteria := []*catalogv1.CriterionWeight{{Criterion: expertise, Weight: 100}, {Criterion: cost, Weight: 0}}
	cands := []selection.Candidate{
		{Proposal: "A", TCV: usd(500), Scores: map[string]map[catalogv1.Criterion]int32{"eva": {expertise: 8}}},
		{Proposal: "B", TCV: usd(400), Scores: map[string]map[catalogv1.Criterion]int32{"eva": {expertise: 8}}},
	}
	r := selection.Rank(criteria, []string{"eva"}, cands)
	if r.Proposals[0].Proposal != "B" || selection.Decimal2(r.Proposals[0].Total) != "80.00" || selection.Decimal2(r.Proposals[1].Total) != "80.00" {
		t.Fatalf("order %s (%s), %s (%s); want B first at 80.00, A second at 80.00",
			r.Proposals[0].Proposal, selection.Decimal2(r.Proposals[0].Total), r.Proposals[1].Proposal, selection.Decimal2(r.Proposals[1].Total))
	}
}

// TestRankTiesOnTheTotalToTwoDecimals: the total is two decimals (spec:
// catalog.md §3 "Evaluation" step 4), so totals that show alike tie, and
// the lower TCV wins, though the other's exact total is higher.
//
//	expertise 70, cost 30; one evaluator.
//	A: TCV 23 000, cost 10, expertise 7 → (490 + 300) / 10 = 79.00 exactly.
//	B: TCV 29 999, cost 10 × 23 000 / 29 999 = 230 000/29 999 = 7.666922…,
//	   expertise 8 → (560 + 30 × 7.666922…) / 10 = (560 + 230.00767…) / 10
//	   = 79.000767… → 79.00.
//
// Both are 79.00: A, the cheaper, ranks first.
func TestRankTiesOnTheTotalToTwoDecimals(t *testing.T) {
	criteria := []*catalogv1.CriterionWeight{{Criterion: expertise, Weight: 70}, {Criterion: cost, Weight: 30}}
	cands := []selection.Candidate{
		{Proposal: "B", TCV: usd(29_999), Scores: map[string]map[catalogv1.Criterion]int32{"eva": {expertise: 8}}},
		{Proposal: "A", TCV: usd(23_000), Scores: map[string]map[catalogv1.Criterion]int32{"eva": {expertise: 7}}},
	}
	r := selection.Rank(criteria, []string{"eva"}, cands)
	b, _ := r.Find("B")
	if want := new(big.Rat).Add(big.NewRat(56, 1), big.NewRat(690_000, 29_999)); b.Total.Cmp(want) != 0 {
		t.Fatalf("B's exact total %v, want 56 + 690 000/29 999", b.Total)
	}
	var got []string
	for _, p := range r.Proposals {
		got = append(got, p.Proposal+" "+selection.Decimal2(p.Total))
	}
	if want := []string{"A 79.00", "B 79.00"}; !slices.Equal(got, want) {
		t.Errorf("ranking %v, want %v: equal totals, the lower TCV first", got, want)
	}
}

func TestRankModerationAndCompleteness(t *testing.T) {
	criteria := []*catalogv1.CriterionWeight{{Criterion: expertise, Weight: 50}, {Criterion: cost, Weight: 50}}
	one := func(eva, ed int32) []selection.Candidate {
		return []selection.Candidate{{Proposal: "A", TCV: usd(100), Scores: map[string]map[catalogv1.Criterion]int32{"eva": {expertise: eva}, "ed": {expertise: ed}}}}
	}
	tests := []struct {
		name           string
		evaluators     []string
		cands          []selection.Candidate
		wantModeration bool
		wantComplete   bool
		wantEvaluated  bool
		wantTotal      string
	}{
		// 3 and 7 differ by 4: fine. Mean 5; total (50×5 + 50×10)/10 = 75.
		{"a spread of 4 points needs no moderation", []string{"eva", "ed"}, one(3, 7), false, true, true, "75.00"},
		// 2 and 7 differ by 5 > 4: flagged; the event cannot be EVALUATED.
		// Mean 4.5; total (225 + 500)/10 = 72.5.
		{"a spread of 5 points needs moderation", []string{"eva", "ed"}, one(2, 7), true, true, false, "72.50"},
		// A third evaluator has not scored: incomplete.
		{"an evaluator who has not scored", []string{"eva", "ed", "ann"}, one(5, 5), false, false, false, "75.00"},
		// Scores of someone no longer an evaluator do not count: the mean
		// is eva's 4; total (200 + 500)/10 = 70.
		{"only the event's evaluators count", []string{"eva"}, one(4, 10), false, true, true, "70.00"},
		{"no qualified proposal", []string{"eva"}, nil, false, true, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := selection.Rank(criteria, tt.evaluators, tt.cands)
			if r.NeedsModeration != tt.wantModeration || r.Complete != tt.wantComplete || r.Evaluated() != tt.wantEvaluated {
				t.Errorf("moderation %v, complete %v, evaluated %v; want %v, %v, %v", r.NeedsModeration, r.Complete, r.Evaluated(), tt.wantModeration, tt.wantComplete, tt.wantEvaluated)
			}
			if len(r.Proposals) > 0 {
				if got := selection.Decimal2(r.Proposals[0].Total); got != tt.wantTotal {
					t.Errorf("total %s, want %s", got, tt.wantTotal)
				}
				if r.Proposals[0].Criteria[0].NeedsModeration != tt.wantModeration {
					t.Errorf("the criterion's flag is %v, want %v", r.Proposals[0].Criteria[0].NeedsModeration, tt.wantModeration)
				}
			}
		})
	}
}

func TestCheckScores(t *testing.T) {
	s := func(c catalogv1.Criterion, v int32) *catalogv1.CriterionScore {
		return &catalogv1.CriterionScore{Criterion: c, Score: v}
	}
	all := []*catalogv1.CriterionScore{s(expertise, 7), s(technology, 7), s(communication, 7), s(scalability, 7), s(security, 7)}
	tests := []struct {
		name   string
		scores []*catalogv1.CriterionScore
		want   []string
	}{
		{"every evaluated criterion once", all, nil},
		{"a criterion missing", all[:4], []string{"scores"}},
		{"cost is automatic", append(slices.Clone(all), s(cost, 9)), []string{"scores[5].criterion"}},
		{"location is automatic", append(slices.Clone(all), s(location, 9)), []string{"scores[5].criterion"}},
		{"a criterion twice", append(slices.Clone(all), s(expertise, 9)), []string{"scores[5].criterion"}},
		{"out of range", append([]*catalogv1.CriterionScore{s(expertise, 11)}, all[1:]...), []string{"scores[0].score"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := selection.CheckScores(selection.DefaultCriteria(), tt.scores, "scores")
			if got := violationFields(err); !slices.Equal(got, tt.want) {
				t.Errorf("violations on %v, want %v (%v)", got, tt.want, err)
			}
		})
	}
	t.Run("a criterion weighted 0 is not scored", func(t *testing.T) {
		criteria := []*catalogv1.CriterionWeight{{Criterion: expertise, Weight: 70}, {Criterion: technology, Weight: 0}, {Criterion: cost, Weight: 30}}
		if err := selection.CheckScores(criteria, []*catalogv1.CriterionScore{s(expertise, 5)}, "scores"); err != nil {
			t.Errorf("CheckScores: %v", err)
		}
		err := selection.CheckScores(criteria, []*catalogv1.CriterionScore{s(expertise, 5), s(technology, 5)}, "scores")
		if got := violationFields(err); !slices.Equal(got, []string{"scores[1].criterion"}) {
			t.Errorf("violations on %v, want scores[1].criterion", got)
		}
	})
}
