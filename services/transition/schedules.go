package transition

import (
	"context"
	"time"

	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/transition/plan"
	"github.com/acme/bpo/services/transition/schedule"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// GetSchedule implements transitionv1.TransitionServiceServer.
func (s *Server) GetSchedule(ctx context.Context, req *transitionv1.GetScheduleRequest) (*transitionv1.Schedule, error) {
	sched, err := names.Parse[transitionv1.ScheduleResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	name := sched.TransitionPlanResourceName()
	asOf, err := asOfDate(req.GetAsOf())
	if err != nil {
		return nil, err
	}
	s.reconcileTermination(ctx, name)
	_, _, out, err := s.schedule(ctx, name, asOf)
	return out, err
}

// asOfDate checks a requested status date; zero when none.
func asOfDate(d *date.Date) (time.Time, error) {
	if d == nil {
		return time.Time{}, nil
	}
	t, ok := plan.Day(d)
	if !ok {
		return time.Time{}, apperr.Invalid(apperr.FieldViolation{Field: "as_of", Description: "is not a full calendar date"})
	}
	return t, nil
}

// schedule reads plan name (kept to a provider user's own) with its tasks
// and latest baseline, and computes its schedule as of asOf (zero: none);
// it answers the plan and tasks it read too (ExportSchedule shows them).
func (s *Server) schedule(ctx context.Context, name transitionv1.TransitionPlanResourceName, asOf time.Time) (*transitionv1.TransitionPlan, []*transitionv1.Task, *transitionv1.Schedule, error) {
	var (
		p     *transitionv1.TransitionPlan
		tasks []*transitionv1.Task
		out   *transitionv1.Schedule
	)
	err := s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		var err error
		if p, tasks, err = planAndTasks(ctx, tx, name); err != nil {
			return err
		}
		base, _, err := baselines.Get(ctx, tx, baselineOf(name))
		if apperr.KindOf(err) == apperr.NotFound {
			base = nil
		} else if err != nil {
			return err
		}
		out, err = computeSchedule(name, p, tasks, base, asOf)
		return err
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return p, tasks, out, nil
}

// SaveBaseline implements transitionv1.TransitionServiceServer.
func (s *Server) SaveBaseline(ctx context.Context, req *transitionv1.SaveBaselineRequest) (*transitionv1.Schedule, error) {
	planName, err := names.Parse[transitionv1.TransitionPlanResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	return sqlstore.Idempotent(ctx, s.db, transitionv1.TransitionService_SaveBaseline_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
		func(tx *sqlstore.Tx) (*transitionv1.Schedule, error) {
			p, tasks, err := planAndTasks(ctx, tx, planName)
			if err != nil {
				return nil, err
			}
			now, err := computeSchedule(planName, p, tasks, nil, time.Time{})
			if err != nil {
				return nil, err
			}
			now.BaselineTime = timestamppb.New(s.now())
			name := baselineOf(planName)
			before, v, err := baselines.Get(ctx, tx, name)
			switch {
			case apperr.KindOf(err) == apperr.NotFound:
				before = nil
				err = baselines.Insert(ctx, tx, name, now)
			case err == nil:
				err = baselines.Update(ctx, tx, name, now, v)
			}
			if err != nil {
				return nil, err
			}
			if err := audit.Record(ctx, tx, name, req.GetRequestId(), before, now); err != nil {
				return nil, err
			}
			// The answer is the schedule as GetSchedule shows it from now on:
			// every task on its baseline, variance 0.
			return computeSchedule(planName, p, tasks, now, time.Time{})
		})
}

// planAndTasks reads the plan name (kept to a provider user's own) and its
// tasks in plan order.
func planAndTasks(ctx context.Context, tx *sqlstore.Tx, name transitionv1.TransitionPlanResourceName) (*transitionv1.TransitionPlan, []*transitionv1.Task, error) {
	p, _, err := loadPlan(ctx, tx, name, "")
	if err != nil {
		return nil, nil, err
	}
	tasks, err := loadTasks(ctx, tx, name)
	return p, tasks, err
}

// computeSchedule translates the plan name, p, and its tasks for the
// schedule package, and its result into a Schedule, with each task's
// variance against base when there is one (nil: no baseline), as of the
// status date asOf (zero: none).
func computeSchedule(name transitionv1.TransitionPlanResourceName, p *transitionv1.TransitionPlan, tasks []*transitionv1.Task, base *transitionv1.Schedule, asOf time.Time) (*transitionv1.Schedule, error) {
	start, _ := plan.Day(p.GetStartDate()) // checked at creation
	var holidays []time.Time
	for _, h := range p.GetHolidays() {
		if t, ok := plan.Day(h); ok {
			holidays = append(holidays, t)
		}
	}
	cal := schedule.NewCalendar(start, holidays)
	in := make([]schedule.Task, len(tasks))
	for i, t := range tasks {
		st := schedule.Task{
			ID:       t.GetName(),
			Duration: int(t.GetDurationDays()),
			Cutover:  t.GetPhase() == transitionv1.Phase_PHASE_CUTOVER,
			Skipped:  t.GetState() == transitionv1.TaskState_TASK_STATE_SKIPPED,
		}
		for _, d := range t.GetDependsOn() {
			st.Deps = append(st.Deps, schedule.Dep{ID: d.GetTask(), Lag: int(d.GetLagDays()), Type: depType(d.GetType())})
		}
		// Actual times are instants; the schedule counts days, and takes the
		// day each fell on in UTC (the plan has no time zone of its own).
		if t.GetActualStart() != nil {
			st.ActualStart = t.GetActualStart().AsTime().UTC()
		}
		if t.GetActualFinish() != nil {
			st.ActualFinish = t.GetActualFinish().AsTime().UTC()
		}
		in[i] = st
	}
	r, err := schedule.ComputeWith(cal, in, schedule.Options{AsOf: asOf})
	if err != nil {
		return nil, err // the graph is kept acyclic and closed when written: a bug
	}

	var baseline map[string]*transitionv1.ScheduledTask
	out := &transitionv1.Schedule{Name: name.ScheduleResourceName().String(), FinishDate: plan.DateOf(r.Finish)}
	if !asOf.IsZero() {
		out.AsOf = plan.DateOf(asOf)
	}
	if base != nil {
		out.BaselineTime = base.GetBaselineTime()
		baseline = make(map[string]*transitionv1.ScheduledTask, len(base.GetTasks()))
		for _, bt := range base.GetTasks() {
			baseline[bt.GetTask()] = bt
		}
	}
	for i, slot := range r.Tasks {
		st := &transitionv1.ScheduledTask{
			Task:           tasks[i].GetName(),
			Title:          tasks[i].GetTitle(),
			State:          tasks[i].GetState(),
			EarliestStart:  plan.DateOf(slot.EarlyStart),
			EarliestFinish: plan.DateOf(slot.EarlyFinish),
			LatestStart:    plan.DateOf(slot.LateStart),
			LatestFinish:   plan.DateOf(slot.LateFinish),
			SlackDays:      int32(slot.Slack),
			Critical:       slot.Critical,
		}
		if bt := baseline[st.GetTask()]; bt != nil {
			st.BaselineStart, st.BaselineFinish = bt.GetEarliestStart(), bt.GetEarliestFinish()
			if bf, ok := plan.Day(bt.GetEarliestFinish()); ok {
				st.VarianceDays = proto.Int32(int32(cal.Between(bf, slot.EarlyFinish)))
			}
		}
		out.Tasks = append(out.Tasks, st)
	}
	if r.GoLive < 0 {
		return out, nil // a plan without tasks has nothing to forecast
	}
	for _, i := range r.CriticalPath {
		out.CriticalPath = append(out.CriticalPath, tasks[i].GetName())
	}
	out.GoLiveTask = tasks[r.GoLive].GetName()
	out.ForecastGoLive = plan.DateOf(r.Forecast)
	if target, ok := plan.Day(p.GetTargetGoLive()); ok {
		out.SlipDays = proto.Int32(int32(cal.Between(target, r.Forecast)))
	}
	return out, nil
}

// depType is a dependency type as the schedule package counts it.
func depType(t transitionv1.DependencyType) schedule.DepType {
	switch t {
	case transitionv1.DependencyType_DEPENDENCY_TYPE_START_TO_START:
		return schedule.SS
	case transitionv1.DependencyType_DEPENDENCY_TYPE_FINISH_TO_FINISH:
		return schedule.FF
	case transitionv1.DependencyType_DEPENDENCY_TYPE_START_TO_FINISH:
		return schedule.SF
	}
	return schedule.FS
}
