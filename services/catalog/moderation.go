package catalog

// Step 3, select: moderation of evaluators' scores.
// spec: catalog.md §3 "Evaluation" step 2: "When evaluators differ by more
// than 4 points on one criterion the score is flagged NEEDS_MODERATION, and
// the event cannot reach EVALUATED until a moderator (the sourcing manager)
// confirms or the evaluators revise."
//
// The moderator is any sourcing manager, not only the event's owner: the
// other custom methods of an event (close, cancel, award) are open to every
// sourcing manager too, and an event whose owner is away must not stay
// stuck in CLOSED. A confirmation is stored at
// sourcingEvents/{e}/proposals/{p}/moderations/{CRITERION} with the lowest
// and highest score it confirmed; the ranking treats it as in force only
// while those are still the lowest and highest (selection.Moderated), so a
// revision that changes the spread flags the criterion again without any
// write here. Confirming again replaces the earlier confirmation.

import (
	"context"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/protoenum"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog/selection"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var moderationPolicy = auth.Policy{
	catalogv1.CatalogService_ConfirmModeration_FullMethodName: {auth.SourcingManager},
}

// listModerations returns the stored confirmations of a proposal.
func listModerations(ctx context.Context, tx *sqlstore.Tx, proposal string) ([]*catalogv1.Moderation, error) {
	return moderationDocs.List(ctx, tx, docstore.Query{Parent: proposal, Limit: 100})
}

// ConfirmModeration implements catalogv1.CatalogServiceServer: a sourcing
// manager confirms the flagged scores of criteria of a QUALIFIED proposal
// while the event is CLOSED; when that leaves nothing missing, the event
// becomes EVALUATED in the same transaction.
func (s *Server) ConfirmModeration(ctx context.Context, req *catalogv1.ConfirmModerationRequest) (*catalogv1.ConfirmModerationResponse, error) {
	name, err := names.Parse[catalogv1.ProposalResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	comment := strings.TrimSpace(req.GetComment())
	if comment == "" {
		return nil, apperr.Invalid(apperr.FieldViolation{Field: "comment", Description: "say why the scores stand as they are"})
	}
	moderator := auth.Subject(ctx)
	event := name.SourcingEventResourceName()
	return sqlstore.RetryConflicts(ctx, func() (*catalogv1.ConfirmModerationResponse, error) {
		return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_ConfirmModeration_FullMethodName, req.GetRequestId(), moderator, req,
			func(tx *sqlstore.Tx) (*catalogv1.ConfirmModerationResponse, error) {
				before, v, err := eventDocs.Get(ctx, tx, event.String())
				if err != nil {
					return nil, err
				}
				if before.GetState() != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_CLOSED {
					return nil, apperr.New(apperr.FailedPrecondition, "%s is %s: scores are moderated only while the event is CLOSED", event, protoenum.Short(before.GetState()))
				}
				p, _, err := proposalDocs.GetForChange(ctx, tx, name.String(), req.GetEtag())
				if err != nil {
					return nil, err
				}
				if p.GetState() != catalogv1.ProposalState_PROPOSAL_STATE_QUALIFIED {
					return nil, apperr.New(apperr.FailedPrecondition, "%s is %s: only the scores of a QUALIFIED proposal are moderated", name, protoenum.Short(p.GetState()))
				}
				r, err := s.rank(ctx, tx, before)
				if err != nil {
					return nil, err
				}
				ranked, _ := r.Find(p.GetName())
				results, err := selection.CheckModeration(before.GetCriteria(), ranked, req.GetCriteria(), "criteria")
				if err != nil {
					return nil, err
				}
				if err := bumpGuard(ctx, tx, event); err != nil {
					return nil, err
				}
				out := &catalogv1.ConfirmModerationResponse{}
				now := timestamppb.New(s.now())
				for _, res := range results {
					m := &catalogv1.Moderation{
						Name:        moderationName(name, res.Criterion),
						Criterion:   res.Criterion,
						LowScore:    res.Spread.Low,
						HighScore:   res.Spread.High,
						Moderator:   moderator,
						Comment:     comment,
						ConfirmTime: now,
					}
					earlier, err := putModeration(ctx, tx, m)
					if err != nil {
						return nil, err
					}
					if err := audit.Record(ctx, tx, m.GetName(), req.GetRequestId(), earlier, m); err != nil {
						return nil, err
					}
					out.Moderations = append(out.Moderations, m)
				}
				if out.SourcingEvent, err = s.evaluateIfComplete(ctx, tx, req.GetRequestId(), before, v); err != nil {
					return nil, err
				}
				return out, nil
			})
	})
}

// putModeration stores a confirmation over an earlier one of the same
// criterion, which it returns (nil for the first).
func putModeration(ctx context.Context, tx *sqlstore.Tx, m *catalogv1.Moderation) (*catalogv1.Moderation, error) {
	earlier, v, err := moderationDocs.Get(ctx, tx, m.GetName())
	switch {
	case err == nil:
		return earlier, moderationDocs.Update(ctx, tx, m.GetName(), m, v)
	case apperr.KindOf(err) == apperr.NotFound:
		return nil, moderationDocs.Insert(ctx, tx, m.GetName(), m)
	}
	return nil, err
}
