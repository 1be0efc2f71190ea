package terms

import (
	"fmt"
	"strings"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/protoenum"
	"github.com/acme/bpo/kit/refdata"
)

// Bounds of the credit regime. spec: contract.md, "credit regime".
const (
	// MaxAtRiskBps is the largest share of a period's charges at risk (20 %).
	MaxAtRiskBps = 2000
	// MaxAllocationBps is the largest allocation of one critical level (100 %).
	MaxAllocationBps = 10000
	// MinAllocationSumBps and MaxAllocationSumBps bound the sum of the
	// critical levels' allocations (100 %–250 %): at least the whole pool,
	// and at most two and a half times it, so one bad period cannot cost
	// more than 2.5 × the at-risk amount before any cap.
	MinAllocationSumBps = 10000
	MaxAllocationSumBps = 25000
)

// ValidateNew checks the input of a new draft: the engagement it is for,
// and whatever else is set (ValidateDraft).
func ValidateNew(c *contractv1.Contract, prefix string) error {
	var v apperr.Violations
	if c.GetEngagement() == "" {
		v.Add(prefix+".engagement", "is required: the awarded engagement, engagements/{engagement}")
	}
	checkDraft(c, prefix, &v)
	return v.Err()
}

// ValidateDraft checks what a draft holds so far: every field that is set
// must make sense, but nothing is required yet (a draft is work in
// progress). prefix is the path of the contract in the request
// ("contract").
func ValidateDraft(c *contractv1.Contract, prefix string) error {
	var v apperr.Violations
	checkDraft(c, prefix, &v)
	return v.Err()
}

// ValidateForReview checks the whole contract before it goes IN_REVIEW and
// lists every problem, one field violation each, so the contract manager
// can fix them all at once. spec: contract.md, "States" — IN_REVIEW.
func ValidateForReview(c *contractv1.Contract, prefix string) error {
	var v apperr.Violations
	checkDraft(c, prefix, &v)
	f := func(field string) string { return prefix + "." + field }

	switch c.GetType() {
	case contractv1.ContractType_CONTRACT_TYPE_UNSPECIFIED, contractv1.ContractType_CONTRACT_TYPE_FIXED_PRICE:
		if c.GetMonthlyFee() == nil {
			v.Add(f("monthly_fee"), "a FIXED_PRICE contract needs its monthly fee")
		} else if c.GetMonthlyFee().GetMinorUnits() <= 0 {
			v.Add(f("monthly_fee.minor_units"), "the monthly fee must be more than zero")
		}
	default:
		v.Add(f("type"), "only FIXED_PRICE contracts can be reviewed today; %s comes in a later release", protoenum.Short(c.GetType()))
	}
	if fee := c.GetMonthlyFee(); fee != nil && c.GetCurrencyCode() != "" && fee.GetCurrencyCode() != c.GetCurrencyCode() && refdata.Currency(fee.GetCurrencyCode()) == nil {
		v.Add(f("monthly_fee.currency_code"), "is %s, but the contract is in %s (the award's currency); state the fee in %s", fee.GetCurrencyCode(), c.GetCurrencyCode(), c.GetCurrencyCode())
	}
	if strings.TrimSpace(c.GetClientSignatory()) == "" {
		v.Add(f("client_signatory"), "is required: the subject of the client's user who signs the contract")
	}
	start, startOK := civil(c.GetStartDate())
	end, endOK := civil(c.GetEndDate())
	if c.GetStartDate() == nil {
		v.Add(f("start_date"), "is required: the first day of the term")
	}
	if c.GetEndDate() == nil {
		v.Add(f("end_date"), "is required: the last day of the term")
	}
	if startOK && endOK && !end.After(start) {
		v.Add(f("end_date"), "%s is not after the start date %s", end.Format("2006-01-02"), start.Format("2006-01-02"))
	}
	if c.GetServiceTimeZone() == "" {
		v.Add(f("service_time_zone"), "is required: the IANA time zone periods are measured in, e.g. America/New_York")
	}
	checkCredits(c, prefix, &v)
	return v.Err()
}

