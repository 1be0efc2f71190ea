package catalog

// Change control on live sourcing events: what may change while an event
// is PUBLISHED, and what a change of its requirements does to the
// proposals already submitted. spec: catalog.md §3 "Sourcing event":
// changing the requirements of a PUBLISHED event (scope revision,
// criteria, deadline shortened) marks every submitted proposal
// NEEDS_CONFIRMATION, and the deadline must leave the providers at least
// 5 days to re-confirm or revise; an unconfirmed proposal is not
// evaluated.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/fieldmask"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/protoenum"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog/selection"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var changePolicy = auth.Policy{
	catalogv1.CatalogService_UpdateSourcingEvent_FullMethodName: {auth.SourcingManager},
	catalogv1.CatalogService_ConfirmProposal_FullMethodName:     {auth.ProviderUser},
}

// ConfirmWindow is the least time a change of requirements leaves the
// providers before the deadline.
const ConfirmWindow = 5 * 24 * time.Hour

// requirementsChanged is what a change of the requirements of PUBLISHED
// event e (the event as it will be stored) does, in tx: the deadline must
// be at least ConfirmWindow away; every SUBMITTED proposal becomes
// NEEDS_CONFIRMATION (audited, sealed) and its provider is notified; the
// event records when. what names the change, for the notification.
func (s *Server) requirementsChanged(ctx context.Context, tx *sqlstore.Tx, e *catalogv1.SourcingEvent, what, requestID string) error {
	now := s.now()
	if d := e.GetProposalDeadline().AsTime(); d.Before(now.Add(ConfirmWindow)) {
		return apperr.New(apperr.FailedPrecondition, "%s changes the requirements of PUBLISHED %s, whose deadline %s leaves less than 5 days to confirm or revise the proposals: set proposal_deadline to %s or later (UpdateSourcingEvent) first",
			what, e.GetName(), d.Format(time.RFC3339), now.Add(ConfirmWindow).Format(time.RFC3339))
	}
	name, err := storedName[catalogv1.SourcingEventResourceName](e.GetName())
	if err != nil {
		return err
	}
	if err := bumpGuard(ctx, tx, name); err != nil {
		return err
	}
	proposals, err := listProposals(ctx, tx, name)
	if err != nil {
		return err
	}
	for _, listed := range proposals {
		if listed.GetState() != catalogv1.ProposalState_PROPOSAL_STATE_SUBMITTED {
			continue
		}
		before, v, err := proposalDocs.Get(ctx, tx, listed.GetName())
		if err != nil {
			return err
		}
		p := proto.CloneOf(before)
		p.State = catalogv1.ProposalState_PROPOSAL_STATE_NEEDS_CONFIRMATION
		if err := proposalDocs.Update(ctx, tx, p.GetName(), p, v); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, p.GetName(), requestID, sealedRecord(before), sealedRecord(p)); err != nil {
			return err
		}
		msg := fmt.Sprintf("The requirements of %s changed (%s). Confirm your proposal as it stands (ConfirmProposal) or revise it before %s; an unconfirmed proposal is not evaluated.",
			e.GetName(), what, e.GetProposalDeadline().AsTime().Format(time.RFC3339))
		if err := s.notify(ctx, tx, p, catalogv1.NotificationKind_NOTIFICATION_KIND_CONFIRMATION_NEEDED, msg, requestID); err != nil {
			return err
		}
	}
	e.RequirementsChangeTime = timestamppb.New(now)
	return nil
}

// publishedEventsOf lists the PUBLISHED events of an engagement.
func publishedEventsOf(ctx context.Context, tx *sqlstore.Tx, engagement string) ([]*catalogv1.SourcingEvent, error) {
	return eventDocs.List(ctx, tx, docstore.Query{Limit: 1000, Terms: []listing.Term{
		{Field: "engagement", Op: listing.Equal, Value: engagement},
		{Field: "state", Op: listing.Equal, Value: "PUBLISHED"},
	}})
}

// engagementChanged applies a change of an engagement's requirements — a
// new approved scope revision (revision > 0), or the client's location —
// to its PUBLISHED events, in tx.
func (s *Server) engagementChanged(ctx context.Context, tx *sqlstore.Tx, engagement string, revision int64, what, requestID string) error {
	events, err := publishedEventsOf(ctx, tx, engagement)
	if err != nil {
		return err
	}
	for _, listed := range events {
		before, v, err := eventDocs.Get(ctx, tx, listed.GetName())
		if err != nil {
			return err
		}
		e := proto.CloneOf(before)
		if revision > 0 {
			e.ScopeRevision = revision
		}
		if err := s.requirementsChanged(ctx, tx, e, what, requestID); err != nil {
			return err
		}
		if err := s.writeEvent(ctx, tx, requestID, before, e, v); err != nil {
			return err
		}
	}
	return nil
}

