package transition

import (
	"context"
	"strings"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/transition/plan"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// ClosePlan implements transitionv1.TransitionServiceServer. spec:
// transition.md, state "LIVE → CLOSED (after hypercare)" and "Hypercare
// tasks follow; ClosePlan ends it": only a LIVE plan, and only when every
// HYPERCARE task is DONE or SKIPPED. Nothing is asked of contract: the
// contract runs on after its transition ends.
func (s *Server) ClosePlan(ctx context.Context, req *transitionv1.ClosePlanRequest) (*transitionv1.TransitionPlan, error) {
	name, err := names.Parse[transitionv1.TransitionPlanResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	return sqlstore.RetryConflicts(ctx, func() (*transitionv1.TransitionPlan, error) {
		return sqlstore.Idempotent(ctx, s.db, transitionv1.TransitionService_ClosePlan_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*transitionv1.TransitionPlan, error) {
				before, v, err := loadPlan(ctx, tx, name, req.GetEtag())
				if err != nil {
					return nil, err
				}
				next, err := plan.NextPlanState(before, plan.Close)
				if err != nil {
					return nil, err
				}
				tasks, err := loadTasks(ctx, tx, name)
				if err != nil {
					return nil, err
				}
				if err := plan.CheckHypercareFinished(before.GetName(), tasks); err != nil {
					return nil, err
				}
				return s.endPlan(ctx, tx, req.GetRequestId(), before, v, next, "")
			})
	})
}

// AbortPlan implements transitionv1.TransitionServiceServer. spec:
// transition.md, state "ABORTED with a reason".
//
// Only before go-live (DRAFT, ACTIVE, CUTOVER_READY): a LIVE plan's
// service has commenced, and ending it is the contract's business.
//
// The contract is released: its claim document (claimContract) is deleted
// in the same transaction, so CreateTransitionPlan can make a new plan for
// the same signed contract — abandoning a plan is how a transition is
// restarted, and the contract is still SIGNED and unused. The aborted plan
// stays, readable and listed with its reason, and its tasks freeze
// (CheckEditable, CheckWorking); the claim's deletion is audited too.
//
// A plan whose cutover is half done — contract already records the
// service commencement, the plan not yet LIVE (see CompleteCutover) — is
// not aborted: the cutover must be completed by calling it again. Contract
// is asked before the transaction opens, so no write lock is held across
// a network call.
func (s *Server) AbortPlan(ctx context.Context, req *transitionv1.AbortPlanRequest) (*transitionv1.TransitionPlan, error) {
	name, err := names.Parse[transitionv1.TransitionPlanResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	reason := strings.TrimSpace(req.GetReason())
	if reason == "" {
		return nil, apperr.Invalid(apperr.FieldViolation{Field: "reason", Description: "is required: say why the plan is abandoned"})
	}
	var current *transitionv1.TransitionPlan
	if err := s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		current, _, err = loadPlan(ctx, tx, name, "")
		return err
	}); err != nil {
		return nil, err
	}
	// A plan already ABORTED skips the remote check: a retry of the abort
	// that made it so is answered by sqlstore.Idempotent, any other call is
	// refused there by the state machine.
	if _, err := plan.NextPlanState(current, plan.Abort); err == nil {
		if err := s.checkNotCommenced(ctx, current); err != nil {
			return nil, err
		}
	}
	return sqlstore.RetryConflicts(ctx, func() (*transitionv1.TransitionPlan, error) {
		return sqlstore.Idempotent(ctx, s.db, transitionv1.TransitionService_AbortPlan_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*transitionv1.TransitionPlan, error) {
				before, v, err := loadPlan(ctx, tx, name, req.GetEtag())
				if err != nil {
					return nil, err
				}
				next, err := plan.NextPlanState(before, plan.Abort)
				if err != nil {
					return nil, err
				}
				if err := releaseContract(ctx, tx, req.GetRequestId(), before); err != nil {
					return nil, err
				}
				return s.endPlan(ctx, tx, req.GetRequestId(), before, v, next, reason)
			})
	})
}

// checkNotCommenced refuses to abort p when its contract already records
// the service commencement: a cutover whose contract half succeeded.
func (s *Server) checkNotCommenced(ctx context.Context, p *transitionv1.TransitionPlan) error {
	c, err := s.contract.GetContract(ctx, &contractv1.GetContractRequest{Name: p.GetContract()})
	if err != nil {
		return err
	}
	d := c.GetServiceCommencementDate()
	if d == nil {
		return nil
	}
	day, _ := plan.Day(d)
	return apperr.New(apperr.FailedPrecondition, "cannot abort %s: %s already records service commencement on %s, so the cutover is under way; complete it (CompleteCutover)",
		p.GetName(), c.GetName(), day.Format(time.DateOnly))
}

// releaseContract deletes p's contract's claim (planClaim), with its audit
// record, when p holds it, so that the contract may get a new plan.
func releaseContract(ctx context.Context, tx *sqlstore.Tx, requestID string, p *transitionv1.TransitionPlan) error {
	var contract contractv1.ContractResourceName
	if err := contract.UnmarshalString(p.GetContract()); err != nil {
		return apperr.New(apperr.Internal, "%s holds the contract %q: %v", p.GetName(), p.GetContract(), err)
	}
	name := planClaim(contract)
	held, v, err := planClaims.Get(ctx, tx, name)
	switch {
	case apperr.KindOf(err) == apperr.NotFound:
		return nil // cannot happen: a plan that is not over holds its claim
	case err != nil:
		return err
	case held.GetName() != p.GetName():
		return nil // cannot happen either: one plan per contract holds it
	}
	if err := planClaims.Delete(ctx, tx, name, v); err != nil {
		return err
	}
	return audit.Record(ctx, tx, name, requestID, held, nil)
}

// endPlan writes before (read at v) in its final state next, with reason
// and the end time, and its audit record.
func (s *Server) endPlan(ctx context.Context, tx *sqlstore.Tx, requestID string, before *transitionv1.TransitionPlan, v sqlstore.Version, next transitionv1.PlanState, reason string) (*transitionv1.TransitionPlan, error) {
	now := timestamppb.New(s.now())
	p := proto.CloneOf(before)
	p.State, p.StateReason, p.EndTime, p.UpdateTime = next, reason, now, now
	if err := planDocs.Update(ctx, tx, p.GetName(), p, v); err != nil {
		return nil, err
	}
	return p, audit.Record(ctx, tx, p.GetName(), requestID, before, p)
}
