package contract

import (
	"context"
	"strings"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/fieldmask"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/contract/terms"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// amendments are the contracts' amendments, `contracts/{c}/amendments/{a}`,
// found by their state.
var amendments = docstore.Resource(listing.Schema[*contractv1.Amendment]{Fields: []listing.Field[*contractv1.Amendment]{
	listing.Enum("state", (*contractv1.Amendment).GetState),
}})

// amendmentInput checks an amendment's change set against the contract's
// latest revision c and returns the amended contract: the paths amendable,
// and the amended contract making sense as a draft (violations under
// `amendment.changes`).
func amendmentInput(c *contractv1.Contract, a *contractv1.Amendment) (*contractv1.Contract, error) {
	amended, err := terms.Amend(c, a.GetChanges(), a.GetChangeMask().GetPaths(), "amendment.change_mask")
	if err != nil {
		return nil, err
	}
	var v apperr.Violations
	if a.GetEffectiveDate() == nil {
		v.Add("amendment.effective_date", "is required: the first day the amended terms are in force")
	} else if _, ok := terms.Civil(a.GetEffectiveDate()); !ok {
		v.Add("amendment.effective_date", "is not a calendar date")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return amended, terms.ValidateDraft(amended, "amendment.changes")
}

// CreateAmendment implements contractv1.ContractServiceServer.
func (s *Server) CreateAmendment(ctx context.Context, req *contractv1.CreateAmendmentRequest) (*contractv1.Amendment, error) {
	parent, err := names.Parse[contractv1.ContractResourceName]("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	in := proto.CloneOf(req.GetAmendment())
	fieldmask.ClearOutputOnly(in)
	caller := auth.FromContext(ctx)
	if err := s.advance(ctx, parent.String()); err != nil {
		return nil, err
	}
	return sqlstore.Idempotent(ctx, s.db, contractv1.ContractService_CreateAmendment_FullMethodName, req.GetRequestId(), caller.Subject, req,
		func(tx *sqlstore.Tx) (*contractv1.Amendment, error) {
			c, err := s.current(ctx, tx, parent)
			if err != nil {
				return nil, err
			}
			if err := terms.CanAmend(c); err != nil {
				return nil, err
			}
			if _, err := amendmentInput(c, in); err != nil {
				return nil, err
			}
			now := timestamppb.New(s.now())
			a := in
			a.Changes = terms.Only(in.GetChanges(), in.GetChangeMask().GetPaths())
			a.Name = contractv1.AmendmentResourceName{Contract: parent.Contract, Amendment: names.NewID()}.String()
			a.State = contractv1.AmendmentState_AMENDMENT_STATE_DRAFT
			a.BaseRevisionId = c.GetRevisionId()
			a.Author = caller.Subject
			terms.AddAmendmentEditor(a, caller.Subject)
			a.CreateTime, a.UpdateTime = now, now
			if err := amendments.Insert(ctx, tx, a.GetName(), a); err != nil {
				return nil, err
			}
			return a, audit.Record(ctx, tx, a.GetName(), req.GetRequestId(), nil, a)
		})
}

// loadAmendment reads the amendment name and its contract, for the caller
// (a provider user only its own provider's: the contract decides).
func (s *Server) loadAmendment(ctx context.Context, tx *sqlstore.Tx, name contractv1.AmendmentResourceName, etag string) (*contractv1.Amendment, sqlstore.Version, *contractv1.Contract, sqlstore.Version, error) {
	c, cv, err := load(ctx, tx, name.ContractResourceName(), "")
	if err != nil {
		return nil, sqlstore.Version{}, nil, sqlstore.Version{}, err
	}
	a, av, err := amendments.GetForChange(ctx, tx, name.String(), etag)
	return a, av, c, cv, err
}

// GetAmendment implements contractv1.ContractServiceServer.
func (s *Server) GetAmendment(ctx context.Context, req *contractv1.GetAmendmentRequest) (*contractv1.Amendment, error) {
	name, err := names.Parse[contractv1.AmendmentResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*contractv1.Amendment, error) {
		a, _, _, _, err := s.loadAmendment(ctx, tx, name, "")
		return a, err
	})
}

// ListAmendments implements contractv1.ContractServiceServer.
func (s *Server) ListAmendments(ctx context.Context, req *contractv1.ListAmendmentsRequest) (*contractv1.ListAmendmentsResponse, error) {
	parent, err := names.Parse[contractv1.ContractResourceName]("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*contractv1.ListAmendmentsResponse, error) {
		if _, err := s.current(ctx, tx, parent); err != nil {
			return nil, err
		}
		page, next, err := amendments.Page(ctx, tx, req, docstore.Query{Parent: parent.String()})
		return &contractv1.ListAmendmentsResponse{Amendments: page, NextPageToken: next}, err
	})
}

// UpdateAmendment implements contractv1.ContractServiceServer.
func (s *Server) UpdateAmendment(ctx context.Context, req *contractv1.UpdateAmendmentRequest) (*contractv1.Amendment, error) {
	in := req.GetAmendment()
	name, err := names.Parse[contractv1.AmendmentResourceName]("amendment.name", in.GetName())
	if err != nil {
		return nil, err
	}
	return sqlstore.Idempotent(ctx, s.db, contractv1.ContractService_UpdateAmendment_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*contractv1.Amendment, error) {
			before, v, c, _, err := s.loadAmendment(ctx, tx, name, in.GetEtag())
			if err != nil {
				return nil, err
			}
			if _, err := terms.NextAmendment(before.GetState(), terms.Edit); err != nil {
				return nil, err
			}
			a := proto.CloneOf(before)
			if err := fieldmask.Apply(a, in, req.GetUpdateMask().GetPaths(), "draft a new amendment instead", nil); err != nil {
				return nil, err
			}
			if _, err := amendmentInput(c, a); err != nil {
				return nil, err
			}
			a.Changes = terms.Only(a.GetChanges(), a.GetChangeMask().GetPaths())
			terms.AddAmendmentEditor(a, auth.Subject(ctx))
			return s.saveAmendment(ctx, tx, req.GetRequestId(), before, a, v)
		})
}

