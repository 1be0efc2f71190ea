// Package warning holds monitoring's early-warning rules: the error budget
// and burn rate of a PERCENT_WITHIN or RATIO level while its period is
// open, and the conditions that raise an alert. Plain Go: no gRPC, no SQL.
// spec: monitoring.md "Early warning".
//
// For a level whose period value is a percentage of events (PERCENT_WITHIN:
// events within the threshold; RATIO: Σ numerator ÷ Σ denominator), with
// target T %:
//
//   - the error budget b is the share of events that may fail: 1 − T/100
//     for "at least T %" (≥ 80 % → 20 % of the events), T/100 for "at most
//     T %";
//   - the failed share r is 1 − V/100 (at least) or V/100 (at most), V the
//     value over the events so far;
//   - the burn rate is r ÷ b: 1.0 spends the budget exactly by the period's
//     end, 2.0 twice as fast;
//   - the share of the period's budget used is the failed events over the
//     budget of the events the period will hold at its pace so far
//     (events so far ÷ elapsed share e): r·n ÷ (b·n/e) = burn × e. This is
//     the spec's "share of the budget used divided by the share of the
//     period elapsed" read backwards: used ÷ e = burn.
//
// Alerts: BUDGET_50 at used ≥ 50 %, BUDGET_75 at used ≥ 75 %, MISSED at
// used > 100 % (at the period's pace the level is missed even if every
// remaining event meets the threshold; at the period's end it is the
// final miss), BURN_RATE when the burn rate exceeds 1.0 over both the
// last 24 hours and the period so far, NO_DATA_24H when a critical level
// (of any aggregation) has had no measurement for 24 hours of service.
package warning

import (
	"fmt"
	"math/big"
	"time"
)

// Condition is what raises an alert.
type Condition int

// The conditions, in the order they are checked and raised.
const (
	Budget50 Condition = iota + 1
	Budget75
	Missed
	BurnRate
	NoData24h
)

func (c Condition) String() string {
	switch c {
	case Budget50:
		return "BUDGET_50"
	case Budget75:
		return "BUDGET_75"
	case Missed:
		return "MISSED"
	case BurnRate:
		return "BURN_RATE"
	case NoData24h:
		return "NO_DATA_24H"
	}
	return "UNSPECIFIED"
}

// Level is what the rules need of a service level.
type Level struct {
	Key      string
	Critical bool
	// Budgeted is set for PERCENT_WITHIN and RATIO levels: the only ones
	// with an error budget.
	Budgeted bool
	// AtLeast is the level's comparator: the value must be at least (true)
	// or at most (false) the target.
	AtLeast bool
	// Target in % (0–100).
	Target *big.Rat
}

// Sample is a level's value over a stretch of time: V in % and the number
// of events it was computed from (N = 0: no events, V unused).
type Sample struct {
	V *big.Rat
	N int64
}

// Input is what is known of one level in one open period.
type Input struct {
	Period  Sample // the period so far
	Last24h Sample // the last 24 hours (within the period)
	// Elapsed is the share of the period elapsed, in (0, 1].
	Elapsed *big.Rat
	// Silent is how long the level has had no measurement: since the last
	// one's event time, or since service commencement when there is none.
	Silent time.Duration
}

// Assessment is the result for one level.
type Assessment struct {
	// Budget is the share of events that may fail (0–1); nil for a level
	// without an error budget.
	Budget *big.Rat
	// Used is the share of the period's budget used (may exceed 1); nil
	// without a budget or events. Exhausted is set when the budget is 0 and
	// some event failed (Used is then infinite).
	Used      *big.Rat
	Exhausted bool
	// BurnPeriod and Burn24h are the burn rates; nil without events (or
	// with a zero budget).
	BurnPeriod, Burn24h *big.Rat
	// Conditions found, in the order of the constants.
	Conditions []Condition
	// Explanation says how the figures were computed.
	Explanation string
}

// NoDataAfter is how long a critical level may go without a measurement.
const NoDataAfter = 24 * time.Hour

var (
	one     = big.NewRat(1, 1)
	half    = big.NewRat(1, 2)
	quarter = big.NewRat(3, 4)
	hundred = big.NewRat(100, 1)
)

