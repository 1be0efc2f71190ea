package transition_test

import (
	"context"
	"testing"
	"time"

	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/services/testenv"
	"github.com/acme/bpo/services/transition/plan"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

// spec: transition.md, "Schedule (GetSchedule)" — the critical path over
// working days with holidays, the forecast go-live and its slip, the
// re-forecast from actual dates, and baselines with variance; the domain's
// numbers are worked by hand in schedule/schedule_test.go, this checks them
// through the API on the shipped front-office template.
func TestSchedule(t *testing.T) {
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		t.Run("critical path, holidays and slip", func(t *testing.T) { scheduleHolidays(t, e) })
		t.Run("baseline and re-forecast", func(t *testing.T) { scheduleBaseline(t, e) })
	})
}

// startMonday is the Monday ten weeks before today (UTC): a plan started
// then whose kick-off finishes today has slipped by weeks.
func startMonday() time.Time {
	d := time.Now().UTC().AddDate(0, 0, -70)
	d = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

func newPlan(t *testing.T, e *testenv.Env, start time.Time, holidays ...*date.Date) *transitionv1.TransitionPlan {
	t.Helper()
	s := e.SignedContract(t)
	p, err := e.Transition.CreateTransitionPlan(e.AsRole(t, auth.TransitionManager), &transitionv1.CreateTransitionPlanRequest{TransitionPlan: &transitionv1.TransitionPlan{
		Contract: s.Contract.GetName(), StartDate: plan.DateOf(start), TargetGoLive: plan.DateOf(start.AddDate(0, 0, 182)), Holidays: holidays,
	}})
	must(t, err)
	return p
}

func getSchedule(t *testing.T, e *testenv.Env, ctx context.Context, p *transitionv1.TransitionPlan) *transitionv1.Schedule {
	t.Helper()
	s, err := e.Transition.GetSchedule(ctx, &transitionv1.GetScheduleRequest{Name: p.GetName() + "/schedule"})
	must(t, err)
	return s
}

func scheduleHolidays(t *testing.T, e *testenv.Env) {
	start := startMonday()
	auditor := e.AsRole(t, auth.Auditor)

	// A holiday that is not a date is refused on its own field.
	_, err := e.Transition.CreateTransitionPlan(e.AsRole(t, auth.TransitionManager), &transitionv1.CreateTransitionPlanRequest{TransitionPlan: &transitionv1.TransitionPlan{
		Contract: "contracts/ANY", StartDate: plan.DateOf(start), Holidays: []*date.Date{plan.DateOf(start), {Year: 2026, Month: 2, Day: 30}},
	}})
	wantViolations(t, err, "transition_plan.holidays[1]")

	p1 := newPlan(t, e, start)
	s1 := getSchedule(t, e, auditor, p1)
	tasks := byName(s1.GetTasks())
	goLive := tasks[s1.GetGoLiveTask()]
	if s1.GetName() != p1.GetName()+"/schedule" || len(s1.GetTasks()) != 41 || goLive.GetTitle() != "Service commencement (go-live)" {
		t.Fatalf("schedule %s of %d tasks, go-live %q", s1.GetName(), len(s1.GetTasks()), goLive.GetTitle())
	}
	// The critical path runs from the kick-off on the start date to the
	// go-live milestone, every task on it without slack.
	path := s1.GetCriticalPath()
	if first := tasks[path[0]]; first.GetTitle() != "Transition kick-off" || !proto.Equal(first.GetEarliestStart(), plan.DateOf(start)) || path[len(path)-1] != s1.GetGoLiveTask() {
		t.Fatalf("critical path %v: want it from the kick-off on %v to the go-live", path, plan.DateOf(start))
	}
	for _, name := range path {
		if task := tasks[name]; task.GetSlackDays() != 0 || !task.GetCritical() || !proto.Equal(task.GetEarliestStart(), task.GetLatestStart()) {
			t.Fatalf("critical task %v", task)
		}
	}
	if !proto.Equal(s1.GetForecastGoLive(), goLive.GetEarliestStart()) || s1.SlipDays == nil || s1.GetBaselineTime() != nil || goLive.VarianceDays != nil {
		t.Fatalf("schedule forecast %v slip %v baseline %v: want the go-live's date, a slip and no baseline", s1.GetForecastGoLive(), s1.SlipDays, s1.GetBaselineTime())
	}
	someSlack := false
	for _, task := range s1.GetTasks() {
		someSlack = someSlack || task.GetSlackDays() > 0 && !task.GetCritical()
		if day, _ := plan.Day(task.GetEarliestStart()); day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
			t.Fatalf("task %q starts on a %s", task.GetTitle(), day.Weekday())
		}
	}
	if !someSlack {
		t.Fatal("no task of the front-office template has slack: the parallel branches are missing")
	}

	// The same plan with its start date a holiday (and a Saturday holiday,
	// which changes nothing) starts a working day later, so every date moves
	// one working day and the slip grows by one.
	saturday := plan.DateOf(start.AddDate(0, 0, 12))
	p2 := newPlan(t, e, start, saturday, plan.DateOf(start), plan.DateOf(start))
	if len(p2.GetHolidays()) != 2 || !proto.Equal(p2.GetHolidays()[0], plan.DateOf(start)) {
		t.Fatalf("holidays %v: want the two dates in order, each once", p2.GetHolidays())
	}
	s2 := getSchedule(t, e, auditor, p2)
	want, _ := plan.Day(s1.GetForecastGoLive())
	want = want.AddDate(0, 0, 1)
	for want.Weekday() == time.Saturday || want.Weekday() == time.Sunday {
		want = want.AddDate(0, 0, 1)
	}
	if !proto.Equal(s2.GetForecastGoLive(), plan.DateOf(want)) || s2.GetSlipDays() != s1.GetSlipDays()+1 {
		t.Fatalf("with the start a holiday: forecast %v slip %d, want %v slip %d", s2.GetForecastGoLive(), s2.GetSlipDays(), plan.DateOf(want), s1.GetSlipDays()+1)
	}
	if first := byName(s2.GetTasks())[s2.GetCriticalPath()[0]]; !proto.Equal(first.GetEarliestStart(), plan.DateOf(start.AddDate(0, 0, 1))) {
		t.Fatalf("kick-off on %v, want the Tuesday", first.GetEarliestStart())
	}

	// Provider isolation as for the plan: its own provider reads it, another
	// cannot, and a missing plan looks the same.
	_, err = e.Transition.GetSchedule(e.AsProvider(t, p1.GetProvider()), &transitionv1.GetScheduleRequest{Name: p1.GetName() + "/schedule"})
	must(t, err)
	_, err = e.Transition.GetSchedule(e.AsProvider(t, "providers/OTHER"), &transitionv1.GetScheduleRequest{Name: p1.GetName() + "/schedule"})
	wantCode(t, err, codes.PermissionDenied)
	_, err = e.Transition.GetSchedule(auditor, &transitionv1.GetScheduleRequest{Name: "transitionPlans/NOPE/schedule"})
	wantCode(t, err, codes.NotFound)
	_, err = e.Transition.GetSchedule(auditor, &transitionv1.GetScheduleRequest{Name: p1.GetName()})
	wantViolations(t, err, "name")
}

