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
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog/assessment"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
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
			p := proto.CloneOf(in)
			fieldmask.ClearOutputOnly(p)
			now := timestamppb.New(s.now())
			p.Name = catalogv1.ProcessResourceName{Process: names.NewID()}.String()
			p.CreateTime, p.UpdateTime = now, now
			assessment.SetOffice(p, p.GetFunction(), true)
			if err := processDocs.Insert(ctx, tx, p.Name, p); err != nil {
				return nil, err
			}
			return p, audit.Record(ctx, tx, p.Name, req.GetRequestId(), nil, p)
		})
}

// GetProcess implements catalogv1.CatalogServiceServer.
func (s *Server) GetProcess(ctx context.Context, req *catalogv1.GetProcessRequest) (*catalogv1.Process, error) {
	name, err := names.Parse[catalogv1.ProcessResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*catalogv1.Process, error) {
		p, _, err := processDocs.Get(ctx, tx, name.String())
		return p, err
	})
}

// ListProcesses implements catalogv1.CatalogServiceServer.
func (s *Server) ListProcesses(ctx context.Context, req *catalogv1.ListProcessesRequest) (*catalogv1.ListProcessesResponse, error) {
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*catalogv1.ListProcessesResponse, error) {
		page, next, err := processDocs.Page(ctx, tx, req, docstore.Query{})
		return &catalogv1.ListProcessesResponse{Processes: page, NextPageToken: next}, err
	})
}

// UpdateProcess implements catalogv1.CatalogServiceServer. The latest
// assessment stays as it was: it is a snapshot, and AssessProcess makes a
// new one.
func (s *Server) UpdateProcess(ctx context.Context, req *catalogv1.UpdateProcessRequest) (*catalogv1.Process, error) {
	in := req.GetProcess()
	name, err := names.Parse[catalogv1.ProcessResourceName]("process.name", in.GetName())
	if err != nil {
		return nil, err
	}
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_UpdateProcess_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.Process, error) {
			before, v, err := processDocs.GetForChange(ctx, tx, name.String(), in.GetEtag())
			if err != nil {
				return nil, err
			}
			p := proto.CloneOf(before)
			paths := req.GetUpdateMask().GetPaths()
			if err := fieldmask.Apply(p, in, paths, "", nil); err != nil {
				return nil, err
			}
			assessment.SetOffice(p, before.GetFunction(), officeNamed(paths, in))
			if err := assessment.ValidateProcess(p, "process"); err != nil {
				return nil, err
			}
			// An edit of what was assessed makes the latest assessment
			// stale until the process is assessed again.
			if p.GetLatestAssessment() != "" {
				a, _, err := assessmentDocs.Get(ctx, tx, p.GetLatestAssessment())
				if err != nil {
					return nil, err
				}
				p.AssessmentStale = assessment.Stale(p, a.GetProcess())
			}
			p.UpdateTime = timestamppb.New(s.now())
			if err := processDocs.Update(ctx, tx, p.Name, p, v); err != nil {
				return nil, err
			}
			return p, audit.Record(ctx, tx, p.Name, req.GetRequestId(), before, p)
		})
}

// AssessProcess implements catalogv1.CatalogServiceServer: it assesses the
// process with the policy in force and keeps the result as an immutable
// assessment, which becomes the process's latest. spec: catalog.md §1.
func (s *Server) AssessProcess(ctx context.Context, req *catalogv1.AssessProcessRequest) (*catalogv1.Assessment, error) {
	name, err := names.Parse[catalogv1.ProcessResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_AssessProcess_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.Assessment, error) {
			before, v, err := processDocs.GetForChange(ctx, tx, name.String(), req.GetEtag())
			if err != nil {
				return nil, err
			}
			pol, err := assessmentPolicy(ctx, tx)
			if err != nil {
				return nil, err
			}
			a, err := assessment.Assess(before, pol)
			if err != nil {
				return nil, err
			}
			now := timestamppb.New(s.now())
			a.Name = name.AssessmentResourceName(names.NewID()).String()
			a.Process = proto.CloneOf(before) // the snapshot keeps the etag of the version assessed
			a.AssessedBy = auth.Subject(ctx)
			a.CreateTime = now
			if err := assessmentDocs.Insert(ctx, tx, a.Name, a); err != nil {
				return nil, err
			}
			if err := audit.Record(ctx, tx, a.Name, req.GetRequestId(), nil, a); err != nil {
				return nil, err
			}
			p := proto.CloneOf(before)
			p.LatestAssessment, p.LatestRecommendation, p.AssessmentStale = a.GetName(), a.GetRecommendation(), false
			p.UpdateTime = now
			if err := processDocs.Update(ctx, tx, p.Name, p, v); err != nil {
				return nil, err
			}
			return a, audit.Record(ctx, tx, p.Name, req.GetRequestId(), before, p)
		})
}