// saveAmendment writes a over before (read at v) with its audit record.
func (s *Server) saveAmendment(ctx context.Context, tx *sqlstore.Tx, requestID string, before, a *contractv1.Amendment, v sqlstore.Version) (*contractv1.Amendment, error) {
	a.UpdateTime = timestamppb.New(s.now())
	if err := amendments.Update(ctx, tx, a.GetName(), a, v); err != nil {
		return nil, err
	}
	return a, audit.Record(ctx, tx, a.GetName(), requestID, before, a)
}

// amendmentChange is what the requests of the amendments' custom methods
// share.
type amendmentChange interface {
	stateChange
	GetEtag() string
}

// changeAmendment runs one custom method of an amendment: it loads the
// amendment and its contract, lets apply change a copy of the amendment
// (and, when it takes effect, the contract: apply returns the contract to
// write, or nil), and writes what changed with its audit records. A write
// that lost a race runs again on fresh data.
func (s *Server) changeAmendment(ctx context.Context, method string, req amendmentChange,
	apply func(tx *sqlstore.Tx, a *contractv1.Amendment, c *contractv1.Contract) (changed bool, newContract *contractv1.Contract, err error)) (*contractv1.Amendment, error) {
	name, err := names.Parse[contractv1.AmendmentResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	if err := s.advance(ctx, name.ContractResourceName().String()); err != nil {
		return nil, err
	}
	return sqlstore.RetryConflicts(ctx, func() (*contractv1.Amendment, error) {
		return sqlstore.Idempotent(ctx, s.db, method, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*contractv1.Amendment, error) {
				before, v, c, cv, err := s.loadAmendment(ctx, tx, name, req.GetEtag())
				if err != nil {
					return nil, err
				}
				a := proto.CloneOf(before)
				changed, next, err := apply(tx, a, c)
				if err != nil || !changed {
					return before, err
				}
				if next != nil {
					if err := saveRevision(ctx, tx, name.ContractResourceName(), next); err != nil {
						return nil, err
					}
					if _, err := s.save(ctx, tx, req.GetRequestId(), c, next, cv); err != nil {
						return nil, err
					}
				}
				return s.saveAmendment(ctx, tx, req.GetRequestId(), before, a, v)
			})
	})
}

