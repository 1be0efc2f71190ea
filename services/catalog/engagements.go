package catalog

import (
	"context"
	"fmt"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/fieldmask"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog/scope"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
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

// CreateEngagement implements catalogv1.CatalogServiceServer: an
// engagement for assessed processes, with its scope as an empty DRAFT at
// revision 1. spec: catalog.md §2, "Engagement".
func (s *Server) CreateEngagement(ctx context.Context, req *catalogv1.CreateEngagementRequest) (*catalogv1.Engagement, error) {
	in := req.GetEngagement()
	if err := scope.ValidateEngagement(in, "engagement"); err != nil {
		return nil, err
	}
	processes, err := processNames(in.GetProcesses())
	if err != nil {
		return nil, err
	}
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_CreateEngagement_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.Engagement, error) {
			e := proto.CloneOf(in)
			fieldmask.ClearOutputOnly(e)
			now := timestamppb.New(s.now())
			name := catalogv1.EngagementResourceName{Engagement: names.NewID()}
			e.Name = name.String()
			e.Owner = auth.Subject(ctx)
			e.OverrideReason = trimmed(e.GetOverrideReason())
			e.CreateTime, e.UpdateTime = now, now
			model, err := s.checkDecided(ctx, tx, processes, e.GetOverrideReason())
			if err != nil {
				return nil, err
			}
			if e.GetCollaborationModel() == catalogv1.CollaborationModel_COLLABORATION_MODEL_UNSPECIFIED {
				e.CollaborationModel = model
			}
			if err := engagementDocs.Insert(ctx, tx, e.Name, e); err != nil {
				return nil, err
			}
			if err := audit.Record(ctx, tx, e.Name, req.GetRequestId(), nil, e); err != nil {
				return nil, err
			}
			var procs []*catalogv1.Process
			for _, pn := range processes {
				p, _, err := processDocs.Get(ctx, tx, pn.String())
				if err != nil {
					return nil, err
				}
				procs = append(procs, p)
			}
			sc, err := scope.Prefill(procs)
			if err != nil {
				return nil, err
			}
			sc.Name = name.ScopeResourceName().String()
			sc.Revision = 1
			sc.State = catalogv1.ScopeState_SCOPE_STATE_DRAFT
			sc.Author = auth.Subject(ctx)
			sc.UpdateTime = now
			if err := scopeDocs.Insert(ctx, tx, sc.Name, sc); err != nil {
				return nil, err
			}
			if err := audit.Record(ctx, tx, sc.Name, req.GetRequestId(), nil, sc); err != nil {
				return nil, err
			}
			return withStale(ctx, tx, e)
		})
}

