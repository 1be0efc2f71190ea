package schedule

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func d(y int, m time.Month, dd int) time.Time { return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC) }

// The calendar of every test: the plan starts on Monday 2 March 2026, and
// Friday 13 March is a holiday (Saturday 21 March too, which changes
// nothing). Working days:
//
//	Mon 2 →0   Tue 3 →1   Wed 4 →2   Thu 5 →3   Fri 6 →4
//	Mon 9 →5   Tue 10→6   Wed 11→7   Thu 12→8   (Fri 13 holiday)
//	Mon 16→9   Tue 17→10  Wed 18→11  Thu 19→12  Fri 20→13
//	Mon 23→14  Tue 24→15  Wed 25→16  Thu 26→17  Fri 27→18
func testCalendar() *Calendar {
	return NewCalendar(d(2026, 3, 2), []time.Time{d(2026, 3, 13), d(2026, 3, 21), d(2026, 3, 13)})
}

func TestCalendar(t *testing.T) {
	cal := testCalendar()
	tests := []struct {
		name  string
		date  time.Time
		index int
	}{
		{"the start date is day 0", d(2026, 3, 2), 0},
		{"Friday of the first week", d(2026, 3, 6), 4},
		{"a Saturday counts as the Monday after", d(2026, 3, 7), 5},
		{"the Monday after the first weekend", d(2026, 3, 9), 5},
		{"a holiday counts as the next working day", d(2026, 3, 13), 9},
		{"the Monday after the holiday", d(2026, 3, 16), 9},
		{"a weekend holiday changes nothing", d(2026, 3, 23), 14},
		{"the Friday before the start is day -1", d(2026, 2, 27), -1},
		{"two weeks before the start is day -10", d(2026, 2, 16), -10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cal.Index(tt.date); got != tt.index {
				t.Errorf("Index(%s) = %d, want %d", tt.date.Format(time.DateOnly), got, tt.index)
			}
			if cal.IsWorkingDay(tt.date) {
				if got := cal.Date(tt.index); !got.Equal(tt.date) {
					t.Errorf("Date(%d) = %s, want %s", tt.index, got.Format(time.DateOnly), tt.date.Format(time.DateOnly))
				}
			}
		})
	}
	// A plan starting on a Sunday starts on the Monday.
	sunday := NewCalendar(d(2026, 3, 1), nil)
	if got := sunday.Date(0); !got.Equal(d(2026, 3, 2)) {
		t.Errorf("day 0 of a Sunday start is %s, want Monday 2026-03-02", got.Format(time.DateOnly))
	}
	// Every date round-trips over a year either side, holidays skipped.
	for day := d(2025, 3, 1); day.Before(d(2027, 3, 1)); day = day.AddDate(0, 0, 1) {
		i := cal.Index(day)
		back := cal.Date(i)
		if back.Before(day) || !cal.IsWorkingDay(back) || cal.Index(back) != i {
			t.Fatalf("Index(%s) = %d, Date(%d) = %s", day.Format(time.DateOnly), i, i, back.Format(time.DateOnly))
		}
	}
}

// slot is a task's expected dates as "2006-01-02" strings, with its slack.
type slot struct {
	es, ef, ls, lf string
	slack          int
}

// plan is the small plan of every case (the calendar is testCalendar's):
//
//	K  kickoff      1 day
//	A  docs         4 days, after K
//	B  infra        3 days, after K with a lag of 2
//	C  training     5 days, after A with a lag of -1 (overlaps A's last day)
//	D  testing      2 days, after B and C — two parallel branches meet
//	G  go-live      milestone, CUTOVER, after D
//	H  hypercare    3 days, after G
func plan() []Task {
	return []Task{
		{ID: "K", Duration: 1},
		{ID: "A", Duration: 4, Deps: []Dep{{ID: "K", Lag: 0}}},
		{ID: "B", Duration: 3, Deps: []Dep{{ID: "K", Lag: 2}}},
		{ID: "C", Duration: 5, Deps: []Dep{{ID: "A", Lag: -1}}},
		{ID: "D", Duration: 2, Deps: []Dep{{ID: "B", Lag: 0}, {ID: "C", Lag: 0}}},
		{ID: "G", Duration: 0, Cutover: true, Deps: []Dep{{ID: "D", Lag: 0}}},
		{ID: "H", Duration: 3, Deps: []Dep{{ID: "G", Lag: 0}}},
	}
}

