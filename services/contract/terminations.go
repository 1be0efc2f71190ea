package contract

import (
	"context"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/contract/terms"
	"google.golang.org/protobuf/proto"
)

// RequestTermination implements contractv1.ContractServiceServer: the
// first pair of eyes of a termination for cause on a written reason.
func (s *Server) RequestTermination(ctx context.Context, req *contractv1.RequestTerminationRequest) (*contractv1.Contract, error) {
	t := terms.Termination{Reason: contractv1.TerminationReason_TERMINATION_REASON_CAUSE, EffectiveDate: req.GetEffectiveDate(), Explanation: req.GetExplanation(), By: auth.Subject(ctx)}
	return s.change(ctx, contractv1.ContractService_RequestTermination_FullMethodName, req, req.GetEtag(), func(c *contractv1.Contract) (bool, error) {
		return true, terms.RequestTermination(c, t, s.now(), "effective_date")
	})
}

// ApproveTermination implements contractv1.ContractServiceServer: the
// second pair of eyes terminates the contract and releases its
// engagement, as TerminateContract does.
func (s *Server) ApproveTermination(ctx context.Context, req *contractv1.ApproveTerminationRequest) (*contractv1.Contract, error) {
	name, err := names.Parse[contractv1.ContractResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	caller := auth.FromContext(ctx)
	if err := s.advance(ctx, name.String()); err != nil {
		return nil, err
	}
	return sqlstore.RetryConflicts(ctx, func() (*contractv1.Contract, error) {
		return sqlstore.Idempotent(ctx, s.db, contractv1.ContractService_ApproveTermination_FullMethodName, req.GetRequestId(), caller.Subject, req,
			func(tx *sqlstore.Tx) (*contractv1.Contract, error) {
				before, v, err := load(ctx, tx, name, req.GetEtag())
				if err != nil {
					return nil, err
				}
				c := proto.CloneOf(before)
				if err := terms.ApproveTermination(c, party(caller), s.now()); err != nil {
					return nil, err
				}
				if err := releaseEngagement(ctx, tx, c); err != nil {
					return nil, err
				}
				return s.save(ctx, tx, req.GetRequestId(), before, c, v)
			})
	})
}

// RejectTermination implements contractv1.ContractServiceServer.
func (s *Server) RejectTermination(ctx context.Context, req *contractv1.RejectTerminationRequest) (*contractv1.Contract, error) {
	return s.change(ctx, contractv1.ContractService_RejectTermination_FullMethodName, req, req.GetEtag(), func(c *contractv1.Contract) (bool, error) {
		return true, terms.RejectTermination(c, req.GetReason())
	})
}
