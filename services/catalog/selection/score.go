package selection

import (
	"cmp"
	"fmt"
	"math/big"
	"slices"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/money"
	"github.com/acme/bpo/kit/protoenum"
)

// MaxSpread is the largest difference between evaluators' scores of one
// criterion that needs no moderation. spec: catalog.md §3 "Evaluation"
// step 2: more than 4 points is flagged NEEDS_MODERATION.
const MaxSpread = 4

// Location scores by shore model. spec: catalog.md §3 "Evaluation" step 3.
var locationScore = map[catalogv1.ShoreModel]int64{
	catalogv1.ShoreModel_SHORE_MODEL_ONSHORE:   10,
	catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE: 7,
	catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE:  4,
}

// LocationScore is 10 onshore, 7 nearshore, 4 offshore: the default
// preference order.
func LocationScore(s catalogv1.ShoreModel) *big.Rat {
	return big.NewRat(locationScore[s], 1)
}

// DefaultShorePreference is the order of an engagement that names none.
var DefaultShorePreference = []catalogv1.ShoreModel{
	catalogv1.ShoreModel_SHORE_MODEL_ONSHORE, catalogv1.ShoreModel_SHORE_MODEL_NEARSHORE, catalogv1.ShoreModel_SHORE_MODEL_OFFSHORE,
}

// preferenceScores are the location scores of the first, second and third
// preferred shore model. spec: catalog.md §3 "Evaluation" step 3.
var preferenceScores = []int64{10, 7, 4}

// LocationScoreFor is the location score of shore under the engagement's
// preference order (empty: DefaultShorePreference): 10 for the first, 7
// for the second, 4 for the third; 0 for a model the engagement left out
// (or no center at all).
func LocationScoreFor(preference []catalogv1.ShoreModel, shore catalogv1.ShoreModel) *big.Rat {
	if len(preference) == 0 {
		preference = DefaultShorePreference
	}
	for i, m := range preference {
		if m == shore && i < len(preferenceScores) {
			return big.NewRat(preferenceScores[i], 1)
		}
	}
	return new(big.Rat)
}

// CostScore is 10 × lowest qualified TCV / this TCV, exact.
// spec: catalog.md §3 "Evaluation" step 3.
func CostScore(lowest, this money.Amount) *big.Rat {
	if this.Minor <= 0 {
		return new(big.Rat)
	}
	return big.NewRat(10*lowest.Minor, this.Minor)
}

// CheckScores checks one evaluator's scores against the criteria of the
// event: exactly one score per criterion the evaluators score, none for
// the automatic ones or those not on the event. field is the request's
// path to the scores.
func CheckScores(criteria []*catalogv1.CriterionWeight, scores []*catalogv1.CriterionScore, field string) error {
	var v apperr.Violations
	want := Scored(criteria)
	seen := map[catalogv1.Criterion]bool{}
	for i, s := range scores {
		f := indexed(field, i)
		c := s.GetCriterion()
		switch {
		case Automatic(c):
			v.Add(f+".criterion", "%s is scored automatically; leave it out", protoenum.Short(c))
		case !slices.Contains(want, c):
			v.Add(f+".criterion", "%s is not a weighted criterion of this event", protoenum.Short(c))
		case seen[c]:
			v.Add(f+".criterion", "%s is scored twice", protoenum.Short(c))
		}
		if s.GetScore() < 0 || s.GetScore() > 10 {
			v.Add(f+".score", "must be 0–10")
		}
		seen[c] = true
	}
	var missing []string
	for _, c := range want {
		if !seen[c] {
			missing = append(missing, protoenum.Short(c))
		}
	}
	if len(missing) > 0 {
		v.Add(field, "score every criterion the evaluators score; missing: %v", missing)
	}
	return v.Err()
}

// Candidate is a qualified proposal as the ranking sees it.
type Candidate struct {
	Proposal string
	Provider string
	TCV      money.Amount
	Shore    catalogv1.ShoreModel
	// Location is the location score when it is not the default
	// LocationScore(Shore): from the engagement's preference order
	// (LocationScoreFor) or a sourcing manager's override.
	Location *big.Rat
	// Scores of each evaluator who scored the proposal, by criterion.
	Scores map[string]map[catalogv1.Criterion]int32
	// Confirmed holds the moderator's confirmations, by criterion: the
	// spread each confirmed. See Moderated.
	Confirmed map[catalogv1.Criterion]Spread
}

// CriterionResult is one criterion's score of one proposal.
type CriterionResult struct {
	Criterion catalogv1.Criterion
	Weight    int32
	// Score is 0–10, exact; nil while no evaluator has scored it.
	Score *big.Rat
	// Spread is the lowest and highest evaluator's score; zero while no
	// evaluator has scored it or the criterion is automatic.
	Spread Spread
	// Confirmed is set when the scores are flagged (Spread.Flagged) and a
	// moderator's confirmation of this very spread is in force.
	Confirmed bool
	// NeedsModeration is set when the evaluators' scores differ by more
	// than MaxSpread points and no confirmation is in force.
	NeedsModeration bool
}

// Ranked is a candidate with its scores, total and rank.
type Ranked struct {
	Candidate
	Rank     int
	Criteria []CriterionResult
	// Total is Σ weight × score / 10, 0–100, exact; a criterion not yet
	// scored counts 0. It is shown, and ranked, to two decimals.
	Total *big.Rat
}

