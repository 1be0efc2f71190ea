package catalog

// Step 3, select: the ranking of an event's qualified proposals by their
// evaluations and the moderator's confirmations.
// spec: catalog.md §3 "Evaluation" steps 3–4.

import (
	"context"
	"math/big"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/money"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/protoenum"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog/provider"
	"github.com/acme/bpo/services/catalog/selection"
)

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
	event, err := storedName[catalogv1.SourcingEventResourceName](e.GetName())
	if err != nil {
		return selection.Ranking{}, nil, err
	}
	proposals, err := listProposals(ctx, tx, event)
	if err != nil {
		return selection.Ranking{}, nil, err
	}
	en, _, err := engagementDocs.Get(ctx, tx, e.GetEngagement())
	if err != nil {
		return selection.Ranking{}, nil, err
	}
	moderations := map[string]map[catalogv1.Criterion]*catalogv1.Moderation{}
	var cands []selection.Candidate
	for _, p := range proposals {
		if !inTheRunning(p.GetState()) {
			continue
		}
		evals, err := evaluationDocs.List(ctx, tx, docstore.Query{Parent: p.GetName(), Limit: 1000})
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
			Location:  locationScore(en, p),
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

// locationScore is a proposal's location score: the sourcing manager's
// override when there is one, else from the engagement's shore
// preference order. spec: catalog.md §3 "Evaluation" step 3.
func locationScore(en *catalogv1.Engagement, p *catalogv1.Proposal) *big.Rat {
	if o := p.GetLocationOverride(); o != nil {
		return big.NewRat(int64(o.GetScore()), 1)
	}
	return selection.LocationScoreFor(en.GetShorePreference(), p.GetShoreModel())
}

// expertiseEvidence is what the provider's record with us says for the
// EXPERTISE criterion: its standing from the period scores monitoring
// reported. spec: monitoring.md "Scorecards": the score feeds the
// provider's performance and the EXPERTISE evidence of future events.
func expertiseEvidence(p *catalogv1.Provider) string {
	if len(p.GetPerformance()) == 0 {
		return "no performance on record: no period score reported yet"
	}
	return protoenum.Short(p.GetStanding()) + ": average " + provider.Average(p.GetPerformance())
}

// GetRanking implements catalogv1.CatalogServiceServer: the qualified
// proposals by total, once the event closed. Never for a provider user.
func (s *Server) GetRanking(ctx context.Context, req *catalogv1.GetRankingRequest) (*catalogv1.Ranking, error) {
	if auth.FromContext(ctx).Has(auth.ProviderUser) {
		return nil, apperr.New(apperr.PermissionDenied, "a provider user never sees a ranking: it holds other providers' prices and scores")
	}
	ranking, err := names.Parse[catalogv1.RankingResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	event := ranking.SourcingEventResourceName()
	if err := s.closeIfDue(ctx, event); err != nil {
		return nil, err
	}
	var (
		r        selection.Ranking
		mods     map[string]map[catalogv1.Criterion]*catalogv1.Moderation
		evidence = map[string]string{}
	)
	err = s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		e, _, err := eventDocs.Get(ctx, tx, event.String())
		if err != nil {
			return err
		}
		switch e.GetState() {
		case catalogv1.SourcingEventState_SOURCING_EVENT_STATE_DRAFT, catalogv1.SourcingEventState_SOURCING_EVENT_STATE_PUBLISHED:
			return apperr.New(apperr.FailedPrecondition, "%s is %s: proposals are sealed until it is CLOSED", event, protoenum.Short(e.GetState()))
		}
		if r, mods, err = s.rankModerated(ctx, tx, e); err != nil {
			return err
		}
		for _, p := range r.Proposals {
			prov, _, err := providerDocs.Get(ctx, tx, p.Provider)
			switch {
			case apperr.KindOf(err) == apperr.NotFound:
				evidence[p.Provider] = "the provider no longer exists"
			case err != nil:
				return err
			default:
				evidence[p.Provider] = expertiseEvidence(prov)
			}
		}
		return nil
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
			ExpertiseEvidence:  evidence[p.Provider],
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
	if rb, ok := selection.RobustnessOf(r); ok {
		out.Robustness = &catalogv1.Robustness{
			Leader: rb.Leader, RunnerUp: rb.RunnerUp, Criterion: rb.Criterion,
			Weight: rb.Weight, ChangePoints: rb.Change, Summary: rb.Summary(),
		}
	}
	return out, nil
}
