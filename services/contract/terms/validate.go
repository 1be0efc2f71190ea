package terms

import (
	"fmt"
	"slices"
	"strings"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"google.golang.org/genproto/googleapis/type/timeofday"

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
	// MaxEarnBackPeriods bounds the earn-back: a credit is earned back
	// within at most a year of periods.
	MaxEarnBackPeriods = 12
	// MaxAnnualCapBps bounds the annual cap (100 % of the year's charges).
	MaxAnnualCapBps = 10000
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

	checkPricing(c, prefix, &v)
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
	if n := c.GetRenewalNoticeDays(); n > 0 && startOK && endOK && !end.AddDate(0, 0, -int(n)).After(start) {
		v.Add(f("renewal_notice_days"), "%d days before the end (%s) is not after the start (%s): the notice deadline must fall within the term", n, end.Format(time.DateOnly), start.Format(time.DateOnly))
	}
	if dp := c.GetDataProtection(); sensitive(dp.GetClassification()) && dp.GetBreachNotificationHours() == 0 {
		v.Add(f("data_protection.breach_notification_hours"), "is required for %s data: the hours within which the provider reports a breach (e.g. 72)", protoenum.Short(dp.GetClassification()))
	}
	checkCredits(c, prefix, &v)
	return v.Err()
}

// sensitive reports whether data of classification d needs agreed breach
// notification.
func sensitive(d catalogv1.DataClassification) bool {
	return d == catalogv1.DataClassification_DATA_CLASSIFICATION_CONFIDENTIAL || d == catalogv1.DataClassification_DATA_CLASSIFICATION_REGULATED
}

