package catalog

// Step 3, select: proposals, sealed until their event closes.
// spec: catalog.md §3 "Proposal", "Sealed bids".

import (
	"context"
	"slices"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/fieldmask"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/protoenum"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog/selection"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// sealedRecord is what the audit log keeps of a submission: the audit
// log is read by auditors and admins, for whom the bid is sealed too.
func sealedRecord(p *catalogv1.Proposal) *catalogv1.Proposal {
	return &catalogv1.Proposal{Name: p.GetName(), Provider: p.GetProvider(), State: p.GetState(), SubmitTime: p.GetSubmitTime(), Sealed: true}
}

// submitter is the caller of CreateProposal or UpdateProposal: a provider
// user acting for its own provider. An admin has no provider to act for.
func submitter(ctx context.Context) (catalogv1.ProviderResourceName, error) {
	caller := auth.FromContext(ctx)
	var provider catalogv1.ProviderResourceName
	if !caller.Has(auth.ProviderUser) || provider.UnmarshalString(caller.Provider) != nil {
		return provider, apperr.New(apperr.PermissionDenied, "only a provider user submits proposals, for its own provider")
	}
	return provider, nil
}

// ownProposal is the caller's provider when name is that provider's own
// proposal; verb says what the caller came to do with it ("revise").
func ownProposal(ctx context.Context, name catalogv1.ProposalResourceName, verb string) (catalogv1.ProviderResourceName, error) {
	provider, err := submitter(ctx)
	if err != nil {
		return provider, err
	}
	if proposalProvider(name) != provider {
		return provider, apperr.New(apperr.PermissionDenied, "a provider user may %s only its own provider's (%s) proposal", verb, provider)
	}
	return provider, nil
}

// proposalForChange reads in tx the event of proposal name, open to
// provider's submissions (openForProposals), and the proposal at etag.
func (s *Server) proposalForChange(ctx context.Context, tx *sqlstore.Tx, name catalogv1.ProposalResourceName, provider catalogv1.ProviderResourceName, etag string) (*catalogv1.SourcingEvent, *catalogv1.Proposal, sqlstore.Version, error) {
	e, _, err := eventDocs.Get(ctx, tx, name.SourcingEventResourceName().String())
	if err != nil {
		return nil, nil, sqlstore.Version{}, err
	}
	if err := s.openForProposals(e, provider); err != nil {
		return nil, nil, sqlstore.Version{}, err
	}
	before, v, err := proposalDocs.GetForChange(ctx, tx, name.String(), etag)
	return e, before, v, err
}

// openForProposals is the gate of a submission: the provider is invited,
// the event PUBLISHED and its deadline not passed.
func (s *Server) openForProposals(e *catalogv1.SourcingEvent, provider catalogv1.ProviderResourceName) error {
	if !slices.Contains(e.GetInvitedProviders(), provider.String()) {
		return apperr.New(apperr.PermissionDenied, "%s is not invited to %s", provider, e.GetName())
	}
	if e.GetState() != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_PUBLISHED {
		if e.GetScopeRevision() == 0 {
			return apperr.New(apperr.PermissionDenied, "%s is not published yet", e.GetName())
		}
		return apperr.New(apperr.FailedPrecondition, "%s is %s: proposals are accepted only while it is PUBLISHED", e.GetName(), protoenum.Short(e.GetState()))
	}
	if d := e.GetProposalDeadline().AsTime(); !s.now().Before(d) {
		return apperr.New(apperr.FailedPrecondition, "the proposal deadline of %s passed at %s; late proposals are not accepted", e.GetName(), d.Format(time.RFC3339))
	}
	return nil
}

// selectionContext is what proposals of an event are judged against: the
// client's location, the scope revision the event was published on and
// the reference instant of shore models and overlap.
type selectionContext struct {
	client selection.Client
	scope  *catalogv1.Scope
	at     time.Time
}

func (s *Server) selectionContext(ctx context.Context, tx *sqlstore.Tx, e *catalogv1.SourcingEvent) (selectionContext, error) {
	eng, err := storedName[catalogv1.EngagementResourceName](e.GetEngagement())
	if err != nil {
		return selectionContext{}, err
	}
	en, _, err := engagementDocs.Get(ctx, tx, eng.String())
	if err != nil {
		return selectionContext{}, err
	}
	sc, err := publishedScope(ctx, tx, eng, e.GetScopeRevision())
	if err != nil {
		return selectionContext{}, err
	}
	client := selection.Client{Country: en.GetClientCountry(), TimeZone: en.GetClientTimeZone()}
	at, err := selection.ReferenceInstant(sc.GetTransition().GetGoLiveDate(), client, s.now())
	if err != nil {
		return selectionContext{}, err
	}
	return selectionContext{client: client, scope: sc, at: at}, nil
}

// publishedScope reads revision n of the engagement's scope, the one an
// event was published on: frozen once approved, or the current document
// while it still is that revision.
func publishedScope(ctx context.Context, tx *sqlstore.Tx, eng catalogv1.EngagementResourceName, n int64) (*catalogv1.Scope, error) {
	sc, _, err := scopeRevisionDocs.Get(ctx, tx, scopeRevisionName(eng, n))
	if apperr.KindOf(err) != apperr.NotFound {
		return sc, err
	}
	sc, _, err = scopeDocs.Get(ctx, tx, eng.ScopeResourceName().String())
	if err != nil {
		return nil, err
	}
	if sc.GetRevision() != n {
		return nil, apperr.New(apperr.Internal, "revision %d of the scope of %s is missing", n, eng)
	}
	return sc, nil
}

// priced fills in what the server derives from a proposal's content: the
// total contract value over the event's term and where it is delivered
// from (the compliance gate computes the latter again at the close).
func priced(p *catalogv1.Proposal, prov *catalogv1.Provider, e *catalogv1.SourcingEvent, sel selectionContext) error {
	tcv, err := selection.TCV(p.GetPricing(), e.GetContractTermMonths())
	if err != nil {
		return err
	}
	p.TotalContractValue = tcv.Proto()
	place, err := selection.Place(sel.client, prov, p.GetDeliveryCenters(), sel.at)
	if err != nil {
		return err
	}
	p.ShoreModel, p.OverlapHours = place.Shore, place.OverlapHours()
	return nil
}

// CreateProposal implements catalogv1.CatalogServiceServer: the caller's
// provider's one proposal to a PUBLISHED event, before its deadline.
func (s *Server) CreateProposal(ctx context.Context, req *catalogv1.CreateProposalRequest) (*catalogv1.Proposal, error) {
	event, err := names.Parse[catalogv1.SourcingEventResourceName]("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	provider, err := submitter(ctx)
	if err != nil {
		return nil, err
	}
	in := proto.CloneOf(req.GetProposal())
	fieldmask.ClearOutputOnly(in)
	name := proposalName(event, provider)
	return sqlstore.RetryConflicts(ctx, func() (*catalogv1.Proposal, error) {
		return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_CreateProposal_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*catalogv1.Proposal, error) {
				e, _, err := eventDocs.Get(ctx, tx, event.String())
				if err != nil {
					return nil, err
				}
				if err := s.openForProposals(e, provider); err != nil {
					return nil, err
				}
				switch _, _, err := proposalDocs.Get(ctx, tx, name.String()); {
				case err == nil:
					return nil, apperr.New(apperr.AlreadyExists, "%s already submitted %s; revise it with UpdateProposal", provider, name)
				case apperr.KindOf(err) != apperr.NotFound:
					return nil, err
				}
				prov, _, err := providerDocs.Get(ctx, tx, provider.String())
				if err != nil {
					return nil, err
				}
				sel, err := s.selectionContext(ctx, tx, e)
				if err != nil {
					return nil, err
				}
				if err := selection.CheckProposal(in, prov, sel.scope, "proposal"); err != nil {
					return nil, err
				}
				p := proto.CloneOf(in)
				p.Name = name.String()
				p.Provider = provider.String()
				p.State = catalogv1.ProposalState_PROPOSAL_STATE_SUBMITTED
				p.Revision = 1
				p.SubmitTime = timestamppb.New(s.now())
				if err := priced(p, prov, e, sel); err != nil {
					return nil, err
				}
				if err := s.storeRevision(ctx, tx, name, p, nil, sqlstore.Version{}, req.GetRequestId()); err != nil {
					return nil, err
				}
				return p, nil
			})
	})
}