func TestCompute(t *testing.T) {
	tests := []struct {
		name     string
		change   func(tasks []Task)
		want     map[string]slot
		critical []string
		forecast string
		finish   string
	}{
		{
			// Forward pass, as working days [es, ef):
			//   K [0,1)  Mon 2
			//   A [1,5)  Tue 3 – Fri 6
			//   B [3,6)  1+2 = 3: Thu 5 – Mon 9 (over the weekend)
			//   C [4,9)  5−1 = 4: Fri 6 – Thu 12 (overlaps A's Friday)
			//   D [9,11) max(6, 9): Mon 16 (Fri 13 is a holiday) – Tue 17
			//   G [11,11) Wed 18
			//   H [11,14) Wed 18 – Fri 20; the plan finishes at 14.
			// Backward pass from 14:
			//   H lf 14, ls 11 · G lf 11, ls 11 · D lf 11, ls 9
			//   C lf 9, ls 4 · B lf 9, ls 6: slack 6−3 = 3 (Tue 10 – Thu 12)
			//   A lf = ls(C) − (−1) = 5, ls 1 · K lf = min(1, 6−2) = 1, ls 0
			// The critical path to G: D is driven by C (9), not B (6); C by A
			// (5−1 = 4); A by K.
			name: "plan as drawn",
			want: map[string]slot{
				"K": {"2026-03-02", "2026-03-02", "2026-03-02", "2026-03-02", 0},
				"A": {"2026-03-03", "2026-03-06", "2026-03-03", "2026-03-06", 0},
				"B": {"2026-03-05", "2026-03-09", "2026-03-10", "2026-03-12", 3},
				"C": {"2026-03-06", "2026-03-12", "2026-03-06", "2026-03-12", 0},
				"D": {"2026-03-16", "2026-03-17", "2026-03-16", "2026-03-17", 0},
				"G": {"2026-03-18", "2026-03-18", "2026-03-18", "2026-03-18", 0},
				"H": {"2026-03-18", "2026-03-20", "2026-03-18", "2026-03-20", 0},
			},
			critical: []string{"K", "A", "C", "D", "G"},
			forecast: "2026-03-18",
			finish:   "2026-03-20",
		},
		{
			// K, A done as planned; C started Fri 6 and finished Tue 17: 7
			// working days instead of 5, so it occupies [4, 11).
			//   D [11,13) Wed 18 – Thu 19 · G 13 Fri 20 · H [13,16) Fri 20 – Tue 24
			// Backward from 16: H ls 13 · G 13 · D lf 13, ls 11 · C lf 11,
			// ls 4 · B lf 11, ls 8: slack 8−3 = 5 (Thu 12 – Tue 17).
			// A lf = 4+1 = 5, ls 1 · K lf = min(1, 8−2) = 1.
			name: "a late finish with actual dates moves the forecast",
			change: func(tasks []Task) {
				tasks[0].ActualStart, tasks[0].ActualFinish = d(2026, 3, 2), d(2026, 3, 2)
				tasks[1].ActualStart, tasks[1].ActualFinish = d(2026, 3, 3), d(2026, 3, 6)
				tasks[3].ActualStart, tasks[3].ActualFinish = d(2026, 3, 6), d(2026, 3, 17)
			},
			want: map[string]slot{
				"K": {"2026-03-02", "2026-03-02", "2026-03-02", "2026-03-02", 0},
				"A": {"2026-03-03", "2026-03-06", "2026-03-03", "2026-03-06", 0},
				"B": {"2026-03-05", "2026-03-09", "2026-03-12", "2026-03-17", 5},
				"C": {"2026-03-06", "2026-03-17", "2026-03-06", "2026-03-17", 0},
				"D": {"2026-03-18", "2026-03-19", "2026-03-18", "2026-03-19", 0},
				"G": {"2026-03-20", "2026-03-20", "2026-03-20", "2026-03-20", 0},
				"H": {"2026-03-20", "2026-03-24", "2026-03-20", "2026-03-24", 0},
			},
			critical: []string{"K", "A", "C", "D", "G"},
			forecast: "2026-03-20",
			finish:   "2026-03-24",
		},
		{
			// C finished early, on Tue 10 after 3 days: [4, 7). Now B (ends
			// at 6) and C (7) both feed D: D [7,9) Wed 11 – Thu 12 · G 9 Mon
			// 16 (over the weekend and the holiday) · H [9,12) Mon 16 – Wed 18.
			// Backward from 12: D ls 7 · C lf 7, ls 4 · B lf 7, ls 4: slack 1
			// (Fri 6 – Tue 10). C still drives D.
			name: "an early finish pulls the forecast in and shrinks the other branch's slack",
			change: func(tasks []Task) {
				tasks[0].ActualStart, tasks[0].ActualFinish = d(2026, 3, 2), d(2026, 3, 2)
				tasks[1].ActualStart, tasks[1].ActualFinish = d(2026, 3, 3), d(2026, 3, 6)
				tasks[3].ActualStart, tasks[3].ActualFinish = d(2026, 3, 6), d(2026, 3, 10)
			},
			want: map[string]slot{
				"B": {"2026-03-05", "2026-03-09", "2026-03-06", "2026-03-10", 1},
				"C": {"2026-03-06", "2026-03-10", "2026-03-06", "2026-03-10", 0},
				"D": {"2026-03-11", "2026-03-12", "2026-03-11", "2026-03-12", 0},
				"G": {"2026-03-16", "2026-03-16", "2026-03-16", "2026-03-16", 0},
			},
			critical: []string{"K", "A", "C", "D", "G"},
			forecast: "2026-03-16",
			finish:   "2026-03-18",
		},
		{
			// Infra takes 8 days instead of 3: B [3,11) Thu 5 – Tue 17, so
			// the other branch becomes critical. D [11,13) · G 13 Fri 20 ·
			// H [13,16). C lf 11, ls 6: slack 6−4 = 2 (Tue 10 – Tue 17);
			// A lf = 6+1 = 7, ls 3: slack 2; K lf = min(3, 3−2=1) = 1.
			name: "the other branch becomes critical",
			change: func(tasks []Task) {
				tasks[2].Duration = 8
			},
			want: map[string]slot{
				"K": {"2026-03-02", "2026-03-02", "2026-03-02", "2026-03-02", 0},
				"A": {"2026-03-03", "2026-03-06", "2026-03-05", "2026-03-10", 2},
				"B": {"2026-03-05", "2026-03-17", "2026-03-05", "2026-03-17", 0},
				"C": {"2026-03-06", "2026-03-12", "2026-03-10", "2026-03-17", 2},
				"G": {"2026-03-20", "2026-03-20", "2026-03-20", "2026-03-20", 0},
			},
			critical: []string{"K", "B", "D", "G"},
			forecast: "2026-03-20",
			finish:   "2026-03-24",
		},
		{
			// Skipping C makes it take no time at A's finish − 1: [4,4).
			// D = max(6 from B, 4) = 6: Tue 10 – Wed 11 · G 8 Thu 12 ·
			// H [8,11) Thu 12 – Tue 17 (Fri 13 a holiday). B drives D now.
			// Backward from 11: D ls 6 · C lf 6, ls 6: slack 2 (Tue 10).
			name: "a skipped task takes no time",
			change: func(tasks []Task) {
				tasks[3].Skipped = true
			},
			want: map[string]slot{
				"C": {"2026-03-06", "2026-03-06", "2026-03-10", "2026-03-10", 2},
				"D": {"2026-03-10", "2026-03-11", "2026-03-10", "2026-03-11", 0},
				"G": {"2026-03-12", "2026-03-12", "2026-03-12", "2026-03-12", 0},
			},
			critical: []string{"K", "B", "D", "G"},
			forecast: "2026-03-12",
			finish:   "2026-03-17",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tasks := plan()
			if tt.change != nil {
				tt.change(tasks)
			}
			r, err := Compute(testCalendar(), tasks)
			if err != nil {
				t.Fatal(err)
			}
			for i, task := range tasks {
				want, ok := tt.want[task.ID]
				if !ok {
					continue
				}
				s := r.Tasks[i]
				got := slot{fmtDate(s.EarlyStart), fmtDate(s.EarlyFinish), fmtDate(s.LateStart), fmtDate(s.LateFinish), s.Slack}
				if got != want {
					t.Errorf("%s: got %v, want %v", task.ID, got, want)
				}
				if s.Critical != (want.slack == 0) {
					t.Errorf("%s: critical %v with slack %d", task.ID, s.Critical, s.Slack)
				}
			}
			var path []string
			for _, i := range r.CriticalPath {
				path = append(path, tasks[i].ID)
			}
			if !slices.Equal(path, tt.critical) {
				t.Errorf("critical path %v, want %v", path, tt.critical)
			}
			if tasks[r.GoLive].ID != "G" || fmtDate(r.Forecast) != tt.forecast || fmtDate(r.Finish) != tt.finish {
				t.Errorf("go-live %s on %s, finish %s; want G on %s, finish %s", tasks[r.GoLive].ID, fmtDate(r.Forecast), fmtDate(r.Finish), tt.forecast, tt.finish)
			}
		})
	}
}

