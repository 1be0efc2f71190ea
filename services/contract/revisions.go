package contract

import (
	"context"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/civil"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/contract/terms"
	"google.golang.org/protobuf/proto"
)

// saveRevision stores c's terms as its revision c.revision_id, once, in
// the transaction that made it take effect (the second signature, or an
// amendment's).
func saveRevision(ctx context.Context, tx *sqlstore.Tx, name contractv1.ContractResourceName, c *contractv1.Contract) error {
	rev := proto.CloneOf(c)
	rev.Etag = ""
	return revisions.Insert(ctx, tx, revisionName(name, c.GetRevisionId()), rev)
}

// revisionsOf are the revisions of the signed contract c, oldest first. A
// contract signed before revisions were stored has none stored: its one
// revision is the contract as it stands.
func revisionsOf(ctx context.Context, tx *sqlstore.Tx, name contractv1.ContractResourceName, c *contractv1.Contract) ([]*contractv1.Contract, error) {
	if !terms.Signed(c.GetState()) {
		return nil, terms.NoRevisionYet(c)
	}
	revs, err := revisions.List(ctx, tx, docstore.Query{Parent: name.String()})
	if err != nil {
		return nil, err
	}
	if len(revs) == 0 {
		legacy := proto.CloneOf(c)
		terms.StartRevision(legacy)
		revs = []*contractv1.Contract{legacy}
	}
	for i, r := range revs {
		revs[i] = terms.Life(r, c)
	}
	return revs, nil
}

// revision reads revision id of the contract name (for the caller: a
// provider user only its own provider's).
func revision(ctx context.Context, tx *sqlstore.Tx, name contractv1.ContractResourceName, id string) (*contractv1.Contract, error) {
	c, _, err := load(ctx, tx, name, "")
	if err != nil {
		return nil, err
	}
	revs, err := revisionsOf(ctx, tx, name, c)
	if err != nil {
		return nil, err
	}
	for _, r := range revs {
		if r.GetRevisionId() == id {
			return r, nil
		}
	}
	return nil, apperr.New(apperr.NotFound, "%s has no revision %s; its revisions are 1 to %s (ListContractRevisions)", name, id, revs[len(revs)-1].GetRevisionId())
}

// ListContractRevisions implements contractv1.ContractServiceServer.
func (s *Server) ListContractRevisions(ctx context.Context, req *contractv1.ListContractRevisionsRequest) (*contractv1.ListContractRevisionsResponse, error) {
	name, err := names.Parse[contractv1.ContractResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	return readInTime(ctx, s, name.String(), func(tx *sqlstore.Tx) (*contractv1.ListContractRevisionsResponse, error) {
		c, err := s.current(ctx, tx, name)
		if err != nil {
			return nil, err
		}
		if !terms.Signed(c.GetState()) {
			return nil, terms.NoRevisionYet(c)
		}
		page, next, err := revisions.Page(ctx, tx, req, docstore.Query{Parent: name.String()})
		if err != nil {
			return nil, err
		}
		if len(page) == 0 && req.GetPageToken() == "" {
			// Signed before revisions were stored: its one revision.
			page, err = revisionsOf(ctx, tx, name, c)
			return &contractv1.ListContractRevisionsResponse{Contracts: page}, err
		}
		for i, r := range page {
			page[i] = terms.Life(r, c)
		}
		return &contractv1.ListContractRevisionsResponse{Contracts: page, NextPageToken: next}, nil
	})
}

// GetEffectiveContract implements contractv1.ContractServiceServer.
func (s *Server) GetEffectiveContract(ctx context.Context, req *contractv1.GetEffectiveContractRequest) (*contractv1.Contract, error) {
	name, err := names.Parse[contractv1.ContractResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	if _, ok := terms.Civil(req.GetDate()); !ok {
		return nil, apperr.Invalid(apperr.FieldViolation{Field: "date", Description: civil.Format(req.GetDate()) + " is not a calendar date"})
	}
	return readInTime(ctx, s, name.String(), func(tx *sqlstore.Tx) (*contractv1.Contract, error) {
		c, err := s.current(ctx, tx, name)
		if err != nil {
			return nil, err
		}
		revs, err := revisionsOf(ctx, tx, name, c)
		if err != nil {
			return nil, err
		}
		rev, ok := terms.InForce(revs, req.GetDate())
		if !ok {
			return nil, apperr.New(apperr.NotFound, "no revision of %s is in force on %s: revision 1 takes effect on %s, the start of the term",
				name, civil.Format(req.GetDate()), civil.Format(revs[0].GetRevisionEffectiveDate()))
		}
		return rev, nil
	})
}
