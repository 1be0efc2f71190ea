package evaluation

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/acme/bpo/kit/money"
)

// Pricing is a contract's pricing model.
type Pricing int

// The pricing models. spec: contract.md "pricing".
const (
	FixedPrice Pricing = iota
	TimeAndMaterials
	PerformanceBased
)

// Rate is one role of a time-and-materials rate card.
type Rate struct {
	Role   string
	Hourly money.Amount
}

// HoursKey is the service level whose SUM is a role's reported hours in a
// period. spec: monitoring.md statement step 1 (metric `hours.<role>`;
// keys cannot hold dots, so the key is `hours_<role>`, as the rate card's
// doc comment in bpo.type.v1.RateCardEntry says).
func HoursKey(role string) string { return "hours_" + role }

// Terms are the commercial terms of the contract revision in force that
// the statement needs.
type Terms struct {
	Pricing Pricing
	// Currency of every amount.
	Currency string
	// MonthlyFee is FIXED_PRICE's fee.
	MonthlyFee money.Amount
	// Rates and NotToExceed (nil: no cap) are TIME_AND_MATERIALS'.
	Rates       []Rate
	NotToExceed *money.Amount
	// BaseFee, BonusPool and BonusKPIs are PERFORMANCE_BASED's.
	BaseFee   money.Amount
	BonusPool money.Amount
	BonusKPIs []string
	// The credit regime.
	AtRiskBps       int32
	AnnualCapBps    int32
	EarnBackPeriods int32
	ChronicMisses   int32
	ChronicWindow   int32
	// ServiceDays of PeriodDays: the proration of a first or last period.
	ServiceDays, PeriodDays int
}

// Past is what the statement of an earlier period contributes to this
// one: the latest revision of a closed period's statement. The periods
// before the one being computed are given oldest first and contiguous; a
// period not closed (or before commencement) is nil.
type Past struct {
	Period  string
	Charges money.Amount
	// Credits after both caps.
	Credits money.Amount
	// Credited is each level's credit after the caps, by key.
	Credited map[string]money.Amount
	// Outcomes by level key.
	Outcomes map[string]Outcome
}

// LineKind is what a statement line is (the proto's StatementLineKind).
type LineKind int

// The line kinds.
const (
	Charge LineKind = iota + 1
	ChargesTotal
	AtRiskLine
	CreditLine
	CreditsTotal
	EarnBackLine
	BonusLine
	NetLine
	ChronicLine
)

// Line is one line of the statement.
type Line struct {
	Step int
	Kind LineKind
	Key  string
	// Amount is nil for a line without money.
	Amount *money.Amount
	Text   string
}

// Chronic is a critical level missed in K of the last N periods.
type Chronic struct {
	Key    string
	Missed []string
	K, N   int32
}

// Statement is the money of a period. spec: monitoring.md "The period
// statement", steps 1–7.
type Statement struct {
	Charges money.Amount
	AtRisk  money.Amount
	// Credit is each credited level's credit before the caps, by key.
	Credit map[string]money.Amount
	// Credited is each level's credit after the caps, by key.
	Credited map[string]money.Amount
	// Credits is the sum after the per-period and annual caps.
	Credits money.Amount
	// AnnualCapRemaining is set when the contract has an annual cap.
	AnnualCapRemaining *money.Amount
	EarnBacks          money.Amount
	Bonus              money.Amount
	Net                money.Amount
	Chronic            []Chronic
	Lines              []Line
}

