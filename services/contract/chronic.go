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

// RecordChronicFailure implements contractv1.ContractServiceServer:
// monitoring, closing a period with the governance manager's token, tells
// the contract of a chronic failure it found; the right it gives allows a
// termination for CAUSE. Idempotent per period (terms.RecordChronicFailure).
// The levels are checked against every revision of the contract, since
// monitoring judges each period by the revision then in force.
func (s *Server) RecordChronicFailure(ctx context.Context, req *contractv1.RecordChronicFailureRequest) (*contractv1.Contract, error) {
	name, err := names.Parse[contractv1.ContractResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	if err := s.advance(ctx, name.String()); err != nil {
		return nil, err
	}
	return sqlstore.RetryConflicts(ctx, func() (*contractv1.Contract, error) {
		return sqlstore.Idempotent(ctx, s.db, contractv1.ContractService_RecordChronicFailure_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*contractv1.Contract, error) {
				before, v, err := load(ctx, tx, name, "")
				if err != nil {
					return nil, err
				}
				var revs []*contractv1.Contract
				if terms.Signed(before.GetState()) {
					if revs, err = revisionsOf(ctx, tx, name, before); err != nil {
						return nil, err
					}
				}
				c := proto.CloneOf(before)
				changed, err := terms.RecordChronicFailure(c, req.GetRight(), s.now(), "right", revs...)
				if err != nil || !changed {
					return before, err
				}
				return s.save(ctx, tx, req.GetRequestId(), before, c, v)
			})
	})
}
