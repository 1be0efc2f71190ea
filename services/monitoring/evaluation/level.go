package evaluation

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/protoenum"
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
	// Share is, for a level evaluated over several windows in the period
	// (weekly), the share of them missed: its credit is that share of the
	// allocation. nil means the whole (one window).
	Share *big.Rat
	// Windows are the level's results per window (weekly, quarterly).
	Windows []WindowResult
}

// WindowResult is a level's result over one of its windows.
type WindowResult struct {
	Label      string
	Start, End time.Time
	Outcome    Outcome
	Value      *big.Rat
	Used       int64
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

// Input says what an aggregation reads of the stored measurements.
type Input int

// The inputs.
const (
	// Values: the value of each measurement whose event time is in the
	// window (Add).
	Values Input = iota
	// Ratios: the value (numerator) and denominator of each measurement
	// whose event time is in the window (AddRatio).
	Ratios
	// Outages: each outage that overlaps the window, and each report
	// without an outage whose event time is in it (AddOutage).
	Outages
)

// Aggregate turns one service level's measurements of a period into its
// exact period value. Values are added one at a time, so a period of
// millions of measurements is evaluated without holding them (except for
// PERCENTILE, whose nearest rank needs every value of the period).
//
// Built, for monthly windows: PERCENT_WITHIN (share of events meeting the
// threshold, in %), PERCENTILE (nearest rank), MEAN, RATIO (Σ numerator ÷
// Σ denominator, in %), SUM, COUNT and AVAILABILITY ((period − merged
// outage time) ÷ period, in %). spec: monitoring.md "Metric definitions".
type Aggregate struct {
	level     *typev1.ServiceLevel
	agg       typev1.Aggregation
	window    Window
	target    *big.Rat
	threshold *big.Rat
	// why is set when the level is not evaluated.
	why    string
	n      int64
	within int64
	// atLeast is the threshold comparator of PERCENT_WITHIN.
	atLeast bool
	// percentile is PERCENTILE's p (1–100); counts holds how many times
	// each value (its text) was measured in the period, for its nearest
	// rank: measured values repeat, so this is far smaller than the
	// values themselves. The counts are pointers so that counting a value
	// seen before never stores the key again: assigning to a map entry
	// replaces its string key with the one given, a slice of a whole day's
	// values as store.Values reads them, which it would keep alive.
	percentile int64
	counts     map[string]*int64
	// outages are AVAILABILITY's outages, clipped to the window.
	outages []Interval
	// service is AVAILABILITY's service time in the window (service hours
	// less exclusions); nil means the whole window.
	service []Interval
	// serviceWords says what the service time is.
	serviceWords string
	// sum, den, bound, v, d and tmp are exact scaled integers reused for
	// every value; den is RATIO's Σ denominator.
	sum, den, bound, v, d fixed
	tmp                   big.Int
}

// NewAggregate prepares the evaluation of level over the period window w
// (AVAILABILITY measures its outages against w's length).
func NewAggregate(level *typev1.ServiceLevel, w Window) *Aggregate {
	m := level.GetMetric()
	a := &Aggregate{level: level, agg: m.GetAggregation(), window: w}
	switch a.agg {
	case typev1.Aggregation_AGGREGATION_PERCENT_WITHIN:
		t, err := ParseDecimal(m.GetThreshold())
		if err != nil {
			a.why = "the contract gives this PERCENT_WITHIN level no decimal threshold; amend the contract"
			return a
		}
		a.threshold = t
		a.bound.set(m.GetThreshold())
		a.atLeast = a.thresholdComparator() == typev1.Comparator_COMPARATOR_AT_LEAST
	case typev1.Aggregation_AGGREGATION_PERCENTILE:
		if p := m.GetPercentile(); p < 1 || p > 100 {
			a.why = "the contract gives this PERCENTILE level no percentile (1–100); amend the contract"
			return a
		}
		a.percentile = int64(m.GetPercentile())
		a.counts = map[string]*int64{}
	case typev1.Aggregation_AGGREGATION_MEAN, typev1.Aggregation_AGGREGATION_RATIO,
		typev1.Aggregation_AGGREGATION_SUM, typev1.Aggregation_AGGREGATION_COUNT:
	case typev1.Aggregation_AGGREGATION_AVAILABILITY:
		if !w.End.After(w.Start) {
			a.why = "the period has no length to measure availability over"
			return a
		}
	default:
		a.why = fmt.Sprintf("aggregation %s not evaluated yet", protoenum.Short(a.agg))
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

// SetService sets AVAILABILITY's service time within the window: the
// contract's service hours, less the exclusions applied; words say which.
// Outage time outside it does not count. spec: monitoring.md "Metric
// definitions" (outage minutes in service hours).
func (a *Aggregate) SetService(service []Interval, words string) {
	a.service, a.serviceWords = service, words
}

// Input says what the aggregation reads of the stored measurements.
func (a *Aggregate) Input() Input {
	switch a.agg {
	case typev1.Aggregation_AGGREGATION_RATIO:
		return Ratios
	case typev1.Aggregation_AGGREGATION_AVAILABILITY:
		return Outages
	}
	return Values
}

// Add adds one stored value (decimal text) of the period.
func (a *Aggregate) Add(value string) error {
	a.n++
	if a.why != "" || a.agg == typev1.Aggregation_AGGREGATION_COUNT {
		return nil // COUNT counts events; their values do not matter
	}
	if a.percentile > 0 {
		if n, ok := a.counts[value]; ok {
			*n++ // read when first counted
			return nil
		}
	}
	if err := a.read(&a.v, value); err != nil {
		return err
	}
	switch {
	case a.threshold != nil:
		c := a.v.cmp(&a.bound, &a.tmp)
		if c == 0 || (c > 0) == a.atLeast {
			a.within++
		}
	case a.percentile > 0:
		one := int64(1)
		a.counts[strings.Clone(value)] = &one
	default:
		a.sum.add(&a.v, &a.tmp)
	}
	return nil
}

// NeedsValues reports whether the aggregation needs each value's count
// (PERCENT_WITHIN, PERCENTILE), not only the sums of a Summary.
func (a *Aggregate) NeedsValues() bool {
	return a.why == "" && (a.threshold != nil || a.percentile > 0)
}

// AddSummary adds the measurements s summarises, as if each had been added
// on its own with Add or AddRatio, or, for AVAILABILITY, those without an
// outage with AddOutage(nil) (the outages themselves are added one by one
// with AddOutage: their intervals matter). The result is the same to the
// last digit. s must count its values when NeedsValues says so.
func (a *Aggregate) AddSummary(s *Summary) error {
	if a.agg == typev1.Aggregation_AGGREGATION_AVAILABILITY {
		a.n += s.N - s.Outages
		return nil
	}
	a.n += s.N
	if a.why != "" || a.agg == typev1.Aggregation_AGGREGATION_COUNT {
		return nil
	}
	if a.NeedsValues() {
		if s.Values == nil {
			return fmt.Errorf("the summary of %s counts no values: its %s needs them", a.level.GetKey(), protoenum.Short(a.agg))
		}
		for value, n := range s.Values {
			if err := a.read(&a.v, value); err != nil {
				return err
			}
			if a.threshold != nil {
				c := a.v.cmp(&a.bound, &a.tmp)
				if c == 0 || (c > 0) == a.atLeast {
					a.within += n
				}
				continue
			}
			if c, ok := a.counts[value]; ok {
				*c += n
			} else {
				a.counts[value] = &n
			}
		}
		return nil
	}
	a.sum.add(&s.Sum, &a.tmp)
	if a.agg == typev1.Aggregation_AGGREGATION_RATIO {
		a.den.add(&s.Den, &a.tmp)
	}
	return nil
}

// AddRatio adds one stored RATIO event: its numerator and denominator
// (decimal text).
func (a *Aggregate) AddRatio(num, den string) error {
	a.n++
	if a.why != "" {
		return nil
	}
	if err := a.read(&a.v, num); err != nil {
		return err
	}
	if err := a.read(&a.d, den); err != nil {
		return err
	}
	a.sum.add(&a.v, &a.tmp)
	a.den.add(&a.d, &a.tmp)
	return nil
}

// AddOutage adds one stored AVAILABILITY measurement: an outage, or nil
// for a report that the service was up. The outage is clipped to the
// window: only its time within the period counts.
func (a *Aggregate) AddOutage(o *Interval) error {
	a.n++
	if a.why != "" || o == nil {
		return nil
	}
	c := o.Intersect(Interval{Start: a.window.Start, End: a.window.End})
	if c.End.After(c.Start) {
		a.outages = append(a.outages, c)
	}
	return nil
}

func (a *Aggregate) read(f *fixed, value string) error {
	if !isPlainDecimal(value) || !f.set(value) {
		return fmt.Errorf("stored value %q of %s is not a decimal", value, a.level.GetKey())
	}
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
	if a.agg == typev1.Aggregation_AGGREGATION_AVAILABILITY && a.service != nil && Length(a.service) == 0 {
		r.Explanation = fmt.Sprintf("%s: no service time in the window (%s), so availability is not measured and the level costs nothing.", head, a.serviceWords)
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
	var how, unit string
	r.Value, how, unit = a.value()
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
