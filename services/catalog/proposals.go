package catalog

// Step 3, select: proposals, sealed until their event closes.
// spec: catalog.md §3 "Proposal", "Sealed bids".

import (
	"context"
	"strconv"
	"strings"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/fieldmask"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog/selection"
)

// proposalMask: the content a provider revises. The rest is the server's.
var proposalMask = fieldmask.Rules{
	Updatable:  []string{"pricing", "delivery_centers", "service_levels", "certifications", "transition_weeks", "notes"},
	OutputOnly: []string{"name", "provider", "state", "sealed", "revision", "total_contract_value", "disqualification_reasons", "shore_model", "overlap_hours", "submit_time", "etag"},
}

// proposalFilterFields are the fields of ListProposals' filter.
var proposalFilterFields = []string{"state"}

func proposalFacets(p *catalogv1.Proposal) []docstore.Facet {
	return []docstore.Facet{
		{Field: "provider", Value: p.GetProvider()},
		{Field: "state", Value: strings.TrimPrefix(p.GetState().String(), "PROPOSAL_STATE_")},
	}
}

// A provider has one proposal per event, named after the provider, so the
// store itself refuses a second one.
func proposalName(event, provider string) string {
	return event + "/proposals/" + strings.TrimPrefix(provider, "providers/")
}

// eventOf is the event a proposal name belongs to.
func eventOf(proposal string) string {
	segs := strings.SplitN(proposal, "/", 3)
	if len(segs) < 2 {
		return ""
	}
	return segs[0] + "/" + segs[1]
}

// providerOf is the provider a proposal name belongs to.
func providerOf(proposal string) string {
	return "providers/" + proposal[strings.LastIndex(proposal, "/")+1:]
}

func revisionName(proposal string, n int64) string {
	return proposal + "/revisions/" + strconv.FormatInt(n, 10)
}

// sealedRecord is what the audit log keeps of a submission: the audit
// log is read by auditors and admins, for whom the bid is sealed too.
func sealedRecord(p *catalogv1.Proposal) *catalogv1.Proposal {
	return &catalogv1.Proposal{Name: p.GetName(), Provider: p.GetProvider(), State: p.GetState(), SubmitTime: p.GetSubmitTime(), Sealed: true}
}

// submitter is the caller of CreateProposal or UpdateProposal: a provider
// user acting for its own provider. An admin has no provider to act for.
func submitter(ctx context.Context) (string, error) {
	caller := auth.FromContext(ctx)
	if !caller.Has(auth.ProviderUser) || caller.Provider == "" {
		return "", apperr.New(apperr.PermissionDenied, "only a provider user submits proposals, for its own provider")
	}
	return caller.Provider, nil
}

