package catalog

import (
	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/auth"
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