// GetAssessment implements catalogv1.CatalogServiceServer.
func (s *Server) GetAssessment(ctx context.Context, req *catalogv1.GetAssessmentRequest) (*catalogv1.Assessment, error) {
	name, err := names.Parse[catalogv1.AssessmentResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*catalogv1.Assessment, error) {
		a, _, err := assessmentDocs.Get(ctx, tx, name.String())
		return a, err
	})
}

// ListAssessments implements catalogv1.CatalogServiceServer: a process's
// assessments, oldest first (names are ULIDs). The filter is reserved: it
// has no fields yet, so any term is refused.
func (s *Server) ListAssessments(ctx context.Context, req *catalogv1.ListAssessmentsRequest) (*catalogv1.ListAssessmentsResponse, error) {
	parent, err := names.Parse[catalogv1.ProcessResourceName]("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*catalogv1.ListAssessmentsResponse, error) {
		// An unknown process is NOT_FOUND, not an empty list.
		if _, _, err := processDocs.Get(ctx, tx, parent.String()); err != nil {
			return nil, err
		}
		page, next, err := assessmentDocs.Page(ctx, tx, req, docstore.Query{Parent: parent.String()})
		return &catalogv1.ListAssessmentsResponse{Assessments: page, NextPageToken: next}, err
	})
}

// assessmentPolicy is the policy in force: the stored one, or until an
// admin first changes it the defaults, with the etag they will have once
// stored (policyForChange).
func assessmentPolicy(ctx context.Context, tx *sqlstore.Tx) (*catalogv1.AssessmentPolicy, error) {
	name := catalogv1.AssessmentPolicyResourceName{}.String()
	pol, _, err := policyDocs.Get(ctx, tx, name)
	if apperr.KindOf(err) == apperr.NotFound {
		pol = assessment.DefaultPolicy()
		pol.Etag = sqlstore.ETag(name, 1)
		return pol, nil
	}
	return pol, err
}

// policyForChange reads the policy to change it. The defaults are stored
// first, as the revision that was in force, so that a change of them is a
// change of a stored document like any other.
func policyForChange(ctx context.Context, tx *sqlstore.Tx, etag string) (*catalogv1.AssessmentPolicy, sqlstore.Version, error) {
	name := catalogv1.AssessmentPolicyResourceName{}.String()
	if _, _, err := policyDocs.Get(ctx, tx, name); apperr.KindOf(err) == apperr.NotFound {
		if err := policyDocs.Insert(ctx, tx, name, assessment.DefaultPolicy()); err != nil {
			return nil, sqlstore.Version{}, err
		}
	}
	return policyDocs.GetForChange(ctx, tx, name, etag)
}

// GetAssessmentPolicy implements catalogv1.CatalogServiceServer.
func (s *Server) GetAssessmentPolicy(ctx context.Context, req *catalogv1.GetAssessmentPolicyRequest) (*catalogv1.AssessmentPolicy, error) {
	if _, err := names.Parse[catalogv1.AssessmentPolicyResourceName]("name", req.GetName()); err != nil {
		return nil, err
	}
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*catalogv1.AssessmentPolicy, error) {
		return assessmentPolicy(ctx, tx)
	})
}

// UpdateAssessmentPolicy implements catalogv1.CatalogServiceServer (admins
// only): every update is a new revision; assessments made before keep the
// revision they used.
func (s *Server) UpdateAssessmentPolicy(ctx context.Context, req *catalogv1.UpdateAssessmentPolicyRequest) (*catalogv1.AssessmentPolicy, error) {
	in := req.GetAssessmentPolicy()
	if _, err := names.Parse[catalogv1.AssessmentPolicyResourceName]("assessment_policy.name", in.GetName()); err != nil {
		return nil, err
	}
	return sqlstore.Idempotent(ctx, s.db, catalogv1.CatalogService_UpdateAssessmentPolicy_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*catalogv1.AssessmentPolicy, error) {
			before, v, err := policyForChange(ctx, tx, in.GetEtag())
			if err != nil {
				return nil, err
			}
			pol := proto.CloneOf(before)
			if err := fieldmask.Apply(pol, in, req.GetUpdateMask().GetPaths(), "", nil); err != nil {
				return nil, err
			}
			if err := assessment.ValidatePolicy(pol, "assessment_policy"); err != nil {
				return nil, err
			}
			pol.Revision = before.GetRevision() + 1
			pol.UpdateTime = timestamppb.New(s.now())
			if err := policyDocs.Update(ctx, tx, pol.Name, pol, v); err != nil {
				return nil, err
			}
			return pol, audit.Record(ctx, tx, pol.Name, req.GetRequestId(), before, pol)
		})
}
