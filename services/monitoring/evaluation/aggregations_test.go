package evaluation

import (
	"strings"
	"testing"
	"time"

	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
)

func percentile(key string, p int32, target string) *typev1.ServiceLevel {
	l := level(key, typev1.Aggregation_AGGREGATION_PERCENTILE, typev1.Comparator_COMPARATOR_AT_MOST, target, true, 4000)
	l.Metric.Percentile, l.Metric.Unit = p, "s"
	return l
}

// checkResult compares a result with the expected outcome, displayed
// value, measurements used and a part of the explanation.
func checkResult(t *testing.T, r Result, want Outcome, wantValue string, wantUsed int64, wantWords string) {
	t.Helper()
	if r.Outcome != want {
		t.Errorf("outcome %v, want %v (%s)", r.Outcome, want, r.Explanation)
	}
	got := ""
	if r.Value != nil {
		got = FormatDecimal(r.Value, DisplayPlaces)
	}
	if got != wantValue {
		t.Errorf("value %q, want %q (%s)", got, wantValue, r.Explanation)
	}
	if r.Used != wantUsed {
		t.Errorf("used %d, want %d", r.Used, wantUsed)
	}
	if !strings.Contains(r.Explanation, wantWords) {
		t.Errorf("explanation %q does not say %q", r.Explanation, wantWords)
	}
}

// TestPercentileSumCount: aggregations of one value per event. spec:
// monitoring.md "Metric definitions".
func TestPercentileSumCount(t *testing.T) {
	// Ten handle times; sorted: 300, 390, 410, 430, 450, 460, 470, 480,
	// 520, 610.
	handle := []string{"300", "520", "410", "480", "450", "390", "610", "470", "430", "460"}
	tests := []struct {
		name      string
		level     *typev1.ServiceLevel
		values    []string
		want      Outcome
		wantValue string
		wantUsed  int64
		wantWords string
	}{
		{
			// rank = ⌈90 × 10 / 100⌉ = 9 → the 9th sorted value, 520 s,
			// above 480 → MISSED.
			name:   "p90 of 10 handle times is the 9th value",
			level:  percentile("aht_p90", 90, "480"),
			values: handle,
			want:   Missed, wantValue: "520", wantUsed: 10,
			wantWords: "90th percentile (nearest rank) of 10 measurements: rank ⌈90 × 10 / 100⌉ = 9 of the sorted values = 520 s; target at most 480 s → MISSED",
		},
		{
			// rank = ⌈95 × 10 / 100⌉ = ⌈9.5⌉ = 10 → 610.
			name:   "p95 of 10 rounds the rank up",
			level:  percentile("aht_p95", 95, "700"),
			values: handle,
			want:   Met, wantValue: "610", wantUsed: 10, wantWords: "rank ⌈95 × 10 / 100⌉ = 10",
		},
		{
			// rank = ⌈80 × 10 / 100⌉ = 8 → 480, exactly the target → MET.
			name:   "p80 at exactly the target is met",
			level:  percentile("aht_p80", 80, "480"),
			values: handle,
			want:   Met, wantValue: "480", wantUsed: 10,
		},
		{
			// rank = ⌈1 × 3 / 100⌉ = ⌈0.03⌉ = 1 → the smallest, 2.25.
			name:   "p1 is the smallest value",
			level:  percentile("p1", 1, "3"),
			values: []string{"2.5", "10", "2.25"},
			want:   Met, wantValue: "2.25", wantUsed: 3,
		},
		{
			// rank = ⌈100 × 3 / 100⌉ = 3 → the largest, 10.
			name:   "p100 is the largest value",
			level:  percentile("p100", 100, "9.99"),
			values: []string{"2.5", "10", "2.25"},
			want:   Missed, wantValue: "10", wantUsed: 3,
		},
		{
			// Ordered as numbers, not as text ("10" < "9.99" as text):
			// sorted −1, 9.99, 10; rank = ⌈50 × 3 / 100⌉ = ⌈1.5⌉ = 2 → 9.99.
			name:   "p50 orders decimals of different scales numerically",
			level:  percentile("p50", 50, "10"),
			values: []string{"10", "9.99", "-1"},
			want:   Met, wantValue: "9.99", wantUsed: 3,
		},
		{
			// 12 + 7.5 + 0.25 = 19.75 ≤ 20 → MET.
			name:   "sum of backlog items",
			level:  level("backlog", typev1.Aggregation_AGGREGATION_SUM, typev1.Comparator_COMPARATOR_AT_MOST, "20", false, 0),
			values: []string{"12", "7.5", "0.25"},
			want:   Met, wantValue: "19.75", wantUsed: 3,
			wantWords: "sum of 3 measurements = 19.75; target at most 20 → MET",
		},
		{
			// 0.1 + 0.2 = 0.3 exactly (in float64 0.30000000000000004),
			// at most 0.3 → MET.
			name:   "sum is exact where floats would miss",
			level:  level("errors", typev1.Aggregation_AGGREGATION_SUM, typev1.Comparator_COMPARATOR_AT_MOST, "0.3", true, 4000),
			values: []string{"0.1", "0.2"},
			want:   Met, wantValue: "0.3", wantUsed: 2,
		},
		{
			// 4 invoices processed, at least 5 → MISSED; values do not matter.
			name:   "count of invoices",
			level:  level("invoices", typev1.Aggregation_AGGREGATION_COUNT, typev1.Comparator_COMPARATOR_AT_LEAST, "5", true, 4000),
			values: []string{"1", "0", "-3", "1000.5"},
			want:   Missed, wantValue: "4", wantUsed: 4,
			wantWords: "count of measurements = 4; target at least 5 → MISSED",
		},
		{
			name:  "count without measurements is NO_DATA",
			level: level("invoices", typev1.Aggregation_AGGREGATION_COUNT, typev1.Comparator_COMPARATOR_AT_LEAST, "5", true, 4000),
			want:  NoData, wantWords: "counts as missed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkResult(t, aggregate(t, tt.level, tt.values...), tt.want, tt.wantValue, tt.wantUsed, tt.wantWords)
		})
	}
}

