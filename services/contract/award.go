package contract

import (
	"context"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/sqlstore"
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

// awardStands refuses to approve (or, for the client, sign) a contract in
// state whose award was withdrawn in catalog after it was drafted (catalog's award fallback passes the award
// to the next-ranked proposal; catalog calls no one, so contract checks):
// the draft names a provider that no longer holds the award. A name that
// does not parse or a contract that cannot be read is left to the change
// itself to answer.
func (s *Server) awardStands(ctx context.Context, name string, state contractv1.ContractState) error {
	n, err := names.Parse[contractv1.ContractResourceName]("name", name)
	if err != nil {
		return nil
	}
	c, err := sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*contractv1.Contract, error) {
		return s.current(ctx, tx, n)
	})
	if err != nil || c.GetState() != state {
		return nil
	}
	eng, err := s.catalog.GetEngagement(ctx, &catalogv1.GetEngagementRequest{Name: c.GetEngagement()})
	if err != nil {
		return err
	}
	if held := eng.GetAward().GetProposal(); held != c.GetProposal() {
		now := "no proposal"
		if held != "" {
			now = held
		}
		return apperr.New(apperr.FailedPrecondition,
			"%s was drafted for the award of %s to %s, which was withdrawn (the award now names %s): this contract cannot be approved or signed; delete it (DeleteContract) and draft one for the current award",
			n, c.GetEngagement(), c.GetProposal(), now)
	}
	return nil
}