// The slip is counted in working days: forecast Wed 18 (day 11) against a
// target of Mon 16 (day 9) is 2 late; against Fri 20 (13), 2 early;
// against Sat 21 (counted as Mon 23, 14), 3 early.
func TestSlip(t *testing.T) {
	cal := testCalendar()
	for _, tt := range []struct {
		target time.Time
		want   int
	}{{d(2026, 3, 16), 2}, {d(2026, 3, 20), -2}, {d(2026, 3, 21), -3}, {d(2026, 3, 18), 0}} {
		if got := cal.Between(tt.target, d(2026, 3, 18)); got != tt.want {
			t.Errorf("slip against %s = %d, want %d", fmtDate(tt.target), got, tt.want)
		}
	}
}

func TestGoLiveChoice(t *testing.T) {
	// Without a CUTOVER milestone the last-finishing CUTOVER task is the
	// go-live; without a CUTOVER task, the last-finishing task.
	tasks := []Task{
		{ID: "X", Duration: 2},
		{ID: "Y", Duration: 1, Cutover: true, Deps: []Dep{{ID: "X", Lag: 0}}},
		{ID: "Z", Duration: 5, Deps: []Dep{{ID: "X", Lag: 0}}},
	}
	r, err := Compute(testCalendar(), tasks)
	if err != nil {
		t.Fatal(err)
	}
	// Y [2,3): Wed 4; Z [2,7) finishes Tue 10, so Y has slack 4.
	if tasks[r.GoLive].ID != "Y" || fmtDate(r.Forecast) != "2026-03-04" || r.Tasks[1].Slack != 4 {
		t.Errorf("go-live %s on %s with slack %d, want Y on 2026-03-04 with slack 4", tasks[r.GoLive].ID, fmtDate(r.Forecast), r.Tasks[1].Slack)
	}
	tasks[1].Cutover = false
	r, _ = Compute(testCalendar(), tasks)
	if tasks[r.GoLive].ID != "Z" || fmtDate(r.Forecast) != "2026-03-10" {
		t.Errorf("go-live %s on %s, want Z on 2026-03-10", tasks[r.GoLive].ID, fmtDate(r.Forecast))
	}
}

