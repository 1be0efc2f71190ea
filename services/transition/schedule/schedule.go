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

// Dep is a dependency on task ID, of a Type, with a Lag in working days
// (negative: a lead).
type Dep struct {
	ID   string
	Lag  int
	Type DepType
}

// DepType is how a task depends on its predecessor.
type DepType int

// The dependency types. With a task occupying working days [es, ef):
//
//	FS  es ≥ ef(pred) + lag   the task starts after the predecessor finishes
//	SS  es ≥ es(pred) + lag   the task starts after the predecessor starts
//	FF  ef ≥ ef(pred) + lag   the task finishes after the predecessor finishes
//	SF  ef ≥ es(pred) + lag   the task finishes after the predecessor starts
const (
	FS DepType = iota
	SS
	FF
	SF
)

// String is the type's two-letter code.
func (t DepType) String() string { return [...]string{"FS", "SS", "FF", "SF"}[t] }

// Options are a schedule's optional inputs.
type Options struct {
	// AsOf is the status date; zero means none. With a status date the
	// schedule is the plan as it stood (or will stand) that day: actual
	// dates after it are ignored, work not started by then cannot start
	// before it, and work in progress cannot finish before it.
	AsOf time.Time
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
type link struct {
	task, lag int
	typ       DepType
}

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
	return ComputeWith(cal, tasks, Options{})
}

// ComputeWith is Compute with options (a status date).
//
// With dependency types the passes read, for a predecessor p of task t
// (d is t's duration, dp p's, both in working days):
//
//	forward  FS: es ≥ ef_p+lag   SS: es ≥ es_p+lag   FF: es ≥ ef_p+lag−d   SF: es ≥ es_p+lag−d
//	backward FS: lf_p ≤ ls_t−lag SS: lf_p ≤ ls_t−lag+dp FF: lf_p ≤ lf_t−lag SF: lf_p ≤ lf_t−lag+dp
func ComputeWith(cal *Calendar, tasks []Task, opt Options) (*Result, error) {
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
			preds[i] = append(preds[i], link{p, d.Lag, d.Type})
			succs[p] = append(succs[p], link{i, d.Lag, d.Type})
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

	// With a status date, actual dates after it have not happened yet.
	asOf, hasAsOf := 0, !opt.AsOf.IsZero()
	started, finished := make([]bool, n), make([]bool, n)
	asOfDay := day(opt.AsOf)
	for i, t := range tasks {
		started[i] = !t.ActualStart.IsZero() && (!hasAsOf || !day(t.ActualStart).After(asOfDay))
		finished[i] = started[i] && !t.ActualFinish.IsZero() && (!hasAsOf || !day(t.ActualFinish).After(asOfDay))
	}
	if hasAsOf {
		asOf = cal.Index(opt.AsOf)
	}

	es, ef := make([]int, n), make([]int, n)
	finish := 0
	for _, i := range order {
		t := &tasks[i]
		dur := t.Duration
		if t.Skipped {
			dur = 0
		}
		switch {
		case started[i]:
			es[i] = cal.Index(t.ActualStart)
		default:
			for _, p := range preds[i] {
				es[i] = max(es[i], earliestStart(p, es, ef, dur))
			}
			if hasAsOf && !t.Skipped {
				es[i] = max(es[i], asOf)
			}
		}
		switch {
		case finished[i]:
			ef[i] = max(es[i], cal.Index(t.ActualFinish.AddDate(0, 0, 1)))
		case started[i] && hasAsOf:
			ef[i] = max(es[i]+dur, asOf+1)
		default:
			ef[i] = es[i] + dur
		}
		finish = max(finish, ef[i])
	}

	ls, lf := make([]int, n), make([]int, n)
	for k := n - 1; k >= 0; k-- {
		i := order[k]
		d := ef[i] - es[i]
		lf[i] = finish
		for _, s := range succs[i] {
			lf[i] = min(lf[i], latestFinish(s, d, ls, lf))
		}
		ls[i] = lf[i] - d
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
		if started[i] {
			s.EarlyStart = day(t.ActualStart)
		}
		if finished[i] {
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
			if drives(p, es, ef, cur) && (next < 0 || slots[p.task].Slack < slots[next].Slack) {
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

// earliestStart is the earliest start that dependency p allows a task of
// dur working days: see ComputeWith.
func earliestStart(p link, es, ef []int, dur int) int {
	switch p.typ {
	case SS:
		return es[p.task] + p.lag
	case FF:
		return ef[p.task] + p.lag - dur
	case SF:
		return es[p.task] + p.lag - dur
	}
	return ef[p.task] + p.lag
}

// latestFinish is the latest finish that the dependency of successor s
// allows its predecessor of d working days: see ComputeWith.
func latestFinish(s link, d int, ls, lf []int) int {
	switch s.typ {
	case SS:
		return ls[s.task] - s.lag + d
	case FF:
		return lf[s.task] - s.lag
	case SF:
		return lf[s.task] - s.lag + d
	}
	return ls[s.task] - s.lag
}

// drives reports whether dependency p of task t is the one that binds t's
// dates (its constraint holds with equality).
func drives(p link, es, ef []int, t int) bool {
	switch p.typ {
	case SS:
		return es[p.task]+p.lag == es[t]
	case FF:
		return ef[p.task]+p.lag == ef[t]
	case SF:
		return es[p.task]+p.lag == ef[t]
	}
	return ef[p.task]+p.lag == es[t]
}