// openForProposals is the gate of a submission: the provider is invited,
// the event PUBLISHED and its deadline not passed.
func (s *Server) openForProposals(e *catalogv1.SourcingEvent, provider string) error {
	if !invited(e, provider) {
		return apperr.New(apperr.PermissionDenied, "%s is not invited to %s", provider, e.GetName())
	}
	if e.GetState() != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_PUBLISHED {
		if e.GetScopeRevision() == 0 {
			return apperr.New(apperr.PermissionDenied, "%s is not published yet", e.GetName())
		}
		return apperr.New(apperr.FailedPrecondition, "%s is %s: proposals are accepted only while it is PUBLISHED", e.GetName(), selection.StateName(e.GetState()))
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
	eng := &catalogv1.Engagement{}
	if _, err := docstore.Get(ctx, tx, e.GetEngagement(), eng); err != nil {
		return selectionContext{}, err
	}
	sc, err := publishedScope(ctx, tx, e)
	if err != nil {
		return selectionContext{}, err
	}
	client := selection.Client{Country: eng.GetClientCountry(), TimeZone: eng.GetClientTimeZone()}
	at, err := selection.ReferenceInstant(sc.GetTransition().GetGoLiveDate(), client, s.now())
	if err != nil {
		return selectionContext{}, err
	}
	return selectionContext{client: client, scope: sc, at: at}, nil
}

// publishedScope reads the scope revision the event was published on:
// frozen once approved, or the current document while it still is that
// revision.
func publishedScope(ctx context.Context, tx *sqlstore.Tx, e *catalogv1.SourcingEvent) (*catalogv1.Scope, error) {
	sc := &catalogv1.Scope{}
	_, err := docstore.Get(ctx, tx, ScopeRevisionName(e.GetEngagement(), e.GetScopeRevision()), sc)
	if apperr.KindOf(err) != apperr.NotFound {
		return sc, err
	}
	sc.Reset()
	if _, err := docstore.Get(ctx, tx, e.GetEngagement()+"/scope", sc); err != nil {
		return nil, err
	}
	if sc.GetRevision() != e.GetScopeRevision() {
		return nil, apperr.New(apperr.Internal, "revision %d of the scope of %s is missing", e.GetScopeRevision(), e.GetEngagement())
	}
	return sc, nil
}

// priced fills in what the server derives from a proposal's content: the
// total contract value over the event's term and where it is delivered
// from (the compliance gate computes the latter again at the close).
func priced(p *catalogv1.Proposal, prov *catalogv1.Provider, e *catalogv1.SourcingEvent, sel selectionContext) error {
	p.TotalContractValue = selection.TCV(p.GetPricing(), e.GetContractTermMonths()).Proto()
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
	provider, err := submitter(ctx)
	if err != nil {
		return nil, err
	}
	in := req.GetProposal()
	return sqlstore.RetryConflicts(ctx, func() (*catalogv1.Proposal, error) {
		return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_CreateProposal_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*catalogv1.Proposal, error) {
				e, _, err := readEvent(ctx, tx, req.GetParent())
				if err != nil {
					return nil, err
				}
				if err := s.openForProposals(e, provider); err != nil {
					return nil, err
				}
				name := proposalName(e.GetName(), provider)
				if _, err := docstore.Get(ctx, tx, name, &catalogv1.Proposal{}); err == nil {
					return nil, apperr.New(apperr.AlreadyExists, "%s already submitted %s; revise it with UpdateProposal", provider, name)
				}
				prov := &catalogv1.Provider{}
				if _, err := docstore.Get(ctx, tx, provider, prov); err != nil {
					return nil, err
				}
				sel, err := s.selectionContext(ctx, tx, e)
				if err != nil {
					return nil, err
				}
				if err := selection.CheckProposal(in, prov, sel.scope, "proposal"); err != nil {
					return nil, err
				}
				// Output-only fields of the input are ignored (AIP-203).
				p := &catalogv1.Proposal{
					Name:            name,
					Provider:        provider,
					State:           catalogv1.ProposalState_PROPOSAL_STATE_SUBMITTED,
					Revision:        1,
					Pricing:         in.GetPricing(),
					DeliveryCenters: in.GetDeliveryCenters(),
					ServiceLevels:   in.GetServiceLevels(),
					Certifications:  in.GetCertifications(),
					TransitionWeeks: in.GetTransitionWeeks(),
					Notes:           in.GetNotes(),
					SubmitTime:      timestamp(s.now()),
				}
				if err := priced(p, prov, e, sel); err != nil {
					return nil, err
				}
				if err := s.storeRevision(ctx, tx, p, nil, sqlstore.Version{}, req.GetRequestId()); err != nil {
					return nil, err
				}
				return p, nil
			})
	})
}

// storeRevision writes a new revision of a proposal: the proposal itself
// (inserted when v is the zero Version), the revision kept for good, the
// guard of the event and the audit record (sealed).
func (s *Server) storeRevision(ctx context.Context, tx *sqlstore.Tx, p, before *catalogv1.Proposal, v sqlstore.Version, requestID string) error {
	if v.Revision == 0 {
		if err := docstore.Insert(ctx, tx, p.GetName(), p, proposalFacets(p)); err != nil {
			return err
		}
	} else if err := docstore.Update(ctx, tx, p.GetName(), p, v, proposalFacets(p)); err != nil {
		return err
	}
	kept := clone(p)
	kept.Etag = ""
	if err := docstore.Insert(ctx, tx, revisionName(p.GetName(), p.GetRevision()), kept, nil); err != nil {
		return err
	}
	if err := bumpGuard(ctx, tx, eventOf(p.GetName())); err != nil {
		return err
	}
	var b *catalogv1.Proposal
	if before != nil {
		b = sealedRecord(before)
	}
	return audit.Record(ctx, tx, p.GetName(), requestID, b, sealedRecord(p))
}

