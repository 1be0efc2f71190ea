package contract

import (
	"context"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/fieldmask"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/protoenum"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/contract/terms"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// CreateContract implements contractv1.ContractServiceServer.
func (s *Server) CreateContract(ctx context.Context, req *contractv1.CreateContractRequest) (*contractv1.Contract, error) {
	in := proto.CloneOf(req.GetContract())
	fieldmask.ClearOutputOnly(in)
	if err := terms.ValidateNew(in, "contract"); err != nil {
		return nil, err
	}
	engagement, err := names.Parse[catalogv1.EngagementResourceName]("contract.engagement", in.GetEngagement())
	if err != nil {
		return nil, err
	}
	// Catalog is asked before the transaction opens, so no write lock is
	// held across a network call; a retry with the same request id still
	// answers the first result.
	award, err := s.award(ctx, engagement)
	if err != nil {
		return nil, err
	}
	caller := auth.FromContext(ctx)
	return sqlstore.Idempotent(ctx, s.db, contractv1.ContractService_CreateContract_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*contractv1.Contract, error) {
			c := terms.Prefill(award, in)
			// What the scope and proposal brought in must hold up too.
			if err := terms.ValidateDraft(c, "contract"); err != nil {
				return nil, err
			}
			now := timestamppb.New(s.now())
			c.Name = contractv1.ContractResourceName{Contract: names.NewID()}.String()
			c.State = contractv1.ContractState_CONTRACT_STATE_DRAFT
			c.Author = caller.Subject
			terms.AddEditor(c, caller.Subject)
			c.CreateTime, c.UpdateTime = now, now
			if err := claimEngagement(ctx, tx, engagement, c); err != nil {
				return nil, err
			}
			if err := contracts.Insert(ctx, tx, c.Name, c); err != nil {
				return nil, err
			}
			return c, audit.Record(ctx, tx, c.Name, req.GetRequestId(), nil, c)
		})
}

// claimEngagement records c as its engagement's live contract, or answers
// ALREADY_EXISTS naming the one there is. spec: the task's rule of one
// live (non-terminated) contract per engagement.
func claimEngagement(ctx context.Context, tx *sqlstore.Tx, engagement catalogv1.EngagementResourceName, c *contractv1.Contract) error {
	name := liveContract(engagement)
	held, _, err := liveContracts.Get(ctx, tx, name)
	switch {
	case err == nil:
		return apperr.New(apperr.AlreadyExists, "%s already has a contract, %s; edit that one (or amend it once signed) instead of drafting another", c.GetEngagement(), held.GetName())
	case apperr.KindOf(err) != apperr.NotFound:
		return err
	}
	if err := liveContracts.Insert(ctx, tx, name, &contractv1.Contract{Name: c.GetName()}); err != nil {
		if apperr.KindOf(err) == apperr.AlreadyExists {
			return apperr.New(apperr.AlreadyExists, "%s already has a contract, drafted meanwhile; list its contracts and edit that one", c.GetEngagement())
		}
		return err
	}
	return nil
}

// releaseEngagement frees c's engagement for a new contract, when c is the
// one holding it, in the transaction that ends c.
func releaseEngagement(ctx context.Context, tx *sqlstore.Tx, c *contractv1.Contract) error {
	var engagement catalogv1.EngagementResourceName
	if err := engagement.UnmarshalString(c.GetEngagement()); err != nil {
		return apperr.New(apperr.Internal, "%s holds the engagement %q: %v", c.GetName(), c.GetEngagement(), err)
	}
	name := liveContract(engagement)
	held, v, err := liveContracts.Get(ctx, tx, name)
	switch {
	case apperr.KindOf(err) == apperr.NotFound:
		return nil
	case err != nil:
		return err
	case held.GetName() != c.GetName():
		return nil
	}
	return liveContracts.Delete(ctx, tx, name, v)
}

