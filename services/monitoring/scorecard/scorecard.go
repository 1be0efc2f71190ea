// Package scorecard holds the provider scorecard of one closed period: the
// share of levels met (critical levels weighted by their credit
// allocation), credits as a share of charges, the trend over the last 12
// periods, and a score 0–100. Plain Go: no gRPC, no SQL. spec:
// monitoring.md "Scorecards and reviews".
//
// The score:
//
//		score = round_half_even(60 × C + 20 × K + 20 × (1 − R))
//
//	  - C, critical levels met weighted by allocation: Σ allocation of the
//	    critical levels MET ÷ Σ allocation of the critical levels evaluated
//	    (MET, MISSED or NO_DATA; NO_DATA counts as not met). When no
//	    critical level has an allocation, each counts once. With no critical
//	    level evaluated, C = 1.
//	  - K, KPIs met: KPIs MET ÷ KPIs evaluated; 1 with none.
//	  - R, credits as a share of the at-risk amount (what the provider
//	    forfeited of what it put at risk), within [0, 1]; 0 when nothing is
//	    at risk.
//
// So a period with every level met and no credit scores 100; missing every
// critical level and forfeiting the whole at-risk amount scores at most
// 20. The trend is the scores of the last 12 scored periods (this one
// last), and its delta this score minus the mean of the earlier ones.
package scorecard

import (
	"fmt"
	"math/big"
)

// Outcome is a level's result in the period.
type Outcome int

// The outcomes; NotEvaluated levels do not count.
const (
	NotEvaluated Outcome = iota
	Met
	Missed
	NoData
)

// Level is one service level's result.
type Level struct {
	Key           string
	Critical      bool
	AllocationBps int64
	Outcome       Outcome
}

// Input is what a period's scorecard is computed from: its levels, its
// statement's charges, at-risk amount and credits (minor units of one
// currency), and the scores of up to 11 earlier periods, oldest first.
type Input struct {
	Levels                  []Level
	Charges, AtRisk, Credit int64
	Earlier                 []int
}

// Card is the scorecard.
type Card struct {
	// CriticalMet, KPIMet, CreditsOfCharges and CreditsOfAtRisk are shares
	// in [0, 1] (CreditsOfCharges nil without charges).
	CriticalMet, KPIMet, CreditsOfCharges, CreditsOfAtRisk *big.Rat
	Score                                                  int
	LevelsMet, LevelsEvaluated                             int
	// Trend is the scores of the last 12 periods, oldest first, this one
	// last; Delta is this score minus the mean of the earlier ones (nil
	// without earlier ones).
	Trend []int
	Delta *big.Rat
	// Explanation says how each figure was computed.
	Explanation []string
}

// TrendLength is how many periods the trend shows.
const TrendLength = 12