// UpdateSourcingEvent implements catalogv1.CatalogServiceServer.
func (s *Server) UpdateSourcingEvent(ctx context.Context, req *catalogv1.UpdateSourcingEventRequest) (*catalogv1.SourcingEvent, error) {
	in := req.GetSourcingEvent()
	name, err := names.Parse[catalogv1.SourcingEventResourceName]("sourcing_event.name", in.GetName())
	if err != nil {
		return nil, err
	}
	var paths []string
	moveScope := false
	for _, p := range req.GetUpdateMask().GetPaths() {
		if p == "scope_revision" {
			moveScope = true
			continue
		}
		paths = append(paths, p)
	}
	if len(req.GetUpdateMask().GetPaths()) > 0 && len(paths) == 0 {
		paths = []string{} // only the scope revision
	}
	return sqlstore.RetryConflicts(ctx, func() (*catalogv1.SourcingEvent, error) {
		return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_UpdateSourcingEvent_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*catalogv1.SourcingEvent, error) {
				before, v, err := eventDocs.GetForChange(ctx, tx, name.String(), in.GetEtag())
				if err != nil {
					return nil, err
				}
				state := before.GetState()
				if state != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_DRAFT && state != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_PUBLISHED {
					return nil, apperr.New(apperr.FailedPrecondition, "%s is %s: an event changes only while it is DRAFT or PUBLISHED", name, protoenum.Short(state))
				}
				published := state == catalogv1.SourcingEventState_SOURCING_EVENT_STATE_PUBLISHED
				e := proto.CloneOf(before)
				if len(paths) > 0 || !moveScope {
					if err := fieldmask.Apply(e, in, paths, "an event stays with its engagement; create another event", nil); err != nil {
						return nil, err
					}
				}
				checked, err := selection.ValidateNew(e, s.now(), "sourcing_event")
				if err != nil {
					return nil, err
				}
				e.Criteria, e.Evaluators, e.DisplayName = checked.GetCriteria(), checked.GetEvaluators(), checked.GetDisplayName()
				if err := checkInvited(ctx, tx, added(before.GetInvitedProviders(), e.GetInvitedProviders())); err != nil {
					return nil, err
				}
				var changes []string
				if published {
					if gone := added(e.GetInvitedProviders(), before.GetInvitedProviders()); len(gone) > 0 {
						return nil, apperr.New(apperr.FailedPrecondition, "%s is PUBLISHED: invited providers cannot be removed (%s); cancel the event instead", name, strings.Join(gone, ", "))
					}
					if e.GetContractTermMonths() != before.GetContractTermMonths() {
						return nil, apperr.New(apperr.FailedPrecondition, "%s is PUBLISHED: the term prices are compared over (%d months) is fixed once proposals may be priced on it", name, before.GetContractTermMonths())
					}
					if err := checkOverrides(ctx, tx, e, "invite to"); err != nil {
						return nil, err
					}
					if !proto.Equal(&catalogv1.SourcingEvent{Criteria: e.GetCriteria()}, &catalogv1.SourcingEvent{Criteria: before.GetCriteria()}) {
						changes = append(changes, "criteria")
					}
					if e.GetProposalDeadline().AsTime().Before(before.GetProposalDeadline().AsTime()) {
						changes = append(changes, "deadline shortened")
					}
				}
				if moveScope {
					if !published {
						return nil, apperr.New(apperr.FailedPrecondition, "%s is DRAFT: it is published on the engagement's approved scope revision; scope_revision changes only on a PUBLISHED event", name)
					}
					eng, err := storedName[catalogv1.EngagementResourceName](e.GetEngagement())
					if err != nil {
						return nil, err
					}
					sc, _, err := scopeDocs.Get(ctx, tx, eng.ScopeResourceName().String())
					if err != nil {
						return nil, err
					}
					if sc.GetState() != catalogv1.ScopeState_SCOPE_STATE_APPROVED || sc.GetRevision() <= e.GetScopeRevision() {
						return nil, apperr.New(apperr.FailedPrecondition, "the scope of %s is at revision %d (%s) and %s is on revision %d: an event moves only to a newer APPROVED revision",
							eng, sc.GetRevision(), protoenum.Short(sc.GetState()), name, e.GetScopeRevision())
					}
					e.ScopeRevision = sc.GetRevision()
					changes = append(changes, fmt.Sprintf("scope revision %d", sc.GetRevision()))
				}
				if e.Warnings, err = invitationWarnings(ctx, tx, e); err != nil {
					return nil, err
				}
				if len(changes) > 0 {
					if err := s.requirementsChanged(ctx, tx, e, strings.Join(changes, ", "), req.GetRequestId()); err != nil {
						return nil, err
					}
				}
				return e, s.writeEvent(ctx, tx, req.GetRequestId(), before, e, v)
			})
	})
}

