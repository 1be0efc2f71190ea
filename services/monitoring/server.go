// Package monitoring is the monitoring service: step 6 of an engagement.
// spec: monitoring.md.
package monitoring

import (
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/sqlstore"
)

// Server implements monitoringv1.MonitoringServiceServer.
type Server struct {
	monitoringv1.UnimplementedMonitoringServiceServer
	db       *sqlstore.DB
	contract contractv1.ContractServiceClient
	catalog  catalogv1.CatalogServiceClient
	now      func() time.Time
	// alerts wakes alert watchers and throttles checks on ingestion (alerts.go).
	alerts *alertHub
}

// New returns the monitoring service on db (migrated); contract is asked
// for the terms in force, catalog is told the providers' period scores,
// and now is the clock (time.Now when nil).
func New(db *sqlstore.DB, contract contractv1.ContractServiceClient, catalog catalogv1.CatalogServiceClient, now func() time.Time) *Server {
	if now == nil {
		now = time.Now
	}
	return &Server{db: db, contract: contract, catalog: catalog, now: now, alerts: newAlertHub()}
}

// Policy says which roles may call each method (admins may call all).
var Policy = auth.Policy{
	monitoringv1.MonitoringService_BatchCreateMeasurements_FullMethodName: {auth.ProviderUser},
	monitoringv1.MonitoringService_IngestMeasurements_FullMethodName:      {auth.ProviderUser},
	monitoringv1.MonitoringService_EvaluatePeriod_FullMethodName:          {auth.GovernanceManager, auth.ContractManager, auth.Auditor, auth.SourcingManager, auth.ProviderUser},
	monitoringv1.MonitoringService_ListAuditEvents_FullMethodName:         {auth.Auditor},
	monitoringv1.MonitoringService_VerifyAuditLog_FullMethodName:          {auth.Auditor},
	// The month-end (periods.go, exclusions.go).
	monitoringv1.MonitoringService_GetPeriod_FullMethodName:        monthEndReaders,
	monitoringv1.MonitoringService_ListPeriods_FullMethodName:      monthEndReaders,
	monitoringv1.MonitoringService_GetStatement_FullMethodName:     monthEndReaders,
	monitoringv1.MonitoringService_ListStatements_FullMethodName:   monthEndReaders,
	monitoringv1.MonitoringService_GetExclusion_FullMethodName:     monthEndReaders,
	monitoringv1.MonitoringService_ListExclusions_FullMethodName:   monthEndReaders,
	monitoringv1.MonitoringService_ClosePeriod_FullMethodName:      {auth.GovernanceManager},
	monitoringv1.MonitoringService_RestatePeriod_FullMethodName:    {auth.GovernanceManager},
	monitoringv1.MonitoringService_CreateExclusion_FullMethodName:  {auth.GovernanceManager, auth.ProviderUser},
	monitoringv1.MonitoringService_ApproveExclusion_FullMethodName: {auth.GovernanceManager, auth.ProviderUser},
	monitoringv1.MonitoringService_RejectExclusion_FullMethodName:  {auth.GovernanceManager, auth.ProviderUser},
	// Early warning, scorecards, reviews, trends (alerts.go, scorecards.go, reviews.go, reports.go).
	monitoringv1.MonitoringService_ListAlerts_FullMethodName:           readers,
	monitoringv1.MonitoringService_WatchAlerts_FullMethodName:          readers,
	monitoringv1.MonitoringService_AcknowledgeAlert_FullMethodName:     {auth.GovernanceManager, auth.ProviderUser},
	monitoringv1.MonitoringService_GetServiceLevelTrend_FullMethodName: readers,
	monitoringv1.MonitoringService_GetScorecard_FullMethodName:         readers,
	monitoringv1.MonitoringService_ListScorecards_FullMethodName:       readers,
	monitoringv1.MonitoringService_GetReview_FullMethodName:            readers,
	monitoringv1.MonitoringService_ListReviews_FullMethodName:          readers,
	monitoringv1.MonitoringService_CreateReview_FullMethodName:         {auth.GovernanceManager},
	monitoringv1.MonitoringService_UpdateReview_FullMethodName:         {auth.GovernanceManager},
	monitoringv1.MonitoringService_DecideReview_FullMethodName:         {auth.GovernanceManager},
}

// Collections are the documents monitoring keeps; its measurements live
// in tables of their own (store). The month-end: periods, statements,
// exclusions (periods.go, exclusions.go).
var Collections = []docstore.Preparer{periodDocs, statementDocs, exclusionDocs,
	alertDocs, scorecardDocs, reviewDocs} // early warning, scorecards, reviews
