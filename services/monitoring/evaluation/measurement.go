package evaluation

import (
	"fmt"
	"time"

	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
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
}

// Stored is a measurement as kept: its value as exact decimal text.
type Stored struct {
	Key     string
	EventID string
	Time    time.Time
	Value   string
}

// SameContent reports whether a re-sent measurement equals the stored one,
// which makes it a harmless retry rather than a conflicting report.
func (s Stored) SameContent(o Stored) bool {
	return s.Key == o.Key && s.EventID == o.EventID && s.Time.Equal(o.Time) && s.Value == o.Value
}

// Intake decides which measurements of a contract are accepted: the
// contract's service levels, the commencement instant and the clock.
type Intake struct {
	Levels       map[string]*typev1.ServiceLevel
	Commencement time.Time
	Now          time.Time
}

// NewIntake returns the intake of a contract with levels.
func NewIntake(levels []*typev1.ServiceLevel, commencement, now time.Time) *Intake {
	in := &Intake{Levels: make(map[string]*typev1.ServiceLevel, len(levels)), Commencement: commencement, Now: now}
	for _, l := range levels {
		in.Levels[l.GetKey()] = l
	}
	return in
}

// Check returns the measurement as it would be stored, or the reason it is
// rejected, in words the provider can act on. Measurements of every
// aggregation are accepted (only PERCENT_WITHIN and MEAN are evaluated
// yet; the others are kept so their history is complete when they are).
// spec: monitoring.md "Measurements": unknown key, event time before
// commencement or in the future, non-finite values are rejected.
func (in *Intake) Check(m Measurement) (Stored, string) {
	if _, ok := in.Levels[m.Key]; !ok {
		return Stored{}, fmt.Sprintf("the contract has no service level %q", m.Key)
	}
	if m.Time.Before(in.Commencement) {
		return Stored{}, fmt.Sprintf("event time %s is before service commencement (%s)",
			m.Time.UTC().Format(time.RFC3339Nano), in.Commencement.UTC().Format(time.RFC3339))
	}
	if m.Time.After(in.Now.Add(MaxSkew)) {
		return Stored{}, fmt.Sprintf("event time %s is in the future (more than %v ahead of the server's clock)",
			m.Time.UTC().Format(time.RFC3339Nano), MaxSkew)
	}
	v, err := ValueText(m.Value)
	if err != nil {
		return Stored{}, err.Error()
	}
	return Stored{Key: m.Key, EventID: m.EventID, Time: m.Time, Value: v}, ""
}