// checkDraft adds the violations of fields that are set but wrong.
func checkDraft(c *contractv1.Contract, prefix string, v *apperr.Violations) {
	f := func(field string) string { return prefix + "." + field }
	if d := c.GetStartDate(); d != nil {
		if _, ok := civil(d); !ok {
			v.Add(f("start_date"), "%04d-%02d-%02d is not a calendar date", d.GetYear(), d.GetMonth(), d.GetDay())
		}
	}
	if d := c.GetEndDate(); d != nil {
		if _, ok := civil(d); !ok {
			v.Add(f("end_date"), "%04d-%02d-%02d is not a calendar date", d.GetYear(), d.GetMonth(), d.GetDay())
		}
	}
	if tz := c.GetServiceTimeZone(); tz != "" {
		if err := refdata.TimeZone(tz); err != nil {
			v.Add(f("service_time_zone"), "%q is not an IANA time zone (e.g. Asia/Manila)", tz)
		}
	}
	if fee := c.GetMonthlyFee(); fee != nil {
		if err := refdata.Currency(fee.GetCurrencyCode()); err != nil {
			v.Add(f("monthly_fee.currency_code"), "%q is not an ISO 4217 currency code", fee.GetCurrencyCode())
		}
		if fee.GetMinorUnits() < 0 {
			v.Add(f("monthly_fee.minor_units"), "cannot be negative")
		}
	}
	seen := map[string]int{}
	for i, sl := range c.GetServiceLevels() {
		if j, dup := seen[sl.GetKey()]; dup {
			v.Add(fmt.Sprintf("%s.service_levels[%d].key", prefix, i), "%q is also the key of service_levels[%d]; keys are unique", sl.GetKey(), j)
			continue
		}
		seen[sl.GetKey()] = i
	}
}

// checkCredits adds the violations of the credit regime: every critical
// level has an allocation of 0–100 % of the pool, together 100–250 %; KPI
// levels carry none; at most 20 % of the charges are at risk; a chronic
// failure is K misses of at most the last N periods. spec: contract.md,
// "credit regime".
func checkCredits(c *contractv1.Contract, prefix string, v *apperr.Violations) {
	sum, critical := 0, 0
	for i, sl := range c.GetServiceLevels() {
		field := fmt.Sprintf("%s.service_levels[%d].allocation_bps", prefix, i)
		a := int(sl.GetAllocationBps())
		switch sl.GetKind() {
		case typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL:
			critical++
			switch {
			case a == 0:
				v.Add(field, "the CRITICAL level %q needs an allocation of the at-risk pool (1–10000 bps)", sl.GetKey())
			case a < 0 || a > MaxAllocationBps:
				v.Add(field, "%d bps is outside 0–10000 bps (0–100 %%) for %q", a, sl.GetKey())
			default:
				sum += a
			}
		default:
			if a != 0 {
				v.Add(field, "%q is a KPI, which carries no credit; only CRITICAL levels have an allocation", sl.GetKey())
			}
		}
	}
	if critical > 0 && (sum < MinAllocationSumBps || sum > MaxAllocationSumBps) {
		v.Add(prefix+".service_levels", "the CRITICAL levels' allocations sum to %d bps; they must sum to 10000–25000 bps (100–250 %% of the at-risk pool)", sum)
	}
	cr := c.GetCreditRegime()
	if r := cr.GetAtRiskBps(); r < 0 || r > MaxAtRiskBps {
		v.Add(prefix+".credit_regime.at_risk_bps", "%d bps is outside 0–2000 bps: at most 20 %% of a period's charges can be at risk", r)
	}
	if k, n := cr.GetChronicMisses(), cr.GetChronicWindow(); k > n {
		v.Add(prefix+".credit_regime.chronic_misses", "%d misses cannot happen in a window of %d periods", k, n)
	}
}
