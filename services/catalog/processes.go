package catalog

import (
	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/auth"
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