// storeRevision writes a new revision of a proposal: the proposal itself
// (inserted when v is the zero Version), the revision kept for good, the
// guard of the event and the audit record (sealed).
func (s *Server) storeRevision(ctx context.Context, tx *sqlstore.Tx, name catalogv1.ProposalResourceName, p, before *catalogv1.Proposal, v sqlstore.Version, requestID string) error {
	if v.Revision == 0 {
		if err := proposalDocs.Insert(ctx, tx, name.String(), p); err != nil {
			return err
		}
	} else if err := proposalDocs.Update(ctx, tx, name.String(), p, v); err != nil {
		return err
	}
	if err := proposalRevisionDocs.Insert(ctx, tx, proposalRevisionName(name, p.GetRevision()), proto.CloneOf(p)); err != nil {
		return err
	}
	if err := bumpGuard(ctx, tx, name.SourcingEventResourceName()); err != nil {
		return err
	}
	var b *catalogv1.Proposal
	if before != nil {
		b = sealedRecord(before)
	}
	return audit.Record(ctx, tx, name.String(), requestID, b, sealedRecord(p))
}

// UpdateProposal implements catalogv1.CatalogServiceServer: a new revision
// of the caller's own proposal, before the deadline.
func (s *Server) UpdateProposal(ctx context.Context, req *catalogv1.UpdateProposalRequest) (*catalogv1.Proposal, error) {
	in := req.GetProposal()
	name, err := names.Parse[catalogv1.ProposalResourceName]("proposal.name", in.GetName())
	if err != nil {
		return nil, err
	}
	provider, err := ownProposal(ctx, name, "revise")
	if err != nil {
		return nil, err
	}
	return sqlstore.RetryConflicts(ctx, func() (*catalogv1.Proposal, error) {
		return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_UpdateProposal_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*catalogv1.Proposal, error) {
				e, before, v, err := s.proposalForChange(ctx, tx, name, provider, in.GetEtag())
				if err != nil {
					return nil, err
				}
				p := proto.CloneOf(before)
				if err := fieldmask.Apply(p, in, req.GetUpdateMask().GetPaths(), "", nil); err != nil {
					return nil, err
				}
				prov, _, err := providerDocs.Get(ctx, tx, provider.String())
				if err != nil {
					return nil, err
				}
				sel, err := s.selectionContext(ctx, tx, e)
				if err != nil {
					return nil, err
				}
				if err := selection.CheckProposal(p, prov, sel.scope, "proposal"); err != nil {
					return nil, err
				}
				p.Revision++
				p.State = catalogv1.ProposalState_PROPOSAL_STATE_SUBMITTED
				p.SubmitTime = timestamppb.New(s.now())
				if err := priced(p, prov, e, sel); err != nil {
					return nil, err
				}
				if err := s.storeRevision(ctx, tx, name, p, before, v, req.GetRequestId()); err != nil {
					return nil, err
				}
				return p, nil
			})
	})
}

