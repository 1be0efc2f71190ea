package catalog

import (
	"context"
	"slices"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/fieldmask"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog/assessment"
)

// staff are the roles of our own company: everyone but provider users.
var staff = []auth.Role{auth.SourcingManager, auth.ProcessOwner, auth.Evaluator, auth.ContractManager, auth.Approver, auth.TransitionManager, auth.GovernanceManager, auth.Auditor}

var processPolicy = auth.Policy{
	catalogv1.CatalogService_CreateProcess_FullMethodName:          {auth.ProcessOwner, auth.SourcingManager},
	catalogv1.CatalogService_GetProcess_FullMethodName:             staff,
	catalogv1.CatalogService_ListProcesses_FullMethodName:          staff,
	catalogv1.CatalogService_UpdateProcess_FullMethodName:          {auth.ProcessOwner, auth.SourcingManager},
	catalogv1.CatalogService_AssessProcess_FullMethodName:          {auth.SourcingManager, auth.ProcessOwner},
	catalogv1.CatalogService_GetAssessment_FullMethodName:          staff,
	catalogv1.CatalogService_ListAssessments_FullMethodName:        staff,
	catalogv1.CatalogService_GetAssessmentPolicy_FullMethodName:    staff,
	catalogv1.CatalogService_UpdateAssessmentPolicy_FullMethodName: {},
}

// processMask says which fields of a process an update may name.
var processMask = fieldmask.Rules{Updatable: assessment.ProcessUpdatable, OutputOnly: assessment.ProcessOutputOnly}

// officeNamed reports whether an update names the office: in its mask, or
// (empty mask) by setting it.
func officeNamed(paths []string, in *catalogv1.Process) bool {
	if len(paths) == 0 {
		return in.GetOffice() != catalogv1.Office_OFFICE_UNSPECIFIED
	}
	return slices.Contains(paths, "*") || slices.Contains(paths, "office")
}

// CreateProcess implements catalogv1.CatalogServiceServer.
func (s *Server) CreateProcess(ctx context.Context, req *catalogv1.CreateProcessRequest) (*catalogv1.Process, error) {
	in := req.GetProcess()
	if err := assessment.ValidateProcess(in, "process"); err != nil {
		return nil, err
	}
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_CreateProcess_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.Process, error) {
			p := clone(in)
			now := timestamp(s.now())
			// Output-only fields of the input are ignored (AIP-203).
			p.Name = "processes/" + newID()
			p.LatestAssessment, p.LatestRecommendation = "", catalogv1.Recommendation_RECOMMENDATION_UNSPECIFIED
			p.CreateTime, p.UpdateTime = now, now
			assessment.SetOffice(p, p.GetFunction(), true)
			if err := docstore.Insert(ctx, tx, p.Name, p, assessment.ProcessFacets(p)); err != nil {
				return nil, err
			}
			return p, audit.Record(ctx, tx, p.Name, req.GetRequestId(), nil, p)
		})
}

// GetProcess implements catalogv1.CatalogServiceServer.
func (s *Server) GetProcess(ctx context.Context, req *catalogv1.GetProcessRequest) (*catalogv1.Process, error) {
	p := &catalogv1.Process{}
	if err := s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		_, err := docstore.Get(ctx, tx, req.GetName(), p)
		return err
	}); err != nil {
		return nil, err
	}
	return p, nil
}

