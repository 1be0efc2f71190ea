package evaluation

import (
	"fmt"
	"math/big"
	"strings"

	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
)

// Outcome is a service level's result for a period.
type Outcome int

// The outcomes. NotEvaluated is for levels whose aggregation or window is
// not built yet: they carry no outcome and no credit, and the explanation
// says so.
const (
	NotEvaluated Outcome = iota
	Met
	Missed
	NoData
)

func (o Outcome) String() string {
	return [...]string{"NOT_EVALUATED", "MET", "MISSED", "NO_DATA"}[o]
}

// Result is one service level's evaluation for a period.
type Result struct {
	Level   *typev1.ServiceLevel
	Outcome Outcome
	// Value is the exact period value; nil for NO_DATA and NotEvaluated.
	Value *big.Rat
	// Used counts the measurements that went into Value.
	Used int64
	// Explanation says how the value and the outcome were reached.
	Explanation string
}

// Critical reports whether the level carries service credits.
func (r Result) Critical() bool {
	return r.Level.GetKind() == typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL
}

// CountsAsMissed reports whether the level costs a credit: a missed
// critical level, or one without data, since a provider cannot meet a level
// by not reporting. spec: monitoring.md "Metric definitions" (NO_DATA).
func (r Result) CountsAsMissed() bool {
	return r.Critical() && (r.Outcome == Missed || r.Outcome == NoData)
}

// Aggregate turns one service level's measurements of a period into its
// exact period value. Values are added one at a time, so a period of
// millions of measurements is evaluated without holding them.
//
// Built: PERCENT_WITHIN (share of events meeting the threshold, in %) and
// MEAN (arithmetic mean), for monthly windows. spec: monitoring.md "Metric
// definitions".
type Aggregate struct {
	level     *typev1.ServiceLevel
	target    *big.Rat
	threshold *big.Rat
	// why is set when the level is not evaluated.
	why    string
	n      int64
	within int64
	// atLeast is the threshold comparator of PERCENT_WITHIN.
	atLeast bool
	// sum, bound, v and tmp are exact scaled integers reused for every value.
	sum, bound, v fixed
	tmp           big.Int
}

// NewAggregate prepares the evaluation of level.
func NewAggregate(level *typev1.ServiceLevel) *Aggregate {
	a := &Aggregate{level: level}
	m := level.GetMetric()
	switch w := level.GetWindow(); w {
	case typev1.MeasurementWindow_MEASUREMENT_WINDOW_UNSPECIFIED, typev1.MeasurementWindow_MEASUREMENT_WINDOW_MONTHLY:
	default:
		a.why = fmt.Sprintf("window %s not evaluated yet (only monthly windows are)", shortEnum(w.String(), "MEASUREMENT_WINDOW_"))
		return a
	}
	switch agg := m.GetAggregation(); agg {
	case typev1.Aggregation_AGGREGATION_PERCENT_WITHIN:
		t, err := ParseDecimal(m.GetThreshold())
		if err != nil {
			a.why = "the contract gives this PERCENT_WITHIN level no decimal threshold; amend the contract"
			return a
		}
		a.threshold = t
		a.bound.set(m.GetThreshold())
		a.atLeast = a.thresholdComparator() == typev1.Comparator_COMPARATOR_AT_LEAST
	case typev1.Aggregation_AGGREGATION_MEAN:
	default:
		a.why = fmt.Sprintf("aggregation %s not evaluated yet", shortEnum(agg.String(), "AGGREGATION_"))
		return a
	}
	t, err := ParseDecimal(level.GetTarget())
	if err != nil {
		a.why = fmt.Sprintf("the contract's target %q is not a decimal; amend the contract", level.GetTarget())
		return a
	}
	a.target = t
	return a
}

// Add adds one stored value (decimal text) of the period.
func (a *Aggregate) Add(value string) error {
	a.n++
	if a.why != "" {
		return nil
	}
	if !isPlainDecimal(value) {
		return fmt.Errorf("stored value %q of %s is not a decimal", value, a.level.GetKey())
	}
	if !a.v.set(value) {
		return fmt.Errorf("stored value %q of %s is not a decimal", value, a.level.GetKey())
	}
	if a.threshold != nil {
		c := a.v.cmp(&a.bound, &a.tmp)
		if c == 0 || (c > 0) == a.atLeast {
			a.within++
		}
		return nil
	}
	a.sum.add(&a.v, &a.tmp)
	return nil
}

func (a *Aggregate) thresholdComparator() typev1.Comparator {
	if c := a.level.GetMetric().GetThresholdComparator(); c != typev1.Comparator_COMPARATOR_UNSPECIFIED {
		return c
	}
	return typev1.Comparator_COMPARATOR_AT_MOST // the proto's default
}

// meets reports whether v satisfies "v comparator bound".
func meets(v, bound *big.Rat, c typev1.Comparator) bool {
	if c == typev1.Comparator_COMPARATOR_AT_LEAST {
		return v.Cmp(bound) >= 0
	}
	return v.Cmp(bound) <= 0
}

// Result returns the level's value and outcome from what was added.
func (a *Aggregate) Result() Result {
	l := a.level
	r := Result{Level: l}
	head := l.GetKey()
	if a.why != "" {
		r.Explanation = fmt.Sprintf("%s: %s (%d measurements stored for the period, kept for when it is).", head, a.why, a.n)
		return r
	}
	if a.n == 0 {
		r.Outcome = NoData
		r.Explanation = fmt.Sprintf("%s: no measurements in the period → NO_DATA", head)
		if r.Critical() {
			r.Explanation += " (counts as missed: a critical level cannot be met by not reporting)"
		}
		r.Explanation += "."
		return r
	}
	r.Used = a.n
	unit := l.GetMetric().GetUnit()
	var how string
	if a.threshold != nil {
		// value = within × 100 / n, exactly.
		r.Value = new(big.Rat).SetFrac64(a.within*100, a.n)
		how = fmt.Sprintf("%d of %d measurements %s %s%s = %s %%", a.within, a.n,
			comparatorWords(a.thresholdComparator()), l.GetMetric().GetThreshold(), withSpace(unit), FormatDecimal(r.Value, DisplayPlaces))
		unit = "%"
	} else {
		sum := a.sum.rat()
		r.Value = new(big.Rat).Quo(sum, new(big.Rat).SetInt64(a.n))
		how = fmt.Sprintf("mean of %d measurements = %s / %d = %s%s", a.n,
			FormatDecimal(sum, a.sum.scale), a.n, FormatDecimal(r.Value, DisplayPlaces), withSpace(unit))
	}
	r.Outcome = Missed
	if meets(r.Value, a.target, l.GetComparator()) {
		r.Outcome = Met
	}
	r.Explanation = fmt.Sprintf("%s: %s; target %s %s%s → %s.", head, how,
		comparatorWords(l.GetComparator()), l.GetTarget(), withSpace(unit), r.Outcome)
	return r
}

func comparatorWords(c typev1.Comparator) string {
	if c == typev1.Comparator_COMPARATOR_AT_LEAST {
		return "at least"
	}
	return "at most"
}

func withSpace(unit string) string {
	switch unit {
	case "":
		return ""
	case "%":
		return " %"
	}
	return " " + unit
}

func shortEnum(s, prefix string) string { return strings.TrimPrefix(s, prefix) }
