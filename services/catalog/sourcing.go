package catalog

// Step 3, select: sourcing events. spec: catalog.md §3 "Sourcing event".
//
// Storage, all in the docstore:
//   - sourcingEvents/{e}                                   the event
//   - sourcingEvents/{e}/guard                             a counter every change to the event's proposals or scores bumps,
//     so that two such changes (a late submission and the close, two evaluators' last scores) never interleave
//   - sourcingEvents/{e}/proposals/{provider id}           the latest revision of a provider's proposal (one per provider)
//   - sourcingEvents/{e}/proposals/{p}/revisions/{n}       every revision, as submitted
//   - sourcingEvents/{e}/proposals/{p}/evaluations/{sub}   one evaluator's scores (subject path-escaped)
//   - sourcingEvents/{e}/proposals/{p}/moderations/{CRIT}  a sourcing manager's confirmation of one criterion's flagged
//     scores, with the lowest and highest score it confirmed (moderation.go)
//
// The scope revision the event was published on is read from where the
// scope keeps its approved revisions (ScopeRevisionName).

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
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog/scope"
	"github.com/acme/bpo/services/catalog/selection"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

var sourcingPolicy = auth.Policy{
	catalogv1.CatalogService_CreateSourcingEvent_FullMethodName:  {auth.SourcingManager},
	catalogv1.CatalogService_GetSourcingEvent_FullMethodName:     auth.Readers,
	catalogv1.CatalogService_ListSourcingEvents_FullMethodName:   auth.Readers,
	catalogv1.CatalogService_PublishSourcingEvent_FullMethodName: {auth.SourcingManager},
	catalogv1.CatalogService_CloseSourcingEvent_FullMethodName:   {auth.SourcingManager},
	catalogv1.CatalogService_CancelSourcingEvent_FullMethodName:  {auth.SourcingManager},
	catalogv1.CatalogService_CreateProposal_FullMethodName:       {auth.ProviderUser},
	catalogv1.CatalogService_UpdateProposal_FullMethodName:       {auth.ProviderUser},
	catalogv1.CatalogService_GetProposal_FullMethodName:          auth.Readers,
	catalogv1.CatalogService_ListProposals_FullMethodName:        auth.Readers,
	catalogv1.CatalogService_ScoreProposal_FullMethodName:        {auth.Evaluator},
	catalogv1.CatalogService_GetRanking_FullMethodName:           staff,
	catalogv1.CatalogService_AwardSourcingEvent_FullMethodName:   {auth.SourcingManager},
	catalogv1.CatalogService_ApproveAward_FullMethodName:         {auth.Approver},
}

// sourcingEventFilterFields are the fields of ListSourcingEvents' filter.
var sourcingEventFilterFields = []string{"engagement", "state"}

// eventFacets lists the values an event is filtered by; invited_provider
// and published restrict a provider user's list.
func eventFacets(e *catalogv1.SourcingEvent) []docstore.Facet {
	out := []docstore.Facet{
		{Field: "engagement", Value: e.GetEngagement()},
		{Field: "state", Value: selection.StateName(e.GetState())},
	}
	for _, p := range e.GetInvitedProviders() {
		out = append(out, docstore.Facet{Field: "invited_provider", Value: p})
	}
	if e.GetScopeRevision() > 0 {
		out = append(out, docstore.Facet{Field: "published", Value: "true"})
	}
	return out
}

// viewerOf is the caller as the sealing rules see it.
func viewerOf(caller *auth.Principal) selection.Viewer {
	v := selection.Viewer{ProviderOnly: caller.IsProviderOnly()}
	if caller.Has(auth.ProviderUser) {
		v.Provider = caller.Provider
	}
	return v
}

// readEvent reads an event for a change.
func readEvent(ctx context.Context, tx *sqlstore.Tx, name string) (*catalogv1.SourcingEvent, sqlstore.Version, error) {
	e := &catalogv1.SourcingEvent{}
	v, err := docstore.Get(ctx, tx, name, e)
	return e, v, err
}