// UpdateProposal implements catalogv1.CatalogServiceServer: a new revision
// of the caller's own proposal, before the deadline.
func (s *Server) UpdateProposal(ctx context.Context, req *catalogv1.UpdateProposalRequest) (*catalogv1.Proposal, error) {
	provider, err := submitter(ctx)
	if err != nil {
		return nil, err
	}
	in := req.GetProposal()
	name := in.GetName()
	if eventOf(name) == "" || name != proposalName(eventOf(name), providerOf(name)) {
		return nil, apperr.Invalid(apperr.FieldViolation{Field: "proposal.name", Description: "must be sourcingEvents/{event}/proposals/{proposal}"})
	}
	if providerOf(name) != provider {
		return nil, apperr.New(apperr.PermissionDenied, "a provider user may revise only its own provider's (%s) proposal", provider)
	}
	return sqlstore.RetryConflicts(ctx, func() (*catalogv1.Proposal, error) {
		return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_UpdateProposal_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*catalogv1.Proposal, error) {
				e, _, err := readEvent(ctx, tx, eventOf(name))
				if err != nil {
					return nil, err
				}
				if err := s.openForProposals(e, provider); err != nil {
					return nil, err
				}
				before := &catalogv1.Proposal{}
				v, err := docstore.GetCurrent(ctx, tx, name, in.GetEtag(), before)
				if err != nil {
					return nil, err
				}
				p := clone(before)
				if err := fieldmask.Apply(p, in, req.GetUpdateMask().GetPaths(), proposalMask, nil); err != nil {
					return nil, err
				}
				prov := &catalogv1.Provider{}
				if _, err := docstore.Get(ctx, tx, provider, prov); err != nil {
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
				p.SubmitTime = timestamp(s.now())
				if err := priced(p, prov, e, sel); err != nil {
					return nil, err
				}
				if err := s.storeRevision(ctx, tx, p, before, v, req.GetRequestId()); err != nil {
					return nil, err
				}
				return p, nil
			})
	})
}

// GetProposal implements catalogv1.CatalogServiceServer, sealed as
// selection.ProposalFor says.
func (s *Server) GetProposal(ctx context.Context, req *catalogv1.GetProposalRequest) (*catalogv1.Proposal, error) {
	caller := auth.FromContext(ctx)
	// Refused before the lookup: another provider learns nothing, not even
	// whether the proposal exists.
	if caller.IsProviderOnly() && providerOf(req.GetName()) != caller.Provider {
		return nil, apperr.New(apperr.PermissionDenied, "a provider user may see only its own provider's (%s) proposals", caller.Provider)
	}
	p := &catalogv1.Proposal{}
	err := s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		_, err := docstore.Get(ctx, tx, req.GetName(), p)
		return err
	})
	if err != nil {
		return nil, err
	}
	return selection.ProposalFor(p, viewerOf(caller))
}

// ListProposals implements catalogv1.CatalogServiceServer: a provider user
// lists only its own.
func (s *Server) ListProposals(ctx context.Context, req *catalogv1.ListProposalsRequest) (*catalogv1.ListProposalsResponse, error) {
	terms, err := listing.ParseFilter(req.GetFilter(), proposalFilterFields...)
	if err != nil {
		return nil, err
	}
	for i := range terms {
		terms[i].Value = strings.TrimPrefix(strings.ToUpper(terms[i].Value), "PROPOSAL_STATE_")
	}
	caller := auth.FromContext(ctx)
	if caller.IsProviderOnly() {
		terms = append(terms, listing.Term{Field: "provider", Op: listing.Equal, Value: caller.Provider})
	}
	q := docstore.Query{Kind: "proposals", Parent: req.GetParent(), Terms: terms}
	resp := &catalogv1.ListProposalsResponse{}
	err = s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		if _, err := visibleEvent(ctx, tx, caller, req.GetParent()); err != nil {
			return err
		}
		resp.Proposals, resp.NextPageToken, err = docstore.Page(ctx, tx, q, req.GetPageSize(), req.GetPageToken(), req.GetFilter(),
			func() *catalogv1.Proposal { return &catalogv1.Proposal{} }, (*catalogv1.Proposal).GetName)
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
func listProposals(ctx context.Context, tx *sqlstore.Tx, event string) ([]*catalogv1.Proposal, error) {
	return docstore.List(ctx, tx, docstore.Query{Kind: "proposals", Parent: event, Limit: 1000},
		func() *catalogv1.Proposal { return &catalogv1.Proposal{} })
}

// gate applies the compliance gate to one proposal at the close.
func (s *Server) gate(ctx context.Context, tx *sqlstore.Tx, sel selectionContext, listed *catalogv1.Proposal, requestID string) error {
	before := &catalogv1.Proposal{}
	v, err := docstore.Get(ctx, tx, listed.GetName(), before)
	if err != nil {
		return err
	}
	p := clone(before)
	prov := &catalogv1.Provider{}
	_, err = docstore.Get(ctx, tx, p.GetProvider(), prov)
	switch {
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
	if err := docstore.Update(ctx, tx, p.GetName(), p, v, proposalFacets(p)); err != nil {
		return err
	}
	return audit.Record(ctx, tx, p.GetName(), requestID, before, p)
}
