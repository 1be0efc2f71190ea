package transition

import (
	"context"
	"strings"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/transition/plan"
	"github.com/acme/bpo/services/transition/templates"
	"google.golang.org/protobuf/proto"
)

// CreateTransitionPlan implements transitionv1.TransitionServiceServer.
func (s *Server) CreateTransitionPlan(ctx context.Context, req *transitionv1.CreateTransitionPlanRequest) (*transitionv1.TransitionPlan, error) {
	in := req.GetTransitionPlan()
	if err := plan.ValidateNew(in, "transition_plan", templates.Names()); err != nil {
		return nil, err
	}
	tmpl, err := templates.Get(in.GetTemplate())
	if err != nil {
		return nil, err // shipped templates are checked by their tests
	}
	// Contract is asked before the transaction opens, so no write lock is
	// held across a network call; a retry with the same request id still
	// answers the first result.
	contract, err := s.signedContract(ctx, in.GetContract())
	if err != nil {
		return nil, err
	}
	return sqlstore.Idempotent(ctx, s.db, transitionv1.TransitionService_CreateTransitionPlan_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*transitionv1.TransitionPlan, error) {
			now := timestamp(s.now())
			// Output-only fields of the input are ignored (AIP-203).
			p := &transitionv1.TransitionPlan{
				Name:         "transitionPlans/" + newID(),
				Contract:     contract.GetName(),
				Engagement:   contract.GetEngagement(),
				Provider:     contract.GetProvider(),
				Template:     tmpl.Name,
				StartDate:    in.GetStartDate(),
				TargetGoLive: in.GetTargetGoLive(),
				Holidays:     plan.Holidays(in.GetHolidays()),
				State:        transitionv1.PlanState_PLAN_STATE_DRAFT,
				CreateTime:   now,
				UpdateTime:   now,
			}
			if err := claimContract(ctx, tx, p); err != nil {
				return nil, err
			}
			ids := sequentialIDs(len(tmpl.Tasks))
			tasks, err := tmpl.Instantiate(p.GetName(), func(i int) string { return ids[i] })
			if err != nil {
				return nil, err
			}
			p.TasksTotal, p.TasksFinished = plan.Count(tasks)
			if err := docstore.Insert(ctx, tx, p.GetName(), p, plan.PlanFacets(p)); err != nil {
				return nil, err
			}
			if err := audit.Record(ctx, tx, p.GetName(), req.GetRequestId(), nil, p); err != nil {
				return nil, err
			}
			for _, t := range tasks {
				if err := docstore.Insert(ctx, tx, t.GetName(), t, plan.TaskFacets(t)); err != nil {
					return nil, err
				}
				if err := audit.Record(ctx, tx, t.GetName(), req.GetRequestId(), nil, t); err != nil {
					return nil, err
				}
			}
			return p, nil
		})
}

// signedContract asks contract, with the caller's token, for the contract
// name and refuses unless it is SIGNED: the gate of step 5. spec:
// README.md, "transition calls contract to check that the contract is
// signed before a plan starts"; a contract service that is down is
// UNAVAILABLE (kit/downstream), a missing contract NOT_FOUND as contract
// says.
func (s *Server) signedContract(ctx context.Context, name string) (*contractv1.Contract, error) {
	c, err := s.contract.GetContract(ctx, &contractv1.GetContractRequest{Name: name})
	if err != nil {
		return nil, err
	}
	if c.GetState() != contractv1.ContractState_CONTRACT_STATE_SIGNED {
		return nil, apperr.New(apperr.FailedPrecondition, "%s is %s, not SIGNED: both parties must sign before a transition plan starts",
			name, strings.TrimPrefix(c.GetState().String(), "CONTRACT_STATE_"))
	}
	return c, nil
}

// planOf is the name of the document that holds a contract's one plan.
// Its unique name makes two plans for one contract impossible on either
// database, even when two requests race, which a look-up alone would not.
func planOf(contract string) string { return contract + "/transitionPlan" }

// claimContract records p as its contract's plan, or answers ALREADY_EXISTS
// naming the plan there is. spec: transition.md, "One plan per contract".
func claimContract(ctx context.Context, tx *sqlstore.Tx, p *transitionv1.TransitionPlan) error {
	name := planOf(p.GetContract())
	held := &transitionv1.TransitionPlan{}
	_, err := docstore.Get(ctx, tx, name, held)
	switch {
	case err == nil:
		return apperr.New(apperr.AlreadyExists, "%s already has a transition plan, %s; a contract has one plan: edit that one", p.GetContract(), held.GetName())
	case apperr.KindOf(err) != apperr.NotFound:
		return err
	}
	if err := docstore.Insert(ctx, tx, name, &transitionv1.TransitionPlan{Name: p.GetName()}, nil); err != nil {
		if apperr.KindOf(err) == apperr.AlreadyExists {
			return apperr.New(apperr.AlreadyExists, "%s already has a transition plan, created meanwhile; list the plans of the contract and edit that one", p.GetContract())
		}
		return err
	}
	return nil
}

