// Package transition is the transition service: step 5 of an engagement.
// Its handlers translate between the API and the domain packages (plan,
// templates) and write each change with its audit record in one
// transaction. spec: transition.md.
package transition

import (
	"crypto/rand"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/transition/plan"
	"github.com/oklog/ulid/v2"
)

// Server implements transitionv1.TransitionServiceServer.
type Server struct {
	transitionv1.UnimplementedTransitionServiceServer
	db       *sqlstore.DB
	contract contractv1.ContractServiceClient
	catalog  catalogv1.CatalogServiceClient
	now      func() time.Time
}

// New returns the transition service on db (migrated); contract is asked
// whether a contract is signed (and for its CRITICAL levels and whether it
// was terminated) and told the commencement date at cutover; catalog is
// asked for the engagement's process function, collaboration model and
// approved scope (template, go-live, integrations, parallel-run weeks).
func New(db *sqlstore.DB, contract contractv1.ContractServiceClient, catalog catalogv1.CatalogServiceClient) *Server {
	return &Server{db: db, contract: contract, catalog: catalog, now: time.Now}
}

// Policy says which roles may call each method (admins may call all).
// Provider users are further kept to their own provider's plans and, for
// task changes, to PROVIDER tasks (plan.Authorize).
var Policy = auth.Policy{
	transitionv1.TransitionService_CreateTransitionPlan_FullMethodName:    {auth.TransitionManager},
	transitionv1.TransitionService_GetTransitionPlan_FullMethodName:       auth.Readers,
	transitionv1.TransitionService_ListTransitionPlans_FullMethodName:     auth.Readers,
	transitionv1.TransitionService_StartTransitionPlan_FullMethodName:     {auth.TransitionManager},
	transitionv1.TransitionService_CreateTask_FullMethodName:              {auth.TransitionManager},
	transitionv1.TransitionService_GetTask_FullMethodName:                 auth.Readers,
	transitionv1.TransitionService_ListTasks_FullMethodName:               auth.Readers,
	transitionv1.TransitionService_UpdateTask_FullMethodName:              {auth.TransitionManager},
	transitionv1.TransitionService_StartTask_FullMethodName:               {auth.TransitionManager, auth.ProviderUser},
	transitionv1.TransitionService_CompleteTask_FullMethodName:            {auth.TransitionManager, auth.ProviderUser},
	transitionv1.TransitionService_SkipTask_FullMethodName:                {auth.TransitionManager},
	transitionv1.TransitionService_BlockTask_FullMethodName:               {auth.TransitionManager, auth.ProviderUser},
	transitionv1.TransitionService_ClosePlan_FullMethodName:               {auth.TransitionManager},
	transitionv1.TransitionService_AbortPlan_FullMethodName:               {auth.TransitionManager},
	transitionv1.TransitionService_CheckReadiness_FullMethodName:          auth.Readers,
	transitionv1.TransitionService_CompleteCutover_FullMethodName:         {auth.TransitionManager},
	transitionv1.TransitionService_GetSchedule_FullMethodName:             auth.Readers,
	transitionv1.TransitionService_SaveBaseline_FullMethodName:            {auth.TransitionManager},
	transitionv1.TransitionService_UpdateTransitionPlan_FullMethodName:    {auth.TransitionManager},
	transitionv1.TransitionService_DeleteTask_FullMethodName:              {auth.TransitionManager},
	transitionv1.TransitionService_CreateKnowledgeItem_FullMethodName:     {auth.TransitionManager},
	transitionv1.TransitionService_GetKnowledgeItem_FullMethodName:        auth.Readers,
	transitionv1.TransitionService_ListKnowledgeItems_FullMethodName:      auth.Readers,
	transitionv1.TransitionService_SignOffKnowledgeItem_FullMethodName:    {auth.TransitionManager, auth.ProviderUser},
	transitionv1.TransitionService_CreateTrainingSession_FullMethodName:   {auth.TransitionManager, auth.ProviderUser},
	transitionv1.TransitionService_GetTrainingSession_FullMethodName:      auth.Readers,
	transitionv1.TransitionService_ListTrainingSessions_FullMethodName:    auth.Readers,
	transitionv1.TransitionService_RecordTrainingResults_FullMethodName:   {auth.TransitionManager, auth.ProviderUser},
	transitionv1.TransitionService_ReportParallelRunResult_FullMethodName: {auth.ProviderUser},
	transitionv1.TransitionService_GetParallelRunResult_FullMethodName:    auth.Readers,
	transitionv1.TransitionService_ListParallelRunResults_FullMethodName:  auth.Readers,
	transitionv1.TransitionService_ExportSchedule_FullMethodName:          auth.Readers,
	transitionv1.TransitionService_ListAuditEvents_FullMethodName:         {auth.Auditor},
	transitionv1.TransitionService_VerifyAuditLog_FullMethodName:          {auth.Auditor},
}

// sequentialIDs returns ids for the i-th of a batch of tasks created
// together: one timestamp with monotonic entropy, so the ids sort in batch
// order (a template's order) even within one millisecond, and before any
// task added later.
func sequentialIDs(n int) []string {
	ms := ulid.Timestamp(time.Now())
	entropy := ulid.Monotonic(rand.Reader, 0)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = ulid.MustNew(ms, entropy).String()
	}
	return ids
}

// taskCaller is the caller as plan.Authorize's ownership rule sees it.
func taskCaller(p *auth.Principal) plan.Caller {
	return plan.Caller{ProviderUser: p.Has(auth.ProviderUser), Provider: p.Provider}
}
