package catalog

import (
	"context"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/fieldmask"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog/scope"
)

var engagementPolicy = auth.Policy{
	catalogv1.CatalogService_CreateEngagement_FullMethodName: {auth.SourcingManager},
	catalogv1.CatalogService_GetEngagement_FullMethodName:    auth.Readers,
	catalogv1.CatalogService_ListEngagements_FullMethodName:  staff,
	catalogv1.CatalogService_UpdateEngagement_FullMethodName: {auth.SourcingManager},
	catalogv1.CatalogService_GetScope_FullMethodName:         auth.Readers,
	catalogv1.CatalogService_UpdateScope_FullMethodName:      {auth.SourcingManager, auth.ProcessOwner},
	catalogv1.CatalogService_SubmitScope_FullMethodName:      {auth.SourcingManager, auth.ProcessOwner},
	catalogv1.CatalogService_ApproveScope_FullMethodName:     {auth.Approver},
	catalogv1.CatalogService_RejectScope_FullMethodName:      {auth.Approver},
}

var engagementMask = fieldmask.Rules{
	Updatable:  scope.EngagementUpdatable,
	Immutable:  scope.EngagementImmutable,
	OutputOnly: scope.EngagementOutputOnly,
	Why:        "it is what was decided for the engagement; create a new engagement for other processes",
}

// CreateEngagement implements catalogv1.CatalogServiceServer: an
// engagement for assessed processes, with its scope as an empty DRAFT at
// revision 1. spec: catalog.md §2, "Engagement".
func (s *Server) CreateEngagement(ctx context.Context, req *catalogv1.CreateEngagementRequest) (*catalogv1.Engagement, error) {
	in := req.GetEngagement()
	if err := scope.ValidateEngagement(in, "engagement"); err != nil {
		return nil, err
	}
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_CreateEngagement_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.Engagement, error) {
			e := clone(in)
			now := timestamp(s.now())
			// Output-only fields of the input are ignored (AIP-203).
			e.Name = "engagements/" + newID()
			e.Owner, e.Award = auth.Subject(ctx), nil
			e.OverrideReason = trimmed(e.GetOverrideReason())
			e.CreateTime, e.UpdateTime = now, now
			model, err := s.checkDecided(ctx, tx, e)
			if err != nil {
				return nil, err
			}
			if e.GetCollaborationModel() == catalogv1.CollaborationModel_COLLABORATION_MODEL_UNSPECIFIED {
				e.CollaborationModel = model
			}
			if err := docstore.Insert(ctx, tx, e.Name, e, scope.EngagementFacets(e)); err != nil {
				return nil, err
			}
			if err := audit.Record(ctx, tx, e.Name, req.GetRequestId(), nil, e); err != nil {
				return nil, err
			}
			sc := &catalogv1.Scope{
				Name:       e.Name + "/scope",
				Revision:   1,
				State:      catalogv1.ScopeState_SCOPE_STATE_DRAFT,
				Author:     auth.Subject(ctx),
				UpdateTime: now,
			}
			if err := docstore.Insert(ctx, tx, sc.Name, sc, nil); err != nil {
				return nil, err
			}
			return e, audit.Record(ctx, tx, sc.Name, req.GetRequestId(), nil, sc)
		})
}

// checkDecided is the gate of step 1 for a new engagement: every process
// exists and has been assessed, and one recommended RETAIN comes with an
// override reason. It returns the collaboration model of the first
// process whose latest assessment has one (a RETAIN has none).
func (s *Server) checkDecided(ctx context.Context, tx *sqlstore.Tx, e *catalogv1.Engagement) (catalogv1.CollaborationModel, error) {
	model := catalogv1.CollaborationModel_COLLABORATION_MODEL_UNSPECIFIED
	var retained []string
	for _, name := range e.GetProcesses() {
		p := &catalogv1.Process{}
		if _, err := docstore.Get(ctx, tx, name, p); err != nil {
			return model, err
		}
		if p.GetLatestAssessment() == "" {
			return model, apperr.New(apperr.FailedPrecondition, "%s has not been assessed: call AssessProcess first", name)
		}
		if p.GetLatestRecommendation() == catalogv1.Recommendation_RECOMMENDATION_RETAIN {
			retained = append(retained, name)
		}
		if model == catalogv1.CollaborationModel_COLLABORATION_MODEL_UNSPECIFIED {
			a := &catalogv1.Assessment{}
			if _, err := docstore.Get(ctx, tx, p.GetLatestAssessment(), a); err != nil {
				return model, err
			}
			model = a.GetCollaborationModel()
		}
	}
	if len(retained) > 0 && e.GetOverrideReason() == "" {
		return model, apperr.New(apperr.FailedPrecondition, "the latest assessment of %s recommends RETAIN: give an override_reason saying why it is outsourced anyway, or leave it out of the engagement",
			strings.Join(retained, ", "))
	}
	return model, nil
}