func scheduleBaseline(t *testing.T, e *testenv.Env) {
	p := newPlan(t, e, startMonday())
	tm := e.AsRole(t, auth.TransitionManager)
	_, err := e.Transition.StartTransitionPlan(tm, &transitionv1.StartTransitionPlanRequest{Name: p.GetName()})
	must(t, err)

	// Only the transition manager freezes a baseline.
	_, err = e.Transition.SaveBaseline(e.AsProvider(t, p.GetProvider()), &transitionv1.SaveBaselineRequest{Name: p.GetName()})
	wantCode(t, err, codes.PermissionDenied)
	req := &transitionv1.SaveBaselineRequest{Name: p.GetName(), RequestId: "baseline-1"}
	base, err := e.Transition.SaveBaseline(tm, req)
	must(t, err)
	if base.GetBaselineTime() == nil {
		t.Fatalf("baseline %v: want a baseline time", base)
	}
	for _, task := range base.GetTasks() {
		if task.VarianceDays == nil || task.GetVarianceDays() != 0 || !proto.Equal(task.GetBaselineFinish(), task.GetEarliestFinish()) {
			t.Fatalf("baselined task %v: want its own dates, variance 0", task)
		}
	}
	again, err := e.Transition.SaveBaseline(tm, req)
	must(t, err)
	if !proto.Equal(again, base) {
		t.Fatal("a retried SaveBaseline answered another schedule")
	}

	// The kick-off, planned on the start date ten weeks ago, is done today:
	// its actual dates (UTC) replace the plan's, and everything after it
	// moves. The go-live's variance against the baseline is the growth of
	// the slip.
	kickoff := byName(base.GetTasks())[base.GetCriticalPath()[0]]
	_, err = e.Transition.StartTask(tm, &transitionv1.StartTaskRequest{Name: kickoff.GetTask()})
	must(t, err)
	_, err = e.Transition.CompleteTask(tm, &transitionv1.CompleteTaskRequest{Name: kickoff.GetTask()})
	must(t, err)
	now := getSchedule(t, e, tm, p)
	today := plan.DateOf(time.Now().UTC())
	tasks := byName(now.GetTasks())
	if k := tasks[kickoff.GetTask()]; !proto.Equal(k.GetEarliestStart(), today) || !proto.Equal(k.GetEarliestFinish(), today) || !proto.Equal(k.GetBaselineStart(), kickoff.GetEarliestStart()) {
		t.Fatalf("kick-off %v: want it on %v, baselined on %v", k, today, kickoff.GetEarliestStart())
	}
	goLive := tasks[now.GetGoLiveTask()]
	if goLive.GetVarianceDays() < 40 || goLive.GetVarianceDays() != now.GetSlipDays()-base.GetSlipDays() || !proto.Equal(now.GetBaselineTime(), base.GetBaselineTime()) {
		t.Fatalf("go-live variance %d, slip %d → %d: want weeks late, by the slip's growth", goLive.GetVarianceDays(), base.GetSlipDays(), now.GetSlipDays())
	}

	// A new baseline takes the re-forecast; the first is the audit record's
	// "before".
	rebased, err := e.Transition.SaveBaseline(tm, &transitionv1.SaveBaselineRequest{Name: p.GetName(), RequestId: "baseline-2"})
	must(t, err)
	if g := byName(rebased.GetTasks())[rebased.GetGoLiveTask()]; g.GetVarianceDays() != 0 || !proto.Equal(g.GetBaselineFinish(), goLive.GetEarliestFinish()) {
		t.Fatalf("rebased go-live %v", g)
	}
	events, err := e.Transition.ListAuditEvents(e.AsRole(t, auth.Auditor), &transitionv1.ListAuditEventsRequest{Filter: "resource = " + p.GetName() + "/baseline"})
	must(t, err)
	if n := len(events.GetAuditEvents()); n != 2 || events.GetAuditEvents()[1].GetMethod() != transitionv1.TransitionService_SaveBaseline_FullMethodName ||
		events.GetAuditEvents()[1].GetRequestId() != "baseline-2" {
		t.Fatalf("%d baseline audit events %v: want the two baselines", n, events.GetAuditEvents())
	}
}

func byName(tasks []*transitionv1.ScheduledTask) map[string]*transitionv1.ScheduledTask {
	out := map[string]*transitionv1.ScheduledTask{}
	for _, t := range tasks {
		out[t.GetTask()] = t
	}
	return out
}
