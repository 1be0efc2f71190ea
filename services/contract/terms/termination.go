package terms

import (
	"fmt"
	"strings"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/apperr"
	kitcivil "github.com/acme/bpo/kit/civil"
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
	// RequestedBy and ApprovedBy are set for a termination for cause on a
	// written reason, approved by another (ApproveTermination).
	RequestedBy, ApprovedBy string
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
// CAUSE needs a chronic-failure right recorded by monitoring (the latest
// is kept on the termination as its evidence), unless it comes approved
// from a written reason (ApproveTermination). field is the request path
// of the effective date.
func ApplyTermination(c *contractv1.Contract, t Termination, now time.Time, field string) error {
	next, err := Next(c.GetState(), Terminate)
	if err != nil {
		return err
	}
	var right *contractv1.ChronicFailureRight
	if t.Reason == contractv1.TerminationReason_TERMINATION_REASON_CAUSE && t.ApprovedBy == "" {
		rights := c.GetChronicFailureRights()
		if len(rights) == 0 {
			return apperr.New(apperr.FailedPrecondition, "%s has no chronic-failure right: termination for CAUSE needs one recorded by monitoring, or a written reason approved by an approver who is not the requester (RequestTermination, then ApproveTermination)", c.GetName())
		}
		right = rights[len(rights)-1]
	}
	if err := checkEffective(c, t.EffectiveDate, now, field); err != nil {
		return err
	}
	c.State = next
	c.PendingTermination = nil
	c.Termination = &contractv1.Termination{
		Reason:              t.Reason,
		EffectiveDate:       proto.Clone(t.EffectiveDate).(*date.Date),
		Explanation:         strings.TrimSpace(t.Explanation),
		TerminatedBy:        t.By,
		TerminateTime:       timestamppb.New(now),
		ChronicFailureRight: proto.CloneOf(right),
		RequestedBy:         t.RequestedBy,
		ApprovedBy:          t.ApprovedBy,
	}
	return nil
}

// checkEffective checks a termination's effective date: a calendar date,
// not in the future in the service time zone, not after the end of the
// term.
func checkEffective(c *contractv1.Contract, d *date.Date, now time.Time, field string) error {
	day, ok := civil(d)
	if !ok {
		return apperr.Invalid(apperr.FieldViolation{Field: field, Description: fmt.Sprintf("%04d-%02d-%02d is not a calendar date", d.GetYear(), d.GetMonth(), d.GetDay())})
	}
	today := Today(c, now)
	if day.After(today) {
		return apperr.Invalid(apperr.FieldViolation{Field: field, Description: fmt.Sprintf("%s is in the future (today is %s in %s); terminate on the day the termination takes effect", day.Format(time.DateOnly), today.Format(time.DateOnly), zoneName(c))})
	}
	if end, ok := civil(termEnd(c)); ok && day.After(end) {
		return apperr.Invalid(apperr.FieldViolation{Field: field, Description: fmt.Sprintf("%s is after the end of the term (%s)", day.Format(time.DateOnly), end.Format(time.DateOnly))})
	}
	return nil
}

// termEnd is the last day of c's term after its renewals so far.
func termEnd(c *contractv1.Contract) *date.Date {
	if d := c.GetTermEndDate(); d != nil {
		return d
	}
	return c.GetEndDate()
}

// RequestTermination records a request to terminate c for CAUSE on a
// written reason, waiting for an approver (ApproveTermination); one at a
// time. spec: contract.md, "States" — termination for cause requires a
// written reason approved by an approver.
func RequestTermination(c *contractv1.Contract, t Termination, now time.Time, field string) error {
	if _, err := Next(c.GetState(), Terminate); err != nil {
		return err
	}
	if p := c.GetPendingTermination(); p != nil {
		return apperr.New(apperr.FailedPrecondition, "%s already has a termination for cause requested by %s, waiting for an approver; approve or reject it first", c.GetName(), p.GetRequestedBy())
	}
	if strings.TrimSpace(t.Explanation) == "" {
		return apperr.Invalid(apperr.FieldViolation{Field: "explanation", Description: "is required: the written reason for terminating for cause"})
	}
	if err := checkEffective(c, t.EffectiveDate, now, field); err != nil {
		return err
	}
	c.TerminationRejectionReason = ""
	c.PendingTermination = &contractv1.TerminationRequest{
		Reason:        contractv1.TerminationReason_TERMINATION_REASON_CAUSE,
		EffectiveDate: proto.CloneOf(t.EffectiveDate),
		Explanation:   strings.TrimSpace(t.Explanation),
		RequestedBy:   t.By,
		RequestTime:   timestamppb.New(now),
	}
	return nil
}

// ApproveTermination terminates c for CAUSE as its pending request asks,
// approved by approver, who is not the requester nor a provider user
// (four eyes). The effective date is checked again as of now.
func ApproveTermination(c *contractv1.Contract, approver Party, now time.Time) error {
	p := c.GetPendingTermination()
	if p == nil {
		return apperr.New(apperr.FailedPrecondition, "%s has no termination for cause waiting for approval; a contract manager requests one first (RequestTermination)", c.GetName())
	}
	if approver.ProviderUser {
		return apperr.New(apperr.PermissionDenied, "a provider user cannot approve a termination; an approver of the client does")
	}
	if approver.Subject == p.GetRequestedBy() {
		return apperr.New(apperr.PermissionDenied, "%s requested this termination and cannot also approve it; another approver must (four eyes)", approver.Subject)
	}
	return ApplyTermination(c, Termination{
		Reason: p.GetReason(), EffectiveDate: p.GetEffectiveDate(), Explanation: p.GetExplanation(),
		By: approver.Subject, RequestedBy: p.GetRequestedBy(), ApprovedBy: approver.Subject,
	}, now, "pending_termination.effective_date")
}

// RejectTermination drops c's pending termination request, keeping why.
func RejectTermination(c *contractv1.Contract, reason string) error {
	if c.GetPendingTermination() == nil {
		return apperr.New(apperr.FailedPrecondition, "%s has no termination for cause waiting for approval", c.GetName())
	}
	c.PendingTermination = nil
	c.TerminationRejectionReason = strings.TrimSpace(reason)
	return nil
}

// Today is the calendar day of now in the contract's service time zone
// (UTC when it has none or an unknown one), as midnight UTC like civil.
func Today(c *contractv1.Contract, now time.Time) time.Time {
	loc, err := kitcivil.Location(c.GetServiceTimeZone())
	if err != nil {
		loc = time.UTC
	}
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func zoneName(c *contractv1.Contract) string {
	if z := c.GetServiceTimeZone(); z != "" {
		if _, err := kitcivil.Location(z); err == nil {
			return z
		}
	}
	return "UTC"
}