// loadPlan reads the plan name into p, keeping a provider user to its own
// provider's plans. For such a user another provider's plan and a missing
// one are answered alike, PERMISSION_DENIED, so nothing is learnt about
// plans it may not see (AIP-211).
func loadPlan(ctx context.Context, tx *sqlstore.Tx, name string, p *transitionv1.TransitionPlan) (sqlstore.Version, error) {
	v, err := docstore.Get(ctx, tx, name, p)
	caller := auth.FromContext(ctx)
	if caller.IsProviderOnly() && (apperr.KindOf(err) == apperr.NotFound || err == nil && p.GetProvider() != caller.Provider) {
		return v, apperr.New(apperr.PermissionDenied, "a provider user may access only its own provider's (%s) transition plans", caller.Provider)
	}
	return v, err
}

// maxTasks bounds a plan's tasks; the schedule must answer in well under
// 100 ms for 2 000 (spec: transition.md, "Schedule").
const maxTasks = 5000

// loadTasks returns the tasks of the plan name in plan order.
func loadTasks(ctx context.Context, tx *sqlstore.Tx, name string) ([]*transitionv1.Task, error) {
	return docstore.List(ctx, tx, docstore.Query{Kind: "tasks", Parent: name, Limit: maxTasks + 1},
		func() *transitionv1.Task { return &transitionv1.Task{} })
}

// GetTransitionPlan implements transitionv1.TransitionServiceServer.
func (s *Server) GetTransitionPlan(ctx context.Context, req *transitionv1.GetTransitionPlanRequest) (*transitionv1.TransitionPlan, error) {
	p := &transitionv1.TransitionPlan{}
	err := s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		_, err := loadPlan(ctx, tx, req.GetName(), p)
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// ListTransitionPlans implements transitionv1.TransitionServiceServer.
func (s *Server) ListTransitionPlans(ctx context.Context, req *transitionv1.ListTransitionPlansRequest) (*transitionv1.ListTransitionPlansResponse, error) {
	filter, err := listing.ParseFilter(req.GetFilter(), plan.PlanFilterFields...)
	if err != nil {
		return nil, err
	}
	for i := range filter {
		filter[i].Value = plan.NormalizePlanValue(filter[i].Field, filter[i].Value)
	}
	if caller := auth.FromContext(ctx); caller.IsProviderOnly() {
		filter = append(filter, listing.Term{Field: "provider", Op: listing.Equal, Value: caller.Provider})
	}
	q := docstore.Query{Kind: "transitionPlans", Terms: filter}
	resp := &transitionv1.ListTransitionPlansResponse{}
	err = s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		resp.TransitionPlans, resp.NextPageToken, err = docstore.Page(ctx, tx, q, req.GetPageSize(), req.GetPageToken(), req.GetFilter(),
			func() *transitionv1.TransitionPlan { return &transitionv1.TransitionPlan{} }, (*transitionv1.TransitionPlan).GetName)
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// StartTransitionPlan implements transitionv1.TransitionServiceServer.
func (s *Server) StartTransitionPlan(ctx context.Context, req *transitionv1.StartTransitionPlanRequest) (*transitionv1.TransitionPlan, error) {
	return sqlstore.RetryConflicts(ctx, func() (*transitionv1.TransitionPlan, error) {
		return sqlstore.Idempotent(ctx, s.db, transitionv1.TransitionService_StartTransitionPlan_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*transitionv1.TransitionPlan, error) {
				before := &transitionv1.TransitionPlan{}
				v, err := loadPlan(ctx, tx, req.GetName(), before)
				if err != nil {
					return nil, err
				}
				if err := sqlstore.CheckETag(req.GetName(), req.GetEtag(), before.GetEtag()); err != nil {
					return nil, err
				}
				next, err := plan.NextPlanState(before, plan.StartPlan)
				if err != nil {
					return nil, err
				}
				tasks, err := loadTasks(ctx, tx, req.GetName())
				if err != nil {
					return nil, err
				}
				p := clone(before)
				p.State = next
				return s.settlePlan(ctx, tx, req.GetRequestId(), before, p, v, tasks)
			})
	})
}

// settlePlan brings p (a copy of before, read at v) up to date with its
// tasks — the counts, and CUTOVER_READY as the gates say — and writes it
// with its audit record when anything changed.
func (s *Server) settlePlan(ctx context.Context, tx *sqlstore.Tx, requestID string, before, p *transitionv1.TransitionPlan, v sqlstore.Version, tasks []*transitionv1.Task) (*transitionv1.TransitionPlan, error) {
	p.TasksTotal, p.TasksFinished = plan.Count(tasks)
	p.State = plan.Settle(p.GetState(), plan.Readiness(tasks).GetReady())
	if proto.Equal(before, p) {
		return p, nil
	}
	p.UpdateTime = timestamp(s.now())
	if err := docstore.Update(ctx, tx, p.GetName(), p, v, plan.PlanFacets(p)); err != nil {
		return nil, err
	}
	return p, audit.Record(ctx, tx, p.GetName(), requestID, before, p)
}

// CheckReadiness implements transitionv1.TransitionServiceServer.
func (s *Server) CheckReadiness(ctx context.Context, req *transitionv1.CheckReadinessRequest) (*transitionv1.Readiness, error) {
	var tasks []*transitionv1.Task
	err := s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		if _, err := loadPlan(ctx, tx, req.GetName(), &transitionv1.TransitionPlan{}); err != nil {
			return err
		}
		var err error
		tasks, err = loadTasks(ctx, tx, req.GetName())
		return err
	})
	if err != nil {
		return nil, err
	}
	return plan.Readiness(tasks), nil
}
