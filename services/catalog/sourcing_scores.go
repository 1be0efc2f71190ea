package catalog

// Step 3, select: the evaluators' scores, and the event becoming EVALUATED
// once they are complete. spec: catalog.md §3 "Evaluation" step 2.

import (
	"context"
	"slices"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/protoenum"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog/selection"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// evaluateIfComplete makes a CLOSED event EVALUATED, in the caller's
// transaction, when every evaluator has scored every qualified proposal
// and nothing awaits moderation; it returns the event as it now is. The
// one completion check of ScoreProposal and ConfirmModeration.
// spec: catalog.md §3 "Evaluation" step 2.
func (s *Server) evaluateIfComplete(ctx context.Context, tx *sqlstore.Tx, requestID string, before *catalogv1.SourcingEvent, v sqlstore.Version) (*catalogv1.SourcingEvent, error) {
	r, err := s.rank(ctx, tx, before)
	if err != nil || !r.Evaluated() {
		return before, err
	}
	e := proto.CloneOf(before)
	if e.State, err = selection.Next(e.GetState(), selection.Evaluate); err != nil {
		return nil, err
	}
	if err := s.writeEvent(ctx, tx, requestID, before, e, v); err != nil {
		return nil, err
	}
	return e, nil
}

// ScoreProposal implements catalogv1.CatalogServiceServer: an evaluator of
// the event scores a qualified proposal while the event is CLOSED,
// replacing their earlier scores; when every evaluator has scored every
// qualified proposal and nothing awaits moderation, the event becomes
// EVALUATED in the same transaction. spec: catalog.md §3 "Evaluation" step 2.
func (s *Server) ScoreProposal(ctx context.Context, req *catalogv1.ScoreProposalRequest) (*catalogv1.Evaluation, error) {
	name, err := names.Parse[catalogv1.ProposalResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	evaluator := auth.Subject(ctx)
	event := name.SourcingEventResourceName()
	if err := s.closeIfDue(ctx, event); err != nil {
		return nil, err
	}
	return sqlstore.RetryConflicts(ctx, func() (*catalogv1.Evaluation, error) {
		return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_ScoreProposal_FullMethodName, req.GetRequestId(), evaluator, req,
			func(tx *sqlstore.Tx) (*catalogv1.Evaluation, error) {
				before, v, err := eventDocs.Get(ctx, tx, event.String())
				if err != nil {
					return nil, err
				}
				if !slices.Contains(before.GetEvaluators(), evaluator) {
					return nil, apperr.New(apperr.PermissionDenied, "%s is not an evaluator of %s", evaluator, event)
				}
				if before.GetState() != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_CLOSED {
					return nil, apperr.New(apperr.FailedPrecondition, "%s is %s: proposals are scored only while the event is CLOSED", event, protoenum.Short(before.GetState()))
				}
				p, _, err := proposalDocs.GetForChange(ctx, tx, name.String(), req.GetEtag())
				if err != nil {
					return nil, err
				}
				if p.GetState() != catalogv1.ProposalState_PROPOSAL_STATE_QUALIFIED {
					return nil, apperr.New(apperr.FailedPrecondition, "%s is %s: only QUALIFIED proposals are scored", name, protoenum.Short(p.GetState()))
				}
				if err := selection.CheckScores(before.GetCriteria(), req.GetScores(), "scores"); err != nil {
					return nil, err
				}
				ev := &catalogv1.Evaluation{
					Name:       evaluationName(name, evaluator),
					Evaluator:  evaluator,
					SubmitTime: timestamppb.New(s.now()),
				}
				for _, sc := range req.GetScores() {
					ev.Scores = append(ev.Scores, &catalogv1.CriterionScore{Criterion: sc.GetCriterion(), Score: sc.GetScore(), Comment: strings.TrimSpace(sc.GetComment())})
				}
				earlier, err := putEvaluation(ctx, tx, ev)
				if err != nil {
					return nil, err
				}
				if err := bumpGuard(ctx, tx, event); err != nil {
					return nil, err
				}
				if err := audit.Record(ctx, tx, ev.GetName(), req.GetRequestId(), earlier, ev); err != nil {
					return nil, err
				}
				if _, err := s.evaluateIfComplete(ctx, tx, req.GetRequestId(), before, v); err != nil {
					return nil, err
				}
				return ev, nil
			})
	})
}

// putEvaluation stores an evaluator's scores over their earlier ones,
// which it returns (nil for their first).
func putEvaluation(ctx context.Context, tx *sqlstore.Tx, ev *catalogv1.Evaluation) (*catalogv1.Evaluation, error) {
	earlier, v, err := evaluationDocs.Get(ctx, tx, ev.GetName())
	switch {
	case err == nil:
		return earlier, evaluationDocs.Update(ctx, tx, ev.GetName(), ev, v)
	case apperr.KindOf(err) == apperr.NotFound:
		return nil, evaluationDocs.Insert(ctx, tx, ev.GetName(), ev)
	}
	return nil, err
}
