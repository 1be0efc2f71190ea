package catalog

// Step 3, select: evaluators' scores, the ranking and the award.
// spec: catalog.md §3 "Evaluation", "Award".

import (
	"context"
	"net/url"
	"slices"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/money"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog/scope"
	"github.com/acme/bpo/services/catalog/selection"
)

// evaluationName is where one evaluator's scores of a proposal are kept;
// the subject is path-escaped so that any subject is one name segment.
func evaluationName(proposal, evaluator string) string {
	return proposal + "/evaluations/" + url.PathEscape(evaluator)
}

// inTheRunning reports whether a proposal passed the compliance gate:
// it is ranked (and, once awarded, awarded or not selected).
func inTheRunning(s catalogv1.ProposalState) bool {
	switch s {
	case catalogv1.ProposalState_PROPOSAL_STATE_QUALIFIED, catalogv1.ProposalState_PROPOSAL_STATE_AWARDED, catalogv1.ProposalState_PROPOSAL_STATE_NOT_SELECTED:
		return true
	}
	return false
}

// rank ranks an event's qualified proposals by their evaluations and the
// moderator's confirmations.
func (s *Server) rank(ctx context.Context, tx *sqlstore.Tx, e *catalogv1.SourcingEvent) (selection.Ranking, error) {
	r, _, err := s.rankModerated(ctx, tx, e)
	return r, err
}

