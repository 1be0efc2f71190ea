package catalog

// Step 3, select. spec: catalog.md §3. The handlers are split by concern:
// the events themselves (sourcing_events.go), their lifecycle
// (sourcing_lifecycle.go), the guard that serialises changes to an event's
// proposals and scores (sourcing_guard.go), proposals (proposals.go),
// scores (sourcing_scores.go), moderation (moderation.go), the ranking
// (sourcing_ranking.go) and the award (award.go); what is stored where is
// in sourcing_collections.go, the rules in the selection package. This
// file holds what they share: who may call what, and what a caller may see
// of an event.

import (
	"context"
	"slices"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog/selection"
	"google.golang.org/protobuf/types/known/timestamppb"
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

// viewerOf is the caller as the sealing rules see it.
func viewerOf(caller *auth.Principal) selection.Viewer {
	v := selection.Viewer{ProviderOnly: caller.IsProviderOnly()}
	if caller.Has(auth.ProviderUser) {
		v.Provider = caller.Provider
	}
	return v
}

// visibleEvent reads an event the caller may see: a provider user only one
// it is invited to, once published (a DRAFT is the buyer's own business),
// and it learns nothing of the others, not even whether they exist.
func visibleEvent(ctx context.Context, tx *sqlstore.Tx, caller *auth.Principal, name catalogv1.SourcingEventResourceName) (*catalogv1.SourcingEvent, error) {
	e, _, err := eventDocs.Get(ctx, tx, name.String())
	if caller.IsProviderOnly() && apperr.KindOf(err) == apperr.NotFound {
		return nil, apperr.New(apperr.PermissionDenied, "%s is not invited to %s", caller.Provider, name)
	}
	if err != nil {
		return nil, err
	}
	if caller.IsProviderOnly() {
		if !slices.Contains(e.GetInvitedProviders(), caller.Provider) {
			return nil, apperr.New(apperr.PermissionDenied, "%s is not invited to %s", caller.Provider, name)
		}
		if e.GetScopeRevision() == 0 {
			return nil, apperr.New(apperr.PermissionDenied, "%s is not published yet", name)
		}
	}
	return e, nil
}

// writeEvent stores a changed event, read at v, with its audit record.
func (s *Server) writeEvent(ctx context.Context, tx *sqlstore.Tx, requestID string, before, after *catalogv1.SourcingEvent, v sqlstore.Version) error {
	after.UpdateTime = timestamppb.New(s.now())
	if err := eventDocs.Update(ctx, tx, after.GetName(), after, v); err != nil {
		return err
	}
	return audit.Record(ctx, tx, after.GetName(), requestID, before, after)
}

// storedName parses a name the service stored itself (an event's own name,
// its engagement): one that does not parse is a damaged document, not the
// caller's mistake.
func storedName[N any, P names.Name[N]](value string) (N, error) {
	var n N
	if err := P(&n).UnmarshalString(value); err != nil {
		return n, apperr.New(apperr.Internal, "the stored name %q is not of the form %s", value, P(&n).Pattern())
	}
	return n, nil
}
