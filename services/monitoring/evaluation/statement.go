package evaluation

import (
	"fmt"
	"math/big"

	"github.com/acme/bpo/kit/money"
)

// Terms are the commercial terms of the contract revision in force that
// the statement needs (fixed-price contracts).
type Terms struct {
	// MonthlyFee is the fixed monthly fee.
	MonthlyFee money.Amount
	// AtRiskBps is the share of the charges at risk, in basis points.
	AtRiskBps int32
}

// Statement is the money of a period. spec: monitoring.md "The period
// statement", steps 1–3 and 6.
type Statement struct {
	Charges money.Amount
	AtRisk  money.Amount
	// Credit is each credited level's credit before the cap, by key.
	Credit map[string]money.Amount
	// Credits is the sum of the level credits, capped at AtRisk.
	Credits money.Amount
	Net     money.Amount
	// Lines say how each amount was computed, in order.
	Lines []string
}

// Compute builds the statement of a period from the level results.
//
// Each money line is rounded half-even to the minor unit once, and the next
// line starts from the rounded amount, so every line of the statement can be
// re-computed by hand from the lines above it:
//
//  1. charges = the fixed monthly fee (a period that starts at commencement
//     mid-month is charged the full fee: the contract prices months, and
//     proration is not in the contract's terms);
//  2. at-risk = charges × at_risk_bps / 10 000;
//  3. credit of each critical level that is MISSED or NO_DATA = at-risk ×
//     allocation_bps / 10 000; credits = their sum, capped at the at-risk
//     amount (allocations may sum to up to 250 %, so the cap matters);
//  6. net = charges − credits.
//
// Steps 4 (earn-back), 5 (bonus) and 7 (chronic failure) are not built.
func Compute(t Terms, results []Result) (Statement, error) {
	s := Statement{Credit: map[string]money.Amount{}}
	s.Charges = t.MonthlyFee
	s.Lines = append(s.Lines, fmt.Sprintf("Charges: %s, the fixed monthly fee.", s.Charges))

	atRisk, err := s.Charges.MulBps(int64(t.AtRiskBps))
	if err != nil {
		return Statement{}, fmt.Errorf("at-risk amount: %w", err)
	}
	s.AtRisk = atRisk
	s.Lines = append(s.Lines, fmt.Sprintf("At-risk amount: %s = charges %s × %d bps (%s %%) / 10 000, rounded half-even to the minor unit.",
		s.AtRisk, s.Charges, t.AtRiskBps, bpsPercent(int64(t.AtRiskBps))))

	sum := money.New(s.Charges.Currency, 0)
	for _, r := range results {
		if !r.CountsAsMissed() {
			continue
		}
		key, bps := r.Level.GetKey(), int64(r.Level.GetAllocationBps())
		c, err := s.AtRisk.MulBps(bps)
		if err != nil {
			return Statement{}, fmt.Errorf("credit for %s: %w", key, err)
		}
		s.Credit[key] = c
		if sum, err = sum.Add(c); err != nil {
			return Statement{}, fmt.Errorf("credits: %w", err)
		}
		s.Lines = append(s.Lines, fmt.Sprintf("Credit for %s (critical, %s): %s = at-risk %s × allocation %d bps (%s %%), rounded half-even to the minor unit.",
			key, r.Outcome, c, s.AtRisk, bps, bpsPercent(bps)))
	}
	switch {
	case len(s.Credit) == 0:
		s.Credits = sum
		s.Lines = append(s.Lines, fmt.Sprintf("Credits: %s: no critical level was missed.", s.Credits))
	case sum.Minor > s.AtRisk.Minor:
		s.Credits = s.AtRisk
		s.Lines = append(s.Lines, fmt.Sprintf("Credits: %s = the sum of the level credits %s, capped at the at-risk amount %s.", s.Credits, sum, s.AtRisk))
	default:
		s.Credits = sum
		s.Lines = append(s.Lines, fmt.Sprintf("Credits: %s = the sum of the level credits (within the at-risk amount %s).", s.Credits, s.AtRisk))
	}
	if s.Net, err = s.Charges.Sub(s.Credits); err != nil {
		return Statement{}, fmt.Errorf("net: %w", err)
	}
	s.Lines = append(s.Lines, fmt.Sprintf("Net: %s = charges %s − credits %s.", s.Net, s.Charges, s.Credits))
	return s, nil
}

// bpsPercent writes basis points as a percentage: 1200 → "12", 1250 → "12.5".
func bpsPercent(bps int64) string {
	return FormatDecimal(big.NewRat(bps, 100), 2)
}
