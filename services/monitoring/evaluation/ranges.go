package evaluation

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"

	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
)

// MaxMagnitude bounds every measurement value: at most 12 digits before
// the decimal point, as a target or threshold is written. A value beyond
// it (1e308) is no plausible reading of any level, and its exact decimal
// would be hundreds of digits long in the store.
const MaxMagnitude = 1e12

// Range is the valid raw values of one service level, [Min, Max]; a nil
// bound is open (up to MaxMagnitude). spec: monitoring.md "Measurements";
// issue 7 item 5: one implausible value (a CSAT of 1,000,000) decided a
// period's outcome and its credit.
type Range struct {
	Min, Max *big.Rat
	// minWhy and maxWhy say where each bound comes from, for the reason a
	// value is rejected.
	minWhy, maxWhy string
	// bad is set when the contract's own bound is not a decimal; every
	// value is refused then, with it as the reason.
	bad string
}

// The units a range follows from when the metric gives no bounds of its
// own (typev1.MetricDefinition). Units are compared in lower case.
var (
	percentUnits  = []string{"%", "percent", "pct"}
	durationUnits = []string{
		"ms", "millisecond", "milliseconds", "s", "sec", "secs", "second", "seconds",
		"min", "mins", "minute", "minutes", "h", "hr", "hrs", "hour", "hours", "d", "day", "days",
	}
)

// ValueRange returns the valid raw values of level: the metric's
// min_value and max_value where given, otherwise what its unit and
// aggregation imply — a percentage lies within 0 and 100, a duration and a
// count are never negative. A RATIO level's unit names its period value
// (a %), not the raw numerator, so it implies nothing (the numerator is
// checked against its denominator instead); an AVAILABILITY level does not
// use the value at all and has no range.
func ValueRange(level *typev1.ServiceLevel) Range {
	m := level.GetMetric()
	var r Range
	unit := strings.ToLower(strings.TrimSpace(m.GetUnit()))
	switch agg := m.GetAggregation(); {
	case agg == typev1.Aggregation_AGGREGATION_AVAILABILITY:
		return r
	case agg == typev1.Aggregation_AGGREGATION_RATIO:
	case slices.Contains(percentUnits, unit):
		r.Min, r.minWhy = new(big.Rat), "a percentage is never below 0"
		r.Max, r.maxWhy = big.NewRat(100, 1), "a percentage is never above 100"
	case slices.Contains(durationUnits, unit):
		r.Min, r.minWhy = new(big.Rat), "a duration is never negative"
	case agg == typev1.Aggregation_AGGREGATION_SUM, agg == typev1.Aggregation_AGGREGATION_COUNT:
		r.Min, r.minWhy = new(big.Rat), "a count is never negative"
	}
	if s := m.GetMinValue(); s != "" {
		if v, err := ParseDecimal(s); err != nil {
			r.bad = fmt.Sprintf("the contract's min_value %q of %s is not a decimal; amend the contract", s, level.GetKey())
		} else {
			r.Min, r.minWhy = v, "the contract's metric definition says so"
		}
	}
	if s := m.GetMaxValue(); s != "" {
		if v, err := ParseDecimal(s); err != nil {
			r.bad = fmt.Sprintf("the contract's max_value %q of %s is not a decimal; amend the contract", s, level.GetKey())
		} else {
			r.Max, r.maxWhy = v, "the contract's metric definition says so"
		}
	}
	return r
}

// Check returns why value, a finite measurement value of the level key
// whose exact decimal text is text, lies outside r, or "" when it lies
// within. Bounds are inclusive and compared with the decimal text, the
// value that is stored and evaluated: 5 is within 1–5, 5.000001 is not.
func (r Range) Check(key string, value float64, text string) string {
	if r.bad != "" {
		return r.bad
	}
	if math.Abs(value) >= MaxMagnitude {
		return fmt.Sprintf("the value %s of %s has more than 12 digits before the decimal point, more than any measurement may have",
			shown(value, text), key)
	}
	if r.Min == nil && r.Max == nil {
		return ""
	}
	v, err := ParseDecimal(text)
	if err != nil {
		return err.Error()
	}
	if r.Min != nil && v.Cmp(r.Min) < 0 {
		return fmt.Sprintf("the value %s of %s is below %s, the least it may be (%s)", shown(value, text), key, FormatDecimal(r.Min, DisplayPlaces), r.minWhy)
	}
	if r.Max != nil && v.Cmp(r.Max) > 0 {
		return fmt.Sprintf("the value %s of %s is above %s, the most it may be (%s)", shown(value, text), key, FormatDecimal(r.Max, DisplayPlaces), r.maxWhy)
	}
	return ""
}

// shown is a value as a reason quotes it: its decimal text, unless that is
// too long to read (1e+308 rather than 309 digits).
func shown(v float64, text string) string {
	if len(text) > 24 {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return text
}
