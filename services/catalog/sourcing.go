package catalog

import (
	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/auth"
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