// visibleEvent reads an event the caller may see: a provider user only one
// it is invited to, once published (a DRAFT is the buyer's own business),
// and it learns nothing of the others, not even whether they exist.
func visibleEvent(ctx context.Context, tx *sqlstore.Tx, caller *auth.Principal, name string) (*catalogv1.SourcingEvent, error) {
	e, _, err := readEvent(ctx, tx, name)
	if caller.IsProviderOnly() && apperr.KindOf(err) == apperr.NotFound {
		return nil, apperr.New(apperr.PermissionDenied, "%s is not invited to %s", caller.Provider, name)
	}
	if err != nil {
		return nil, err
	}
	if caller.IsProviderOnly() {
		if !invited(e, caller.Provider) {
			return nil, apperr.New(apperr.PermissionDenied, "%s is not invited to %s", caller.Provider, name)
		}
		if e.GetScopeRevision() == 0 {
			return nil, apperr.New(apperr.PermissionDenied, "%s is not published yet", name)
		}
	}
	return e, nil
}

func invited(e *catalogv1.SourcingEvent, provider string) bool {
	for _, p := range e.GetInvitedProviders() {
		if p == provider {
			return true
		}
	}
	return false
}

// writeEvent stores a changed event with its audit record.
func (s *Server) writeEvent(ctx context.Context, tx *sqlstore.Tx, requestID string, before, after *catalogv1.SourcingEvent, v sqlstore.Version) error {
	after.UpdateTime = timestamp(s.now())
	if err := docstore.Update(ctx, tx, after.GetName(), after, v, eventFacets(after)); err != nil {
		return err
	}
	return audit.Record(ctx, tx, after.GetName(), requestID, before, after)
}

func guardName(event string) string { return event + "/guard" }

// errContended is bumpGuard's answer when a concurrent change of the same
// event committed first (retried by sqlstore.RetryConflicts).
var errContended = sqlstore.Conflict("the sourcing event was changed by someone else at the same time; retry")

// bumpGuard serialises the changes to an event's proposals and scores: of
// two concurrent ones, the second fails (and is retried by
// sqlstore.RetryConflicts) instead of acting on what the first changed under it —
// a submission slipping past the close, or two evaluators' last scores
// each missing the other's and leaving the event unevaluated.
func bumpGuard(ctx context.Context, tx *sqlstore.Tx, event string) error {
	n := &wrapperspb.Int64Value{}
	v, err := docstore.Get(ctx, tx, guardName(event), n)
	if err != nil {
		return err
	}
	n.Value++
	if err := docstore.Update(ctx, tx, guardName(event), n, v, nil); err != nil {
		if apperr.KindOf(err) == apperr.Aborted {
			return errContended
		}
		return err
	}
	return nil
}

