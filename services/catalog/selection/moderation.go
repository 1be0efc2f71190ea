package selection

// Moderation of evaluators' scores. spec: catalog.md §3 "Evaluation" step 2:
// "When evaluators differ by more than 4 points on one criterion the score
// is flagged NEEDS_MODERATION, and the event cannot reach EVALUATED until a
// moderator (the sourcing manager) confirms or the evaluators revise."
//
// A confirmation records the spread it confirmed — the lowest and the
// highest evaluator's score — and holds only while both are unchanged. So
// a revision that moves the lowest or the highest score (including a late
// evaluator's score outside the confirmed range) flags the criterion again,
// while a revision between the two, which changes neither the spread nor
// what the moderator looked at, keeps it. A revision that brings the spread
// to 4 or less needs no confirmation at all. Nothing is deleted: Rank
// derives, every time, whether a stored confirmation is still in force.

import (
	"strconv"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/protoenum"
)

// Spread is the lowest and highest of the evaluators' scores of one
// criterion of one proposal.
type Spread struct {
	Low, High int32
}

// Flagged reports whether the scores differ by more than MaxSpread points:
// NEEDS_MODERATION unless confirmed.
func (s Spread) Flagged() bool { return s.High-s.Low > MaxSpread }

// Moderated reports whether a confirmation of criterion c is in force for
// the current spread: the scores are flagged and the confirmation was of
// exactly this lowest and highest score.
func Moderated(current Spread, confirmed map[catalogv1.Criterion]Spread, c catalogv1.Criterion) bool {
	s, ok := confirmed[c]
	return ok && current.Flagged() && s == current
}

// CheckModeration checks a moderator's confirmation of the criteria of one
// ranked proposal and returns their current results (with the spreads to
// record). A criterion the evaluators do not score on this event is an
// INVALID_ARGUMENT of field[i]; one that is not flagged is
// FAILED_PRECONDITION: there is nothing to confirm. Confirming a criterion
// again (already confirmed) replaces the confirmation.
func CheckModeration(criteria []*catalogv1.CriterionWeight, p Ranked, confirm []catalogv1.Criterion, field string) ([]CriterionResult, error) {
	scored := map[catalogv1.Criterion]bool{}
	for _, c := range Scored(criteria) {
		scored[c] = true
	}
	var v apperr.Violations
	for i, c := range confirm {
		if !scored[c] {
			v.Add(indexed(field, i), "%s is not a criterion the evaluators score on this event; only their scores are moderated", protoenum.Short(c))
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	results := map[catalogv1.Criterion]CriterionResult{}
	for _, r := range p.Criteria {
		results[r.Criterion] = r
	}
	var out []CriterionResult
	var unflagged []string
	for _, c := range confirm {
		r := results[c]
		switch {
		case r.Score == nil:
			unflagged = append(unflagged, protoenum.Short(c)+" (not scored yet)")
		case !r.Spread.Flagged():
			unflagged = append(unflagged, protoenum.Short(c)+" (scores "+strconv.Itoa(int(r.Spread.Low))+"–"+strconv.Itoa(int(r.Spread.High))+")")
		}
		out = append(out, r)
	}
	if len(unflagged) > 0 {
		return nil, apperr.New(apperr.FailedPrecondition,
			"%s of %s is not flagged NEEDS_MODERATION: only a criterion whose evaluators' scores differ by more than %d points needs a moderator's confirmation",
			strings.Join(unflagged, ", "), p.Proposal, MaxSpread)
	}
	return out, nil
}