// ListProcesses implements catalogv1.CatalogServiceServer.
func (s *Server) ListProcesses(ctx context.Context, req *catalogv1.ListProcessesRequest) (*catalogv1.ListProcessesResponse, error) {
	terms, err := listing.ParseFilter(req.GetFilter(), assessment.ProcessFilterFields...)
	if err != nil {
		return nil, err
	}
	for i := range terms {
		terms[i].Value = assessment.NormalizeProcessFilterValue(terms[i].Field, terms[i].Value)
	}
	resp := &catalogv1.ListProcessesResponse{}
	err = s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		resp.Processes, resp.NextPageToken, err = docstore.Page(ctx, tx, docstore.Query{Kind: "processes", Terms: terms},
			req.GetPageSize(), req.GetPageToken(), req.GetFilter(),
			func() *catalogv1.Process { return &catalogv1.Process{} }, (*catalogv1.Process).GetName)
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// UpdateProcess implements catalogv1.CatalogServiceServer. The latest
// assessment stays as it was: it is a snapshot, and AssessProcess makes a
// new one.
func (s *Server) UpdateProcess(ctx context.Context, req *catalogv1.UpdateProcessRequest) (*catalogv1.Process, error) {
	in := req.GetProcess()
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_UpdateProcess_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.Process, error) {
			before := &catalogv1.Process{}
			v, err := docstore.GetCurrent(ctx, tx, in.GetName(), in.GetEtag(), before)
			if err != nil {
				return nil, err
			}
			p := clone(before)
			paths := req.GetUpdateMask().GetPaths()
			if err := fieldmask.Apply(p, in, paths, processMask, nil); err != nil {
				return nil, err
			}
			assessment.SetOffice(p, before.GetFunction(), officeNamed(paths, in))
			if err := assessment.ValidateProcess(p, "process"); err != nil {
				return nil, err
			}
			p.UpdateTime = timestamp(s.now())
			if err := docstore.Update(ctx, tx, p.Name, p, v, assessment.ProcessFacets(p)); err != nil {
				return nil, err
			}
			return p, audit.Record(ctx, tx, p.Name, req.GetRequestId(), before, p)
		})
}

// AssessProcess implements catalogv1.CatalogServiceServer: it assesses the
// process with the policy in force and keeps the result as an immutable
// assessment, which becomes the process's latest. spec: catalog.md §1.
func (s *Server) AssessProcess(ctx context.Context, req *catalogv1.AssessProcessRequest) (*catalogv1.Assessment, error) {
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_AssessProcess_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.Assessment, error) {
			before := &catalogv1.Process{}
			v, err := docstore.GetCurrent(ctx, tx, req.GetName(), req.GetEtag(), before)
			if err != nil {
				return nil, err
			}
			pol, _, err := s.assessmentPolicy(ctx, tx)
			if err != nil {
				return nil, err
			}
			a, err := assessment.Assess(before, pol)
			if err != nil {
				return nil, err
			}
			now := timestamp(s.now())
			a.Name = before.GetName() + "/assessments/" + newID()
			a.Process = clone(before) // the snapshot keeps the etag of the version assessed
			a.AssessedBy = auth.Subject(ctx)
			a.CreateTime = now
			if err := docstore.Insert(ctx, tx, a.Name, a, nil); err != nil {
				return nil, err
			}
			if err := audit.Record(ctx, tx, a.Name, req.GetRequestId(), nil, a); err != nil {
				return nil, err
			}
			p := clone(before)
			p.LatestAssessment, p.LatestRecommendation = a.GetName(), a.GetRecommendation()
			p.UpdateTime = now
			if err := docstore.Update(ctx, tx, p.Name, p, v, assessment.ProcessFacets(p)); err != nil {
				return nil, err
			}
			return a, audit.Record(ctx, tx, p.Name, req.GetRequestId(), before, p)
		})
}

// GetAssessment implements catalogv1.CatalogServiceServer.
func (s *Server) GetAssessment(ctx context.Context, req *catalogv1.GetAssessmentRequest) (*catalogv1.Assessment, error) {
	a := &catalogv1.Assessment{}
	if err := s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		_, err := docstore.Get(ctx, tx, req.GetName(), a)
		return err
	}); err != nil {
		return nil, err
	}
	return a, nil
}

