// Package transition is the transition service: step 5 of an engagement.
// spec: transition.md.
package transition

import (
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/sqlstore"
)

// Server implements transitionv1.TransitionServiceServer.
type Server struct {
	transitionv1.UnimplementedTransitionServiceServer
	db       *sqlstore.DB
	contract contractv1.ContractServiceClient
	now      func() time.Time
}

// New returns the transition service on db (migrated); contract is asked
// whether a contract is signed and told the commencement date at cutover.
func New(db *sqlstore.DB, contract contractv1.ContractServiceClient) *Server {
	return &Server{db: db, contract: contract, now: time.Now}
}

// Policy says which roles may call each method (admins may call all).
var Policy = auth.Policy{
	transitionv1.TransitionService_CreateTransitionPlan_FullMethodName: {auth.TransitionManager},
	transitionv1.TransitionService_GetTransitionPlan_FullMethodName:    auth.Readers,
	transitionv1.TransitionService_ListTransitionPlans_FullMethodName:  auth.Readers,
	transitionv1.TransitionService_StartTransitionPlan_FullMethodName:  {auth.TransitionManager},
	transitionv1.TransitionService_CreateTask_FullMethodName:           {auth.TransitionManager},
	transitionv1.TransitionService_ListTasks_FullMethodName:            auth.Readers,
	transitionv1.TransitionService_UpdateTask_FullMethodName:           {auth.TransitionManager},
	transitionv1.TransitionService_StartTask_FullMethodName:            {auth.TransitionManager, auth.ProviderUser},
	transitionv1.TransitionService_CompleteTask_FullMethodName:         {auth.TransitionManager, auth.ProviderUser},
	transitionv1.TransitionService_SkipTask_FullMethodName:             {auth.TransitionManager},
	transitionv1.TransitionService_CheckReadiness_FullMethodName:       auth.Readers,
	transitionv1.TransitionService_CompleteCutover_FullMethodName:      {auth.TransitionManager},
	transitionv1.TransitionService_ListAuditEvents_FullMethodName:      {auth.Auditor},
	transitionv1.TransitionService_VerifyAuditLog_FullMethodName:       {auth.Auditor},
}