// processNames parses the processes of a new engagement.
func processNames(ps []string) ([]catalogv1.ProcessResourceName, error) {
	out := make([]catalogv1.ProcessResourceName, len(ps))
	for i, p := range ps {
		n, err := names.Parse[catalogv1.ProcessResourceName](fmt.Sprintf("engagement.processes[%d]", i), p)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// checkDecided is the gate of step 1 for a new engagement: every process
// exists and has been assessed, and one recommended RETAIN comes with an
// override reason. It returns the collaboration model of the first
// process whose latest assessment has one (a RETAIN has none).
func (s *Server) checkDecided(ctx context.Context, tx *sqlstore.Tx, processes []catalogv1.ProcessResourceName, overrideReason string) (catalogv1.CollaborationModel, error) {
	model := catalogv1.CollaborationModel_COLLABORATION_MODEL_UNSPECIFIED
	var retained, stale []string
	for _, name := range processes {
		p, _, err := processDocs.Get(ctx, tx, name.String())
		if err != nil {
			return model, err
		}
		if p.GetLatestAssessment() == "" {
			return model, apperr.New(apperr.FailedPrecondition, "%s has not been assessed: call AssessProcess first", name)
		}
		if p.GetLatestRecommendation() == catalogv1.Recommendation_RECOMMENDATION_RETAIN {
			retained = append(retained, name.String())
		}
		if p.GetAssessmentStale() {
			stale = append(stale, name.String())
		}
		if model == catalogv1.CollaborationModel_COLLABORATION_MODEL_UNSPECIFIED {
			a, _, err := assessmentDocs.Get(ctx, tx, p.GetLatestAssessment())
			if err != nil {
				return model, err
			}
			model = a.GetCollaborationModel()
		}
	}
	if len(retained) > 0 && overrideReason == "" {
		return model, apperr.New(apperr.FailedPrecondition, "the latest assessment of %s recommends RETAIN: give an override_reason saying why it is outsourced anyway, or leave it out of the engagement",
			strings.Join(retained, ", "))
	}
	if len(stale) > 0 && overrideReason == "" {
		return model, apperr.New(apperr.FailedPrecondition, "the latest assessment of %s is stale: the process was edited after it was assessed; assess it again (AssessProcess) or give an override_reason saying why the old assessment stands",
			strings.Join(stale, ", "))
	}
	return model, nil
}

// readEngagement reads an engagement for the caller: staff read every
// one; a provider user only one awarded to its provider, and learns
// nothing of the others, not even whether they exist.
func readEngagement(ctx context.Context, tx *sqlstore.Tx, name catalogv1.EngagementResourceName) (*catalogv1.Engagement, error) {
	e, _, err := engagementDocs.Get(ctx, tx, name.String())
	caller := auth.FromContext(ctx)
	if caller.IsProviderOnly() {
		if apperr.KindOf(err) == apperr.NotFound || (err == nil && e.GetAward().GetProvider() != caller.Provider) {
			return nil, apperr.New(apperr.PermissionDenied, "a provider user may read only an engagement awarded to its own provider (%s)", caller.Provider)
		}
	}
	if err != nil {
		return nil, err
	}
	return e, nil
}

// GetEngagement implements catalogv1.CatalogServiceServer.
func (s *Server) GetEngagement(ctx context.Context, req *catalogv1.GetEngagementRequest) (*catalogv1.Engagement, error) {
	name, err := names.Parse[catalogv1.EngagementResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*catalogv1.Engagement, error) {
		e, err := readEngagement(ctx, tx, name)
		if err != nil {
			return nil, err
		}
		return withStale(ctx, tx, e)
	})
}

// ListEngagements implements catalogv1.CatalogServiceServer (staff only).
func (s *Server) ListEngagements(ctx context.Context, req *catalogv1.ListEngagementsRequest) (*catalogv1.ListEngagementsResponse, error) {
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*catalogv1.ListEngagementsResponse, error) {
		page, next, err := engagementDocs.Page(ctx, tx, req, docstore.Query{})
		if err != nil {
			return nil, err
		}
		for i, e := range page {
			if page[i], err = withStale(ctx, tx, e); err != nil {
				return nil, err
			}
		}
		return &catalogv1.ListEngagementsResponse{Engagements: page, NextPageToken: next}, nil
	})
}

// UpdateEngagement implements catalogv1.CatalogServiceServer. The
// processes and the override reason are what was decided; they do not
// change (start a new engagement instead).
func (s *Server) UpdateEngagement(ctx context.Context, req *catalogv1.UpdateEngagementRequest) (*catalogv1.Engagement, error) {
	in := req.GetEngagement()
	name, err := names.Parse[catalogv1.EngagementResourceName]("engagement.name", in.GetName())
	if err != nil {
		return nil, err
	}
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_UpdateEngagement_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.Engagement, error) {
			before, v, err := engagementDocs.GetForChange(ctx, tx, name.String(), in.GetEtag())
			if err != nil {
				return nil, err
			}
			e := proto.CloneOf(before)
			if err := fieldmask.Apply(e, in, req.GetUpdateMask().GetPaths(),
				"it is what was decided for the engagement; create a new engagement for other processes", nil); err != nil {
				return nil, err
			}
			if err := scope.ValidateEngagement(e, "engagement"); err != nil {
				return nil, err
			}
			e.UpdateTime = timestamppb.New(s.now())
			if err := engagementDocs.Update(ctx, tx, e.Name, e, v); err != nil {
				return nil, err
			}
			if err := audit.Record(ctx, tx, e.Name, req.GetRequestId(), before, e); err != nil {
				return nil, err
			}
			// The client's location decides shore models and overlap: the
			// proposals of the PUBLISHED events need confirmation.
			if e.GetClientCountry() != before.GetClientCountry() || e.GetClientTimeZone() != before.GetClientTimeZone() {
				what := fmt.Sprintf("client location changed to %s, %s", e.GetClientCountry(), e.GetClientTimeZone())
				if err := s.engagementChanged(ctx, tx, e.GetName(), 0, what, req.GetRequestId()); err != nil {
					return nil, err
				}
			}
			return withStale(ctx, tx, e)
		})
}

// withStale is e with stale_processes: those of its processes edited since
// their latest assessment, read now (never stored).
func withStale(ctx context.Context, tx *sqlstore.Tx, e *catalogv1.Engagement) (*catalogv1.Engagement, error) {
	out := proto.CloneOf(e)
	out.StaleProcesses = nil
	for _, name := range e.GetProcesses() {
		p, _, err := processDocs.Get(ctx, tx, name)
		switch {
		case apperr.KindOf(err) == apperr.NotFound:
			continue
		case err != nil:
			return nil, err
		case p.GetAssessmentStale():
			out.StaleProcesses = append(out.StaleProcesses, name)
		}
	}
	return out, nil
}
