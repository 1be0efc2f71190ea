package transition

import (
	"context"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/transition/plan"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// CompleteCutover implements transitionv1.TransitionServiceServer.
//
// spec: transition.md, "Cutover": every readiness gate must pass; the plan
// becomes LIVE and the service commencement date is recorded on the
// contract, from which monitoring evaluates periods.
//
// The two writes live in two services, so they cannot share a transaction.
// The remote one goes first and the local one after, because that order
// fails safe and a plain retry completes it:
//   - contract refuses first (not SIGNED, a date after the term): nothing
//     was written anywhere and the plan stays as it was;
//   - contract recorded the date but the local write failed (a crash, a
//     lost race): the plan is still ACTIVE, so the cutover can simply be
//     called again; contract answers a second recording of the same date
//     as a no-op, and without an explicit date the retry reuses the date
//     already on the contract rather than "today", which may have moved on.
//
// The other order could leave a LIVE plan whose contract never commenced,
// which monitoring would never evaluate, with no retry to mend it (a LIVE
// plan cannot cut over again).
func (s *Server) CompleteCutover(ctx context.Context, req *transitionv1.CompleteCutoverRequest) (*transitionv1.TransitionPlan, error) {
	name, err := names.Parse[transitionv1.TransitionPlanResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	if d := req.GetCommencementDate(); d != nil {
		if _, ok := plan.Day(d); !ok {
			return nil, apperr.Invalid(apperr.FieldViolation{Field: "commencement_date", Description: "is not a calendar date"})
		}
	}
	s.reconcileTermination(ctx, name)
	var current *transitionv1.TransitionPlan
	var cutoverErr error
	err = s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		var err error
		current, _, err = loadPlan(ctx, tx, name, req.GetEtag())
		if apperr.KindOf(err) == apperr.Aborted && current.GetState() == transitionv1.PlanState_PLAN_STATE_LIVE {
			err = nil // perhaps this very cutover made it LIVE: see below
		}
		if err != nil {
			return err
		}
		if current.GetState() == transitionv1.PlanState_PLAN_STATE_LIVE {
			return nil
		}
		tasks, err := loadTasks(ctx, tx, name)
		if err != nil {
			return err
		}
		cutoverErr, err = checkCutover(ctx, tx, current, tasks)
		return err
	})
	if err != nil {
		return nil, err
	}
	var day *date.Date
	// A plan already LIVE skips the checks and the remote call: a retry with
	// the request id of the cutover that made it LIVE is answered with that
	// result by sqlstore.Idempotent below, any other call is refused there.
	if current.GetState() != transitionv1.PlanState_PLAN_STATE_LIVE {
		if cutoverErr != nil {
			return nil, cutoverErr
		}
		if day, err = s.commencementDate(ctx, current, req.GetCommencementDate()); err != nil {
			return nil, err
		}
		if _, err := s.contract.RecordServiceCommencement(ctx, &contractv1.RecordServiceCommencementRequest{
			Name:             current.GetContract(),
			CommencementDate: day,
			TransitionPlan:   current.GetName(),
			RequestId:        req.GetRequestId(),
		}); err != nil {
			return nil, err
		}
	}
	return sqlstore.RetryConflicts(ctx, func() (*transitionv1.TransitionPlan, error) {
		return sqlstore.Idempotent(ctx, s.db, transitionv1.TransitionService_CompleteCutover_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*transitionv1.TransitionPlan, error) {
				// Read and checked again: the plan may have changed since it
				// was read. If it did, the contract has commenced and the plan
				// waits for the retry that the refusal asks for.
				before, v, err := loadPlan(ctx, tx, name, req.GetEtag())
				if err != nil {
					return nil, err
				}
				tasks, err := loadTasks(ctx, tx, name)
				if err != nil {
					return nil, err
				}
				refusal, err := checkCutover(ctx, tx, before, tasks)
				if err != nil {
					return nil, err
				}
				if refusal != nil {
					return nil, refusal
				}
				p := proto.CloneOf(before)
				p.State, p.CommencementDate = transitionv1.PlanState_PLAN_STATE_LIVE, day
				p.UpdateTime = timestamppb.New(s.now())
				if err := planDocs.Update(ctx, tx, p.GetName(), p, v); err != nil {
					return nil, err
				}
				return p, audit.Record(ctx, tx, p.GetName(), req.GetRequestId(), before, p)
			})
	})
}

// checkCutover checks what a cutover of p needs (its etag is checked when
// it is read): a state that can cut over (CUTOVER_READY), and every
// readiness gate, evaluated again rather than trusted from the state. The
// first result is the refusal, the second a failure to read.
//
// An ACTIVE plan is ACTIVE because a gate fails, so its refusal names the
// gates and what is missing rather than only the state.
func checkCutover(ctx context.Context, tx *sqlstore.Tx, p *transitionv1.TransitionPlan, tasks []*transitionv1.Task) (error, error) {
	if _, err := plan.NextPlanState(p, plan.Cutover); err != nil && p.GetState() != transitionv1.PlanState_PLAN_STATE_ACTIVE {
		return err, nil
	}
	f, err := loadFacts(ctx, tx, p, tasks)
	if err != nil {
		return nil, err
	}
	if err := plan.CheckReady(p.GetName(), plan.Readiness(f)); err != nil {
		return err, nil
	}
	// Every gate passes but the plan is still ACTIVE: it has not been
	// settled since (cannot happen: every change settles it).
	_, err = plan.NextPlanState(p, plan.Cutover)
	return err, nil
}

// commencementDate is the service commencement date of a cutover of p: the
// one requested (not before the plan's start); else the one already on
// the contract, recorded by an earlier attempt of this cutover; else
// today in the contract's service time zone, where periods are measured.
func (s *Server) commencementDate(ctx context.Context, p *transitionv1.TransitionPlan, requested *date.Date) (*date.Date, error) {
	if requested != nil {
		day, _ := plan.Day(requested)
		if start, ok := plan.Day(p.GetStartDate()); ok && day.Before(start) {
			return nil, apperr.Invalid(apperr.FieldViolation{Field: "commencement_date",
				Description: "is before the plan's start date " + start.Format(time.DateOnly) + "; service cannot commence before its transition started"})
		}
		return requested, nil
	}
	c, err := s.contract.GetContract(ctx, &contractv1.GetContractRequest{Name: p.GetContract()})
	if err != nil {
		return nil, err
	}
	if d := c.GetServiceCommencementDate(); d != nil {
		return d, nil
	}
	loc := time.UTC
	if tz := c.GetServiceTimeZone(); tz != "" {
		if loc, err = time.LoadLocation(tz); err != nil {
			return nil, apperr.New(apperr.FailedPrecondition, "the service time zone %q of %s is not known here; give the commencement_date explicitly", tz, c.GetName())
		}
	}
	return plan.DateOf(s.now().In(loc)), nil
}