// TestRatio: Σ numerator ÷ Σ denominator, as %. spec: monitoring.md
// "Metric definitions" (RATIO).
func TestRatio(t *testing.T) {
	fcr := level("fcr", typev1.Aggregation_AGGREGATION_RATIO, typev1.Comparator_COMPARATOR_AT_LEAST, "70", true, 4000)
	ones := func(resolved, total int) [][2]string {
		var out [][2]string
		for i := 0; i < total; i++ {
			v := "0"
			if i < resolved {
				v = "1"
			}
			out = append(out, [2]string{v, "1"})
		}
		return out
	}
	tests := []struct {
		name      string
		level     *typev1.ServiceLevel
		events    [][2]string // numerator, denominator
		want      Outcome
		wantValue string
		wantUsed  int64
		wantWords string
	}{
		{
			// 7 of 10 contacts resolved first time: 7 ÷ 10 = 70 % ≥ 70 → MET.
			name:   "7 of 10 is 70 %, at the target",
			level:  fcr,
			events: ones(7, 10),
			want:   Met, wantValue: "70", wantUsed: 10,
			wantWords: "Σ numerator 7 ÷ Σ denominator 10 over 10 measurements = 70 %; target at least 70 % → MET",
		},
		{
			// 6 of 10: 60 % < 70 → MISSED.
			name:   "6 of 10 is 60 %, missed",
			level:  fcr,
			events: ones(6, 10),
			want:   Missed, wantValue: "60", wantUsed: 10,
		},
		{
			// Daily counts: (45 + 24.5) ÷ (50 + 50) = 69.5 ÷ 100 = 69.5 % → MISSED.
			// (The mean of the daily shares, (90 % + 49 %) / 2, is 69.5 % too;
			// the next row shows where they differ.)
			name:   "explicit numerators and denominators are summed",
			level:  fcr,
			events: [][2]string{{"45", "50"}, {"24.5", "50"}},
			want:   Missed, wantValue: "69.5", wantUsed: 2,
		},
		{
			// (9 + 61) ÷ (10 + 90) = 70 ÷ 100 = 70 % → MET; the mean of the
			// shares, (90 % + 67.78 %) / 2 = 78.9 %, would overstate it.
			name:   "a ratio of sums, not a mean of ratios",
			level:  fcr,
			events: [][2]string{{"9", "10"}, {"61", "90"}},
			want:   Met, wantValue: "70", wantUsed: 2,
		},
		{
			// 1 ÷ 3 = 33.333…% shows as 33.333333 and is, exactly, above
			// 33.333333 → MET.
			name:   "a repeating share is compared exactly",
			level:  level("fcr", typev1.Aggregation_AGGREGATION_RATIO, typev1.Comparator_COMPARATOR_AT_LEAST, "33.333333", false, 0),
			events: [][2]string{{"1", "3"}},
			want:   Met, wantValue: "33.333333", wantUsed: 1,
		},
		{
			name:  "no events is NO_DATA",
			level: fcr,
			want:  NoData, wantWords: "counts as missed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := NewAggregate(tt.level, march)
			if a.Input() != Ratios {
				t.Fatalf("input %v, want Ratios", a.Input())
			}
			for _, e := range tt.events {
				if err := a.AddRatio(e[0], e[1]); err != nil {
					t.Fatal(err)
				}
			}
			checkResult(t, a.Result(), tt.want, tt.wantValue, tt.wantUsed, tt.wantWords)
		})
	}
}