func TestComputeRefusesBadGraphs(t *testing.T) {
	if _, err := Compute(testCalendar(), []Task{{ID: "A", Deps: []Dep{{ID: "B", Lag: 0}}}, {ID: "B", Deps: []Dep{{ID: "A", Lag: 0}}}}); err == nil {
		t.Error("a cycle was scheduled")
	}
	if _, err := Compute(testCalendar(), []Task{{ID: "A", Deps: []Dep{{ID: "NOPE", Lag: 0}}}}); err == nil {
		t.Error("an unknown dependency was scheduled")
	}
	r, err := Compute(testCalendar(), nil)
	if err != nil || r.GoLive != -1 || len(r.CriticalPath) != 0 {
		t.Errorf("empty plan: %v, %v", r, err)
	}
}

// generated returns a plan of n tasks shaped like a large transition:
// chains of work (one per workstream) whose tasks also wait, now and then,
// on a task a little earlier in another chain, all meeting at a go/no-go
// and a go-live milestone, with hypercare after it; a third of the first
// quarter is done with actual dates.
func generated(n int) []Task {
	rng := rand.New(rand.NewPCG(1, 2))
	const chains = 40
	tasks := make([]Task, 0, n)
	id := func(i int) string { return fmt.Sprintf("t%04d", i) }
	work := n - 4
	for i := range work {
		t := Task{ID: id(i), Duration: rng.IntN(10)}
		if i >= chains {
			t.Deps = append(t.Deps, Dep{ID: id(i - chains)})
		}
		for range rng.IntN(3) {
			if j := i - chains + 1 + rng.IntN(chains-1) - 3*chains; j >= 0 {
				t.Deps = append(t.Deps, Dep{ID: id(j), Lag: rng.IntN(7) - 3, Type: DepType(rng.IntN(4))})
			}
		}
		tasks = append(tasks, t)
	}
	start := d(2026, 1, 5)
	for i := range work / 12 {
		tasks[i].ActualStart = start.AddDate(0, 0, i/10)
		tasks[i].ActualFinish = tasks[i].ActualStart.AddDate(0, 0, tasks[i].Duration)
	}
	gate := Task{ID: "go-no-go", Duration: 1, Cutover: true}
	for i := work - chains; i < work; i++ {
		gate.Deps = append(gate.Deps, Dep{ID: id(i), Lag: 0})
	}
	return append(tasks, gate,
		Task{ID: "go-live", Cutover: true, Deps: []Dep{{ID: "go-no-go", Lag: 0}}},
		Task{ID: "hypercare", Duration: 20, Deps: []Dep{{ID: "go-live", Lag: 0}}},
		Task{ID: "hypercare-exit", Duration: 1, Deps: []Dep{{ID: "hypercare", Lag: 0}}},
	)
}