// GetContract implements contractv1.ContractServiceServer.
func (s *Server) GetContract(ctx context.Context, req *contractv1.GetContractRequest) (*contractv1.Contract, error) {
	name, err := names.Parse[contractv1.ContractResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	if id := req.GetRevisionId(); id != "" {
		return readInTime(ctx, s, name.String(), func(tx *sqlstore.Tx) (*contractv1.Contract, error) {
			return revision(ctx, tx, name, id)
		})
	}
	// The contract as it stands is the one document the sweep's check
	// reads too (due): one SELECT answers both — a snapshot by itself,
	// without a transaction — unless a change in time is due; then it is
	// made, and the contract read again, as advance and current do.
	type read struct {
		c   *contractv1.Contract
		v   sqlstore.Version
		err error
	}
	r, _ := sqlstore.QueryOne(ctx, s.db, func(tx *sqlstore.Tx) (read, error) {
		c, v, err := contracts.Get(ctx, tx, name.String())
		return read{c, v, err}, nil
	})
	if r.err == nil && terms.InTime(r.c, s.now()) { // changes r.c only when due; it is read again then
		if err := s.catchUp(ctx, name.String()); err != nil {
			return nil, err
		}
		return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*contractv1.Contract, error) {
			return s.current(ctx, tx, name)
		})
	}
	c, _, err := visible(ctx, r.c, r.v, r.err)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// current reads the contract name as it stands, for the caller.
func (s *Server) current(ctx context.Context, tx *sqlstore.Tx, name contractv1.ContractResourceName) (*contractv1.Contract, error) {
	c, _, err := load(ctx, tx, name, "")
	return c, err
}

// load reads the contract name for a change when the caller sent an etag,
// keeping a provider user to its own provider's contracts. For such a user
// another provider's contract and a missing one are answered alike,
// PERMISSION_DENIED, whatever the etag, so nothing is learnt about
// contracts it may not see (AIP-211).
func load(ctx context.Context, tx *sqlstore.Tx, name contractv1.ContractResourceName, etag string) (*contractv1.Contract, sqlstore.Version, error) {
	c, v, err := contracts.GetForChange(ctx, tx, name.String(), etag)
	return visible(ctx, c, v, err)
}

// visible is load's answer to the caller from what the store answered.
func visible(ctx context.Context, c *contractv1.Contract, v sqlstore.Version, err error) (*contractv1.Contract, sqlstore.Version, error) {
	caller := auth.FromContext(ctx)
	read := err == nil || apperr.KindOf(err) == apperr.Aborted
	if caller.IsProviderOnly() && (apperr.KindOf(err) == apperr.NotFound || read && c.GetProvider() != caller.Provider) {
		return c, v, apperr.New(apperr.PermissionDenied, "a provider user may access only its own provider's (%s) contracts", caller.Provider)
	}
	return c, v, err
}

// ListContracts implements contractv1.ContractServiceServer.
func (s *Server) ListContracts(ctx context.Context, req *contractv1.ListContractsRequest) (*contractv1.ListContractsResponse, error) {
	q := docstore.Query{}
	if caller := auth.FromContext(ctx); caller.IsProviderOnly() {
		q.Terms = []listing.Term{{Field: "provider", Op: listing.Equal, Value: caller.Provider}}
	}
	if err := s.sweep(ctx); err != nil {
		return nil, err
	}
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*contractv1.ListContractsResponse, error) {
		page, next, err := contracts.Page(ctx, tx, req, q)
		return &contractv1.ListContractsResponse{Contracts: page, NextPageToken: next}, err
	})
}

// UpdateContract implements contractv1.ContractServiceServer.
func (s *Server) UpdateContract(ctx context.Context, req *contractv1.UpdateContractRequest) (*contractv1.Contract, error) {
	in := req.GetContract()
	name, err := names.Parse[contractv1.ContractResourceName]("contract.name", in.GetName())
	if err != nil {
		return nil, err
	}
	return sqlstore.Idempotent(ctx, s.db, contractv1.ContractService_UpdateContract_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*contractv1.Contract, error) {
			before, v, err := load(ctx, tx, name, in.GetEtag())
			if err != nil {
				return nil, err
			}
			if _, err := terms.Next(before.GetState(), terms.Edit); err != nil {
				return nil, err
			}
			c := proto.CloneOf(before)
			if err := terms.ApplyMask(c, in, req.GetUpdateMask().GetPaths()); err != nil {
				return nil, err
			}
			if err := terms.ValidateDraft(c, "contract"); err != nil {
				return nil, err
			}
			terms.AddEditor(c, auth.Subject(ctx))
			return s.save(ctx, tx, req.GetRequestId(), before, c, v)
		})
}

