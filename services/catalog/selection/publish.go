package selection

import (
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/protoenum"
)

// CheckPublishable is the gate of step 2 for step 3: a DRAFT event (Next
// decides that) is published only before its proposal deadline and on an
// APPROVED scope of its engagement, whose revision it then records. sc is
// the engagement's current scope, nil when it has none yet. Each refusal
// is FAILED_PRECONDITION saying what to do first.
// spec: catalog.md §2 "Scope": a sourcing event can only be published on
// an approved scope revision.
func CheckPublishable(e *catalogv1.SourcingEvent, sc *catalogv1.Scope, now time.Time) error {
	if d := e.GetProposalDeadline().AsTime(); !d.After(now) {
		return apperr.New(apperr.FailedPrecondition, "the proposal deadline %s of %s has passed; cancel it and create an event with a later deadline", d.Format(time.RFC3339), e.GetName())
	}
	eng := e.GetEngagement()
	switch {
	case sc == nil:
		return apperr.New(apperr.FailedPrecondition, "%s has no scope yet: write it (UpdateScope), submit it and have an approver approve it before publishing", eng)
	case sc.GetState() == catalogv1.ScopeState_SCOPE_STATE_APPROVED:
		return nil
	case sc.GetState() == catalogv1.ScopeState_SCOPE_STATE_IN_REVIEW:
		return apperr.New(apperr.FailedPrecondition, "the scope of %s is IN_REVIEW (revision %d): have an approver approve it before publishing", eng, sc.GetRevision())
	default:
		return apperr.New(apperr.FailedPrecondition, "the scope of %s is %s (revision %d): submit it and have an approver approve it before publishing", eng, protoenum.Short(sc.GetState()), sc.GetRevision())
	}
}