// CreateSourcingEvent implements catalogv1.CatalogServiceServer: a DRAFT
// event for an engagement, with the spec's criteria unless others are
// given. spec: catalog.md §3 "Sourcing event".
func (s *Server) CreateSourcingEvent(ctx context.Context, req *catalogv1.CreateSourcingEventRequest) (*catalogv1.SourcingEvent, error) {
	in := req.GetSourcingEvent()
	criteria := in.GetCriteria()
	if len(criteria) == 0 {
		criteria = selection.DefaultCriteria()
	}
	var v apperr.Violations
	selection.CheckCriteria(criteria, "sourcing_event.criteria", &v)
	if len(in.GetInvitedProviders()) == 0 {
		v.Add("sourcing_event.invited_providers", "invite at least one provider")
	}
	seen := map[string]bool{}
	for i, p := range in.GetInvitedProviders() {
		if seen[p] {
			v.Add(indexed("sourcing_event.invited_providers", i), "%s is invited twice", p)
		}
		seen[p] = true
	}
	var evaluators []string
	seen = map[string]bool{}
	for i, ev := range in.GetEvaluators() {
		ev = trimmed(ev)
		switch {
		case ev == "":
			v.Add(indexed("sourcing_event.evaluators", i), "must not be blank")
		case seen[ev]:
			v.Add(indexed("sourcing_event.evaluators", i), "%s is listed twice", ev)
		}
		seen[ev] = true
		evaluators = append(evaluators, ev)
	}
	if len(in.GetEvaluators()) == 0 {
		v.Add("sourcing_event.evaluators", "name at least one evaluator (the subject of a user with the evaluator role)")
	}
	switch d := in.GetProposalDeadline(); {
	case d == nil:
		v.Add("sourcing_event.proposal_deadline", "is required")
	case !d.AsTime().After(s.now()):
		v.Add("sourcing_event.proposal_deadline", "%s is not in the future", d.AsTime().Format(time.RFC3339))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_CreateSourcingEvent_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.SourcingEvent, error) {
			eng := &catalogv1.Engagement{}
			if _, err := docstore.Get(ctx, tx, in.GetEngagement(), eng); err != nil {
				return nil, err
			}
			if err := checkInvited(ctx, tx, in.GetInvitedProviders()); err != nil {
				return nil, err
			}
			term := in.GetContractTermMonths()
			if term == 0 {
				term = selection.DefaultTermMonths
				sc := &catalogv1.Scope{}
				if _, err := docstore.Get(ctx, tx, in.GetEngagement()+"/scope", sc); err == nil && sc.GetCommercial().GetTermMonths() > 0 {
					term = sc.GetCommercial().GetTermMonths()
				}
			}
			now := timestamp(s.now())
			// Output-only fields of the input are ignored (AIP-203).
			e := &catalogv1.SourcingEvent{
				Name:               "sourcingEvents/" + newID(),
				Engagement:         in.GetEngagement(),
				DisplayName:        trimmed(in.GetDisplayName()),
				Criteria:           criteria,
				InvitedProviders:   in.GetInvitedProviders(),
				Evaluators:         evaluators,
				ProposalDeadline:   in.GetProposalDeadline(),
				ContractTermMonths: term,
				State:              catalogv1.SourcingEventState_SOURCING_EVENT_STATE_DRAFT,
				Owner:              auth.Subject(ctx),
				CreateTime:         now,
				UpdateTime:         now,
			}
			if err := docstore.Insert(ctx, tx, e.Name, e, eventFacets(e)); err != nil {
				return nil, err
			}
			if err := docstore.Insert(ctx, tx, guardName(e.Name), &wrapperspb.Int64Value{}, nil); err != nil {
				return nil, err
			}
			return e, audit.Record(ctx, tx, e.Name, req.GetRequestId(), nil, e)
		})
}

// checkInvited answers NOT_FOUND naming the invited providers that do not
// exist, else FAILED_PRECONDITION naming those that are not ACTIVE.
// spec: catalog.md §3 "Sourcing event": invited providers must be ACTIVE.
func checkInvited(ctx context.Context, tx *sqlstore.Tx, names []string) error {
	var missing, inactive []string
	for _, name := range names {
		p := &catalogv1.Provider{}
		_, err := docstore.Get(ctx, tx, name, p)
		switch {
		case apperr.KindOf(err) == apperr.NotFound:
			missing = append(missing, name)
		case err != nil:
			return err
		case p.GetState() != catalogv1.ProviderState_PROVIDER_STATE_ACTIVE:
			inactive = append(inactive, name+" ("+strings.TrimPrefix(p.GetState().String(), "PROVIDER_STATE_")+")")
		}
	}
	if len(missing) > 0 {
		return apperr.New(apperr.NotFound, "invited providers do not exist: %s", strings.Join(missing, ", "))
	}
	if len(inactive) > 0 {
		return apperr.New(apperr.FailedPrecondition, "only ACTIVE providers can be invited; not active: %s", strings.Join(inactive, ", "))
	}
	return nil
}

// GetSourcingEvent implements catalogv1.CatalogServiceServer.
func (s *Server) GetSourcingEvent(ctx context.Context, req *catalogv1.GetSourcingEventRequest) (*catalogv1.SourcingEvent, error) {
	caller := auth.FromContext(ctx)
	var e *catalogv1.SourcingEvent
	err := s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		var err error
		e, err = visibleEvent(ctx, tx, caller, req.GetName())
		return err
	})
	if err != nil {
		return nil, err
	}
	return selection.EventFor(e, viewerOf(caller)), nil
}