// review checks amendment a of contract c as a whole and returns the
// amended contract with its escalation check: the contract still at the
// revision amended, the amended contract passing review (violations under
// `amendment.changes`), the effective date, and the escalation cap.
func (s *Server) review(ctx context.Context, tx *sqlstore.Tx, a *contractv1.Amendment, c *contractv1.Contract) (*contractv1.Contract, error) {
	if err := terms.CanAmend(c); err != nil {
		return nil, err
	}
	if err := terms.CheckBase(a, c); err != nil {
		return nil, err
	}
	amended, err := terms.Amend(c, a.GetChanges(), a.GetChangeMask().GetPaths(), "amendment.change_mask")
	if err != nil {
		return nil, err
	}
	if err := terms.ValidateForReview(amended, "amendment.changes"); err != nil {
		return nil, err
	}
	if err := terms.CheckEffectiveDate(a.GetEffectiveDate(), c, amended, s.now(), "amendment.effective_date"); err != nil {
		return nil, err
	}
	var name contractv1.ContractResourceName
	_ = name.UnmarshalString(c.GetName())
	revs, err := revisionsOf(ctx, tx, name, c)
	if err != nil {
		return nil, err
	}
	a.Escalation = terms.Escalation(amended, revs, a.GetEffectiveDate())
	return amended, terms.CheckEscalation(a, a.GetEscalation())
}

// SubmitAmendment implements contractv1.ContractServiceServer.
func (s *Server) SubmitAmendment(ctx context.Context, req *contractv1.SubmitAmendmentRequest) (*contractv1.Amendment, error) {
	return s.changeAmendment(ctx, contractv1.ContractService_SubmitAmendment_FullMethodName, req,
		func(tx *sqlstore.Tx, a *contractv1.Amendment, c *contractv1.Contract) (bool, *contractv1.Contract, error) {
			next, err := terms.NextAmendment(a.GetState(), terms.Submit)
			if err != nil {
				return false, nil, err
			}
			if _, err := s.review(ctx, tx, a, c); err != nil {
				return false, nil, err
			}
			a.State, a.RejectionReason = next, ""
			return true, nil, nil
		})
}

// ApproveAmendment implements contractv1.ContractServiceServer.
func (s *Server) ApproveAmendment(ctx context.Context, req *contractv1.ApproveAmendmentRequest) (*contractv1.Amendment, error) {
	caller := auth.FromContext(ctx)
	return s.changeAmendment(ctx, contractv1.ContractService_ApproveAmendment_FullMethodName, req,
		func(tx *sqlstore.Tx, a *contractv1.Amendment, c *contractv1.Contract) (bool, *contractv1.Contract, error) {
			next, err := terms.NextAmendment(a.GetState(), terms.Approve)
			if err != nil {
				return false, nil, err
			}
			if err := terms.CheckAmendmentApprover(a, party(caller)); err != nil {
				return false, nil, err
			}
			if _, err := s.review(ctx, tx, a, c); err != nil {
				return false, nil, err
			}
			a.State, a.Approver = next, caller.Subject
			return true, nil, nil
		})
}

// RejectAmendment implements contractv1.ContractServiceServer.
func (s *Server) RejectAmendment(ctx context.Context, req *contractv1.RejectAmendmentRequest) (*contractv1.Amendment, error) {
	return s.changeAmendment(ctx, contractv1.ContractService_RejectAmendment_FullMethodName, req,
		func(_ *sqlstore.Tx, a *contractv1.Amendment, _ *contractv1.Contract) (bool, *contractv1.Contract, error) {
			next, err := terms.NextAmendment(a.GetState(), terms.Reject)
			if err != nil {
				return false, nil, err
			}
			a.State, a.RejectionReason = next, strings.TrimSpace(req.GetReason())
			return true, nil, nil
		})
}

// SignAmendment implements contractv1.ContractServiceServer. The
// signature that completes it checks the amendment once more (the
// contract still at the revision amended, the effective date not past)
// and writes, in one transaction, the new revision, the contract showing
// it, and the amendment SIGNED with the revision it became.
func (s *Server) SignAmendment(ctx context.Context, req *contractv1.SignAmendmentRequest) (*contractv1.Amendment, error) {
	caller := auth.FromContext(ctx)
	return s.changeAmendment(ctx, contractv1.ContractService_SignAmendment_FullMethodName, req,
		func(tx *sqlstore.Tx, a *contractv1.Amendment, c *contractv1.Contract) (bool, *contractv1.Contract, error) {
			changed, err := terms.SignAmendment(a, c, party(caller), s.now())
			if err != nil || !changed || a.GetState() != contractv1.AmendmentState_AMENDMENT_STATE_SIGNED {
				return changed, nil, err
			}
			amended, err := s.review(ctx, tx, a, c)
			if err != nil {
				return false, nil, err
			}
			next := terms.NewRevision(c, amended, a)
			a.RevisionId = next.GetRevisionId()
			return true, next, nil
		})
}
