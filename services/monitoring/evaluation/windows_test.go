package evaluation

import (
	"testing"
	"time"

	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
)

func TestServiceHoursIntervals(t *testing.T) {
	manila, _ := time.LoadLocation("Asia/Manila")
	// 07:00–19:00 Mon–Sat, 2025-06-12 (Thursday) a holiday. The week of
	// 2025-06-09 (Mon) to 2025-06-16 (Mon): 6 service days − 1 holiday = 5
	// days × 12 h = 60 h = 3600 minutes.
	h := Hours{
		Days:     []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday},
		Start:    7 * time.Hour,
		End:      19 * time.Hour,
		Holidays: map[string]bool{"2025-06-12": true},
	}
	from := time.Date(2025, 6, 9, 0, 0, 0, 0, manila)
	ivs := h.Intervals(from, from.AddDate(0, 0, 7), manila)
	if got := Length(ivs); got != 60*time.Hour {
		t.Fatalf("service time %v, want 60h", got)
	}
	// An outage 18:00–21:00 local on Monday counts 60 minutes (18–19).
	out := []Interval{{Start: time.Date(2025, 6, 9, 18, 0, 0, 0, manila), End: time.Date(2025, 6, 9, 21, 0, 0, 0, manila)}}
	if got := Overlap(out, ivs); got != time.Hour {
		t.Errorf("outage in service hours %v, want 1h", got)
	}
	// An exclusion 07:00–09:00 on Tuesday removes 2 h of service time.
	ex := []Interval{{Start: time.Date(2025, 6, 10, 7, 0, 0, 0, manila), End: time.Date(2025, 6, 10, 9, 0, 0, 0, manila)}}
	if got := Length(Subtract(ivs, ex)); got != 58*time.Hour {
		t.Errorf("after exclusion %v, want 58h", got)
	}
}

func TestSpansAndStatementOf(t *testing.T) {
	utc := time.UTC
	svc := Service{Loc: utc, Commencement: time.Date(2025, 4, 16, 0, 0, 0, 0, utc), End: EndOfDay(2025, 10, 15, utc)}
	weekly := &typev1.ServiceLevel{Key: "w", Window: typev1.MeasurementWindow_MEASUREMENT_WINDOW_WEEKLY}
	quarterly := &typev1.ServiceLevel{Key: "q", Window: typev1.MeasurementWindow_MEASUREMENT_WINDOW_QUARTERLY}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, utc)
	june := Period{2025, time.June}
	w, err := svc.Window(june, now)
	if err != nil {
		t.Fatal(err)
	}
	// June 2025: Sundays 1, 8, 15, 22, 29 → weeks W22 (May 26–Jun 1) to W26.
	spans, _ := svc.Spans(weekly, june, w)
	if len(spans) != 5 || spans[0].Label != "2025-W22" || spans[4].Label != "2025-W26" {
		t.Errorf("weeks %+v", spans)
	}
	// Quarterly: only in June (Q2, from commencement on 16 April).
	if _, ok := svc.Spans(quarterly, Period{2025, time.May}, w); ok {
		t.Error("a quarterly level evaluated in May")
	}
	if sp, ok := svc.Spans(quarterly, june, w); !ok || sp[0].Label != "2025-Q2" || !sp[0].Start.Equal(svc.Commencement) {
		t.Errorf("quarter %+v", sp)
	}
	// Last period October: 15 days of service; the quarter Q4 is evaluated
	// there (1–15 October); a week ending 19 October belongs to it.
	oct := Period{2025, time.October}
	ow, err := svc.Window(oct, now)
	if err != nil || ServiceDays(ow, utc) != 15 {
		t.Fatalf("October window %+v days %d err %v", ow, ServiceDays(ow, utc), err)
	}
	if sp, ok := svc.Spans(quarterly, oct, ow); !ok || !sp[0].End.Equal(svc.End) {
		t.Errorf("Q4 %+v", sp)
	}
	if p := svc.StatementOf(weekly, time.Date(2025, 10, 14, 0, 0, 0, 0, utc)); p != oct {
		t.Errorf("statement of 14 Oct %v", p)
	}
	// A Tuesday 30 September belongs to the week ending 5 October.
	if p := svc.StatementOf(weekly, time.Date(2025, 9, 30, 0, 0, 0, 0, utc)); p != oct {
		t.Errorf("statement of 30 Sep %v", p)
	}
	// November is after the last day of service.
	if _, err := svc.Window(Period{2025, time.November}, now); err == nil {
		t.Error("November evaluated after the end of service")
	}
}

func TestAvailabilityOverServiceHours(t *testing.T) {
	manila, _ := time.LoadLocation("Asia/Manila")
	h := Hours{
		Days:     []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday},
		Start:    7 * time.Hour,
		End:      19 * time.Hour,
		Holidays: map[string]bool{"2025-06-12": true},
	}
	from := time.Date(2025, 6, 9, 0, 0, 0, 0, manila)
	to := from.AddDate(0, 0, 7)
	l := level("portal", typev1.Aggregation_AGGREGATION_AVAILABILITY, typev1.Comparator_COMPARATOR_AT_LEAST, "99.5", true, 5000)
	a := NewAggregate(l, Window{Start: from, End: to})
	a.SetService(h.Intervals(from, to, manila), "service hours 07:00–19:00")
	// 18:00–21:00 Monday: 60 minutes in service hours; 02:00–04:00 Tuesday:
	// none. Service time 60 h = 3 600 minutes: (3600 − 60) / 3600 =
	// 98.333…% < 99.5 → MISSED. Around the clock it would be (10 080 −
	// 300) / 10 080 = 97.02 %.
	for _, o := range []Interval{
		{Start: time.Date(2025, 6, 9, 18, 0, 0, 0, manila), End: time.Date(2025, 6, 9, 21, 0, 0, 0, manila)},
		{Start: time.Date(2025, 6, 10, 2, 0, 0, 0, manila), End: time.Date(2025, 6, 10, 4, 0, 0, 0, manila)},
	} {
		if err := a.AddOutage(&o); err != nil {
			t.Fatal(err)
		}
	}
	r := a.Result()
	if r.Outcome != Missed || FormatDecimal(r.Value, 6) != "98.333333" {
		t.Errorf("%v %s: %s", r.Outcome, FormatDecimal(r.Value, 6), r.Explanation)
	}
}
