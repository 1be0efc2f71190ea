package evaluation

import (
	"fmt"
	"math"
	"time"

	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/protoenum"
)

// MaxSkew is how far in the future an event time may lie: providers'
// clocks drift. spec: monitoring.md "Measurements" (5 minutes of skew).
const MaxSkew = 5 * time.Minute

// Measurement is one raw measurement as reported.
type Measurement struct {
	Key     string
	EventID string
	Time    time.Time
	Value   float64
	// Denominator is a RATIO event's denominator; nil means 1.
	Denominator *float64
	// Outage is an AVAILABILITY event's outage; nil for a report that the
	// service was up at Time.
	Outage *Interval
}

// Interval is a stretch of time [Start, End).
type Interval struct {
	Start, End time.Time
}

// Intersect is the stretch iv and o share; it is empty (End not after
// Start) when they share none.
func (iv Interval) Intersect(o Interval) Interval {
	return Interval{Start: maxTime(iv.Start, o.Start), End: minTime(iv.End, o.End)}
}

// Stored is a measurement as kept: its value as exact decimal text.
type Stored struct {
	Key     string
	EventID string
	Time    time.Time
	Value   string
	// Denominator is the exact decimal text of a RATIO level's
	// denominator ("1" when none was given); "" for other levels.
	Denominator string
	// Outage is an AVAILABILITY level's outage; nil when none.
	Outage *Interval
}

// SameContent reports whether a re-sent measurement equals the stored one,
// which makes it a harmless retry rather than a conflicting report. Every
// field counts: the denominator and the outage as well as time and value.
func (s Stored) SameContent(o Stored) bool {
	if (s.Outage == nil) != (o.Outage == nil) {
		return false
	}
	if s.Outage != nil && (!s.Outage.Start.Equal(o.Outage.Start) || !s.Outage.End.Equal(o.Outage.End)) {
		return false
	}
	return s.Key == o.Key && s.EventID == o.EventID && s.Time.Equal(o.Time) && s.Value == o.Value && s.Denominator == o.Denominator
}

// Intake decides which measurements of a contract are accepted: the
// contract's service levels, the commencement instant and the clock.
type Intake struct {
	Levels       map[string]*typev1.ServiceLevel
	Commencement time.Time
	Now          time.Time
	// ranges are the levels' valid values, worked out once per intake
	// rather than per measurement.
	ranges map[string]Range
	// End is the first instant after the last day of service; zero when
	// the contract has no end. Later events are rejected.
	End time.Time
	// Closed, when set, says why a measurement of level at t is refused
	// because the statement period it belongs to is closed ("" if open).
	Closed func(level *typev1.ServiceLevel, t time.Time) string
}

// NewIntake returns the intake of a contract with levels.
func NewIntake(levels []*typev1.ServiceLevel, commencement, now time.Time) *Intake {
	in := &Intake{
		Levels: make(map[string]*typev1.ServiceLevel, len(levels)), Commencement: commencement, Now: now,
		ranges: make(map[string]Range, len(levels)),
	}
	for _, l := range levels {
		in.Levels[l.GetKey()] = l
		in.ranges[l.GetKey()] = ValueRange(l)
	}
	return in
}

// Check returns the measurement as it would be stored, or the reason it is
// rejected, in words the provider can act on. spec: monitoring.md
// "Measurements": unknown key, event time before commencement, after the
// last day of service (End), in a closed period (Closed) or in the future,
// non-finite values are rejected; "Metric definitions" for what a RATIO or AVAILABILITY event
// carries; a value outside the level's range (ValueRange) is rejected too.
func (in *Intake) Check(m Measurement) (Stored, string) {
	l, ok := in.Levels[m.Key]
	if !ok {
		return Stored{}, fmt.Sprintf("the contract has no service level %q", m.Key)
	}
	if m.Time.Before(in.Commencement) {
		return Stored{}, fmt.Sprintf("event time %s is before service commencement (%s)",
			m.Time.UTC().Format(time.RFC3339Nano), in.Commencement.UTC().Format(time.RFC3339))
	}
	if !in.End.IsZero() && !m.Time.Before(in.End) {
		return Stored{}, fmt.Sprintf("event time %s is after the contract's last day of service (service ended %s)",
			m.Time.UTC().Format(time.RFC3339Nano), in.End.UTC().Format(time.RFC3339))
	}
	if in.Closed != nil {
		if why := in.Closed(l, m.Time); why != "" {
			return Stored{}, why
		}
	}
	if m.Time.After(in.Now.Add(MaxSkew)) {
		return Stored{}, fmt.Sprintf("event time %s is in the future (more than %v ahead of the server's clock)",
			m.Time.UTC().Format(time.RFC3339Nano), MaxSkew)
	}
	v, err := ValueText(m.Value)
	if err != nil {
		return Stored{}, err.Error()
	}
	r, ok := in.ranges[m.Key]
	if !ok { // an Intake made without NewIntake
		r = ValueRange(l)
	}
	if why := r.Check(m.Key, m.Value, v); why != "" {
		return Stored{}, why
	}
	st := Stored{Key: m.Key, EventID: m.EventID, Time: m.Time, Value: v}
	agg := l.GetMetric().GetAggregation()
	if m.Denominator != nil && agg != typev1.Aggregation_AGGREGATION_RATIO {
		return Stored{}, fmt.Sprintf("a denominator is only for RATIO levels; %s is %s", m.Key, protoenum.Short(agg))
	}
	if m.Outage != nil && agg != typev1.Aggregation_AGGREGATION_AVAILABILITY {
		return Stored{}, fmt.Sprintf("an outage is only for AVAILABILITY levels; %s is %s", m.Key, protoenum.Short(agg))
	}
	switch agg {
	case typev1.Aggregation_AGGREGATION_RATIO:
		// The numerator is a share of the denominator: a RATIO level is a
		// percentage of events (or of counted units) that succeeded.
		den := 1.0
		if m.Denominator != nil {
			den = *m.Denominator
		}
		if math.IsNaN(den) || math.IsInf(den, 0) || den <= 0 {
			return Stored{}, fmt.Sprintf("the denominator %v must be a finite number greater than 0", den)
		}
		if m.Value < 0 || m.Value > den {
			return Stored{}, fmt.Sprintf("the value (numerator) %s must be between 0 and the denominator %v", v, den)
		}
		st.Denominator, _ = ValueText(den)
	case typev1.Aggregation_AGGREGATION_AVAILABILITY:
		if o := m.Outage; o != nil {
			if !o.End.After(o.Start) {
				return Stored{}, fmt.Sprintf("the outage ends (%s) before it starts (%s): end_time must be after start_time",
					o.End.UTC().Format(time.RFC3339Nano), o.Start.UTC().Format(time.RFC3339Nano))
			}
			if o.End.After(in.Now.Add(MaxSkew)) {
				return Stored{}, fmt.Sprintf("the outage's end %s is in the future (more than %v ahead of the server's clock); report it once it is over",
					o.End.UTC().Format(time.RFC3339Nano), MaxSkew)
			}
			st.Outage = &Interval{Start: o.Start, End: o.End}
		}
	}
	return st, ""
}
