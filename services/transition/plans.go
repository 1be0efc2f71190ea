package transition

import (
	"context"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/fieldmask"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/protoenum"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/transition/plan"
	"github.com/acme/bpo/services/transition/templates"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// CreateTransitionPlan implements transitionv1.TransitionServiceServer.
func (s *Server) CreateTransitionPlan(ctx context.Context, req *transitionv1.CreateTransitionPlanRequest) (*transitionv1.TransitionPlan, error) {
	in := proto.CloneOf(req.GetTransitionPlan())
	fieldmask.ClearOutputOnly(in)
	if err := plan.ValidateNew(in, "transition_plan", templates.Names()); err != nil {
		return nil, err
	}
	contractName, err := names.Parse[contractv1.ContractResourceName]("transition_plan.contract", in.GetContract())
	if err != nil {
		return nil, err
	}
	// Contract and catalog are asked before the transaction opens, so no
	// write lock is held across a network call; a retry with the same
	// request id still answers the first result.
	contract, err := s.signedContract(ctx, contractName)
	if err != nil {
		return nil, err
	}
	eng, err := s.engagementFacts(ctx, contract)
	if err != nil {
		return nil, err
	}
	tmplName := in.GetTemplate()
	if tmplName == "" {
		tmplName = templates.Choose(eng.office, eng.function)
	}
	tmpl, err := templates.Get(tmplName)
	if err != nil {
		return nil, err // shipped templates are checked by their tests
	}
	tmpl = tmpl.For(modelWord(eng.model))
	if in.GetTargetGoLive() == nil {
		in.TargetGoLive = scopeGoLive(in, eng.scope)
	}
	return sqlstore.Idempotent(ctx, s.db, transitionv1.TransitionService_CreateTransitionPlan_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*transitionv1.TransitionPlan, error) {
			now := timestamppb.New(s.now())
			name := transitionv1.TransitionPlanResourceName{TransitionPlan: names.NewID()}
			p := proto.CloneOf(in)
			p.Name = name.String()
			p.Engagement, p.Provider = contract.GetEngagement(), contract.GetProvider()
			p.Template = tmpl.Name
			p.Holidays = plan.Holidays(in.GetHolidays())
			p.ScopeRevision = eng.scope.GetRevision()
			p.ParallelRunWeeks = eng.scope.GetTransition().GetParallelRunWeeks()
			for _, i := range eng.scope.GetIntegrations() {
				p.Integrations = append(p.Integrations, i.GetSystem())
			}
			p.CriticalServiceLevels = plan.CriticalLevels(contract.GetServiceLevels())
			p.State = transitionv1.PlanState_PLAN_STATE_DRAFT
			p.CreateTime, p.UpdateTime = now, now
			if err := claimContract(ctx, tx, contractName, p); err != nil {
				return nil, err
			}
			ids := sequentialIDs(len(tmpl.Tasks))
			tasks, err := tmpl.Instantiate(name, func(i int) string { return ids[i] })
			if err != nil {
				return nil, err
			}
			p.TasksTotal, p.TasksFinished = plan.Count(tasks)
			if err := planDocs.Insert(ctx, tx, p.GetName(), p); err != nil {
				return nil, err
			}
			if err := audit.Record(ctx, tx, p.GetName(), req.GetRequestId(), nil, p); err != nil {
				return nil, err
			}
			for _, t := range tasks {
				if err := taskDocs.Insert(ctx, tx, t.GetName(), t); err != nil {
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
func (s *Server) signedContract(ctx context.Context, name contractv1.ContractResourceName) (*contractv1.Contract, error) {
	c, err := s.contract.GetContract(ctx, &contractv1.GetContractRequest{Name: name.String()})
	if err != nil {
		return nil, err
	}
	if st := c.GetState(); st != contractv1.ContractState_CONTRACT_STATE_SIGNED && st != contractv1.ContractState_CONTRACT_STATE_ACTIVE { // ACTIVE: signed, and its start date has come
		return nil, apperr.New(apperr.FailedPrecondition, "%s is %s, not SIGNED: both parties must sign before a transition plan starts",
			name, protoenum.Short(c.GetState()))
	}
	return c, nil
}

// engagement is what a new plan takes from catalog: the office and
// function of the engagement's first process (template), its collaboration
// model (which tasks apply), and the approved scope revision the award was
// made on (go-live, integrations, parallel-run weeks).
type engagement struct {
	office   catalogv1.Office
	function catalogv1.BusinessFunction
	model    catalogv1.CollaborationModel
	scope    *catalogv1.Scope
}

// engagementFacts asks catalog, with the caller's token, about contract's
// engagement. The scope read is the revision the sourcing event was
// published on (the approved one the award, and so the contract, rests
// on), or the latest when the engagement has no award on record.
func (s *Server) engagementFacts(ctx context.Context, contract *contractv1.Contract) (*engagement, error) {
	e, err := s.catalog.GetEngagement(ctx, &catalogv1.GetEngagementRequest{Name: contract.GetEngagement()})
	if err != nil {
		return nil, err
	}
	out := &engagement{model: e.GetCollaborationModel()}
	if ps := e.GetProcesses(); len(ps) > 0 {
		p, err := s.catalog.GetProcess(ctx, &catalogv1.GetProcessRequest{Name: ps[0]})
		if err != nil {
			return nil, err
		}
		out.office, out.function = p.GetOffice(), p.GetFunction()
	}
	var revision int64
	if ev := e.GetAward().GetSourcingEvent(); ev != "" {
		se, err := s.catalog.GetSourcingEvent(ctx, &catalogv1.GetSourcingEventRequest{Name: ev})
		if err != nil {
			return nil, err
		}
		revision = se.GetScopeRevision()
	}
	if out.scope, err = s.catalog.GetScope(ctx, &catalogv1.GetScopeRequest{Name: contract.GetEngagement() + "/scope", Revision: revision}); err != nil {
		return nil, err
	}
	return out, nil
}

// modelWord is a collaboration model as templates name it (COMPLETE), or
// "" when unset.
func modelWord(m catalogv1.CollaborationModel) string {
	if m == catalogv1.CollaborationModel_COLLABORATION_MODEL_UNSPECIFIED {
		return ""
	}
	return protoenum.Short(m)
}

// scopeGoLive is the scope's go-live date as a plan's default target,
// unless it is before the plan's start (then the plan has no target and
// the transition manager sets one).
func scopeGoLive(in *transitionv1.TransitionPlan, scope *catalogv1.Scope) *date.Date {
	goLive, ok := plan.Day(scope.GetTransition().GetGoLiveDate())
	if !ok {
		return nil
	}
	if start, ok := plan.Day(in.GetStartDate()); ok && goLive.Before(start) {
		return nil
	}
	return scope.GetTransition().GetGoLiveDate()
}

// claimContract records p as its contract's plan, or answers ALREADY_EXISTS
// naming the plan there is. spec: transition.md, "One plan per contract".
func claimContract(ctx context.Context, tx *sqlstore.Tx, contract contractv1.ContractResourceName, p *transitionv1.TransitionPlan) error {
	name := planClaim(contract)
	held, _, err := planClaims.Get(ctx, tx, name)
	switch {
	case err == nil:
		return apperr.New(apperr.AlreadyExists, "%s already has a transition plan, %s; a contract has one plan: edit that one", contract, held.GetName())
	case apperr.KindOf(err) != apperr.NotFound:
		return err
	}
	if err := planClaims.Insert(ctx, tx, name, &transitionv1.TransitionPlan{Name: p.GetName()}); err != nil {
		if apperr.KindOf(err) == apperr.AlreadyExists {
			return apperr.New(apperr.AlreadyExists, "%s already has a transition plan, created meanwhile; list the plans of the contract and edit that one", contract)
		}
		return err
	}
	return nil
}

// loadPlan reads the plan name, for a change when the caller sent an etag,
// keeping a provider user to its own provider's plans. For such a user
// another provider's plan and a missing one are answered alike,
// PERMISSION_DENIED, whatever the etag, so nothing is learnt about plans it
// may not see (AIP-211).
func loadPlan(ctx context.Context, tx *sqlstore.Tx, name transitionv1.TransitionPlanResourceName, etag string) (*transitionv1.TransitionPlan, sqlstore.Version, error) {
	p, v, err := planDocs.GetForChange(ctx, tx, name.String(), etag)
	caller := auth.FromContext(ctx)
	read := err == nil || apperr.KindOf(err) == apperr.Aborted
	if caller.IsProviderOnly() && (apperr.KindOf(err) == apperr.NotFound || read && p.GetProvider() != caller.Provider) {
		return p, v, apperr.New(apperr.PermissionDenied, "a provider user may access only its own provider's (%s) transition plans", caller.Provider)
	}
	return p, v, err
}

// maxTasks bounds a plan's tasks; the schedule must answer in well under
// 100 ms for 2 000 (spec: transition.md, "Schedule").
const maxTasks = 5000

// loadTasks returns the tasks of plan in plan order.
func loadTasks(ctx context.Context, tx *sqlstore.Tx, plan transitionv1.TransitionPlanResourceName) ([]*transitionv1.Task, error) {
	return taskDocs.List(ctx, tx, docstore.Query{Parent: plan.String(), Limit: maxTasks + 1})
}

// GetTransitionPlan implements transitionv1.TransitionServiceServer.
func (s *Server) GetTransitionPlan(ctx context.Context, req *transitionv1.GetTransitionPlanRequest) (*transitionv1.TransitionPlan, error) {
	name, err := names.Parse[transitionv1.TransitionPlanResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	s.reconcileTermination(ctx, name)
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*transitionv1.TransitionPlan, error) {
		p, _, err := loadPlan(ctx, tx, name, "")
		return p, err
	})
}

// UpdateTransitionPlan implements transitionv1.TransitionServiceServer.
// What may change: target_go_live, holidays (stored sorted, each once) and
// training_pass_threshold_bps at any time before the plan is over, and
// start_date only while it is DRAFT (day 0 of a schedule under way is
// history). A changed threshold may make the plan CUTOVER_READY or take it
// back to ACTIVE.
func (s *Server) UpdateTransitionPlan(ctx context.Context, req *transitionv1.UpdateTransitionPlanRequest) (*transitionv1.TransitionPlan, error) {
	in := req.GetTransitionPlan()
	name, err := names.Parse[transitionv1.TransitionPlanResourceName]("transition_plan.name", in.GetName())
	if err != nil {
		return nil, err
	}
	s.reconcileTermination(ctx, name)
	return sqlstore.RetryConflicts(ctx, func() (*transitionv1.TransitionPlan, error) {
		return sqlstore.Idempotent(ctx, s.db, transitionv1.TransitionService_UpdateTransitionPlan_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*transitionv1.TransitionPlan, error) {
				before, v, err := loadPlan(ctx, tx, name, in.GetEtag())
				if err != nil {
					return nil, err
				}
				if err := plan.CheckEditable(before); err != nil {
					return nil, err
				}
				p := proto.CloneOf(before)
				if err := fieldmask.Apply(p, in, req.GetUpdateMask().GetPaths(), "create a new plan for another contract or template", nil); err != nil {
					return nil, err
				}
				if err := plan.ValidateUpdate(before, p, "transition_plan"); err != nil {
					return nil, err
				}
				p.Holidays = plan.Holidays(p.GetHolidays())
				if proto.Equal(before, p) {
					return before, nil
				}
				tasks, err := loadTasks(ctx, tx, name)
				if err != nil {
					return nil, err
				}
				// One write, one audit record: the change and the state the
				// gates give it.
				return s.settlePlan(ctx, tx, req.GetRequestId(), before, p, v, tasks)
			})
	})
}

// ListTransitionPlans implements transitionv1.TransitionServiceServer.
func (s *Server) ListTransitionPlans(ctx context.Context, req *transitionv1.ListTransitionPlansRequest) (*transitionv1.ListTransitionPlansResponse, error) {
	q := docstore.Query{}
	if caller := auth.FromContext(ctx); caller.IsProviderOnly() {
		q.Terms = []listing.Term{{Field: "provider", Op: listing.Equal, Value: caller.Provider}}
	}
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*transitionv1.ListTransitionPlansResponse, error) {
		page, next, err := planDocs.Page(ctx, tx, req, q)
		return &transitionv1.ListTransitionPlansResponse{TransitionPlans: page, NextPageToken: next}, err
	})
}

// StartTransitionPlan implements transitionv1.TransitionServiceServer.
func (s *Server) StartTransitionPlan(ctx context.Context, req *transitionv1.StartTransitionPlanRequest) (*transitionv1.TransitionPlan, error) {
	name, err := names.Parse[transitionv1.TransitionPlanResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	s.reconcileTermination(ctx, name)
	return sqlstore.RetryConflicts(ctx, func() (*transitionv1.TransitionPlan, error) {
		return sqlstore.Idempotent(ctx, s.db, transitionv1.TransitionService_StartTransitionPlan_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*transitionv1.TransitionPlan, error) {
				before, v, err := loadPlan(ctx, tx, name, req.GetEtag())
				if err != nil {
					return nil, err
				}
				next, err := plan.NextPlanState(before, plan.StartPlan)
				if err != nil {
					return nil, err
				}
				tasks, err := loadTasks(ctx, tx, name)
				if err != nil {
					return nil, err
				}
				p := proto.CloneOf(before)
				p.State = next
				return s.settlePlan(ctx, tx, req.GetRequestId(), before, p, v, tasks)
			})
	})
}

// settlePlan brings p (a copy of before, read at v) up to date with its
// tasks and the other facts of its readiness (read in tx, so a change
// written before it in tx counts) — the counts, and CUTOVER_READY as the
// gates say — and writes it with its audit record when anything changed.
func (s *Server) settlePlan(ctx context.Context, tx *sqlstore.Tx, requestID string, before, p *transitionv1.TransitionPlan, v sqlstore.Version, tasks []*transitionv1.Task) (*transitionv1.TransitionPlan, error) {
	facts, err := loadFacts(ctx, tx, p, tasks)
	if err != nil {
		return nil, err
	}
	p.TasksTotal, p.TasksFinished = plan.Count(tasks)
	p.State = plan.Settle(p.GetState(), plan.Readiness(facts).GetReady())
	if proto.Equal(before, p) {
		return p, nil
	}
	p.UpdateTime = timestamppb.New(s.now())
	if err := planDocs.Update(ctx, tx, p.GetName(), p, v); err != nil {
		return nil, err
	}
	return p, audit.Record(ctx, tx, p.GetName(), requestID, before, p)
}

// maxItems bounds the knowledge items, training sessions and results a
// plan may have (each is read whole for the readiness gates).
const maxItems = 2000

// loadFacts reads what the readiness gates of p look at besides its tasks.
func loadFacts(ctx context.Context, tx *sqlstore.Tx, p *transitionv1.TransitionPlan, tasks []*transitionv1.Task) (plan.Facts, error) {
	f := plan.Facts{Plan: p, Tasks: tasks}
	q := docstore.Query{Parent: p.GetName(), Limit: maxItems + 1}
	var err error
	if f.Items, err = itemDocs.List(ctx, tx, q); err != nil {
		return f, err
	}
	if f.Sessions, err = sessionDocs.List(ctx, tx, q); err != nil {
		return f, err
	}
	f.Results, err = resultDocs.List(ctx, tx, q)
	return f, err
}

// CheckReadiness implements transitionv1.TransitionServiceServer.
func (s *Server) CheckReadiness(ctx context.Context, req *transitionv1.CheckReadinessRequest) (*transitionv1.Readiness, error) {
	name, err := names.Parse[transitionv1.TransitionPlanResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	s.reconcileTermination(ctx, name)
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*transitionv1.Readiness, error) {
		p, tasks, err := planAndTasks(ctx, tx, name)
		if err != nil {
			return nil, err
		}
		f, err := loadFacts(ctx, tx, p, tasks)
		if err != nil {
			return nil, err
		}
		return plan.Readiness(f), nil
	})
}
