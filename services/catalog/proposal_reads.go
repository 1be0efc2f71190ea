package catalog

// A proposal's history and scores: every revision as submitted, the
// evaluators' scores of the one evaluated, and the sourcing manager's
// override of its location score. spec: catalog.md §3 "Proposal" (every
// revision is kept), "Evaluation" step 3 (location score unless
// overridden), "Sealed bids".

import (
	"cmp"
	"context"
	"slices"
	"strconv"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/protoenum"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog/selection"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var proposalReadPolicy = auth.Policy{
	catalogv1.CatalogService_ListProposalRevisions_FullMethodName: auth.Readers,
	catalogv1.CatalogService_ListEvaluations_FullMethodName:       staff,
	catalogv1.CatalogService_OverrideLocationScore_FullMethodName: {auth.SourcingManager},
}

// ListProposalRevisions implements catalogv1.CatalogServiceServer: every
// revision, oldest first. Its own provider reads them always; another
// provider never (refused before the lookup); everyone else — admins
// included — once the event closed: while the proposal is sealed so is
// its history (even how many revisions it has).
func (s *Server) ListProposalRevisions(ctx context.Context, req *catalogv1.ListProposalRevisionsRequest) (*catalogv1.ListProposalRevisionsResponse, error) {
	name, err := names.Parse[catalogv1.ProposalResourceName]("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	caller := auth.FromContext(ctx)
	if caller.IsProviderOnly() && proposalProvider(name).String() != caller.Provider {
		return nil, apperr.New(apperr.PermissionDenied, "a provider user may see only its own provider's (%s) proposals", caller.Provider)
	}
	query := "revisions\x00" + name.String() + "\x00" + strconv.Itoa(int(req.GetPageSize()))
	after, err := listing.DecodePageToken(req.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	from, _ := strconv.ParseInt(after, 10, 64)
	if err := s.closeIfDue(ctx, name.SourcingEventResourceName()); err != nil {
		return nil, err
	}
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*catalogv1.ListProposalRevisionsResponse, error) {
		current, _, err := proposalDocs.Get(ctx, tx, name.String())
		if err != nil {
			return nil, err
		}
		seen, err := selection.ProposalFor(current, viewerOf(caller))
		if err != nil {
			return nil, err
		}
		if seen.GetSealed() {
			return nil, apperr.New(apperr.FailedPrecondition, "%s is sealed until its event is CLOSED, and so are its revisions", name)
		}
		revs, err := proposalRevisionDocs.List(ctx, tx, docstore.Query{Parent: name.String()})
		if err != nil {
			return nil, err
		}
		// Revision numbers are decimal name segments ("10" < "2" as text):
		// ordered by number here.
		slices.SortFunc(revs, func(a, b *catalogv1.Proposal) int { return cmp.Compare(a.GetRevision(), b.GetRevision()) })
		resp := &catalogv1.ListProposalRevisionsResponse{}
		limit := listing.PageSize(req.GetPageSize())
		for _, r := range revs {
			if r.GetRevision() <= from {
				continue
			}
			if len(resp.Revisions) == limit {
				resp.NextPageToken = listing.EncodePageToken(strconv.FormatInt(resp.Revisions[limit-1].GetRevision(), 10), query)
				break
			}
			r.Etag = "" // a revision is not changed through its etag
			resp.Revisions = append(resp.Revisions, r)
		}
		return resp, nil
	})
}

// ListEvaluations implements catalogv1.CatalogServiceServer: the
// evaluators' scores of a proposal, by evaluator, once its event closed.
// Never for a provider user: they are scores of a competition.
func (s *Server) ListEvaluations(ctx context.Context, req *catalogv1.ListEvaluationsRequest) (*catalogv1.ListEvaluationsResponse, error) {
	if auth.FromContext(ctx).Has(auth.ProviderUser) {
		return nil, apperr.New(apperr.PermissionDenied, "a provider user never sees evaluations: they rank providers against each other")
	}
	name, err := names.Parse[catalogv1.ProposalResourceName]("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	if err := s.closeIfDue(ctx, name.SourcingEventResourceName()); err != nil {
		return nil, err
	}
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*catalogv1.ListEvaluationsResponse, error) {
		p, _, err := proposalDocs.Get(ctx, tx, name.String())
		if err != nil {
			return nil, err
		}
		if !selection.Opened(p.GetState()) {
			return nil, apperr.New(apperr.FailedPrecondition, "%s is %s: it is sealed until its event is CLOSED, and nothing is evaluated before", name, protoenum.Short(p.GetState()))
		}
		evals, err := evaluationDocs.List(ctx, tx, docstore.Query{Parent: name.String()})
		if err != nil {
			return nil, err
		}
		return &catalogv1.ListEvaluationsResponse{Evaluations: evals, ProposalRevision: p.GetRevision()}, nil
	})
}

// OverrideLocationScore implements catalogv1.CatalogServiceServer: the
// sourcing manager sets the location score of a QUALIFIED proposal, with
// a reason, while its event is CLOSED or EVALUATED and no award is
// proposed; the ranking uses it instead of the automatic score.
func (s *Server) OverrideLocationScore(ctx context.Context, req *catalogv1.OverrideLocationScoreRequest) (*catalogv1.Proposal, error) {
	name, err := names.Parse[catalogv1.ProposalResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	reason := trimmed(req.GetReason())
	if reason == "" {
		return nil, apperr.Invalid(apperr.FieldViolation{Field: "reason", Description: "say why the automatic location score does not stand"})
	}
	event := name.SourcingEventResourceName()
	if err := s.closeIfDue(ctx, event); err != nil {
		return nil, err
	}
	return sqlstore.RetryConflicts(ctx, func() (*catalogv1.Proposal, error) {
		return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_OverrideLocationScore_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*catalogv1.Proposal, error) {
				e, _, err := eventDocs.Get(ctx, tx, event.String())
				if err != nil {
					return nil, err
				}
				switch {
				case e.GetState() != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_CLOSED && e.GetState() != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_EVALUATED:
					return nil, apperr.New(apperr.FailedPrecondition, "%s is %s: a location score is overridden only while the event is CLOSED or EVALUATED", event, protoenum.Short(e.GetState()))
				case e.GetAward().GetProposal() != "":
					return nil, apperr.New(apperr.FailedPrecondition, "an award of %s is proposed (%s): the scores are frozen until it is approved or the event cancelled", event, e.GetAward().GetProposal())
				}
				before, v, err := proposalDocs.Get(ctx, tx, name.String())
				if err != nil {
					return nil, err
				}
				if before.GetState() != catalogv1.ProposalState_PROPOSAL_STATE_QUALIFIED {
					return nil, apperr.New(apperr.FailedPrecondition, "%s is %s: only a QUALIFIED proposal is scored", name, protoenum.Short(before.GetState()))
				}
				p := proto.CloneOf(before)
				p.LocationOverride = &catalogv1.LocationOverride{
					Score: req.GetScore(), Reason: reason, OverriddenBy: auth.Subject(ctx), OverrideTime: timestamppb.New(s.now()),
				}
				if err := proposalDocs.Update(ctx, tx, p.GetName(), p, v); err != nil {
					return nil, err
				}
				if err := bumpGuard(ctx, tx, event); err != nil {
					return nil, err
				}
				if err := audit.Record(ctx, tx, p.GetName(), req.GetRequestId(), before, p); err != nil {
					return nil, err
				}
				return p, nil
			})
	})
}