// save writes c over before (read at v) with its audit record.
func (s *Server) save(ctx context.Context, tx *sqlstore.Tx, requestID string, before, c *contractv1.Contract, v sqlstore.Version) (*contractv1.Contract, error) {
	c.UpdateTime = timestamppb.New(s.now())
	if err := contracts.Update(ctx, tx, c.GetName(), c, v); err != nil {
		return nil, err
	}
	return c, audit.Record(ctx, tx, c.GetName(), requestID, before, c)
}

// stateChange is what the requests of the custom methods share.
type stateChange interface {
	proto.Message
	GetName() string
	GetRequestId() string
}

// change runs one custom method: it loads the contract, checks the etag
// (when the request has one) and lets apply change a copy; when apply
// reports no change, the contract is answered as it is and nothing is
// written (signing or recording the same date twice).
func (s *Server) change(ctx context.Context, method string, req stateChange, etag string, apply func(c *contractv1.Contract) (bool, error)) (*contractv1.Contract, error) {
	name, err := names.Parse[contractv1.ContractResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	if err := s.advance(ctx, name.String()); err != nil {
		return nil, err
	}
	// A write that lost a race with another change of the contract runs
	// again on fresh data (a stale etag the caller sent does not).
	return sqlstore.RetryConflicts(ctx, func() (*contractv1.Contract, error) {
		return sqlstore.Idempotent(ctx, s.db, method, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*contractv1.Contract, error) {
				before, v, err := load(ctx, tx, name, etag)
				if err != nil {
					return nil, err
				}
				c := proto.CloneOf(before)
				changed, err := apply(c)
				if err != nil || !changed {
					return before, err
				}
				return s.save(ctx, tx, req.GetRequestId(), before, c, v)
			})
	})
}

// SubmitContract implements contractv1.ContractServiceServer.
func (s *Server) SubmitContract(ctx context.Context, req *contractv1.SubmitContractRequest) (*contractv1.Contract, error) {
	return s.change(ctx, contractv1.ContractService_SubmitContract_FullMethodName, req, req.GetEtag(), func(c *contractv1.Contract) (bool, error) {
		next, err := terms.Next(c.GetState(), terms.Submit)
		if err != nil {
			return false, err
		}
		if err := terms.ValidateForReview(c, "contract"); err != nil {
			return false, err
		}
		c.State, c.RejectionReason = next, ""
		return true, nil
	})
}

// RejectContract implements contractv1.ContractServiceServer.
func (s *Server) RejectContract(ctx context.Context, req *contractv1.RejectContractRequest) (*contractv1.Contract, error) {
	return s.change(ctx, contractv1.ContractService_RejectContract_FullMethodName, req, req.GetEtag(), func(c *contractv1.Contract) (bool, error) {
		next, err := terms.Next(c.GetState(), terms.Reject)
		if err != nil {
			return false, err
		}
		c.State, c.RejectionReason = next, strings.TrimSpace(req.GetReason())
		return true, nil
	})
}

// ApproveContract implements contractv1.ContractServiceServer.
func (s *Server) ApproveContract(ctx context.Context, req *contractv1.ApproveContractRequest) (*contractv1.Contract, error) {
	caller := auth.FromContext(ctx)
	if err := s.awardStands(ctx, req.GetName(), contractv1.ContractState_CONTRACT_STATE_IN_REVIEW); err != nil {
		return nil, err
	}
	return s.change(ctx, contractv1.ContractService_ApproveContract_FullMethodName, req, req.GetEtag(), func(c *contractv1.Contract) (bool, error) {
		next, err := terms.Next(c.GetState(), terms.Approve)
		if err != nil {
			return false, err
		}
		if err := terms.CheckApprover(c, party(caller)); err != nil {
			return false, err
		}
		c.State, c.Approver = next, caller.Subject
		return true, nil
	})
}