// TestAvailability: (period minutes − outage minutes) ÷ period minutes, as
// %, with overlapping outages merged. spec: monitoring.md "Metric
// definitions" (AVAILABILITY).
func TestAvailability(t *testing.T) {
	// April 2025 in UTC: 30 days = 30 × 24 × 60 = 43 200 minutes.
	april := Window{Start: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)}
	at := func(day, hour, minute int) time.Time { return time.Date(2025, 4, day, hour, minute, 0, 0, time.UTC) }
	out := func(from, to time.Time) *Interval { return &Interval{Start: from, End: to} }
	portal := level("portal", typev1.Aggregation_AGGREGATION_AVAILABILITY, typev1.Comparator_COMPARATOR_AT_LEAST, "99.5", true, 4000)
	tests := []struct {
		name      string
		outages   []*Interval // nil: a report that the service was up
		want      Outcome
		wantValue string
		wantUsed  int64
		wantWords string
	}{
		{
			// 10 Apr 10:00–11:00 and 10:30–12:00 overlap: merged 10:00–12:00
			// = 120 min (not 60 + 90 = 150); 20 Apr 00:00–00:30 = 30 min.
			// Down 150 min: (43 200 − 150) / 43 200 = 43 050 / 43 200 =
			// 99.652777…% → 99.652778, at least 99.5 → MET.
			name:    "30-day month with two overlapping outages and one more",
			outages: []*Interval{out(at(10, 10, 0), at(10, 11, 0)), out(at(10, 10, 30), at(10, 12, 0)), out(at(20, 0, 0), at(20, 0, 30))},
			want:    Met, wantValue: "99.652778", wantUsed: 3,
			wantWords: "service time 43200 minutes (the whole period is service time), outages in it 150 minutes (3 outages within the period, 2 after merging overlaps; 3 measurements) → (43200 − 150) / 43200 = 99.652778 %; target at least 99.5 % → MET",
		},
		{
			// 1:00–5:00 contains 2:00–3:00; 5:00–5:36 touches it: merged
			// 1:00–5:36 = 276 min. (43 200 − 276) / 43 200 = 42 924 / 43 200
			// = 99.361111…% < 99.5 → MISSED.
			name:    "contained and touching outages count once",
			outages: []*Interval{out(at(3, 1, 0), at(3, 5, 0)), out(at(3, 2, 0), at(3, 3, 0)), out(at(3, 5, 0), at(3, 5, 36))},
			want:    Missed, wantValue: "99.361111", wantUsed: 3, wantWords: "outages in it 276 minutes",
		},
		{
			// 31 Mar 23:00 – 1 Apr 01:00: only the 60 minutes in April
			// count; an up report beside it. (43 200 − 60) / 43 200 =
			// 43 140 / 43 200 = 99.861111…% → MET.
			name:    "an outage across the period start counts within the period only",
			outages: []*Interval{out(time.Date(2025, 3, 31, 23, 0, 0, 0, time.UTC), at(1, 1, 0)), nil},
			want:    Met, wantValue: "99.861111", wantUsed: 2, wantWords: "outages in it 60 minutes",
		},
		{
			// 30 Apr 23:45 – 1 May 02:00: 15 minutes in April, and 90
			// seconds = 1.5 min more on 2 Apr: 16.5 min. (43 200 − 16.5) /
			// 43 200 = 43 183.5 / 43 200 = 99.961805…% → 99.961806.
			name:    "an outage across the period end, and one of fractional minutes",
			outages: []*Interval{out(at(30, 23, 45), time.Date(2025, 5, 1, 2, 0, 0, 0, time.UTC)), out(at(2, 8, 0), at(2, 8, 0).Add(90*time.Second))},
			want:    Met, wantValue: "99.961806", wantUsed: 2, wantWords: "outages in it 16.5 minutes",
		},
		{
			// Reports without outages: 43 200 / 43 200 = 100 %.
			name:    "up reports only: 100 %",
			outages: []*Interval{nil, nil},
			want:    Met, wantValue: "100", wantUsed: 2,
		},
		{
			name: "nothing reported is NO_DATA",
			want: NoData, wantWords: "counts as missed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := NewAggregate(portal, april)
			if a.Input() != Outages {
				t.Fatalf("input %v, want Outages", a.Input())
			}
			for _, o := range tt.outages {
				if err := a.AddOutage(o); err != nil {
					t.Fatal(err)
				}
			}
			checkResult(t, a.Result(), tt.want, tt.wantValue, tt.wantUsed, tt.wantWords)
		})
	}
}

