package schedule

import (
	"fmt"
	"time"
)

// Task is a task of a plan as the schedule sees it.
type Task struct {
	// ID names the task; dependencies refer to it.
	ID string
	// Duration is in working days; 0 is a milestone.
	Duration int
	// Deps are finish-to-start dependencies on other tasks of the plan.
	Deps []Dep
	// Cutover marks a task of the CUTOVER phase; the cutover milestone
	// is chosen among them (see Result.GoLive).
	Cutover bool
	// Skipped tasks take no time: they pass their dependencies' dates on.
	Skipped bool
	// ActualStart and ActualFinish are the calendar dates on which work
	// started and finished; zero when it has not. A task that has them is
	// scheduled on them instead of on its dependencies and duration.
	ActualStart, ActualFinish time.Time
}

// Dep is a finish-to-start dependency: the task may start Lag working days
// after the task ID finishes (before it, when Lag is negative).
type Dep struct {
	ID  string
	Lag int
}

// Slot is the scheduled dates of one task. A finish is the last working
// day of the work; a milestone starts and finishes on one day.
type Slot struct {
	EarlyStart, EarlyFinish, LateStart, LateFinish time.Time
	// Slack is LateStart − EarlyStart in working days.
	Slack int
	// Critical is a slack of zero or less: any delay delays the finish.
	Critical bool
}

// Result is a plan's schedule.
type Result struct {
	// Tasks holds each task's slot, in the order of the input.
	Tasks []Slot
	// CriticalPath holds the indexes of the tasks that drive the cutover
	// milestone, in order, ending with it.
	CriticalPath []int
	// GoLive is the index of the cutover milestone (-1 for no tasks): the
	// Cutover task of 0 days that finishes last; when no Cutover task has
	// 0 days, the Cutover task that finishes last; when there is no Cutover
	// task, the task that finishes last.
	GoLive int
	// Forecast is the date of the cutover milestone (its earliest finish).
	Forecast time.Time
	// Finish is the plan's earliest (and latest) finish: the last working
	// day of its last task.
	Finish time.Time
}

// link is a dependency resolved to task indexes.
type link struct{ task, lag int }