func TestGenerated(t *testing.T) {
	tasks := generated(2000)
	r, err := Compute(NewCalendar(d(2026, 1, 5), []time.Time{d(2026, 5, 25), d(2026, 7, 3)}), tasks)
	if err != nil {
		t.Fatal(err)
	}
	if tasks[r.GoLive].ID != "go-live" || len(r.CriticalPath) < 2 {
		t.Fatalf("go-live %s, critical path of %d tasks", tasks[r.GoLive].ID, len(r.CriticalPath))
	}
	for _, i := range r.CriticalPath {
		if tasks[i].ActualStart.IsZero() && r.Tasks[i].Slack != 0 {
			t.Fatalf("critical path task %s has slack %d", tasks[i].ID, r.Tasks[i].Slack)
		}
	}
	for i, s := range r.Tasks {
		if s.Slack < 0 && tasks[i].ActualStart.IsZero() {
			t.Fatalf("task %s not started has negative slack %d", tasks[i].ID, s.Slack)
		}
	}
}

// BenchmarkSchedule2000 schedules a generated plan of 2 000 tasks; the spec
// wants the schedule "in well under 100 ms" (transition.md, "Schedule").
func BenchmarkSchedule2000(b *testing.B) {
	tasks := generated(2000)
	holidays := []time.Time{d(2026, 1, 19), d(2026, 2, 16), d(2026, 5, 25), d(2026, 7, 3), d(2026, 9, 7), d(2026, 11, 26), d(2026, 12, 25)}
	for b.Loop() {
		if _, err := Compute(NewCalendar(d(2026, 1, 5), holidays), tasks); err != nil {
			b.Fatal(err)
		}
	}
}

func fmtDate(t time.Time) string { return t.Format(time.DateOnly) }