// Assess applies the rules to one level.
func Assess(l Level, in Input) Assessment {
	var a Assessment
	var words []string
	if l.Budgeted && l.Target != nil {
		a.Budget = budget(l)
		words = append(words, fmt.Sprintf("error budget %s %% of events (target %s %s %%)",
			pct(a.Budget), cmpWord(l.AtLeast), dec(l.Target)))
		if in.Period.N > 0 {
			r := failed(l, in.Period.V)
			words = append(words, fmt.Sprintf("period so far: %s %% of %d events failed", pct(r), in.Period.N))
			if a.Budget.Sign() == 0 {
				if r.Sign() > 0 {
					a.Exhausted = true
					words = append(words, "a zero budget with failed events is exhausted")
				} else {
					a.Used = new(big.Rat)
				}
			} else {
				a.BurnPeriod = new(big.Rat).Quo(r, a.Budget)
				a.Used = new(big.Rat).Mul(a.BurnPeriod, in.Elapsed)
				words = append(words, fmt.Sprintf("burn rate %s (%s ÷ %s); %s %% of the period elapsed, so %s %% of the period's budget used (burn rate × elapsed)",
					dec(a.BurnPeriod), pct(r), pct(a.Budget), pct(in.Elapsed), pct(a.Used)))
			}
			if in.Last24h.N > 0 && a.Budget.Sign() > 0 {
				r24 := failed(l, in.Last24h.V)
				a.Burn24h = new(big.Rat).Quo(r24, a.Budget)
				words = append(words, fmt.Sprintf("last 24 h: %s %% of %d events failed, burn rate %s", pct(r24), in.Last24h.N, dec(a.Burn24h)))
			}
		}
		switch {
		case a.Exhausted:
			a.Conditions = append(a.Conditions, Budget50, Budget75, Missed)
		case a.Used != nil:
			if a.Used.Cmp(half) >= 0 {
				a.Conditions = append(a.Conditions, Budget50)
			}
			if a.Used.Cmp(quarter) >= 0 {
				a.Conditions = append(a.Conditions, Budget75)
			}
			if a.Used.Cmp(one) > 0 {
				a.Conditions = append(a.Conditions, Missed)
			}
		}
		if a.BurnPeriod != nil && a.Burn24h != nil && a.BurnPeriod.Cmp(one) > 0 && a.Burn24h.Cmp(one) > 0 {
			a.Conditions = append(a.Conditions, BurnRate)
		}
	}
	if l.Critical && in.Silent >= NoDataAfter {
		a.Conditions = append(a.Conditions, NoData24h)
		words = append(words, fmt.Sprintf("no measurement for %s (critical levels alert after %s)", hours(in.Silent), hours(NoDataAfter)))
	}
	if len(words) > 0 {
		a.Explanation = l.Key + ": "
		for i, w := range words {
			if i > 0 {
				a.Explanation += "; "
			}
			a.Explanation += w
		}
		a.Explanation += "."
	}
	return a
}

// budget is the share of events that may fail.
func budget(l Level) *big.Rat {
	t := new(big.Rat).Quo(l.Target, hundred)
	if l.AtLeast {
		return t.Sub(one, t)
	}
	return t
}

// failed is the share of events that failed, from the value v in %.
func failed(l Level, v *big.Rat) *big.Rat {
	s := new(big.Rat).Quo(v, hundred)
	if l.AtLeast {
		return s.Sub(one, s)
	}
	return s
}

// Elapsed is the share of [start, end) elapsed at now, within (0, 1].
func Elapsed(start, end, now time.Time) *big.Rat {
	total := end.Sub(start)
	gone := now.Sub(start)
	if gone > total {
		gone = total
	}
	if total <= 0 || gone <= 0 {
		return big.NewRat(1, 1) // nothing to measure against: treat as whole
	}
	return new(big.Rat).SetFrac(big.NewInt(int64(gone)), big.NewInt(int64(total)))
}

// Decimal writes r with at most 4 decimals, half-even (for display).
func Decimal(r *big.Rat) string { return dec(r) }

// Percent writes a share (0–1) as % with at most 4 decimals.
func Percent(r *big.Rat) string { return pct(r) }

func pct(r *big.Rat) string { return dec(new(big.Rat).Mul(r, hundred)) }

// dec rounds half-even to 4 places and trims trailing zeros.
func dec(r *big.Rat) string {
	const places = 4
	scale := big.NewInt(10_000)
	num := new(big.Int).Mul(r.Num(), scale)
	q, m := new(big.Int).QuoRem(num, r.Denom(), new(big.Int))
	// Half-even on the remainder (QuoRem truncates toward zero).
	twice := new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2))
	if c := twice.Cmp(r.Denom()); c > 0 || (c == 0 && q.Bit(0) == 1) {
		if r.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	neg := q.Sign() < 0
	s := new(big.Int).Abs(q).String()
	for len(s) <= places {
		s = "0" + s
	}
	ip, fp := s[:len(s)-places], s[len(s)-places:]
	for len(fp) > 0 && fp[len(fp)-1] == '0' {
		fp = fp[:len(fp)-1]
	}
	out := ip
	if fp != "" {
		out += "." + fp
	}
	if neg && out != "0" {
		out = "-" + out
	}
	return out
}

func cmpWord(atLeast bool) string {
	if atLeast {
		return "at least"
	}
	return "at most"
}

func hours(d time.Duration) string {
	return fmt.Sprintf("%s h", dec(new(big.Rat).SetFrac64(int64(d), int64(time.Hour))))
}
