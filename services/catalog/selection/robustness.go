package selection

import (
	"cmp"
	"fmt"
	"math/big"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/protoenum"
)

// Robustness is how far the order of a ranking's top two is from
// swapping. spec: catalog.md §3 "Evaluation" step 5.
type Robustness struct {
	Leader, RunnerUp string
	// Found is false when no change of a single weight swaps them.
	Found     bool
	Criterion catalogv1.Criterion
	Weight    int32 // now
	Change    int32 // whole points, + up or − down
}

// RobustnessOf finds, for the top two of r, the smallest change of one
// criterion's weight, in whole points, after which the runner-up ranks
// above the leader: the changed weight stays within 0–100 and the other
// weights are rescaled in proportion to keep the sum at 100 (exactly, as
// rationals; a criterion weighing 100 has no others to rescale and is
// skipped). "Ranks above" is the ranking's own order: total to two
// decimals, ties to the lower TCV. Among equally small changes the first
// criterion of the event wins, a rise before a cut. Every candidate is
// computed exactly; at most 7 criteria × 200 changes.
func RobustnessOf(r Ranking) (Robustness, bool) {
	if len(r.Proposals) < 2 {
		return Robustness{}, false
	}
	a, b := r.Proposals[0], r.Proposals[1]
	out := Robustness{Leader: a.Proposal, RunnerUp: b.Proposal}
	for n := int32(1); n <= 100; n++ {
		for k, c := range a.Criteria {
			for _, delta := range []int32{n, -n} {
				w := c.Weight + delta
				if w < 0 || w > 100 || c.Weight == 100 {
					continue
				}
				ta, tb := totalWith(a, k, delta), totalWith(b, k, delta)
				if ranksAbove(tb, b, ta, a) {
					out.Found, out.Criterion, out.Weight, out.Change = true, c.Criterion, c.Weight, delta
					return out, true
				}
			}
		}
	}
	return out, true
}

// totalWith is p's total with criterion k's weight changed by delta and the
// others rescaled by (100 − w_k − delta) / (100 − w_k).
func totalWith(p Ranked, k int, delta int32) *big.Rat {
	wk := p.Criteria[k].Weight
	scale := big.NewRat(int64(100-wk-delta), int64(100-wk))
	total := new(big.Rat)
	for i, c := range p.Criteria {
		if c.Score == nil {
			continue
		}
		w := big.NewRat(int64(c.Weight), 10)
		if i == k {
			w = big.NewRat(int64(wk+delta), 10)
		} else {
			w.Mul(w, scale)
		}
		total.Add(total, new(big.Rat).Mul(w, c.Score))
	}
	return total
}

// ranksAbove is the ranking's order: higher total to two decimals, then
// lower TCV, then name.
func ranksAbove(tx *big.Rat, x Ranked, ty *big.Rat, y Ranked) bool {
	if c := cmp.Compare(hundredths(tx), hundredths(ty)); c != 0 {
		return c > 0
	}
	if c := cmp.Compare(x.TCV.Minor, y.TCV.Minor); c != 0 {
		return c < 0
	}
	return strings.Compare(x.Proposal, y.Proposal) < 0
}

// Summary is the sentence shown with the ranking.
func (r Robustness) Summary() string {
	if !r.Found {
		return fmt.Sprintf("No change of a single criterion's weight puts %s ahead of %s.", r.RunnerUp, r.Leader)
	}
	word := "point"
	if r.Change != 1 && r.Change != -1 {
		word = "points"
	}
	return fmt.Sprintf("The lead of %s over %s holds until %s moves %+d %s (from %d to %d, the other weights rescaled to keep 100).",
		r.Leader, r.RunnerUp, protoenum.Short(r.Criterion), r.Change, word, r.Weight, r.Weight+r.Change)
}
