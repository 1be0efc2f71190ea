// Package review holds the rules of a performance review: the range of
// periods it covers and which decision it may take. Plain Go: no gRPC, no
// SQL. spec: monitoring.md "Scorecards and reviews".
package review

import (
	"fmt"
	"time"

	"github.com/acme/bpo/kit/apperr"
)

// MaxPeriods is the most periods one review covers (a year: reviews are
// quarterly by default).
const MaxPeriods = 12

// Month is a period `YYYY-MM`.
type Month struct {
	Year  int
	Month time.Month
}

func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }

// Range returns the months from first to last, both included, or
// INVALID_ARGUMENT naming the field at fault.
func Range(first, last Month) ([]Month, error) {
	a := first.Year*12 + int(first.Month) - 1
	b := last.Year*12 + int(last.Month) - 1
	switch {
	case b < a:
		return nil, apperr.Invalid(apperr.FieldViolation{Field: "review.last_period", Description: fmt.Sprintf("%s is before first_period %s", last, first)})
	case b-a+1 > MaxPeriods:
		return nil, apperr.Invalid(apperr.FieldViolation{Field: "review.last_period", Description: fmt.Sprintf("%s to %s is %d periods; a review covers at most %d", first, last, b-a+1, MaxPeriods)})
	}
	out := make([]Month, 0, b-a+1)
	for i := a; i <= b; i++ {
		out = append(out, Month{Year: i / 12, Month: time.Month(i%12 + 1)})
	}
	return out, nil
}

// Decision is a review's decision.
type Decision int

// The decisions.
const (
	Continue Decision = iota + 1
	ImprovementPlan
	Escalate
	TerminateForCause
)

// Facts are what a decision depends on.
type Facts struct {
	// ChronicFailureRight: the contract holds a right to terminate for
	// cause (a chronic failure recorded by monitoring).
	ChronicFailureRight bool
	// OpenActionItems is the number of action items not done or cancelled.
	OpenActionItems int
}

// CheckDecision says whether a review may decide d:
//   - TERMINATE_FOR_CAUSE only when the contract holds a chronic-failure
//     right (spec); the termination itself is the contract service's
//     (TerminateContract with reason CAUSE, four eyes);
//   - IMPROVEMENT_PLAN only with at least one open action item: the plan
//     is its action items, with owners and due dates.
func CheckDecision(d Decision, f Facts) error {
	switch d {
	case TerminateForCause:
		if !f.ChronicFailureRight {
			return apperr.New(apperr.FailedPrecondition, "TERMINATE_FOR_CAUSE needs a chronic-failure right, and the contract holds none (a critical level must be missed in K of the last N periods of closed statements); decide ESCALATE or IMPROVEMENT_PLAN instead")
		}
	case ImprovementPlan:
		if f.OpenActionItems == 0 {
			return apperr.New(apperr.FailedPrecondition, "IMPROVEMENT_PLAN needs at least one open action item (what, who, by when); add them with UpdateReview first")
		}
	}
	return nil
}
