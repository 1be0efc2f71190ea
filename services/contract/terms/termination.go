package terms

import (
	"fmt"
	"strings"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/apperr"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Termination is what a caller asks for when terminating a contract.
type Termination struct {
	Reason        contractv1.TerminationReason
	EffectiveDate *date.Date
	Explanation   string
	// By is the subject of the caller.
	By string
}

// ApplyTermination ends a SIGNED contract: state TERMINATED with the reason, the
// effective date (the last day of service), the explanation, who and when.
// spec: contract.md, "States" — TERMINATED records the reason and the
// effective date.
//
// The effective date is not in the future as the service time zone sees
// now (a termination takes effect when it is recorded: monitoring accepts
// measurements only while the contract is SIGNED, so a future date would
// cut service short; scheduling one by notice is not built) and not after
// the end of the term (then the contract simply runs out). An earlier date
// is allowed: the notice may have been given before it is recorded.
//
// CAUSE is refused: the spec wants a triggered chronic-failure right or a
// written reason approved by an approver, and neither chronic-failure
// tracking nor that approval step exists yet. field is the request path
// of the effective date.
func ApplyTermination(c *contractv1.Contract, t Termination, now time.Time, field string) error {
	next, err := Next(c.GetState(), Terminate)
	if err != nil {
		return err
	}
	if t.Reason == contractv1.TerminationReason_TERMINATION_REASON_CAUSE {
		return apperr.New(apperr.FailedPrecondition, "%s cannot be terminated for CAUSE yet: termination for cause needs a triggered chronic-failure right or a written reason approved by an approver, and that approval flow is not built; terminate for CONVENIENCE or by MUTUAL agreement, giving the cause in the explanation", c.GetName())
	}
	day, ok := civil(t.EffectiveDate)
	if !ok {
		d := t.EffectiveDate
		return apperr.Invalid(apperr.FieldViolation{Field: field, Description: fmt.Sprintf("%04d-%02d-%02d is not a calendar date", d.GetYear(), d.GetMonth(), d.GetDay())})
	}
	today := Today(c, now)
	if day.After(today) {
		return apperr.Invalid(apperr.FieldViolation{Field: field, Description: fmt.Sprintf("%s is in the future (today is %s in %s); terminate on the day the termination takes effect", day.Format(time.DateOnly), today.Format(time.DateOnly), zoneName(c))})
	}
	if end, ok := civil(c.GetEndDate()); ok && day.After(end) {
		return apperr.Invalid(apperr.FieldViolation{Field: field, Description: fmt.Sprintf("%s is after the end of the term (%s)", day.Format(time.DateOnly), end.Format(time.DateOnly))})
	}
	c.State = next
	c.Termination = &contractv1.Termination{
		Reason:        t.Reason,
		EffectiveDate: proto.Clone(t.EffectiveDate).(*date.Date),
		Explanation:   strings.TrimSpace(t.Explanation),
		TerminatedBy:  t.By,
		TerminateTime: timestamppb.New(now),
	}
	return nil
}

// Today is the calendar day of now in the contract's service time zone
// (UTC when it has none or an unknown one), as midnight UTC like civil.
func Today(c *contractv1.Contract, now time.Time) time.Time {
	loc, err := time.LoadLocation(c.GetServiceTimeZone())
	if err != nil {
		loc = time.UTC
	}
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func zoneName(c *contractv1.Contract) string {
	if z := c.GetServiceTimeZone(); z != "" {
		if _, err := time.LoadLocation(z); err == nil {
			return z
		}
	}
	return "UTC"
}