// Ranking is the ranking of an event's qualified proposals.
type Ranking struct {
	Proposals []Ranked
	// Complete: every evaluator scored every qualified proposal.
	Complete bool
	// NeedsModeration: some criterion of some proposal is flagged and not
	// confirmed by a moderator.
	NeedsModeration bool
}

// Evaluated reports whether the event may become EVALUATED: there is a
// qualified proposal, every evaluator scored each, and nothing awaits
// moderation. spec: catalog.md §3 "Evaluation" step 2.
func (r Ranking) Evaluated() bool {
	return len(r.Proposals) > 0 && r.Complete && !r.NeedsModeration
}

// Top returns the top-ranked proposal's name, or "" when there is none.
func (r Ranking) Top() string {
	if len(r.Proposals) == 0 {
		return ""
	}
	return r.Proposals[0].Proposal
}

// Find returns the ranked entry of proposal.
func (r Ranking) Find(proposal string) (Ranked, bool) {
	for _, p := range r.Proposals {
		if p.Proposal == proposal {
			return p, true
		}
	}
	return Ranked{}, false
}

// Rank scores and ranks the qualified candidates: each evaluated
// criterion's score is the mean of the evaluators' (only the event's
// evaluators count), cost and location are automatic, the total is
// Σ weight × score / 10, and the order is by total to two decimals — the
// total the spec defines and the user sees — ties broken by lower TCV
// (then by name, so that the order is stable).
// spec: catalog.md §3 "Evaluation" steps 2–4.
func Rank(criteria []*catalogv1.CriterionWeight, evaluators []string, cands []Candidate) Ranking {
	r := Ranking{Complete: true}
	if len(cands) == 0 {
		return r
	}
	lowest := cands[0].TCV
	for _, c := range cands[1:] {
		lowest = money.Min(lowest, c.TCV)
	}
	for _, c := range cands {
		e := Ranked{Candidate: c, Total: new(big.Rat)}
		for _, ev := range evaluators {
			if _, ok := c.Scores[ev]; !ok {
				r.Complete = false
			}
		}
		for _, cw := range criteria {
			res := CriterionResult{Criterion: cw.GetCriterion(), Weight: cw.GetWeight()}
			switch cw.GetCriterion() {
			case catalogv1.Criterion_CRITERION_COST:
				res.Score = CostScore(lowest, c.TCV)
			case catalogv1.Criterion_CRITERION_LOCATION:
				res.Score = c.Location
				if res.Score == nil {
					res.Score = LocationScore(c.Shore)
				}
			default:
				res.Score, res.Spread = mean(c.Scores, evaluators, cw.GetCriterion())
				res.Confirmed = Moderated(res.Spread, c.Confirmed, cw.GetCriterion())
				res.NeedsModeration = res.Spread.Flagged() && !res.Confirmed
			}
			if res.Weight > 0 && res.NeedsModeration {
				r.NeedsModeration = true
			}
			if res.Score != nil {
				part := new(big.Rat).Mul(big.NewRat(int64(res.Weight), 10), res.Score)
				e.Total.Add(e.Total, part)
			}
			e.Criteria = append(e.Criteria, res)
		}
		r.Proposals = append(r.Proposals, e)
	}
	slices.SortStableFunc(r.Proposals, func(a, b Ranked) int {
		if c := cmp.Compare(hundredths(b.Total), hundredths(a.Total)); c != 0 {
			return c
		}
		if c := cmp.Compare(a.TCV.Minor, b.TCV.Minor); c != 0 {
			return c
		}
		return strings.Compare(a.Proposal, b.Proposal)
	})
	for i := range r.Proposals {
		r.Proposals[i].Rank = i + 1
	}
	return r
}

// mean is the mean of the evaluators' scores of c, nil when none scored
// it, and their spread.
func mean(scores map[string]map[catalogv1.Criterion]int32, evaluators []string, c catalogv1.Criterion) (*big.Rat, Spread) {
	var sum, n int64
	lo, hi := int32(11), int32(-1)
	for _, ev := range evaluators {
		s, ok := scores[ev][c]
		if !ok {
			continue
		}
		sum += int64(s)
		n++
		lo, hi = min(lo, s), max(hi, s)
	}
	if n == 0 {
		return nil, Spread{}
	}
	return big.NewRat(sum, n), Spread{Low: lo, High: hi}
}

// Decimal2 formats r with two decimals, rounded half-even ("83.45").
// spec: catalog.md §3 "Evaluation" step 4: totals to two decimals.
func Decimal2(r *big.Rat) string {
	if r == nil {
		return ""
	}
	hundredths, err := money.RoundHalfEven(new(big.Rat).Mul(r, big.NewRat(100, 1)))
	if err != nil {
		// Beyond an int64 of hundredths no score or total ever is; its
		// rounding mode does not matter there.
		return r.FloatString(2)
	}
	sign := ""
	if hundredths < 0 {
		sign, hundredths = "-", -hundredths
	}
	return fmt.Sprintf("%s%d.%02d", sign, hundredths/100, hundredths%100)
}

// hundredths is r × 100 rounded half-even: a total to two decimals, which
// ranks. Scores and totals lie within 0–10 and 0–100, so the rounding
// never reaches money.ErrOverflow.
func hundredths(r *big.Rat) int64 {
	h, _ := money.RoundHalfEven(new(big.Rat).Mul(r, big.NewRat(100, 1)))
	return h
}
