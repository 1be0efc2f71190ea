// Package contract is the contract service: step 4 of an engagement. Its
// handlers translate between the API and the terms package and write each
// change with its audit record in one transaction. spec: contract.md.
package contract

import (
	"sync/atomic"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/contract/terms"
)

// Server implements contractv1.ContractServiceServer.
type Server struct {
	contractv1.UnimplementedContractServiceServer
	db      *sqlstore.DB
	catalog catalogv1.CatalogServiceClient
	now     func() time.Time
	// swept is the quarter hour of the clock the last sweep ran in
	// (clock.go), so ListContracts sweeps once per quarter hour, not on
	// every call.
	swept atomic.Int64
}

// New returns the contract service on db (migrated); catalog is asked for
// awards and scopes.
func New(db *sqlstore.DB, catalog catalogv1.CatalogServiceClient) *Server {
	return NewWithClock(db, catalog, nil)
}

// NewWithClock is New on the clock now (time.Now when nil): the clock
// decides signature and termination times and the states in time (ACTIVE
// from the start date, renewals, EXPIRED past the end).
func NewWithClock(db *sqlstore.DB, catalog catalogv1.CatalogServiceClient, now func() time.Time) *Server {
	if now == nil {
		now = time.Now
	}
	return &Server{db: db, catalog: catalog, now: now}
}

// signers are the roles that may call SignContract: the client signatory is
// one of our users in any role that acts (an auditor changes nothing), and
// provider users sign for their provider. Who actually signs is decided by
// terms.AddSignature (subject match or provider).
var signers = []auth.Role{
	auth.ContractManager, auth.Approver, auth.SourcingManager, auth.ProcessOwner,
	auth.TransitionManager, auth.GovernanceManager, auth.ProviderUser,
}

// Policy says which roles may call each method (admins may call all).
var Policy = auth.Policy{
	contractv1.ContractService_CreateContract_FullMethodName:            {auth.ContractManager},
	contractv1.ContractService_GetContract_FullMethodName:               auth.Readers,
	contractv1.ContractService_ListContracts_FullMethodName:             auth.Readers,
	contractv1.ContractService_UpdateContract_FullMethodName:            {auth.ContractManager},
	contractv1.ContractService_DeleteContract_FullMethodName:            {auth.ContractManager},
	contractv1.ContractService_SubmitContract_FullMethodName:            {auth.ContractManager},
	contractv1.ContractService_RejectContract_FullMethodName:            {auth.Approver, auth.ContractManager},
	contractv1.ContractService_ApproveContract_FullMethodName:           {auth.Approver},
	contractv1.ContractService_SignContract_FullMethodName:              signers,
	contractv1.ContractService_RecordServiceCommencement_FullMethodName: {auth.TransitionManager},
	contractv1.ContractService_TerminateContract_FullMethodName:         {auth.ContractManager},
	contractv1.ContractService_GetEffectiveContract_FullMethodName:      auth.Readers,
	contractv1.ContractService_ListContractRevisions_FullMethodName:     auth.Readers,
	// Monitoring records chronic failures when a governance manager closes
	// a period, forwarding that caller's token (the way transition records
	// the service commencement with the transition manager's).
	contractv1.ContractService_RecordChronicFailure_FullMethodName: {auth.GovernanceManager},
	contractv1.ContractService_RequestTermination_FullMethodName:   {auth.ContractManager},
	contractv1.ContractService_ApproveTermination_FullMethodName:   {auth.Approver},
	contractv1.ContractService_RejectTermination_FullMethodName:    {auth.Approver, auth.ContractManager},
	contractv1.ContractService_CreateAmendment_FullMethodName:      {auth.ContractManager},
	contractv1.ContractService_GetAmendment_FullMethodName:         auth.Readers,
	contractv1.ContractService_ListAmendments_FullMethodName:       auth.Readers,
	contractv1.ContractService_UpdateAmendment_FullMethodName:      {auth.ContractManager},
	contractv1.ContractService_SubmitAmendment_FullMethodName:      {auth.ContractManager},
	contractv1.ContractService_ApproveAmendment_FullMethodName:     {auth.Approver},
	contractv1.ContractService_RejectAmendment_FullMethodName:      {auth.Approver, auth.ContractManager},
	contractv1.ContractService_SignAmendment_FullMethodName:        signers,
	contractv1.ContractService_ListObligations_FullMethodName:      auth.Readers,
	contractv1.ContractService_ListAuditEvents_FullMethodName:      {auth.Auditor},
	contractv1.ContractService_VerifyAuditLog_FullMethodName:       {auth.Auditor},
}

// party is the caller as the terms' four-eyes and signature rules see it.
func party(p *auth.Principal) terms.Party {
	return terms.Party{Subject: p.Subject, ProviderUser: p.Has(auth.ProviderUser), Provider: p.Provider}
}