// checkPricing adds the violations of the price of c's type: a FIXED_PRICE
// contract has a monthly fee; a TIME_AND_MATERIALS one a rate card (each
// role once, each rate above zero) and optionally a monthly not-to-exceed
// cap; a PERFORMANCE_BASED one a base monthly fee and, when it has a bonus
// pool, the KPI levels that earn it (and no KPIs without a pool). Prices
// of another model are refused rather than silently ignored. Every amount
// is in the contract's currency. spec: contract.md, "pricing".
func checkPricing(c *contractv1.Contract, prefix string, v *apperr.Violations) {
	f := func(field string) string { return prefix + "." + field }
	positive := func(field string, m *typev1.Money, what string) {
		switch {
		case m == nil:
			v.Add(f(field), "a %s contract needs its %s", protoenum.Short(effectiveType(c)), what)
		case m.GetMinorUnits() <= 0:
			v.Add(f(field+".minor_units"), "the %s must be more than zero", what)
		}
	}
	notOf := func(field string, set bool, models string) {
		if set {
			v.Add(f(field), "belongs to %s pricing, not %s; clear it", models, protoenum.Short(effectiveType(c)))
		}
	}
	typ := effectiveType(c)
	fixed := typ == contractv1.ContractType_CONTRACT_TYPE_FIXED_PRICE
	tm := typ == contractv1.ContractType_CONTRACT_TYPE_TIME_AND_MATERIALS
	pb := typ == contractv1.ContractType_CONTRACT_TYPE_PERFORMANCE_BASED
	if fixed {
		positive("monthly_fee", c.GetMonthlyFee(), "monthly fee")
	} else {
		notOf("monthly_fee", c.GetMonthlyFee() != nil, "FIXED_PRICE")
	}
	if tm {
		if len(c.GetRateCard()) == 0 {
			v.Add(f("rate_card"), "a TIME_AND_MATERIALS contract needs its rate card: every role with its hourly rate")
		}
		seen := map[string]int{}
		for i, r := range c.GetRateCard() {
			field := fmt.Sprintf("rate_card[%d]", i)
			if j, dup := seen[r.GetRole()]; dup {
				v.Add(f(field+".role"), "%q is also the role of rate_card[%d]; each role has one rate", r.GetRole(), j)
			}
			seen[r.GetRole()] = i
			if r.GetRole() == "" {
				v.Add(f(field+".role"), "is required: the role billed at this rate, e.g. agent")
			}
			positive(field+".hourly_rate", r.GetHourlyRate(), "hourly rate of "+strconvQuote(r.GetRole()))
		}
		if m := c.GetMonthlyNotToExceed(); m != nil && m.GetMinorUnits() <= 0 {
			v.Add(f("monthly_not_to_exceed.minor_units"), "the monthly not-to-exceed cap must be more than zero, or unset for no cap")
		}
	} else {
		notOf("rate_card", len(c.GetRateCard()) > 0, "TIME_AND_MATERIALS")
		notOf("monthly_not_to_exceed", c.GetMonthlyNotToExceed() != nil, "TIME_AND_MATERIALS")
	}
	if pb {
		positive("base_monthly_fee", c.GetBaseMonthlyFee(), "base monthly fee")
		pool := c.GetBonusPool().GetMinorUnits()
		if c.GetBonusPool() != nil && pool < 0 {
			v.Add(f("bonus_pool.minor_units"), "cannot be negative")
		}
		switch {
		case pool > 0 && len(c.GetBonusKpis()) == 0:
			v.Add(f("bonus_kpis"), "name the KPI levels that earn the bonus pool")
		case pool <= 0 && len(c.GetBonusKpis()) > 0:
			v.Add(f("bonus_pool"), "the bonus KPIs earn nothing without a bonus pool above zero")
		}
		kinds := map[string]typev1.ServiceLevelKind{}
		for _, sl := range c.GetServiceLevels() {
			kinds[sl.GetKey()] = sl.GetKind()
		}
		for i, k := range c.GetBonusKpis() {
			field := f(fmt.Sprintf("bonus_kpis[%d]", i))
			kind, ok := kinds[k]
			switch {
			case !ok:
				v.Add(field, "%q is not a service level of the contract", k)
			case kind != typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_KPI:
				v.Add(field, "%q is a %s level; only KPI levels earn the bonus (critical ones carry credits)", k, protoenum.Short(kind))
			case slices.Index(c.GetBonusKpis(), k) < i:
				v.Add(field, "%q is named twice", k)
			}
		}
	} else {
		notOf("base_monthly_fee", c.GetBaseMonthlyFee() != nil, "PERFORMANCE_BASED")
		notOf("bonus_pool", c.GetBonusPool() != nil, "PERFORMANCE_BASED")
		notOf("bonus_kpis", len(c.GetBonusKpis()) > 0, "PERFORMANCE_BASED")
	}
	// Every amount in the award's currency.
	if cur := c.GetCurrencyCode(); cur != "" {
		for _, m := range amounts(c) {
			if m.money.GetCurrencyCode() != cur && refdata.Currency(m.money.GetCurrencyCode()) == nil {
				v.Add(f(m.field+".currency_code"), "is %s, but the contract is in %s (the award's currency); state it in %s", m.money.GetCurrencyCode(), cur, cur)
			}
		}
	}
}

// effectiveType is c's type, FIXED_PRICE when unset.
func effectiveType(c *contractv1.Contract) contractv1.ContractType {
	if c.GetType() == contractv1.ContractType_CONTRACT_TYPE_UNSPECIFIED {
		return contractv1.ContractType_CONTRACT_TYPE_FIXED_PRICE
	}
	return c.GetType()
}

type amount struct {
	field string
	money *typev1.Money
}