// Compute applies the formula of the package comment.
func Compute(in Input) Card {
	var c Card
	var critMet, critAll, critN, critMetN, kpiMet, kpiN int64
	for _, l := range in.Levels {
		if l.Outcome == NotEvaluated {
			continue
		}
		c.LevelsEvaluated++
		met := l.Outcome == Met
		if met {
			c.LevelsMet++
		}
		if l.Critical {
			critN++
			critAll += l.AllocationBps
			if met {
				critMetN++
				critMet += l.AllocationBps
			}
			continue
		}
		kpiN++
		if met {
			kpiMet++
		}
	}
	switch {
	case critN == 0:
		c.CriticalMet = big.NewRat(1, 1)
		c.Explanation = append(c.Explanation, "C = 1: no critical level was evaluated.")
	case critAll == 0:
		c.CriticalMet = big.NewRat(critMetN, critN)
		c.Explanation = append(c.Explanation, fmt.Sprintf("C = %d of %d critical levels met (no allocations, each counts once) = %s %%.", critMetN, critN, pct(c.CriticalMet)))
	default:
		c.CriticalMet = big.NewRat(critMet, critAll)
		c.Explanation = append(c.Explanation, fmt.Sprintf("C = allocation of critical levels met %d bps ÷ of those evaluated %d bps = %s %% (%d of %d met).", critMet, critAll, pct(c.CriticalMet), critMetN, critN))
	}
	if kpiN == 0 {
		c.KPIMet = big.NewRat(1, 1)
		c.Explanation = append(c.Explanation, "K = 1: no KPI was evaluated.")
	} else {
		c.KPIMet = big.NewRat(kpiMet, kpiN)
		c.Explanation = append(c.Explanation, fmt.Sprintf("K = %d of %d KPIs met = %s %%.", kpiMet, kpiN, pct(c.KPIMet)))
	}
	c.CreditsOfAtRisk = new(big.Rat)
	if in.AtRisk > 0 {
		c.CreditsOfAtRisk.SetFrac64(min(max(in.Credit, 0), in.AtRisk), in.AtRisk)
		c.Explanation = append(c.Explanation, fmt.Sprintf("R = credits %d ÷ at-risk amount %d (minor units) = %s %%.", in.Credit, in.AtRisk, pct(c.CreditsOfAtRisk)))
	} else {
		c.Explanation = append(c.Explanation, "R = 0: nothing was at risk.")
	}
	if in.Charges > 0 {
		c.CreditsOfCharges = big.NewRat(max(in.Credit, 0), in.Charges)
		c.Explanation = append(c.Explanation, fmt.Sprintf("Credits are %s %% of charges (%d ÷ %d minor units).", pct(c.CreditsOfCharges), in.Credit, in.Charges))
	}
	// 60 C + 20 K + 20 (1 − R), exactly, then half-even to a whole number.
	s := new(big.Rat).Mul(big.NewRat(60, 1), c.CriticalMet)
	s.Add(s, new(big.Rat).Mul(big.NewRat(20, 1), c.KPIMet))
	s.Add(s, new(big.Rat).Mul(big.NewRat(20, 1), new(big.Rat).Sub(big.NewRat(1, 1), c.CreditsOfAtRisk)))
	c.Score = roundHalfEven(s)
	c.Explanation = append(c.Explanation, fmt.Sprintf("Score = 60 × C + 20 × K + 20 × (1 − R) = %s, rounded half-even to %d.", dec(s), c.Score))

	earlier := in.Earlier
	if len(earlier) > TrendLength-1 {
		earlier = earlier[len(earlier)-(TrendLength-1):]
	}
	c.Trend = append(append([]int(nil), earlier...), c.Score)
	if len(earlier) > 0 {
		var sum int64
		for _, e := range earlier {
			sum += int64(e)
		}
		mean := big.NewRat(sum, int64(len(earlier)))
		c.Delta = new(big.Rat).Sub(big.NewRat(int64(c.Score), 1), mean)
		c.Explanation = append(c.Explanation, fmt.Sprintf("Trend: %d periods; this score minus the mean %s of the %d before = %s.", len(c.Trend), dec(mean), len(earlier), dec(c.Delta)))
	}
	return c
}

func roundHalfEven(r *big.Rat) int {
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	twice := new(big.Int).Mul(m.Abs(m), big.NewInt(2))
	if c := twice.Cmp(r.Denom()); c > 0 || (c == 0 && q.Bit(0) == 1) {
		q.Add(q, big.NewInt(int64(r.Sign())))
	}
	return int(q.Int64())
}

// Percent writes a share as % with at most 2 decimals (half-even).
func Percent(r *big.Rat) string { return pct(r) }

// Decimal writes r with at most 2 decimals (half-even).
func Decimal(r *big.Rat) string { return dec(r) }

func pct(r *big.Rat) string { return dec(new(big.Rat).Mul(r, big.NewRat(100, 1))) }

func dec(r *big.Rat) string {
	hundredths := roundHalfEven(new(big.Rat).Mul(r, big.NewRat(100, 1)))
	neg := hundredths < 0
	if neg {
		hundredths = -hundredths
	}
	s := fmt.Sprintf("%d.%02d", hundredths/100, hundredths%100)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	s = s[:len(s)-map[bool]int{true: 1, false: 0}[s[len(s)-1] == '.']]
	if neg && s != "0" {
		s = "-" + s
	}
	return s
}