// SignContract implements contractv1.ContractServiceServer. The two
// parties may sign at the same instant: their signatures touch different
// fields, so the one whose write lost the race (the contract changed
// between its read and its write) runs again on the fresh contract rather
// than answering ABORTED. A stale etag the caller sent is still ABORTED.
// The signature that completes the contract stores its first revision.
func (s *Server) SignContract(ctx context.Context, req *contractv1.SignContractRequest) (*contractv1.Contract, error) {
	caller := auth.FromContext(ctx)
	name, err := names.Parse[contractv1.ContractResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	// Both signatures are needed, so checking the client's suffices (a
	// provider user may not read the client's engagement in catalog).
	if !caller.IsProviderOnly() {
		if err := s.awardStands(ctx, req.GetName(), contractv1.ContractState_CONTRACT_STATE_APPROVED); err != nil {
			return nil, err
		}
	}
	return sqlstore.RetryConflicts(ctx, func() (*contractv1.Contract, error) {
		return sqlstore.Idempotent(ctx, s.db, contractv1.ContractService_SignContract_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*contractv1.Contract, error) {
				before, v, err := load(ctx, tx, name, req.GetEtag())
				if err != nil {
					return nil, err
				}
				c := proto.CloneOf(before)
				changed, err := terms.AddSignature(c, party(caller), s.now())
				if err != nil || !changed {
					return before, err
				}
				if terms.Signed(c.GetState()) {
					if err := saveRevision(ctx, tx, name, c); err != nil {
						return nil, err
					}
					// Signed on or after its start date, it is ACTIVE at once.
					terms.InTime(c, s.now())
				}
				return s.save(ctx, tx, req.GetRequestId(), before, c, v)
			})
	})
}

// RecordServiceCommencement implements contractv1.ContractServiceServer.
func (s *Server) RecordServiceCommencement(ctx context.Context, req *contractv1.RecordServiceCommencementRequest) (*contractv1.Contract, error) {
	return s.change(ctx, contractv1.ContractService_RecordServiceCommencement_FullMethodName, req, "", func(c *contractv1.Contract) (bool, error) {
		return terms.RecordCommencement(c, req.GetCommencementDate(), "commencement_date")
	})
}

// TerminateContract implements contractv1.ContractServiceServer.
func (s *Server) TerminateContract(ctx context.Context, req *contractv1.TerminateContractRequest) (*contractv1.Contract, error) {
	name, err := names.Parse[contractv1.ContractResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	t := terms.Termination{Reason: req.GetReason(), EffectiveDate: req.GetEffectiveDate(), Explanation: req.GetExplanation(), By: auth.Subject(ctx)}
	if err := s.advance(ctx, name.String()); err != nil {
		return nil, err
	}
	return sqlstore.Idempotent(ctx, s.db, contractv1.ContractService_TerminateContract_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*contractv1.Contract, error) {
			before, v, err := load(ctx, tx, name, req.GetEtag())
			if err != nil {
				return nil, err
			}
			c := proto.CloneOf(before)
			if err := terms.ApplyTermination(c, t, s.now(), "effective_date"); err != nil {
				return nil, err
			}
			// spec: one live contract per engagement; a terminated one no
			// longer is, so a new contract can be drafted.
			if err := releaseEngagement(ctx, tx, c); err != nil {
				return nil, err
			}
			return s.save(ctx, tx, req.GetRequestId(), before, c, v)
		})
}

// DeleteContract implements contractv1.ContractServiceServer: only a
// contract never signed may go, and with it its hold on the engagement
// (releaseEngagement), so a contract can be drafted for the award that
// replaced the one it was drafted for. A signed contract is history: it
// ends by expiry or termination, never by deletion.
func (s *Server) DeleteContract(ctx context.Context, req *contractv1.DeleteContractRequest) (*emptypb.Empty, error) {
	name, err := names.Parse[contractv1.ContractResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	return sqlstore.Idempotent(ctx, s.db, contractv1.ContractService_DeleteContract_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*emptypb.Empty, error) {
			before, v, err := load(ctx, tx, name, req.GetEtag())
			if err != nil {
				return nil, err
			}
			switch before.GetState() {
			case contractv1.ContractState_CONTRACT_STATE_DRAFT, contractv1.ContractState_CONTRACT_STATE_IN_REVIEW, contractv1.ContractState_CONTRACT_STATE_APPROVED:
			default:
				return nil, apperr.New(apperr.FailedPrecondition, "%s is %s: a signed contract is never deleted; it ends by expiry or termination (TerminateContract)",
					name, protoenum.Short(before.GetState()))
			}
			if err := releaseEngagement(ctx, tx, before); err != nil {
				return nil, err
			}
			if err := contracts.Delete(ctx, tx, name.String(), v); err != nil {
				return nil, err
			}
			return &emptypb.Empty{}, audit.Record(ctx, tx, name.String(), req.GetRequestId(), before, nil)
		})
}
