package transition

import (
	"fmt"
	"testing"
	"time"

	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// BenchmarkComputeSchedule2000 times what GetSchedule does after reading
// the documents: a plan of 2 000 task messages (40 workstreams, cross-links
// of every dependency type with lags and leads, the first twelfth done
// with actual dates) translated for the schedule package, scheduled with a
// status date, and translated back with a baseline's variance.
func BenchmarkComputeSchedule2000(b *testing.B) {
	name := transitionv1.TransitionPlanResourceName{TransitionPlan: "P"}
	p := &transitionv1.TransitionPlan{Name: name.String(), StartDate: &date.Date{Year: 2026, Month: 1, Day: 5}, TargetGoLive: &date.Date{Year: 2027, Month: 6, Day: 1},
		Holidays: []*date.Date{{Year: 2026, Month: 5, Day: 25}, {Year: 2026, Month: 7, Day: 3}, {Year: 2026, Month: 12, Day: 25}}}
	const n, chains = 2000, 40
	id := func(i int) string { return fmt.Sprintf("%s/tasks/t%04d", name.String(), i) }
	tasks := make([]*transitionv1.Task, n)
	for i := range tasks {
		t := &transitionv1.Task{Name: id(i), Title: fmt.Sprintf("Task %d", i), Phase: transitionv1.Phase(1 + i*8/n), DurationDays: int32(i % 10)}
		if i >= chains {
			t.DependsOn = append(t.DependsOn, &transitionv1.Dependency{Task: id(i - chains)})
		}
		if i >= 3*chains && i%3 == 0 {
			t.DependsOn = append(t.DependsOn, &transitionv1.Dependency{Task: id(i - 3*chains + i%chains/2), LagDays: int32(i%7 - 3), Type: transitionv1.DependencyType(1 + i%4)})
		}
		if i < n/12 {
			start := time.Date(2026, 1, 5+i/40, 9, 0, 0, 0, time.UTC)
			t.ActualStart, t.ActualFinish = timestamppb.New(start), timestamppb.New(start.AddDate(0, 0, int(t.DurationDays)))
			t.State = transitionv1.TaskState_TASK_STATE_DONE
		}
		tasks[i] = t
	}
	tasks[n-1].Phase, tasks[n-1].DurationDays = transitionv1.Phase_PHASE_CUTOVER, 0
	base, err := computeSchedule(name, p, tasks, nil, time.Time{})
	if err != nil {
		b.Fatal(err)
	}
	asOf := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		if _, err := computeSchedule(name, p, tasks, base, asOf); err != nil {
			b.Fatal(err)
		}
	}
}