// GetProposal implements catalogv1.CatalogServiceServer, sealed as
// selection.ProposalFor says.
func (s *Server) GetProposal(ctx context.Context, req *catalogv1.GetProposalRequest) (*catalogv1.Proposal, error) {
	name, err := names.Parse[catalogv1.ProposalResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	caller := auth.FromContext(ctx)
	// Refused before the lookup: another provider learns nothing, not even
	// whether the proposal exists.
	if caller.IsProviderOnly() && proposalProvider(name).String() != caller.Provider {
		return nil, apperr.New(apperr.PermissionDenied, "a provider user may see only its own provider's (%s) proposals", caller.Provider)
	}
	if err := s.closeIfDue(ctx, name.SourcingEventResourceName()); err != nil {
		return nil, err
	}
	p, err := sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*catalogv1.Proposal, error) {
		p, _, err := proposalDocs.Get(ctx, tx, name.String())
		return p, err
	})
	if err != nil {
		return nil, err
	}
	return selection.ProposalFor(p, viewerOf(caller))
}

// ListProposals implements catalogv1.CatalogServiceServer: a provider user
// lists only its own.
func (s *Server) ListProposals(ctx context.Context, req *catalogv1.ListProposalsRequest) (*catalogv1.ListProposalsResponse, error) {
	event, err := names.Parse[catalogv1.SourcingEventResourceName]("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	caller := auth.FromContext(ctx)
	q := docstore.Query{Parent: event.String()}
	if caller.IsProviderOnly() {
		q.Terms = []listing.Term{{Field: "provider", Op: listing.Equal, Value: caller.Provider}}
	}
	if err := s.closeIfDue(ctx, event); err != nil {
		return nil, err
	}
	resp := &catalogv1.ListProposalsResponse{}
	err = s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		if _, err := visibleEvent(ctx, tx, caller, event); err != nil {
			return err
		}
		var err error
		resp.Proposals, resp.NextPageToken, err = proposalDocs.Page(ctx, tx, req, q)
		return err
	})
	if err != nil {
		return nil, err
	}
	for i, p := range resp.Proposals {
		if resp.Proposals[i], err = selection.ProposalFor(p, viewerOf(caller)); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// listProposals reads every proposal of an event (at most one per invited
// provider, so at most 100).
func listProposals(ctx context.Context, tx *sqlstore.Tx, event catalogv1.SourcingEventResourceName) ([]*catalogv1.Proposal, error) {
	return proposalDocs.List(ctx, tx, docstore.Query{Parent: event.String(), Limit: 1000})
}

// gate applies the compliance gate to one proposal at the close.
func (s *Server) gate(ctx context.Context, tx *sqlstore.Tx, sel selectionContext, listed *catalogv1.Proposal, requestID string) error {
	before, v, err := proposalDocs.Get(ctx, tx, listed.GetName())
	if err != nil {
		return err
	}
	p := proto.CloneOf(before)
	prov, _, err := providerDocs.Get(ctx, tx, p.GetProvider())
	switch {
	case before.GetState() == catalogv1.ProposalState_PROPOSAL_STATE_NEEDS_CONFIRMATION:
		// spec: catalog.md §3 "Sourcing event": an unconfirmed proposal is
		// not evaluated.
		p.DisqualificationReasons = []string{"the proposal was neither confirmed nor revised after the requirements changed"}
	case apperr.KindOf(err) == apperr.NotFound:
		p.DisqualificationReasons = []string{"the provider " + p.GetProvider() + " no longer exists"}
	case err != nil:
		return err
	default:
		reasons, place, err := selection.Gate(selection.GateInput{Client: sel.client, Scope: sel.scope, Provider: prov, Proposal: p, At: sel.at})
		if err != nil {
			return err
		}
		p.DisqualificationReasons = reasons
		p.ShoreModel, p.OverlapHours = place.Shore, place.OverlapHours()
	}
	p.State = catalogv1.ProposalState_PROPOSAL_STATE_QUALIFIED
	if len(p.DisqualificationReasons) > 0 {
		p.State = catalogv1.ProposalState_PROPOSAL_STATE_DISQUALIFIED
	}
	if err := proposalDocs.Update(ctx, tx, p.GetName(), p, v); err != nil {
		return err
	}
	return audit.Record(ctx, tx, p.GetName(), requestID, before, p)
}
