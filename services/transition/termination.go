package transition

import (
	"context"
	"fmt"
	"strings"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/protoenum"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/transition/plan"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
)

// A terminated contract ends its open plan: DRAFT, ACTIVE or CUTOVER_READY
// → ABORTED, with the termination as the reason. spec: README.md, the
// dependency graph is one-way (nothing calls transition), so contract
// cannot tell transition; transition looks instead, on every read of one
// plan and every write to it (reconcileTermination), before the call does
// its work: a plan is never changed, cut over or reported ready after its
// contract was terminated. A background sweep was not chosen: it would need
// an identity of its own to call contract with (services forward their
// callers' tokens and have none), and a plan nobody touches does no harm
// until someone does. ListTransitionPlans does not look (one call per plan
// listed); a listed plan shows its new state once it is next read.
//
// A LIVE plan is left alone: its service commenced, and the termination
// ends the service, not the transition's record of it (hypercare can still
// be closed).

// reconcileTermination aborts plan name when it is open and its contract
// is TERMINATED. It is best effort: when the plan cannot be read by the
// caller, or contract cannot be asked (down, or the caller may not read
// it), nothing happens here and the call goes on as before; the next call
// looks again.
func (s *Server) reconcileTermination(ctx context.Context, name transitionv1.TransitionPlanResourceName) {
	var p *transitionv1.TransitionPlan
	err := s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		var err error
		p, _, err = loadPlan(ctx, tx, name, "")
		return err
	})
	if err != nil || !open(p) {
		return
	}
	c, err := s.contract.GetContract(ctx, &contractv1.GetContractRequest{Name: p.GetContract()})
	if err != nil || c.GetState() != contractv1.ContractState_CONTRACT_STATE_TERMINATED {
		return
	}
	if _, err := s.abortForTermination(ctx, name, c); err != nil {
		zap.L().Warn("transition: aborting the plan of a terminated contract", zap.String("plan", name.String()), zap.Error(err))
	}
}

// open reports whether p may still be aborted.
func open(p *transitionv1.TransitionPlan) bool {
	_, err := plan.NextPlanState(p, plan.Abort)
	return err == nil
}

// TerminationReason is the reason an aborted plan of terminated contract c
// gives: "contracts/C was terminated effective 2026-03-31 (CAUSE): …".
func TerminationReason(c *contractv1.Contract) string {
	t := c.GetTermination()
	reason := fmt.Sprintf("%s was terminated", c.GetName())
	if d := t.GetEffectiveDate(); d != nil {
		reason += fmt.Sprintf(" effective %04d-%02d-%02d", d.GetYear(), d.GetMonth(), d.GetDay())
	}
	if t.GetReason() != contractv1.TerminationReason_TERMINATION_REASON_UNSPECIFIED {
		reason += " (" + protoenum.Short(t.GetReason()) + ")"
	}
	if e := strings.TrimSpace(t.GetExplanation()); e != "" {
		reason += ": " + e
	}
	return reason
}

// abortForTermination aborts plan name (when still open) for terminated
// contract c, releasing the contract's claim, with their audit records.
func (s *Server) abortForTermination(ctx context.Context, name transitionv1.TransitionPlanResourceName, c *contractv1.Contract) (*transitionv1.TransitionPlan, error) {
	return sqlstore.RetryConflicts(ctx, func() (*transitionv1.TransitionPlan, error) {
		var out *transitionv1.TransitionPlan
		err := s.db.Write(ctx, func(tx *sqlstore.Tx) error {
			before, v, err := planDocs.Get(ctx, tx, name.String())
			if err != nil {
				return err
			}
			if !open(before) || before.GetContract() != c.GetName() {
				out = before
				return nil
			}
			if err := releaseContract(ctx, tx, "", before); err != nil {
				return err
			}
			out, err = s.endPlan(ctx, tx, "", before, v, transitionv1.PlanState_PLAN_STATE_ABORTED, TerminationReason(c))
			return err
		})
		if err != nil {
			return nil, err
		}
		return proto.CloneOf(out), nil
	})
}