// ListAssessments implements catalogv1.CatalogServiceServer: a process's
// assessments, oldest first (names are ULIDs).
func (s *Server) ListAssessments(ctx context.Context, req *catalogv1.ListAssessmentsRequest) (*catalogv1.ListAssessmentsResponse, error) {
	// The filter is reserved: no fields yet, so any term is refused.
	if _, err := listing.ParseFilter(req.GetFilter()); err != nil {
		return nil, err
	}
	resp := &catalogv1.ListAssessmentsResponse{}
	err := s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		if _, err := docstore.Get(ctx, tx, req.GetParent(), &catalogv1.Process{}); err != nil {
			return err
		}
		var err error
		resp.Assessments, resp.NextPageToken, err = docstore.Page(ctx, tx, docstore.Query{Kind: "assessments", Parent: req.GetParent()},
			req.GetPageSize(), req.GetPageToken(), req.GetParent()+"?"+req.GetFilter(),
			func() *catalogv1.Assessment { return &catalogv1.Assessment{} }, (*catalogv1.Assessment).GetName)
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// assessmentPolicy is the policy in force: the stored one, or the defaults
// at revision 1 (version 0: not stored) until an admin changes them.
func (s *Server) assessmentPolicy(ctx context.Context, tx *sqlstore.Tx) (*catalogv1.AssessmentPolicy, sqlstore.Version, error) {
	pol := &catalogv1.AssessmentPolicy{}
	v, err := docstore.Get(ctx, tx, assessment.PolicyName, pol)
	if apperr.KindOf(err) == apperr.NotFound {
		pol = assessment.DefaultPolicy()
		pol.Etag = sqlstore.ETag(assessment.PolicyName, 0)
		return pol, sqlstore.Version{}, nil
	}
	return pol, v, err
}

// GetAssessmentPolicy implements catalogv1.CatalogServiceServer.
func (s *Server) GetAssessmentPolicy(ctx context.Context, _ *catalogv1.GetAssessmentPolicyRequest) (*catalogv1.AssessmentPolicy, error) {
	var pol *catalogv1.AssessmentPolicy
	if err := s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		var err error
		pol, _, err = s.assessmentPolicy(ctx, tx)
		return err
	}); err != nil {
		return nil, err
	}
	return pol, nil
}

var policyMask = fieldmask.Rules{Updatable: assessment.PolicyUpdatable, OutputOnly: assessment.PolicyOutputOnly}

// UpdateAssessmentPolicy implements catalogv1.CatalogServiceServer (admins
// only): every update is a new revision; assessments made before keep the
// revision they used.
func (s *Server) UpdateAssessmentPolicy(ctx context.Context, req *catalogv1.UpdateAssessmentPolicyRequest) (*catalogv1.AssessmentPolicy, error) {
	in := req.GetAssessmentPolicy()
	if in.GetName() != assessment.PolicyName {
		return nil, apperr.Invalid(apperr.FieldViolation{Field: "assessment_policy.name", Description: "must be " + assessment.PolicyName})
	}
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_UpdateAssessmentPolicy_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.AssessmentPolicy, error) {
			before, v, err := s.assessmentPolicy(ctx, tx)
			if err != nil {
				return nil, err
			}
			if err := sqlstore.CheckETag(assessment.PolicyName, in.GetEtag(), before.GetEtag()); err != nil {
				return nil, err
			}
			pol := clone(before)
			if err := fieldmask.Apply(pol, in, req.GetUpdateMask().GetPaths(), policyMask, nil); err != nil {
				return nil, err
			}
			if err := assessment.ValidatePolicy(pol, "assessment_policy"); err != nil {
				return nil, err
			}
			pol.Revision = before.GetRevision() + 1
			pol.UpdateTime = timestamp(s.now())
			if v.Revision == 0 {
				err = docstore.Insert(ctx, tx, pol.Name, pol, nil)
			} else {
				err = docstore.Update(ctx, tx, pol.Name, pol, v, nil)
			}
			if err != nil {
				return nil, err
			}
			return pol, audit.Record(ctx, tx, pol.Name, req.GetRequestId(), before, pol)
		})
}