// readEngagement reads an engagement for the caller: staff read every
// one; a provider user only one awarded to its provider, and learns
// nothing of the others, not even whether they exist.
func readEngagement(ctx context.Context, tx *sqlstore.Tx, name string) (*catalogv1.Engagement, sqlstore.Version, error) {
	e := &catalogv1.Engagement{}
	v, err := docstore.Get(ctx, tx, name, e)
	caller := auth.FromContext(ctx)
	if caller.IsProviderOnly() {
		if apperr.KindOf(err) == apperr.NotFound || (err == nil && e.GetAward().GetProvider() != caller.Provider) {
			return nil, v, apperr.New(apperr.PermissionDenied, "a provider user may read only an engagement awarded to its own provider (%s)", caller.Provider)
		}
	}
	if err != nil {
		return nil, v, err
	}
	return e, v, nil
}

// GetEngagement implements catalogv1.CatalogServiceServer.
func (s *Server) GetEngagement(ctx context.Context, req *catalogv1.GetEngagementRequest) (*catalogv1.Engagement, error) {
	var e *catalogv1.Engagement
	if err := s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		var err error
		e, _, err = readEngagement(ctx, tx, req.GetName())
		return err
	}); err != nil {
		return nil, err
	}
	return e, nil
}

// ListEngagements implements catalogv1.CatalogServiceServer (staff only).
func (s *Server) ListEngagements(ctx context.Context, req *catalogv1.ListEngagementsRequest) (*catalogv1.ListEngagementsResponse, error) {
	terms, err := listing.ParseFilter(req.GetFilter(), scope.EngagementFilterFields...)
	if err != nil {
		return nil, err
	}
	resp := &catalogv1.ListEngagementsResponse{}
	err = s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		resp.Engagements, resp.NextPageToken, err = docstore.Page(ctx, tx, docstore.Query{Kind: "engagements", Terms: terms},
			req.GetPageSize(), req.GetPageToken(), req.GetFilter(),
			func() *catalogv1.Engagement { return &catalogv1.Engagement{} }, (*catalogv1.Engagement).GetName)
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// UpdateEngagement implements catalogv1.CatalogServiceServer. The
// processes and the override reason are what was decided; they do not
// change (start a new engagement instead).
func (s *Server) UpdateEngagement(ctx context.Context, req *catalogv1.UpdateEngagementRequest) (*catalogv1.Engagement, error) {
	in := req.GetEngagement()
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_UpdateEngagement_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.Engagement, error) {
			before := &catalogv1.Engagement{}
			v, err := docstore.GetCurrent(ctx, tx, in.GetName(), in.GetEtag(), before)
			if err != nil {
				return nil, err
			}
			e := clone(before)
			if err := fieldmask.Apply(e, in, req.GetUpdateMask().GetPaths(), engagementMask, nil); err != nil {
				return nil, err
			}
			if err := scope.ValidateEngagement(e, "engagement"); err != nil {
				return nil, err
			}
			e.UpdateTime = timestamp(s.now())
			if err := docstore.Update(ctx, tx, e.Name, e, v, scope.EngagementFacets(e)); err != nil {
				return nil, err
			}
			return e, audit.Record(ctx, tx, e.Name, req.GetRequestId(), before, e)
		})
}