// added lists what is in after but not in before.
func added(before, after []string) []string {
	var out []string
	for _, a := range after {
		if !slices.Contains(before, a) {
			out = append(out, a)
		}
	}
	return out
}

// ConfirmProposal implements catalogv1.CatalogServiceServer: the caller's
// provider confirms its proposal, unchanged, against the changed
// requirements (it must still pass the checks a submission passes).
func (s *Server) ConfirmProposal(ctx context.Context, req *catalogv1.ConfirmProposalRequest) (*catalogv1.Proposal, error) {
	name, err := names.Parse[catalogv1.ProposalResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	provider, err := ownProposal(ctx, name, "confirm")
	if err != nil {
		return nil, err
	}
	return sqlstore.RetryConflicts(ctx, func() (*catalogv1.Proposal, error) {
		return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_ConfirmProposal_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*catalogv1.Proposal, error) {
				e, before, v, err := s.proposalForChange(ctx, tx, name, provider, req.GetEtag())
				if err != nil {
					return nil, err
				}
				if before.GetState() != catalogv1.ProposalState_PROPOSAL_STATE_NEEDS_CONFIRMATION {
					return nil, apperr.New(apperr.FailedPrecondition, "%s is %s: only a proposal NEEDS_CONFIRMATION after a change of requirements is confirmed", name, protoenum.Short(before.GetState()))
				}
				prov, _, err := providerDocs.Get(ctx, tx, provider.String())
				if err != nil {
					return nil, err
				}
				sel, err := s.selectionContext(ctx, tx, e)
				if err != nil {
					return nil, err
				}
				if err := selection.CheckProposal(before, prov, sel.scope, "proposal"); err != nil {
					return nil, apperr.New(apperr.FailedPrecondition, "%s no longer fits the changed requirements: revise it (UpdateProposal): %v", name, err)
				}
				p := proto.CloneOf(before)
				if err := priced(p, prov, e, sel); err != nil {
					return nil, err
				}
				p.State = catalogv1.ProposalState_PROPOSAL_STATE_SUBMITTED
				p.ConfirmTime = timestamppb.New(s.now())
				if err := proposalDocs.Update(ctx, tx, p.GetName(), p, v); err != nil {
					return nil, err
				}
				if err := bumpGuard(ctx, tx, name.SourcingEventResourceName()); err != nil {
					return nil, err
				}
				return p, audit.Record(ctx, tx, p.GetName(), req.GetRequestId(), sealedRecord(before), sealedRecord(p))
			})
	})
}

// closeIfDue closes a PUBLISHED event whose deadline has passed on the
// server's clock — the compliance gate runs then — so that the event
// closes by itself: every read or change of the event, its proposals or
// its ranking calls it first. The close is recorded as the clock's
// (subject "system:deadline", method CloseSourcingEvent), not the
// caller's. It does nothing to an event that is not due.
func (s *Server) closeIfDue(ctx context.Context, event catalogv1.SourcingEventResourceName) error {
	due := false
	err := s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		e, _, err := eventDocs.Get(ctx, tx, event.String())
		if err != nil {
			return nil // the caller's own read reports it
		}
		due = e.GetState() == catalogv1.SourcingEventState_SOURCING_EVENT_STATE_PUBLISHED && !s.now().Before(e.GetProposalDeadline().AsTime())
		return nil
	})
	if err != nil || !due {
		return err
	}
	clockCtx := clockContext(ctx)
	_, err = sqlstore.RetryConflicts(clockCtx, func() (*catalogv1.SourcingEvent, error) {
		var out *catalogv1.SourcingEvent
		err := s.db.Write(clockCtx, func(tx *sqlstore.Tx) error {
			before, v, err := eventDocs.Get(clockCtx, tx, event.String())
			if err != nil {
				return err
			}
			if before.GetState() != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_PUBLISHED || s.now().Before(before.GetProposalDeadline().AsTime()) {
				return nil // closed meanwhile
			}
			out, err = s.closeEvent(clockCtx, tx, before, v, "deadline:"+event.String())
			return err
		})
		return out, err
	})
	return err
}