// rankModerated is rank, with the stored confirmations by proposal and
// criterion (in force or not: the ranking says which are).
func (s *Server) rankModerated(ctx context.Context, tx *sqlstore.Tx, e *catalogv1.SourcingEvent) (selection.Ranking, map[string]map[catalogv1.Criterion]*catalogv1.Moderation, error) {
	proposals, err := listProposals(ctx, tx, e.GetName())
	if err != nil {
		return selection.Ranking{}, nil, err
	}
	moderations := map[string]map[catalogv1.Criterion]*catalogv1.Moderation{}
	var cands []selection.Candidate
	for _, p := range proposals {
		if !inTheRunning(p.GetState()) {
			continue
		}
		evals, err := docstore.List(ctx, tx, docstore.Query{Kind: "evaluations", Parent: p.GetName(), Limit: 1000},
			func() *catalogv1.Evaluation { return &catalogv1.Evaluation{} })
		if err != nil {
			return selection.Ranking{}, nil, err
		}
		mods, err := listModerations(ctx, tx, p.GetName())
		if err != nil {
			return selection.Ranking{}, nil, err
		}
		c := selection.Candidate{
			Proposal:  p.GetName(),
			Provider:  p.GetProvider(),
			TCV:       money.FromProto(p.GetTotalContractValue()),
			Shore:     p.GetShoreModel(),
			Scores:    map[string]map[catalogv1.Criterion]int32{},
			Confirmed: map[catalogv1.Criterion]selection.Spread{},
		}
		moderations[p.GetName()] = map[catalogv1.Criterion]*catalogv1.Moderation{}
		for _, m := range mods {
			c.Confirmed[m.GetCriterion()] = selection.Spread{Low: m.GetLowScore(), High: m.GetHighScore()}
			moderations[p.GetName()][m.GetCriterion()] = m
		}
		for _, ev := range evals {
			byCriterion := map[catalogv1.Criterion]int32{}
			for _, sc := range ev.GetScores() {
				byCriterion[sc.GetCriterion()] = sc.GetScore()
			}
			c.Scores[ev.GetEvaluator()] = byCriterion
		}
		cands = append(cands, c)
	}
	return selection.Rank(e.GetCriteria(), e.GetEvaluators(), cands), moderations, nil
}

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
	e := clone(before)
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
	evaluator := auth.Subject(ctx)
	event := eventOf(req.GetName())
	return sqlstore.RetryConflicts(ctx, func() (*catalogv1.Evaluation, error) {
		return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_ScoreProposal_FullMethodName, req.GetRequestId(), evaluator, req,
			func(tx *sqlstore.Tx) (*catalogv1.Evaluation, error) {
				before, v, err := readEvent(ctx, tx, event)
				if err != nil {
					return nil, err
				}
				if !slices.Contains(before.GetEvaluators(), evaluator) {
					return nil, apperr.New(apperr.PermissionDenied, "%s is not an evaluator of %s", evaluator, event)
				}
				if before.GetState() != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_CLOSED {
					return nil, apperr.New(apperr.FailedPrecondition, "%s is %s: proposals are scored only while the event is CLOSED", event, selection.StateName(before.GetState()))
				}
				p := &catalogv1.Proposal{}
				if _, err := docstore.Get(ctx, tx, req.GetName(), p); err != nil {
					return nil, err
				}
				if err := sqlstore.CheckETag(req.GetName(), req.GetEtag(), p.GetEtag()); err != nil {
					return nil, err
				}
				if p.GetState() != catalogv1.ProposalState_PROPOSAL_STATE_QUALIFIED {
					return nil, apperr.New(apperr.FailedPrecondition, "%s is %s: only QUALIFIED proposals are scored", req.GetName(), strings.TrimPrefix(p.GetState().String(), "PROPOSAL_STATE_"))
				}
				if err := selection.CheckScores(before.GetCriteria(), req.GetScores(), "scores"); err != nil {
					return nil, err
				}
				ev := &catalogv1.Evaluation{
					Name:       evaluationName(req.GetName(), evaluator),
					Evaluator:  evaluator,
					SubmitTime: timestamp(s.now()),
				}
				for _, sc := range req.GetScores() {
					ev.Scores = append(ev.Scores, &catalogv1.CriterionScore{Criterion: sc.GetCriterion(), Score: sc.GetScore(), Comment: trimmed(sc.GetComment())})
				}
				var earlier *catalogv1.Evaluation
				prior := &catalogv1.Evaluation{}
				evV, err := docstore.Get(ctx, tx, ev.GetName(), prior)
				switch {
				case err == nil:
					earlier = prior
					err = docstore.Update(ctx, tx, ev.GetName(), ev, evV, nil)
				case apperr.KindOf(err) == apperr.NotFound:
					err = docstore.Insert(ctx, tx, ev.GetName(), ev, nil)
				}
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

// GetRanking implements catalogv1.CatalogServiceServer: the qualified
// proposals by total, once the event closed. Never for a provider user.
func (s *Server) GetRanking(ctx context.Context, req *catalogv1.GetRankingRequest) (*catalogv1.Ranking, error) {
	if auth.FromContext(ctx).Has(auth.ProviderUser) {
		return nil, apperr.New(apperr.PermissionDenied, "a provider user never sees a ranking: it holds other providers' prices and scores")
	}
	event := strings.TrimSuffix(req.GetName(), "/ranking")
	var (
		r    selection.Ranking
		mods map[string]map[catalogv1.Criterion]*catalogv1.Moderation
	)
	err := s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		e, _, err := readEvent(ctx, tx, event)
		if err != nil {
			return err
		}
		switch e.GetState() {
		case catalogv1.SourcingEventState_SOURCING_EVENT_STATE_DRAFT, catalogv1.SourcingEventState_SOURCING_EVENT_STATE_PUBLISHED:
			return apperr.New(apperr.FailedPrecondition, "%s is %s: proposals are sealed until it is CLOSED", event, selection.StateName(e.GetState()))
		}
		r, mods, err = s.rankModerated(ctx, tx, e)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &catalogv1.Ranking{Complete: r.Complete, NeedsModeration: r.NeedsModeration}
	for _, p := range r.Proposals {
		rp := &catalogv1.RankedProposal{
			Rank:               int32(p.Rank),
			Proposal:           p.Proposal,
			Provider:           p.Provider,
			TotalContractValue: p.TCV.Proto(),
			Total:              selection.Decimal2(p.Total),
		}
		for _, c := range p.Criteria {
			rc := &catalogv1.RankedCriterion{Criterion: c.Criterion, Weight: c.Weight, Score: selection.Decimal2(c.Score), NeedsModeration: c.NeedsModeration}
			if c.Confirmed {
				rc.Moderation = mods[p.Proposal][c.Criterion]
			}
			rp.Criteria = append(rp.Criteria, rc)
		}
		out.Proposals = append(out.Proposals, rp)
	}
	return out, nil
}

// AwardSourcingEvent implements catalogv1.CatalogServiceServer: the
// sourcing manager proposes the award of an EVALUATED event to a
// qualified proposal (replacing an earlier proposed award not yet
// approved); any but the top-ranked needs a justification.
// spec: catalog.md §3 "Award".
func (s *Server) AwardSourcingEvent(ctx context.Context, req *catalogv1.AwardSourcingEventRequest) (*catalogv1.SourcingEvent, error) {
	if eventOf(req.GetProposal()) != req.GetName() {
		return nil, apperr.Invalid(apperr.FieldViolation{Field: "proposal", Description: "must be a proposal of " + req.GetName()})
	}
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_AwardSourcingEvent_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.SourcingEvent, error) {
			before, v, err := readEvent(ctx, tx, req.GetName())
			if err != nil {
				return nil, err
			}
			if err := sqlstore.CheckETag(req.GetName(), req.GetEtag(), before.GetEtag()); err != nil {
				return nil, err
			}
			next, err := selection.Next(before.GetState(), selection.Award)
			if err != nil {
				return nil, err
			}
			p := &catalogv1.Proposal{}
			if _, err := docstore.Get(ctx, tx, req.GetProposal(), p); err != nil {
				return nil, err
			}
			if p.GetState() != catalogv1.ProposalState_PROPOSAL_STATE_QUALIFIED {
				return nil, apperr.New(apperr.FailedPrecondition, "%s is %s: only a QUALIFIED proposal can be awarded", p.GetName(), strings.TrimPrefix(p.GetState().String(), "PROPOSAL_STATE_"))
			}
			r, err := s.rank(ctx, tx, before)
			if err != nil {
				return nil, err
			}
			justification := trimmed(req.GetJustification())
			if top := r.Proposals[0]; top.Proposal != p.GetName() && justification == "" {
				mine, _ := r.Find(p.GetName())
				return nil, apperr.New(apperr.FailedPrecondition, "%s ranks %d (total %s) and %s ranks first (total %s): awarding any but the top-ranked proposal needs a justification",
					p.GetName(), mine.Rank, selection.Decimal2(mine.Total), top.Proposal, selection.Decimal2(top.Total))
			}
			e := clone(before)
			e.State = next
			e.Award = &catalogv1.Award{
				Proposal:      p.GetName(),
				Provider:      p.GetProvider(),
				Justification: justification,
				ProposedBy:    auth.Subject(ctx),
				ProposeTime:   timestamp(s.now()),
			}
			return e, s.writeEvent(ctx, tx, req.GetRequestId(), before, e, v)
		})
}

// ApproveAward implements catalogv1.CatalogServiceServer: an approver who
// did not propose the award approves it; the event is AWARDED, the
// awarded proposal AWARDED and the other qualified ones NOT_SELECTED, and
// the engagement records the award — all in one transaction.
// spec: catalog.md §3 "Award".
func (s *Server) ApproveAward(ctx context.Context, req *catalogv1.ApproveAwardRequest) (*catalogv1.SourcingEvent, error) {
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_ApproveAward_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.SourcingEvent, error) {
			before, v, err := readEvent(ctx, tx, req.GetName())
			if err != nil {
				return nil, err
			}
			if err := sqlstore.CheckETag(req.GetName(), req.GetEtag(), before.GetEtag()); err != nil {
				return nil, err
			}
			next, err := selection.Next(before.GetState(), selection.Approve)
			if err != nil {
				return nil, err
			}
			award := before.GetAward()
			if award.GetProposal() == "" {
				return nil, apperr.New(apperr.FailedPrecondition, "no award of %s has been proposed: a sourcing manager proposes one with AwardSourcingEvent first", req.GetName())
			}
			if award.GetProposedBy() == auth.Subject(ctx) {
				return nil, apperr.New(apperr.PermissionDenied, "an approver cannot approve an award they proposed; another approver must")
			}
			r, err := s.rank(ctx, tx, before)
			if err != nil {
				return nil, err
			}
			won, ok := r.Find(award.GetProposal())
			if !ok {
				return nil, apperr.New(apperr.FailedPrecondition, "%s is no longer qualified; propose another award", award.GetProposal())
			}
			eng := &catalogv1.Engagement{}
			engV, err := docstore.Get(ctx, tx, before.GetEngagement(), eng)
			if err != nil {
				return nil, err
			}
			if a := eng.GetAward(); a.GetSourcingEvent() != "" {
				return nil, apperr.New(apperr.FailedPrecondition, "%s was already awarded by %s to %s", eng.GetName(), a.GetSourcingEvent(), a.GetProvider())
			}
			now := timestamp(s.now())

			e := clone(before)
			e.State = next
			e.Award.ApprovedBy, e.Award.ApproveTime = auth.Subject(ctx), now
			if err := s.writeEvent(ctx, tx, req.GetRequestId(), before, e, v); err != nil {
				return nil, err
			}
			for _, rp := range r.Proposals {
				state := catalogv1.ProposalState_PROPOSAL_STATE_NOT_SELECTED
				if rp.Proposal == award.GetProposal() {
					state = catalogv1.ProposalState_PROPOSAL_STATE_AWARDED
				}
				if err := setProposalState(ctx, tx, rp.Proposal, state, req.GetRequestId()); err != nil {
					return nil, err
				}
			}
			engAfter := clone(eng)
			engAfter.Award = &catalogv1.EngagementAward{
				SourcingEvent:      e.GetName(),
				Proposal:           award.GetProposal(),
				Provider:           award.GetProvider(),
				TotalContractValue: won.TCV.Proto(),
				TotalScore:         selection.Decimal2(won.Total),
				AwardTime:          now,
			}
			engAfter.UpdateTime = now
			if err := docstore.Update(ctx, tx, eng.GetName(), engAfter, engV, scope.EngagementFacets(engAfter)); err != nil {
				return nil, err
			}
			if err := audit.Record(ctx, tx, eng.GetName(), req.GetRequestId(), eng, engAfter); err != nil {
				return nil, err
			}
			return e, nil
		})
}

func setProposalState(ctx context.Context, tx *sqlstore.Tx, name string, state catalogv1.ProposalState, requestID string) error {
	before := &catalogv1.Proposal{}
	v, err := docstore.Get(ctx, tx, name, before)
	if err != nil {
		return err
	}
	p := clone(before)
	p.State = state
	if err := docstore.Update(ctx, tx, name, p, v, proposalFacets(p)); err != nil {
		return err
	}
	return audit.Record(ctx, tx, name, requestID, before, p)
}