// ListSourcingEvents implements catalogv1.CatalogServiceServer. A provider
// user lists the published events it is invited to.
func (s *Server) ListSourcingEvents(ctx context.Context, req *catalogv1.ListSourcingEventsRequest) (*catalogv1.ListSourcingEventsResponse, error) {
	terms, err := listing.ParseFilter(req.GetFilter(), sourcingEventFilterFields...)
	if err != nil {
		return nil, err
	}
	for i := range terms {
		if terms[i].Field == "state" {
			terms[i].Value = strings.TrimPrefix(strings.ToUpper(terms[i].Value), "SOURCING_EVENT_STATE_")
		}
	}
	caller := auth.FromContext(ctx)
	if caller.IsProviderOnly() {
		terms = append(terms,
			listing.Term{Field: "invited_provider", Op: listing.Equal, Value: caller.Provider},
			listing.Term{Field: "published", Op: listing.Equal, Value: "true"})
	}
	q := docstore.Query{Kind: "sourcingEvents", Terms: terms}
	resp := &catalogv1.ListSourcingEventsResponse{}
	err = s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		resp.SourcingEvents, resp.NextPageToken, err = docstore.Page(ctx, tx, q, req.GetPageSize(), req.GetPageToken(), req.GetFilter(),
			func() *catalogv1.SourcingEvent { return &catalogv1.SourcingEvent{} }, (*catalogv1.SourcingEvent).GetName)
		return err
	})
	if err != nil {
		return nil, err
	}
	for i, e := range resp.SourcingEvents {
		resp.SourcingEvents[i] = selection.EventFor(e, viewerOf(caller))
	}
	return resp, nil
}

// PublishSourcingEvent implements catalogv1.CatalogServiceServer: the gate
// of step 2 for step 3, the engagement's scope must be APPROVED; the event
// records the revision. spec: catalog.md §2 "Scope": a sourcing event can
// only be published on an approved scope revision.
func (s *Server) PublishSourcingEvent(ctx context.Context, req *catalogv1.PublishSourcingEventRequest) (*catalogv1.SourcingEvent, error) {
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_PublishSourcingEvent_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.SourcingEvent, error) {
			before, v, err := readEvent(ctx, tx, req.GetName())
			if err != nil {
				return nil, err
			}
			if err := sqlstore.CheckETag(req.GetName(), req.GetEtag(), before.GetEtag()); err != nil {
				return nil, err
			}
			next, err := selection.Next(before.GetState(), selection.Publish)
			if err != nil {
				return nil, err
			}
			if d := before.GetProposalDeadline().AsTime(); !d.After(s.now()) {
				return nil, apperr.New(apperr.FailedPrecondition, "the proposal deadline %s of %s has passed; cancel it and create an event with a later deadline", d.Format(time.RFC3339), req.GetName())
			}
			sc := &catalogv1.Scope{}
			_, err = docstore.Get(ctx, tx, before.GetEngagement()+"/scope", sc)
			if apperr.KindOf(err) == apperr.NotFound {
				return nil, apperr.New(apperr.FailedPrecondition, "%s has no scope yet: write it (UpdateScope), submit it and have an approver approve it before publishing", before.GetEngagement())
			}
			if err != nil {
				return nil, err
			}
			switch sc.GetState() {
			case catalogv1.ScopeState_SCOPE_STATE_APPROVED:
			case catalogv1.ScopeState_SCOPE_STATE_IN_REVIEW:
				return nil, apperr.New(apperr.FailedPrecondition, "the scope of %s is IN_REVIEW (revision %d): have an approver approve it before publishing", before.GetEngagement(), sc.GetRevision())
			default:
				return nil, apperr.New(apperr.FailedPrecondition, "the scope of %s is %s (revision %d): submit it and have an approver approve it before publishing", before.GetEngagement(), scope.ShortName(sc.GetState()), sc.GetRevision())
			}
			e := clone(before)
			e.State, e.ScopeRevision = next, sc.GetRevision()
			return e, s.writeEvent(ctx, tx, req.GetRequestId(), before, e, v)
		})
}

