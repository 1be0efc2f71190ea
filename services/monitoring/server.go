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
}

// New returns the monitoring service on db (migrated); contract is asked
// for the terms in force, catalog is told the providers' period scores,
// and now is the clock (time.Now when nil).
func New(db *sqlstore.DB, contract contractv1.ContractServiceClient, catalog catalogv1.CatalogServiceClient, now func() time.Time) *Server {
	if now == nil {
		now = time.Now
	}
	return &Server{db: db, contract: contract, catalog: catalog, now: now}
}

// Policy says which roles may call each method (admins may call all).
var Policy = auth.Policy{
	monitoringv1.MonitoringService_BatchCreateMeasurements_FullMethodName: {auth.ProviderUser},
	monitoringv1.MonitoringService_IngestMeasurements_FullMethodName:      {auth.ProviderUser},
	monitoringv1.MonitoringService_EvaluatePeriod_FullMethodName:          {auth.GovernanceManager, auth.ContractManager, auth.Auditor, auth.SourcingManager, auth.ProviderUser},
	monitoringv1.MonitoringService_ListAuditEvents_FullMethodName:         {auth.Auditor},
	monitoringv1.MonitoringService_VerifyAuditLog_FullMethodName:          {auth.Auditor},
}

// Collections is empty: monitoring keeps its measurements in tables of its
// own (store), not as documents. It is declared so that the wiring treats
// every service alike.
var Collections []docstore.Preparer