// Compute builds the statement of period from the level results, the
// terms and the statements of the periods before it (past, oldest first,
// the last being the period just before).
//
// Each money line is rounded half-even to the minor unit once, and the next
// line starts from the rounded amounts above it, so every line can be
// re-computed by hand:
//
//  1. charges: FIXED_PRICE the monthly fee; TIME_AND_MATERIALS Σ over the
//     rate card of the role's reported hours (the SUM of level
//     `hours_<role>`) × hourly rate, one line per role, capped at the
//     monthly not-to-exceed; PERFORMANCE_BASED the base monthly fee. A
//     fee (fixed or base) of a first or last period is prorated: fee ×
//     days of service ÷ days in the month. Hours are what was worked, so
//     T&M charges are not prorated, and neither is the not-to-exceed.
//  2. at-risk = charges × at_risk_bps / 10 000;
//  3. credit of each critical level that counts as missed = at-risk ×
//     allocation_bps / 10 000 (× the share of its windows missed, for a
//     weekly level); credits = their sum capped at the at-risk amount and,
//     with an annual cap, at annual_cap_bps × the charges of the last 12
//     periods (this one and the 11 closed before) / 10 000 − the credits
//     of those 11. The caps are filled in the contract's level order: a
//     level beyond a cap is credited only what is left;
//  4. earn-back: a level credited in the period N periods back (N =
//     earn_back_periods) and met in each period since, this one included,
//     earns that credit back here;
//  5. bonus (PERFORMANCE_BASED) = bonus pool (prorated like the base fee)
//     × bonus KPIs met ÷ bonus KPIs;
//  6. net = charges − credits + earn-backs + bonus;
//  7. chronic failure: a critical level missed in K of the last N periods
//     (this one included; the contract's chronic_misses of chronic_window,
//     3 of 6 when it sets neither).
func Compute(t Terms, period string, results []Result, past []*Past) (Statement, error) {
	cur := t.Currency
	if cur == "" {
		cur = t.MonthlyFee.Currency
	}
	zero := money.New(cur, 0)
	s := Statement{Credit: map[string]money.Amount{}, Credited: map[string]money.Amount{}, Credits: zero, EarnBacks: zero, Bonus: zero}
	add := func(step int, kind LineKind, key string, amount *money.Amount, format string, args ...any) {
		s.Lines = append(s.Lines, Line{Step: step, Kind: kind, Key: key, Amount: amount, Text: fmt.Sprintf(format, args...)})
	}
	ptr := func(a money.Amount) *money.Amount { return &a }
	prorated := t.ServiceDays > 0 && t.PeriodDays > 0 && t.ServiceDays < t.PeriodDays
	prorate := func(fee money.Amount) (money.Amount, string, error) {
		if !prorated {
			return fee, "", nil
		}
		a, err := fee.MulRat(big.NewRat(int64(t.ServiceDays), int64(t.PeriodDays)))
		return a, fmt.Sprintf(" × %d days of service ÷ %d days in the month (a first or last period is prorated by days of service), rounded half-even to the minor unit", t.ServiceDays, t.PeriodDays), err
	}
	byKey := map[string]Result{}
	for _, r := range results {
		byKey[r.Level.GetKey()] = r
	}

	// Step 1.
	switch t.Pricing {
	case FixedPrice:
		c, how, err := prorate(t.MonthlyFee)
		if err != nil {
			return Statement{}, fmt.Errorf("charges: %w", err)
		}
		s.Charges = c
		add(1, ChargesTotal, "", ptr(c), "Charges: %s = the fixed monthly fee %s%s.", c, t.MonthlyFee, how)
	case TimeAndMaterials:
		sum := zero
		for _, r := range t.Rates {
			key := HoursKey(r.Role)
			hours := new(big.Rat)
			res, ok := byKey[key]
			switch {
			case !ok:
				add(1, Charge, key, ptr(zero), "Charge for %s: %s: the contract has no service level %s to report its hours, so none are charged.", r.Role, zero, key)
				continue
			case res.Value != nil:
				hours = res.Value
			}
			c, err := r.Hourly.MulRat(hours)
			if err != nil {
				return Statement{}, fmt.Errorf("charge for %s: %w", r.Role, err)
			}
			if sum, err = sum.Add(c); err != nil {
				return Statement{}, fmt.Errorf("charges: %w", err)
			}
			add(1, Charge, key, ptr(c), "Charge for %s: %s = %s hours reported (Σ of %s) × %s an hour, rounded half-even to the minor unit.",
				r.Role, c, FormatDecimal(hours, DisplayPlaces), key, r.Hourly)
		}
		s.Charges = sum
		if t.NotToExceed != nil && sum.Minor > t.NotToExceed.Minor {
			s.Charges = *t.NotToExceed
			add(1, ChargesTotal, "", ptr(s.Charges), "Charges: %s = the sum of the role charges %s, capped at the monthly not-to-exceed %s.", s.Charges, sum, *t.NotToExceed)
		} else {
			cap := ""
			if t.NotToExceed != nil {
				cap = fmt.Sprintf(" (within the monthly not-to-exceed %s)", *t.NotToExceed)
			}
			add(1, ChargesTotal, "", ptr(s.Charges), "Charges: %s = the sum of the role charges%s.", s.Charges, cap)
		}
	case PerformanceBased:
		c, how, err := prorate(t.BaseFee)
		if err != nil {
			return Statement{}, fmt.Errorf("charges: %w", err)
		}
		s.Charges = c
		add(1, ChargesTotal, "", ptr(c), "Charges: %s = the base monthly fee %s%s.", c, t.BaseFee, how)
	}

	// Step 2.
	atRisk, err := s.Charges.MulBps(int64(t.AtRiskBps))
	if err != nil {
		return Statement{}, fmt.Errorf("at-risk amount: %w", err)
	}
	s.AtRisk = atRisk
	add(2, AtRiskLine, "", ptr(atRisk), "At-risk amount: %s = charges %s × %d bps (%s %%) / 10 000, rounded half-even to the minor unit.",
		s.AtRisk, s.Charges, t.AtRiskBps, bpsPercent(int64(t.AtRiskBps)))

	// Step 3.
	sum := zero
	var order []string
	for _, r := range results {
		if !r.CountsAsMissed() {
			continue
		}
		key, bps := r.Level.GetKey(), int64(r.Level.GetAllocationBps())
		f := big.NewRat(bps, 10000)
		share := ""
		if r.Share != nil {
			f.Mul(f, r.Share)
			share = fmt.Sprintf(" × %s of its windows missed", r.Share.RatString())
		}
		c, err := s.AtRisk.MulRat(f)
		if err != nil {
			return Statement{}, fmt.Errorf("credit for %s: %w", key, err)
		}
		s.Credit[key] = c
		order = append(order, key)
		if sum, err = sum.Add(c); err != nil {
			return Statement{}, fmt.Errorf("credits: %w", err)
		}
		add(3, CreditLine, key, ptr(c), "Credit for %s (critical, %s): %s = at-risk %s × allocation %d bps (%s %%)%s, rounded half-even to the minor unit.",
			key, r.Outcome, c, s.AtRisk, bps, bpsPercent(bps), share)
	}
	limit, why := s.AtRisk, fmt.Sprintf("the at-risk amount %s", s.AtRisk)
	if t.AnnualCapBps > 0 {
		charges, credits, n := s.Charges, zero, 1
		for _, p := range last(past, 11) {
			if p == nil {
				continue
			}
			n++
			if charges, err = charges.Add(p.Charges); err != nil {
				return Statement{}, fmt.Errorf("annual cap: %w", err)
			}
			if credits, err = credits.Add(p.Credits); err != nil {
				return Statement{}, fmt.Errorf("annual cap: %w", err)
			}
		}
		annual, err := charges.MulBps(int64(t.AnnualCapBps))
		if err != nil {
			return Statement{}, fmt.Errorf("annual cap: %w", err)
		}
		rem, err := annual.Sub(credits)
		if err != nil {
			return Statement{}, fmt.Errorf("annual cap: %w", err)
		}
		if rem.Minor < 0 {
			rem = zero
		}
		s.AnnualCapRemaining = ptr(rem)
		if rem.Minor < limit.Minor {
			limit = rem
			why = fmt.Sprintf("the annual cap's remainder %s (= %d bps of the charges %s of the last %d periods = %s, less their earlier credits %s)",
				rem, t.AnnualCapBps, charges, n, annual, credits)
		}
	}
	left := limit
	for _, key := range order {
		c := s.Credit[key]
		if c.Minor > left.Minor {
			c = left
		}
		left.Minor -= c.Minor
		s.Credited[key] = c
	}
	switch {
	case len(order) == 0:
		s.Credits = sum
		add(3, CreditsTotal, "", ptr(sum), "Credits: %s: no critical level was missed.", sum)
	case sum.Minor > limit.Minor:
		s.Credits = limit
		add(3, CreditsTotal, "", ptr(limit), "Credits: %s = the sum of the level credits %s, capped at %s (the cap is filled in the contract's level order).", limit, sum, why)
	default:
		s.Credits = sum
		add(3, CreditsTotal, "", ptr(sum), "Credits: %s = the sum of the level credits (within %s).", sum, why)
	}

	// Step 4. The periods counted are those in which the level has a
	// result: a quarterly level's are its quarters (evaluated).
	if n := int(t.EarnBackPeriods); n > 0 {
		for _, r := range results {
			k := r.Level.GetKey()
			if r.Outcome != Met {
				continue
			}
			since := []string{period}
			var credited *Past
			for i := len(past) - 1; i >= 0; i-- {
				p := past[i]
				if p == nil {
					break // not closed: nothing is earned back across it yet
				}
				o := p.Outcomes[k]
				if o == NotEvaluated {
					continue
				}
				if len(since) < n {
					if o != Met {
						break
					}
					since = append([]string{p.Period}, since...)
					continue
				}
				if c, ok := p.Credited[k]; ok && c.Minor > 0 {
					credited = p
				}
				break
			}
			if credited == nil {
				continue
			}
			c := credited.Credited[k]
			if s.EarnBacks, err = s.EarnBacks.Add(c); err != nil {
				return Statement{}, fmt.Errorf("earn-back: %w", err)
			}
			following := fmt.Sprintf("in each of the %d following periods in which it was evaluated", n)
			if n == 1 {
				following = "in the following period in which it was evaluated"
			}
			add(4, EarnBackLine, k, ptr(c), "Earn-back for %s: %s, the credit of %s returned: the level was met %s (%s).",
				k, c, credited.Period, following, strings.Join(since, ", "))
		}
	}

	// Step 5.
	if t.Pricing == PerformanceBased && len(t.BonusKPIs) > 0 {
		how := ""
		if prorated {
			how = fmt.Sprintf(" × %d days of service ÷ %d days in the month", t.ServiceDays, t.PeriodDays)
		}
		met := 0
		var which []string
		for _, k := range t.BonusKPIs {
			if r, ok := byKey[k]; ok && r.Outcome == Met {
				met++
				which = append(which, k)
			}
		}
		bonus, err := t.BonusPool.MulRat(new(big.Rat).Mul(poolShare(t, prorated), big.NewRat(int64(met), int64(len(t.BonusKPIs)))))
		if err != nil {
			return Statement{}, fmt.Errorf("bonus: %w", err)
		}
		s.Bonus = bonus
		metWords := "none"
		if len(which) > 0 {
			metWords = strings.Join(which, ", ")
		}
		add(5, BonusLine, "", ptr(bonus), "Bonus: %s = bonus pool %s%s × %d of %d bonus KPIs met (%s), rounded half-even to the minor unit once.",
			bonus, t.BonusPool, how, met, len(t.BonusKPIs), metWords)
	}

	// Step 6.
	net, err := s.Charges.Sub(s.Credits)
	if err == nil {
		net, err = net.Add(s.EarnBacks)
	}
	if err == nil {
		net, err = net.Add(s.Bonus)
	}
	if err != nil {
		return Statement{}, fmt.Errorf("net: %w", err)
	}
	s.Net = net
	add(6, NetLine, "", ptr(net), "Net: %s = charges %s − credits %s + earn-backs %s + bonus %s.", net, s.Charges, s.Credits, s.EarnBacks, s.Bonus)

	// Step 7. The last N periods are counted back from this one, skipping
	// those in which the level had no result of its own (a quarterly
	// level's months between quarters); a period not closed counts, without
	// a miss.
	k, w := t.ChronicMisses, t.ChronicWindow
	if k == 0 && w == 0 {
		k, w = 3, 6
	}
	if k > 0 && w > 0 {
		for _, r := range results {
			if !r.Critical() || r.Outcome == NotEvaluated {
				continue
			}
			key := r.Level.GetKey()
			var missed []string
			if r.CountsAsMissed() {
				missed = append(missed, period)
			}
			counted := 1
			for i := len(past) - 1; i >= 0 && counted < int(w); i-- {
				p := past[i]
				if p != nil && p.Outcomes[key] == NotEvaluated {
					continue
				}
				counted++
				if p != nil && (p.Outcomes[key] == Missed || p.Outcomes[key] == NoData) {
					missed = append([]string{p.Period}, missed...)
				}
			}
			if int32(len(missed)) >= k {
				s.Chronic = append(s.Chronic, Chronic{Key: key, Missed: missed, K: k, N: w})
				add(7, ChronicLine, key, nil, "Chronic failure of %s: missed in %d of the last %d periods in which it was evaluated (%s), at least %d: the client may terminate for cause.",
					key, len(missed), w, strings.Join(missed, ", "), k)
			}
		}
	}
	return s, nil
}

// poolShare is the prorated share of the bonus pool: days of service ÷
// days in the month for a first or last period, else 1. Kept as a fraction
// so the bonus is rounded once.
func poolShare(t Terms, prorated bool) *big.Rat {
	if !prorated {
		return big.NewRat(1, 1)
	}
	return big.NewRat(int64(t.ServiceDays), int64(t.PeriodDays))
}

// last returns the last n of past (fewer when there are fewer).
func last(past []*Past, n int) []*Past {
	if n <= 0 {
		return nil
	}
	if len(past) <= n {
		return past
	}
	return past[len(past)-n:]
}

// Texts are the statement's lines in words, in order.
func (s Statement) Texts() []string {
	out := make([]string, len(s.Lines))
	for i, l := range s.Lines {
		out[i] = l.Text
	}
	return out
}

// bpsPercent writes basis points as a percentage: 1200 → "12", 1250 → "12.5".
func bpsPercent(bps int64) string {
	return FormatDecimal(big.NewRat(bps, 100), 2)
}