// Compute schedules tasks on cal by the critical-path method. spec:
// transition.md, "Schedule".
//
// Internally a task occupies the working days [es, ef): it starts at the
// beginning of day es and is finished at the beginning of day ef, so a
// successor with lag L may start on day ef+L, and a milestone has es == ef.
//
//   - Forward pass, in dependency order: es is the latest ef+lag of its
//     dependencies, and never before day 0 (the plan's start); ef = es +
//     duration. A task's actual dates replace both: es is its actual start's
//     working day, ef the working day after its actual finish.
//   - Backward pass, in reverse order, from the plan's finish (the greatest
//     ef): lf is the least ls−lag of its successors, never after the finish;
//     ls = lf − (ef − es), so a finished task keeps its actual length.
//   - Slack = ls − es; the critical path is walked back from the cutover
//     milestone through the dependency that drives each task's start
//     (ef+lag == es), the one of least slack when several do.
//
// An unknown dependency or a cycle is an error; the service refuses both
// when tasks are written, so they mean a bug.
func Compute(cal *Calendar, tasks []Task) (*Result, error) {
	n := len(tasks)
	index := make(map[string]int, n)
	for i, t := range tasks {
		index[t.ID] = i
	}
	preds := make([][]link, n)
	succs := make([][]link, n)
	waiting := make([]int, n) // dependencies not yet placed, for the topological order
	for i, t := range tasks {
		for _, d := range t.Deps {
			p, ok := index[d.ID]
			if !ok {
				return nil, fmt.Errorf("schedule: task %s depends on unknown task %s", t.ID, d.ID)
			}
			preds[i] = append(preds[i], link{p, d.Lag})
			succs[p] = append(succs[p], link{i, d.Lag})
			waiting[i]++
		}
	}
	order := make([]int, 0, n)
	for i := range tasks {
		if waiting[i] == 0 {
			order = append(order, i)
		}
	}
	for k := 0; k < len(order); k++ {
		for _, s := range succs[order[k]] {
			if waiting[s.task]--; waiting[s.task] == 0 {
				order = append(order, s.task)
			}
		}
	}
	if len(order) != n {
		return nil, fmt.Errorf("schedule: the dependencies of %d tasks form a cycle", n-len(order))
	}

	es, ef := make([]int, n), make([]int, n)
	finish := 0
	for _, i := range order {
		t := &tasks[i]
		if !t.ActualStart.IsZero() {
			es[i] = cal.Index(t.ActualStart)
		} else {
			for _, p := range preds[i] {
				es[i] = max(es[i], ef[p.task]+p.lag)
			}
		}
		switch {
		case !t.ActualFinish.IsZero():
			ef[i] = max(es[i], cal.Index(t.ActualFinish.AddDate(0, 0, 1)))
		case t.Skipped:
			ef[i] = es[i]
		default:
			ef[i] = es[i] + t.Duration
		}
		finish = max(finish, ef[i])
	}

	ls, lf := make([]int, n), make([]int, n)
	for k := n - 1; k >= 0; k-- {
		i := order[k]
		lf[i] = finish
		for _, s := range succs[i] {
			lf[i] = min(lf[i], ls[s.task]-s.lag)
		}
		ls[i] = lf[i] - (ef[i] - es[i])
	}

	r := &Result{Tasks: make([]Slot, n), GoLive: goLive(tasks, ef)}
	for i, t := range tasks {
		s := Slot{
			EarlyStart:  cal.Date(es[i]),
			EarlyFinish: lastDay(cal, es[i], ef[i]),
			LateStart:   cal.Date(ls[i]),
			LateFinish:  lastDay(cal, ls[i], lf[i]),
			Slack:       ls[i] - es[i],
		}
		s.Critical = s.Slack <= 0
		// Actual dates are shown as they were, even on a weekend.
		if !t.ActualStart.IsZero() {
			s.EarlyStart = day(t.ActualStart)
		}
		if !t.ActualFinish.IsZero() {
			s.EarlyFinish = day(t.ActualFinish)
		}
		r.Tasks[i] = s
	}
	if n == 0 {
		r.Forecast, r.Finish = cal.Date(0), cal.Date(0)
		return r, nil
	}
	r.Finish = cal.Date(max(finish-1, 0))
	r.Forecast = r.Tasks[r.GoLive].EarlyFinish
	r.CriticalPath = drivingChain(r.GoLive, preds, es, ef, r.Tasks)
	return r, nil
}

// goLive picks the cutover milestone: see Result.GoLive. Ties go to the
// later task in plan order.
func goLive(tasks []Task, ef []int) int {
	best, rank := -1, -1
	for i, t := range tasks {
		r := 0 // any task
		if t.Cutover {
			r = 1
			if t.Duration == 0 {
				r = 2
			}
		}
		if r > rank || r == rank && ef[i] >= ef[best] {
			best, rank = i, r
		}
	}
	return best
}

// drivingChain walks back from task end through the dependency that drives
// each start, and returns the chain in order from its first task.
func drivingChain(end int, preds [][]link, es, ef []int, slots []Slot) []int {
	chain := []int{end}
	for cur := end; ; {
		next := -1
		for _, p := range preds[cur] {
			if ef[p.task]+p.lag == es[cur] && (next < 0 || slots[p.task].Slack < slots[next].Slack) {
				next = p.task
			}
		}
		if next < 0 {
			break
		}
		chain = append(chain, next)
		cur = next
	}
	for i, j := 0, len(chain)-1; i < j; i, j = i+1, j-1 {
		chain[i], chain[j] = chain[j], chain[i]
	}
	return chain
}

// lastDay is the date of the last working day of [start, end), or of start
// for a milestone.
func lastDay(cal *Calendar, start, end int) time.Time {
	if end > start {
		return cal.Date(end - 1)
	}
	return cal.Date(start)
}

func day(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
