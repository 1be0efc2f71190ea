package catalog

// The lifecycle of a sourcing event: publish, close, cancel (evaluate,
// award and approve are in award.go). spec: catalog.md §3 "Sourcing
// event", states.

import (
	"context"
	"slices"
	"strings"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog/selection"
	"google.golang.org/protobuf/proto"
)

// PublishSourcingEvent implements catalogv1.CatalogServiceServer: the gate
// of step 2 for step 3 (selection.CheckPublishable); the event records the
// scope revision it is published on.
func (s *Server) PublishSourcingEvent(ctx context.Context, req *catalogv1.PublishSourcingEventRequest) (*catalogv1.SourcingEvent, error) {
	name, err := names.Parse[catalogv1.SourcingEventResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_PublishSourcingEvent_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.SourcingEvent, error) {
			before, v, err := eventDocs.GetForChange(ctx, tx, name.String(), req.GetEtag())
			if err != nil {
				return nil, err
			}
			next, err := selection.Next(before.GetState(), selection.Publish)
			if err != nil {
				return nil, err
			}
			eng, err := storedName[catalogv1.EngagementResourceName](before.GetEngagement())
			if err != nil {
				return nil, err
			}
			sc, _, err := scopeDocs.Get(ctx, tx, eng.ScopeResourceName().String())
			switch {
			case apperr.KindOf(err) == apperr.NotFound:
				sc = nil
			case err != nil:
				return nil, err
			}
			if err := selection.CheckPublishable(before, sc, s.now()); err != nil {
				return nil, err
			}
			if err := checkOverrides(ctx, tx, before, "publish"); err != nil {
				return nil, err
			}
			e := proto.CloneOf(before)
			e.State, e.ScopeRevision = next, sc.GetRevision()
			if e.Warnings, err = invitationWarnings(ctx, tx, e); err != nil {
				return nil, err
			}
			return e, s.writeEvent(ctx, tx, req.GetRequestId(), before, e, v)
		})
}

// CloseSourcingEvent implements catalogv1.CatalogServiceServer: after the
// deadline, or early once every invited provider has submitted; it opens
// the proposals and applies the compliance gate to each.
// spec: catalog.md §3 "Evaluation" step 1.
func (s *Server) CloseSourcingEvent(ctx context.Context, req *catalogv1.CloseSourcingEventRequest) (*catalogv1.SourcingEvent, error) {
	name, err := names.Parse[catalogv1.SourcingEventResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	return sqlstore.RetryConflicts(ctx, func() (*catalogv1.SourcingEvent, error) {
		return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_CloseSourcingEvent_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*catalogv1.SourcingEvent, error) {
				before, v, err := eventDocs.GetForChange(ctx, tx, name.String(), req.GetEtag())
				if err != nil {
					return nil, err
				}
				if d := before.GetProposalDeadline().AsTime(); before.GetState() == catalogv1.SourcingEventState_SOURCING_EVENT_STATE_PUBLISHED && s.now().Before(d) {
					proposals, err := listProposals(ctx, tx, name)
					if err != nil {
						return nil, err
					}
					if waiting := notSubmitted(before, proposals); len(waiting) > 0 {
						return nil, apperr.New(apperr.FailedPrecondition, "%s cannot close before its deadline %s while invited providers have neither submitted nor declined (%s); wait for the deadline or for their answers",
							name, d.Format(time.RFC3339), strings.Join(waiting, ", "))
					}
					if waiting := unconfirmed(proposals); len(waiting) > 0 {
						return nil, apperr.New(apperr.FailedPrecondition, "%s cannot close before its deadline %s while proposals are NEEDS_CONFIRMATION after the requirements changed (%s); wait for the deadline or for their confirmation",
							name, d.Format(time.RFC3339), strings.Join(waiting, ", "))
					}
				}
				return s.closeEvent(ctx, tx, before, v, req.GetRequestId())
			})
	})
}

// closeEvent closes a PUBLISHED event read at v, in tx: it opens the
// proposals, applies the compliance gate to each (an unconfirmed one is
// disqualified), and makes the event EVALUATED at once when there is
// nothing for the evaluators to score. The one close of CloseSourcingEvent
// and of the clock (closeIfDue).
func (s *Server) closeEvent(ctx context.Context, tx *sqlstore.Tx, before *catalogv1.SourcingEvent, v sqlstore.Version, requestID string) (*catalogv1.SourcingEvent, error) {
	name, err := storedName[catalogv1.SourcingEventResourceName](before.GetName())
	if err != nil {
		return nil, err
	}
	next, err := selection.Next(before.GetState(), selection.Close)
	if err != nil {
		return nil, err
	}
	if err := bumpGuard(ctx, tx, name); err != nil {
		return nil, err
	}
	proposals, err := listProposals(ctx, tx, name)
	if err != nil {
		return nil, err
	}
	sel, err := s.selectionContext(ctx, tx, before)
	if err != nil {
		return nil, err
	}
	for _, p := range proposals {
		if err := s.gate(ctx, tx, sel, p, requestID); err != nil {
			return nil, err
		}
	}
	e := proto.CloneOf(before)
	e.State = next
	// With nothing for the evaluators to score (say, cost 100 %), the
	// event is evaluated as soon as it closes.
	r, err := s.rank(ctx, tx, e)
	if err != nil {
		return nil, err
	}
	if r.Evaluated() {
		e.State = catalogv1.SourcingEventState_SOURCING_EVENT_STATE_EVALUATED
	}
	return e, s.writeEvent(ctx, tx, requestID, before, e, v)
}

// unconfirmed lists the providers whose proposals await confirmation.
func unconfirmed(proposals []*catalogv1.Proposal) []string {
	var out []string
	for _, p := range proposals {
		if p.GetState() == catalogv1.ProposalState_PROPOSAL_STATE_NEEDS_CONFIRMATION {
			out = append(out, p.GetProvider())
		}
	}
	return out
}

// notSubmitted lists the invited providers that have neither submitted a
// proposal nor declined.
func notSubmitted(e *catalogv1.SourcingEvent, proposals []*catalogv1.Proposal) []string {
	var out []string
	for _, p := range e.GetInvitedProviders() {
		if declined(e, p) {
			continue
		}
		if !slices.ContainsFunc(proposals, func(q *catalogv1.Proposal) bool { return q.GetProvider() == p }) {
			out = append(out, p)
		}
	}
	return out
}

// CancelSourcingEvent implements catalogv1.CatalogServiceServer.
func (s *Server) CancelSourcingEvent(ctx context.Context, req *catalogv1.CancelSourcingEventRequest) (*catalogv1.SourcingEvent, error) {
	name, err := names.Parse[catalogv1.SourcingEventResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	reason := strings.TrimSpace(req.GetReason())
	if reason == "" {
		return nil, apperr.Invalid(apperr.FieldViolation{Field: "reason", Description: "say why the event is cancelled"})
	}
	return sqlstore.RetryConflicts(ctx, func() (*catalogv1.SourcingEvent, error) {
		return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_CancelSourcingEvent_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*catalogv1.SourcingEvent, error) {
				before, v, err := eventDocs.GetForChange(ctx, tx, name.String(), req.GetEtag())
				if err != nil {
					return nil, err
				}
				next, err := selection.Next(before.GetState(), selection.Cancel)
				if err != nil {
					return nil, err
				}
				if err := bumpGuard(ctx, tx, name); err != nil {
					return nil, err
				}
				e := proto.CloneOf(before)
				e.State, e.CancelReason = next, reason
				return e, s.writeEvent(ctx, tx, req.GetRequestId(), before, e, v)
			})
	})
}