func TestIntakeRatioAndOutage(t *testing.T) {
	utc := time.UTC
	comm := Commencement(2025, 3, 1, utc)
	now := time.Date(2025, 3, 15, 12, 0, 0, 0, utc)
	in := NewIntake([]*typev1.ServiceLevel{
		{Key: "asa_20s", Metric: &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_PERCENT_WITHIN}},
		{Key: "fcr", Metric: &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_RATIO}},
		{Key: "portal", Metric: &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_AVAILABILITY}},
	}, comm, now)
	f := func(v float64) *float64 { return &v }
	ev := now.Add(-time.Hour)
	tests := []struct {
		name    string
		m       Measurement
		reason  string // "" when accepted
		wantDen string
	}{
		{"ratio 0/1 gets denominator 1", Measurement{Key: "fcr", EventID: "e", Time: ev, Value: 1}, "", "1"},
		{"ratio with a denominator", Measurement{Key: "fcr", EventID: "e", Time: ev, Value: 45, Denominator: f(50)}, "", "50"},
		{"ratio numerator above its denominator", Measurement{Key: "fcr", EventID: "e", Time: ev, Value: 2}, "must be between 0 and the denominator 1", ""},
		{"ratio negative numerator", Measurement{Key: "fcr", EventID: "e", Time: ev, Value: -1, Denominator: f(5)}, "must be between 0 and the denominator 5", ""},
		{"ratio zero denominator", Measurement{Key: "fcr", EventID: "e", Time: ev, Value: 0, Denominator: f(0)}, "must be a finite number greater than 0", ""},
		{"denominator on another level", Measurement{Key: "asa_20s", EventID: "e", Time: ev, Value: 1, Denominator: f(2)}, "a denominator is only for RATIO levels; asa_20s is PERCENT_WITHIN", ""},
		{"outage", Measurement{Key: "portal", EventID: "e", Time: ev, Outage: &Interval{Start: ev, End: ev.Add(time.Minute)}}, "", ""},
		{"up report", Measurement{Key: "portal", EventID: "e", Time: ev}, "", ""},
		{"outage ending before it starts", Measurement{Key: "portal", EventID: "e", Time: ev, Outage: &Interval{Start: ev, End: ev}}, "end_time must be after start_time", ""},
		{"outage not over yet", Measurement{Key: "portal", EventID: "e", Time: ev, Outage: &Interval{Start: ev, End: now.Add(time.Hour)}}, "report it once it is over", ""},
		{"outage on another level", Measurement{Key: "fcr", EventID: "e", Time: ev, Value: 1, Outage: &Interval{Start: ev, End: ev.Add(time.Minute)}}, "an outage is only for AVAILABILITY levels; fcr is RATIO", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, reason := in.Check(tt.m)
			if tt.reason == "" {
				if reason != "" {
					t.Fatalf("rejected: %s", reason)
				}
				if s.Denominator != tt.wantDen || (s.Outage == nil) != (tt.m.Outage == nil) {
					t.Errorf("stored %+v, want denominator %q and the outage", s, tt.wantDen)
				}
				return
			}
			if !strings.Contains(reason, tt.reason) {
				t.Errorf("reason %q, want %q", reason, tt.reason)
			}
		})
	}
}

// TestSameContentCoversRatioAndOutage: a retry is a duplicate only when the
// denominator and the outage are the same too.
func TestSameContentCoversRatioAndOutage(t *testing.T) {
	t0 := time.Date(2025, 3, 2, 0, 0, 0, 0, time.UTC)
	base := Stored{Key: "k", EventID: "e", Time: t0, Value: "1", Denominator: "2", Outage: &Interval{Start: t0, End: t0.Add(time.Hour)}}
	same := base
	same.Outage = &Interval{Start: t0.In(time.FixedZone("X", 3600)), End: t0.Add(time.Hour)}
	if !base.SameContent(same) {
		t.Error("the same outage in another zone is not the same content")
	}
	for name, change := range map[string]func(s *Stored){
		"denominator":  func(s *Stored) { s.Denominator = "3" },
		"outage end":   func(s *Stored) { s.Outage = &Interval{Start: t0, End: t0.Add(2 * time.Hour)} },
		"outage start": func(s *Stored) { s.Outage = &Interval{Start: t0.Add(time.Minute), End: t0.Add(time.Hour)} },
		"no outage":    func(s *Stored) { s.Outage = nil },
	} {
		other := base
		change(&other)
		if base.SameContent(other) || other.SameContent(base) {
			t.Errorf("another %s is the same content", name)
		}
	}
}