// network is a hand-worked plan with every dependency type (calendar as
// testCalendar: Mon 2 March 2026 is day 0, Fri 13 a holiday):
//
//	K  kickoff    2 days
//	S  3 days, start-to-start on K, lag +1
//	F  4 days, finish-to-finish on S, lag +2
//	X  2 days, start-to-finish on K, lag +5
//	L  3 days, finish-to-start on F, lag −1 (a lead)
//	G  go-live milestone (CUTOVER), finish-to-start on L and on X
//	H  hypercare 3 days, finish-to-start on G
func network() []Task {
	return []Task{
		{ID: "K", Duration: 2},
		{ID: "S", Duration: 3, Deps: []Dep{{ID: "K", Lag: 1, Type: SS}}},
		{ID: "F", Duration: 4, Deps: []Dep{{ID: "S", Lag: 2, Type: FF}}},
		{ID: "X", Duration: 2, Deps: []Dep{{ID: "K", Lag: 5, Type: SF}}},
		{ID: "L", Duration: 3, Deps: []Dep{{ID: "F", Lag: -1, Type: FS}}},
		{ID: "G", Cutover: true, Deps: []Dep{{ID: "L"}, {ID: "X"}}},
		{ID: "H", Duration: 3, Deps: []Dep{{ID: "G"}}},
	}
}

func TestComputeEveryDependencyType(t *testing.T) {
	// Forward pass, working days [es, ef):
	//   K [0,2)                                  Mon 2 – Tue 3
	//   S SS+1: es ≥ es_K+1 = 1        → [1,4)   Tue 3 – Thu 5
	//   F FF+2: ef ≥ ef_S+2 = 6, es = 6−4 = 2 → [2,6)  Wed 4 – Mon 9
	//   X SF+5: ef ≥ es_K+5 = 5, es = 5−2 = 3 → [3,5)  Thu 5 – Fri 6
	//   L FS−1: es ≥ ef_F−1 = 5        → [5,8)   Mon 9 – Wed 11
	//   G FS:   es = max(ef_L, ef_X) = max(8, 5) = 8   Thu 12
	//   H FS:   [8,11)                            Thu 12 – Tue 17 (Fri 13 holiday)
	// The plan finishes at 11. Backward pass:
	//   H lf 11, ls 8 · G lf = ls_H = 8, ls 8
	//   L lf = ls_G = 8, ls 5 · X lf = ls_G = 8, ls 6: slack 6−3 = 3
	//   F (FS−1 to L): lf = ls_L − (−1) = 6, ls 2
	//   S (FF+2 to F): lf = lf_F − 2 = 4, ls 1
	//   K: SS+1 to S allows lf ≤ ls_S − 1 + d_K = 1−1+2 = 2;
	//      SF+5 to X allows lf ≤ lf_X − 5 + d_K = 8−5+2 = 5; lf 2, ls 0
	// Critical path to G: L drives G (8 = 8, X's 5 does not); F drives L
	// (6−1 = 5); S drives F (4+2 = 6 = ef_F); K drives S (0+1 = 1).
	r, err := Compute(testCalendar(), network())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]slot{
		"K": {"2026-03-02", "2026-03-03", "2026-03-02", "2026-03-03", 0},
		"S": {"2026-03-03", "2026-03-05", "2026-03-03", "2026-03-05", 0},
		"F": {"2026-03-04", "2026-03-09", "2026-03-04", "2026-03-09", 0},
		"X": {"2026-03-05", "2026-03-06", "2026-03-10", "2026-03-11", 3},
		"L": {"2026-03-09", "2026-03-11", "2026-03-09", "2026-03-11", 0},
		"G": {"2026-03-12", "2026-03-12", "2026-03-12", "2026-03-12", 0},
		"H": {"2026-03-12", "2026-03-17", "2026-03-12", "2026-03-17", 0},
	}
	tasks := network()
	for i, task := range tasks {
		s := r.Tasks[i]
		got := slot{fmtDate(s.EarlyStart), fmtDate(s.EarlyFinish), fmtDate(s.LateStart), fmtDate(s.LateFinish), s.Slack}
		if got != want[task.ID] {
			t.Errorf("%s: got %+v, want %+v", task.ID, got, want[task.ID])
		}
	}
	var path []string
	for _, i := range r.CriticalPath {
		path = append(path, tasks[i].ID)
	}
	if !slices.Equal(path, []string{"K", "S", "F", "L", "G"}) {
		t.Errorf("critical path %v, want K S F L G", path)
	}
	if fmtDate(r.Forecast) != "2026-03-12" || fmtDate(r.Finish) != "2026-03-17" {
		t.Errorf("forecast %s, finish %s; want 2026-03-12 and 2026-03-17", fmtDate(r.Forecast), fmtDate(r.Finish))
	}
}

