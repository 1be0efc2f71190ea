package contract

import (
	"context"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/services/contract/terms"
)

// award asks catalog, with the caller's token, for what a draft is
// pre-filled from: the engagement and its approved award, the scope
// revision the sourcing event was published on (not a later draft of the
// scope), and the awarded proposal. An engagement without an approved award
// is the gate of step 4. spec: README.md, "contract calls catalog to check
// that an award exists before a contract is drafted"; a catalog that is
// down is UNAVAILABLE (kit/downstream).
func (s *Server) award(ctx context.Context, engagement catalogv1.EngagementResourceName) (terms.Award, error) {
	eng, err := s.catalog.GetEngagement(ctx, &catalogv1.GetEngagementRequest{Name: engagement.String()})
	if err != nil {
		return terms.Award{}, err
	}
	a := eng.GetAward()
	if a.GetProposal() == "" || a.GetProvider() == "" {
		return terms.Award{}, apperr.New(apperr.FailedPrecondition,
			"%s has no award yet: the sourcing event must be awarded and the award approved before a contract is drafted", engagement)
	}
	event, err := s.catalog.GetSourcingEvent(ctx, &catalogv1.GetSourcingEventRequest{Name: a.GetSourcingEvent()})
	if err != nil {
		return terms.Award{}, err
	}
	scope, err := s.catalog.GetScope(ctx, &catalogv1.GetScopeRequest{Name: engagement.ScopeResourceName().String(), Revision: event.GetScopeRevision()})
	if err != nil {
		return terms.Award{}, err
	}
	proposal, err := s.catalog.GetProposal(ctx, &catalogv1.GetProposalRequest{Name: a.GetProposal()})
	if err != nil {
		return terms.Award{}, err
	}
	return terms.Award{Engagement: eng, Proposal: proposal, Scope: scope}, nil
}