// amounts are the money fields of c that are set, with their paths.
func amounts(c *contractv1.Contract) []amount {
	var out []amount
	add := func(field string, m *typev1.Money) {
		if m != nil {
			out = append(out, amount{field, m})
		}
	}
	add("monthly_fee", c.GetMonthlyFee())
	for i, r := range c.GetRateCard() {
		add(fmt.Sprintf("rate_card[%d].hourly_rate", i), r.GetHourlyRate())
	}
	add("monthly_not_to_exceed", c.GetMonthlyNotToExceed())
	add("base_monthly_fee", c.GetBaseMonthlyFee())
	add("bonus_pool", c.GetBonusPool())
	add("termination_terms.convenience_fee", c.GetTerminationTerms().GetConvenienceFee())
	return out
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }

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
	for _, m := range amounts(c) {
		if err := refdata.Currency(m.money.GetCurrencyCode()); err != nil {
			v.Add(f(m.field+".currency_code"), "%q is not an ISO 4217 currency code", m.money.GetCurrencyCode())
		}
		if m.money.GetMinorUnits() < 0 {
			v.Add(f(m.field+".minor_units"), "cannot be negative")
		}
	}
	if sh := c.GetServiceHours(); sh != nil {
		start, end := sh.GetStart(), sh.GetEnd()
		switch {
		case (start == nil) != (end == nil):
			v.Add(f("service_hours"), "set both start and end of the service day, or neither for the whole day")
		case start != nil && !validTime(start):
			v.Add(f("service_hours.start"), "%02d:%02d is not a time of day", start.GetHours(), start.GetMinutes())
		case end != nil && !validTime(end) && !(end.GetHours() == 24 && end.GetMinutes() == 0 && end.GetSeconds() == 0):
			v.Add(f("service_hours.end"), "%02d:%02d is not a time of day (24:00 ends the day)", end.GetHours(), end.GetMinutes())
		case start != nil && minutes(end) <= minutes(start):
			v.Add(f("service_hours.end"), "%02d:%02d is not after the start %02d:%02d", end.GetHours(), end.GetMinutes(), start.GetHours(), start.GetMinutes())
		}
		for i, h := range sh.GetHolidays() {
			if _, ok := civil(h); !ok {
				v.Add(fmt.Sprintf("%s.service_hours.holidays[%d]", prefix, i), "%04d-%02d-%02d is not a calendar date", h.GetYear(), h.GetMonth(), h.GetDay())
			}
		}
	}
	for i, r := range c.GetReporting().GetRequiredReports() {
		if slices.Index(c.GetReporting().GetRequiredReports(), r) < i {
			v.Add(fmt.Sprintf("%s.reporting.required_reports[%d]", prefix, i), "%q is named twice", r)
		}
	}
	for i, cc := range c.GetDataProtection().GetAllowedDataCountries() {
		if err := refdata.Country(cc); err != nil {
			v.Add(fmt.Sprintf("%s.data_protection.allowed_data_countries[%d]", prefix, i), "%q is not an ISO 3166-1 alpha-2 country", cc)
		}
	}
	for i, d := range c.GetDeliveryCenters() {
		if slices.Index(c.GetDeliveryCenters(), d) < i {
			v.Add(fmt.Sprintf("%s.delivery_centers[%d]", prefix, i), "%q is named twice", d)
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
	switch k, n := cr.GetChronicMisses(), cr.GetChronicWindow(); {
	case k > n:
		v.Add(prefix+".credit_regime.chronic_misses", "%d misses cannot happen in a window of %d periods", k, n)
	case k == 0 && n > 0:
		v.Add(prefix+".credit_regime.chronic_misses", "0 misses in %d periods would be a chronic failure every period; at least 1 (default 3 of 6), or 0 with a window of 0 for no chronic-failure rule", n)
	}
	if e := cr.GetEarnBackPeriods(); e < 0 || e > MaxEarnBackPeriods {
		v.Add(prefix+".credit_regime.earn_back_periods", "%d is outside 0–%d periods", e, MaxEarnBackPeriods)
	}
	if a := cr.GetAnnualCapBps(); a < 0 || a > MaxAnnualCapBps {
		v.Add(prefix+".credit_regime.annual_cap_bps", "%d bps is outside 0–10000 bps (0 = no annual cap)", a)
	}
}

// validTime reports whether t is a time of day 00:00–23:59:59.
func validTime(t *timeofday.TimeOfDay) bool {
	return t.GetHours() >= 0 && t.GetHours() < 24 && t.GetMinutes() >= 0 && t.GetMinutes() < 60 && t.GetSeconds() >= 0 && t.GetSeconds() < 60
}

// minutes is t in minutes since midnight.
func minutes(t *timeofday.TimeOfDay) int32 { return t.GetHours()*60 + t.GetMinutes() }