func TestComputeAsOf(t *testing.T) {
	tasks := network()
	// K ran Mon 2 – Tue 3 as planned; S started on Thu 5.
	tasks[0].ActualStart, tasks[0].ActualFinish = d(2026, 3, 2), d(2026, 3, 3)
	tasks[1].ActualStart = d(2026, 3, 5)
	type row struct{ es, ef string }
	tests := []struct {
		name     string
		asOf     time.Time
		want     map[string]row
		forecast string
	}{
		{
			// As it stood on Wed 4 (day 2): S's start on Thu 5 had not
			// happened, so S, not started, cannot start before day 2.
			//   K [0,2) done · S: max(es_K+1 = 1, 2) → [2,5) Wed 4 – Fri 6
			//   F: ef ≥ 5+2 = 7, es 3 (≥ 2) → [3,7) Thu 5 – Tue 10
			//   X: ef ≥ 0+5, es 3 → [3,5) Thu 5 – Fri 6
			//   L: es ≥ 7−1 = 6 → [6,9) Tue 10 – Thu 12 · G max(9, 5) = 9: Mon 16
			name: "as it stood before S started",
			asOf: d(2026, 3, 4),
			want: map[string]row{
				"K": {"2026-03-02", "2026-03-03"}, "S": {"2026-03-04", "2026-03-06"}, "F": {"2026-03-05", "2026-03-10"},
				"X": {"2026-03-05", "2026-03-06"}, "L": {"2026-03-10", "2026-03-12"}, "G": {"2026-03-16", "2026-03-16"},
			},
			forecast: "2026-03-16",
		},
		{
			// On Tue 10 (day 6): S, in progress since Thu 5 (day 3), should
			// have finished at 6 but is not done, so it finishes on day 6
			// at the earliest: ef = max(3+3, 6+1) = 7 (last day Tue 10).
			//   F: ef ≥ 7+2 = 9, es 5, not started: max(5, 6) → [6,10) Tue 10 – Mon 16
			//   X: es 3, not started: 6 → [6,8) Tue 10 – Wed 11
			//   L: es ≥ 10−1 = 9 → [9,12) Mon 16 – Wed 18 · G max(12, 8) = 12: Thu 19
			name: "will stand with S running late",
			asOf: d(2026, 3, 10),
			want: map[string]row{
				"K": {"2026-03-02", "2026-03-03"}, "S": {"2026-03-05", "2026-03-10"}, "F": {"2026-03-10", "2026-03-16"},
				"X": {"2026-03-10", "2026-03-11"}, "L": {"2026-03-16", "2026-03-18"}, "G": {"2026-03-19", "2026-03-19"},
			},
			forecast: "2026-03-19",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ComputeWith(testCalendar(), tasks, Options{AsOf: tt.asOf})
			if err != nil {
				t.Fatal(err)
			}
			for i, task := range tasks {
				w, ok := tt.want[task.ID]
				if !ok {
					continue
				}
				if got := (row{fmtDate(r.Tasks[i].EarlyStart), fmtDate(r.Tasks[i].EarlyFinish)}); got != w {
					t.Errorf("%s: got %+v, want %+v", task.ID, got, w)
				}
			}
			if fmtDate(r.Forecast) != tt.forecast {
				t.Errorf("forecast %s, want %s", fmtDate(r.Forecast), tt.forecast)
			}
		})
	}
}

// BenchmarkSchedule2000AsOf is BenchmarkSchedule2000 with a status date,
// with every dependency type among the cross-links.
func BenchmarkSchedule2000AsOf(b *testing.B) {
	tasks := generated(2000)
	holidays := []time.Time{d(2026, 1, 19), d(2026, 2, 16), d(2026, 5, 25), d(2026, 7, 3), d(2026, 9, 7), d(2026, 11, 26), d(2026, 12, 25)}
	for b.Loop() {
		if _, err := ComputeWith(NewCalendar(d(2026, 1, 5), holidays), tasks, Options{AsOf: d(2026, 3, 2)}); err != nil {
			b.Fatal(err)
		}
	}
}