// CloseSourcingEvent implements catalogv1.CatalogServiceServer: after the
// deadline, or early once every invited provider has submitted; it opens
// the proposals and applies the compliance gate to each.
// spec: catalog.md §3 "Evaluation" step 1.
func (s *Server) CloseSourcingEvent(ctx context.Context, req *catalogv1.CloseSourcingEventRequest) (*catalogv1.SourcingEvent, error) {
	return sqlstore.RetryConflicts(ctx, func() (*catalogv1.SourcingEvent, error) {
		return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_CloseSourcingEvent_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*catalogv1.SourcingEvent, error) {
				before, v, err := readEvent(ctx, tx, req.GetName())
				if err != nil {
					return nil, err
				}
				if err := sqlstore.CheckETag(req.GetName(), req.GetEtag(), before.GetEtag()); err != nil {
					return nil, err
				}
				next, err := selection.Next(before.GetState(), selection.Close)
				if err != nil {
					return nil, err
				}
				if err := bumpGuard(ctx, tx, before.GetName()); err != nil {
					return nil, err
				}
				proposals, err := listProposals(ctx, tx, before.GetName())
				if err != nil {
					return nil, err
				}
				if d := before.GetProposalDeadline().AsTime(); s.now().Before(d) {
					if waiting := notSubmitted(before, proposals); len(waiting) > 0 {
						return nil, apperr.New(apperr.FailedPrecondition, "%s cannot close before its deadline %s while invited providers have not submitted (%s); wait for the deadline or for their proposals",
							req.GetName(), d.Format(time.RFC3339), strings.Join(waiting, ", "))
					}
				}
				sel, err := s.selectionContext(ctx, tx, before)
				if err != nil {
					return nil, err
				}
				for _, p := range proposals {
					if err := s.gate(ctx, tx, sel, p, req.GetRequestId()); err != nil {
						return nil, err
					}
				}
				e := clone(before)
				e.State = next
				// With nothing for the evaluators to score (say, cost 100 %),
				// the event is evaluated as soon as it closes.
				r, err := s.rank(ctx, tx, e)
				if err != nil {
					return nil, err
				}
				if r.Evaluated() {
					e.State = catalogv1.SourcingEventState_SOURCING_EVENT_STATE_EVALUATED
				}
				return e, s.writeEvent(ctx, tx, req.GetRequestId(), before, e, v)
			})
	})
}

// notSubmitted lists the invited providers without a proposal.
func notSubmitted(e *catalogv1.SourcingEvent, proposals []*catalogv1.Proposal) []string {
	in := map[string]bool{}
	for _, p := range proposals {
		in[p.GetProvider()] = true
	}
	var out []string
	for _, p := range e.GetInvitedProviders() {
		if !in[p] {
			out = append(out, p)
		}
	}
	return out
}

// CancelSourcingEvent implements catalogv1.CatalogServiceServer.
func (s *Server) CancelSourcingEvent(ctx context.Context, req *catalogv1.CancelSourcingEventRequest) (*catalogv1.SourcingEvent, error) {
	reason := trimmed(req.GetReason())
	if reason == "" {
		return nil, apperr.Invalid(apperr.FieldViolation{Field: "reason", Description: "say why the event is cancelled"})
	}
	return sqlstore.RetryConflicts(ctx, func() (*catalogv1.SourcingEvent, error) {
		return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_CancelSourcingEvent_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*catalogv1.SourcingEvent, error) {
				before, v, err := readEvent(ctx, tx, req.GetName())
				if err != nil {
					return nil, err
				}
				if err := sqlstore.CheckETag(req.GetName(), req.GetEtag(), before.GetEtag()); err != nil {
					return nil, err
				}
				next, err := selection.Next(before.GetState(), selection.Cancel)
				if err != nil {
					return nil, err
				}
				if err := bumpGuard(ctx, tx, before.GetName()); err != nil {
					return nil, err
				}
				e := clone(before)
				e.State, e.CancelReason = next, reason
				return e, s.writeEvent(ctx, tx, req.GetRequestId(), before, e, v)
			})
	})
}

// indexed is the path of element i of a repeated field.
func indexed(field string, i int) string { return field + "[" + strconv.Itoa(i) + "]" }
