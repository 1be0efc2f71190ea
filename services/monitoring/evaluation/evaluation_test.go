package evaluation

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/money"
)

func percentWithin(key, threshold string, thresholdCmp typev1.Comparator, target string, critical bool, allocationBps int32) *typev1.ServiceLevel {
	l := level(key, typev1.Aggregation_AGGREGATION_PERCENT_WITHIN, typev1.Comparator_COMPARATOR_AT_LEAST, target, critical, allocationBps)
	l.Metric.Threshold, l.Metric.ThresholdComparator, l.Metric.Unit = threshold, thresholdCmp, "s"
	return l
}

func level(key string, agg typev1.Aggregation, cmp typev1.Comparator, target string, critical bool, allocationBps int32) *typev1.ServiceLevel {
	kind := typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_KPI
	if critical {
		kind = typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL
	}
	return &typev1.ServiceLevel{
		Key: key, DisplayName: key, Metric: &typev1.MetricDefinition{Aggregation: agg},
		Comparator: cmp, Target: target, Kind: kind, AllocationBps: allocationBps,
	}
}

// march is a 31-day month in UTC: 31 × 24 × 60 = 44 640 minutes.
var march = Window{Start: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)}

func aggregate(t *testing.T, l *typev1.ServiceLevel, values ...string) Result {
	t.Helper()
	a := NewAggregate(l, march)
	for _, v := range values {
		if err := a.Add(v); err != nil {
			t.Fatal(err)
		}
	}
	return a.Result()
}

func TestAggregate(t *testing.T) {
	tests := []struct {
		name      string
		level     *typev1.ServiceLevel
		values    []string
		want      Outcome
		wantValue string // FormatDecimal(value, 6); "" when there is none
		wantUsed  int64
		wantWords string // a part of the explanation
	}{
		{
			// 10 calls; within 20 s (at most): 5, 12, 20, 8, 19.99, 3, 15 = 7
			// (20 itself counts); 20.0001, 25, 30 do not. 7/10 = 70 % < 80 %.
			name:   "percent within: 7 of 10 calls within 20 s is 70 %, below 80 %",
			level:  percentWithin("asa_20s", "20", typev1.Comparator_COMPARATOR_UNSPECIFIED, "80", true, 6000),
			values: []string{"5", "12", "20", "20.0001", "25", "8", "19.99", "30", "3", "15"},
			want:   Missed, wantValue: "70", wantUsed: 10,
			wantWords: "7 of 10 measurements at most 20 s = 70 %; target at least 80 % → MISSED",
		},
		{
			// 8 of 10 within: exactly 80 % meets "at least 80".
			name:   "percent within: exactly the target is met",
			level:  percentWithin("asa_20s", "20", typev1.Comparator_COMPARATOR_AT_MOST, "80", true, 6000),
			values: []string{"1", "2", "3", "4", "5", "6", "7", "20", "21", "22"},
			want:   Met, wantValue: "80", wantUsed: 10,
		},
		{
			// Threshold "at least 4": 4, 5 count, 3.999 does not → 2/3 =
			// 66.6666…%, shown as 66.666667, compared exactly with 66.666667
			// (which it is below) → MISSED.
			name:   "percent within: at-least threshold, repeating value compared exactly",
			level:  percentWithin("quality", "4", typev1.Comparator_COMPARATOR_AT_LEAST, "66.666667", false, 0),
			values: []string{"4", "5", "3.999"},
			want:   Missed, wantValue: "66.666667", wantUsed: 3,
		},
		{
			// (4.1 + 4.3 + 4.25) / 3 = 12.65 / 3 = 4.21666… ≥ 4.2 → MET.
			name:   "mean: CSAT 4.1, 4.3, 4.25 is 4.216667, at least 4.2",
			level:  level("csat", typev1.Aggregation_AGGREGATION_MEAN, typev1.Comparator_COMPARATOR_AT_LEAST, "4.2", false, 0),
			values: []string{"4.1", "4.3", "4.25"},
			want:   Met, wantValue: "4.216667", wantUsed: 3,
			wantWords: "mean of 3 measurements = 12.65 / 3 = 4.216667",
		},
		{
			// (0.1 + 0.2) / 2 = 0.15 exactly, at most 0.15 → MET. In float64
			// 0.1 + 0.2 = 0.30000000000000004 and the mean would miss.
			name:   "mean: exact where floats would miss",
			level:  level("error_rate", typev1.Aggregation_AGGREGATION_MEAN, typev1.Comparator_COMPARATOR_AT_MOST, "0.15", true, 4000),
			values: []string{"0.1", "0.2"},
			want:   Met, wantValue: "0.15", wantUsed: 2,
		},
		{
			// (−1 + 0.5) / 2 = −0.25 < 0 at least → MISSED.
			name:   "mean: negative values",
			level:  level("drift", typev1.Aggregation_AGGREGATION_MEAN, typev1.Comparator_COMPARATOR_AT_LEAST, "0", false, 0),
			values: []string{"-1", "0.5"},
			want:   Missed, wantValue: "-0.25", wantUsed: 2,
		},
		{
			// Values beyond an int64's 18 digits stay exact: 19.999…9 (19
			// nines after the dot) is within 20; 20.000…01 is not → 1/2 = 50 %.
			name:   "percent within: long decimals compared exactly",
			level:  percentWithin("asa_20s", "20", typev1.Comparator_COMPARATOR_AT_MOST, "50", true, 6000),
			values: []string{"19.9999999999999999999", "20.0000000000000000001"},
			want:   Met, wantValue: "50", wantUsed: 2,
		},
		{
			// (100000000000000000000.1 + 0.000000000000000000001) / 2 =
			// 100000000000000000000.100000000000000000001 / 2 =
			// 50000000000000000000.0500000000000000000005 → 6 places:
			// 50000000000000000000.05.
			name:   "mean: long decimals summed exactly",
			level:  level("volume", typev1.Aggregation_AGGREGATION_MEAN, typev1.Comparator_COMPARATOR_AT_LEAST, "1", false, 0),
			values: []string{"100000000000000000000.1", "0.000000000000000000001"},
			want:   Met, wantValue: "50000000000000000000.05", wantUsed: 2,
			wantWords: "= 100000000000000000000.100000000000000000001 / 2 =",
		},
		{
			name:  "no measurements: NO_DATA, missed for a critical level",
			level: level("csat", typev1.Aggregation_AGGREGATION_MEAN, typev1.Comparator_COMPARATOR_AT_LEAST, "4.2", true, 4000),
			want:  NoData, wantWords: "counts as missed",
		},
		{
			name:   "percentile without p is not evaluated",
			level:  level("aht_p90", typev1.Aggregation_AGGREGATION_PERCENTILE, typev1.Comparator_COMPARATOR_AT_MOST, "480", true, 4000),
			values: []string{"300", "500"},
			want:   NotEvaluated, wantWords: "no percentile (1–100); amend the contract (2 measurements stored",
		},
		{
			// The window (a week) is chosen by Service.Spans; the aggregate
			// evaluates whatever window it is given.
			name: "a weekly level is evaluated over its window",
			level: func() *typev1.ServiceLevel {
				l := level("csat", typev1.Aggregation_AGGREGATION_MEAN, typev1.Comparator_COMPARATOR_AT_LEAST, "4.2", false, 0)
				l.Window = typev1.MeasurementWindow_MEASUREMENT_WINDOW_WEEKLY
				return l
			}(),
			values: []string{"5"},
			want:   Met, wantValue: "5", wantUsed: 1, wantWords: "mean of 1 measurements = 5 / 1 = 5",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := aggregate(t, tt.level, tt.values...)
			if r.Outcome != tt.want {
				t.Errorf("outcome %v, want %v (%s)", r.Outcome, tt.want, r.Explanation)
			}
			got := ""
			if r.Value != nil {
				got = FormatDecimal(r.Value, DisplayPlaces)
			}
			if got != tt.wantValue {
				t.Errorf("value %q, want %q", got, tt.wantValue)
			}
			if r.Used != tt.wantUsed {
				t.Errorf("used %d, want %d", r.Used, tt.wantUsed)
			}
			if !strings.Contains(r.Explanation, tt.wantWords) {
				t.Errorf("explanation %q does not say %q", r.Explanation, tt.wantWords)
			}
		})
	}
}

func TestAggregateRefusesNonDecimal(t *testing.T) {
	a := NewAggregate(level("csat", typev1.Aggregation_AGGREGATION_MEAN, typev1.Comparator_COMPARATOR_AT_LEAST, "4.2", false, 0), march)
	for _, v := range []string{"1/3", "1e3", "", "-", "1.", ".5", "NaN"} {
		if err := a.Add(v); err == nil {
			t.Errorf("Add(%q) accepted", v)
		}
	}
}

func TestStatement(t *testing.T) {
	usd := func(minor int64) money.Amount { return money.New("USD", minor) }
	asa := percentWithin("asa_20s", "20", typev1.Comparator_COMPARATOR_AT_MOST, "80", true, 6000)
	csat := level("csat", typev1.Aggregation_AGGREGATION_MEAN, typev1.Comparator_COMPARATOR_AT_LEAST, "4.2", true, 4000)
	kpi := level("backlog", typev1.Aggregation_AGGREGATION_MEAN, typev1.Comparator_COMPARATOR_AT_MOST, "10", false, 0)
	res := func(l *typev1.ServiceLevel, o Outcome) Result { return Result{Level: l, Outcome: o} }

	tests := []struct {
		name    string
		terms   Terms
		results []Result
		atRisk  int64
		credit  map[string]int64
		credits int64
		net     int64
	}{
		{
			// Fee USD 50,000.00; at risk 12 % = 6,000.00; nothing missed.
			name:    "all met: no credit",
			terms:   Terms{MonthlyFee: usd(5_000_000), AtRiskBps: 1200},
			results: []Result{res(asa, Met), res(csat, Met)},
			atRisk:  600_000, credit: map[string]int64{}, credits: 0, net: 5_000_000,
		},
		{
			// 6,000.00 × 60 % = 3,600.00; net 50,000.00 − 3,600.00 = 46,400.00.
			name:    "one critical level missed: 60 % of the at-risk amount",
			terms:   Terms{MonthlyFee: usd(5_000_000), AtRiskBps: 1200},
			results: []Result{res(asa, Missed), res(csat, Met), res(kpi, Missed)},
			atRisk:  600_000, credit: map[string]int64{"asa_20s": 360_000}, credits: 360_000, net: 4_640_000,
		},
		{
			// 3,600.00 + 6,000.00 × 40 % = 2,400.00 → 6,000.00 (= the cap,
			// not above it); net 44,000.00. NO_DATA counts as missed.
			name:    "both critical levels missed, one by not reporting",
			terms:   Terms{MonthlyFee: usd(5_000_000), AtRiskBps: 1200},
			results: []Result{res(asa, Missed), res(csat, NoData)},
			atRisk:  600_000, credit: map[string]int64{"asa_20s": 360_000, "csat": 240_000}, credits: 600_000, net: 4_400_000,
		},
		{
			// Allocations 100 % + 100 % + 50 % = 250 %: 6,000.00 + 6,000.00 +
			// 3,000.00 = 15,000.00, capped at the at-risk 6,000.00.
			name:  "allocations summing to 250 % are capped at the at-risk amount",
			terms: Terms{MonthlyFee: usd(5_000_000), AtRiskBps: 1200},
			results: []Result{
				res(level("a", typev1.Aggregation_AGGREGATION_MEAN, typev1.Comparator_COMPARATOR_AT_LEAST, "1", true, 10000), Missed),
				res(level("b", typev1.Aggregation_AGGREGATION_MEAN, typev1.Comparator_COMPARATOR_AT_LEAST, "1", true, 10000), Missed),
				res(level("c", typev1.Aggregation_AGGREGATION_MEAN, typev1.Comparator_COMPARATOR_AT_LEAST, "1", true, 5000), NoData),
			},
			atRisk: 600_000, credit: map[string]int64{"a": 600_000, "b": 600_000, "c": 300_000}, credits: 600_000, net: 4_400_000,
		},
		{
			// Fee USD 1,000.05; at risk 10 %: 100,005 × 1000 / 10,000 =
			// 10,000.5 cents, a tie → 10,000 (0 is even, not 10,001).
			// Credit 50 %: 10,000 × 5000 / 10,000 = 5,000 cents exactly.
			name:    "half-even tie on the at-risk line rounds down to even",
			terms:   Terms{MonthlyFee: usd(100_005), AtRiskBps: 1000},
			results: []Result{res(level("a", typev1.Aggregation_AGGREGATION_MEAN, typev1.Comparator_COMPARATOR_AT_LEAST, "1", true, 5000), Missed)},
			atRisk:  10_000, credit: map[string]int64{"a": 5_000}, credits: 5_000, net: 95_005,
		},
		{
			// Fee USD 1,001.25; at risk 12 %: 100,125 × 0.12 = 12,015 cents
			// exactly. Credit 50 %: 12,015 × 0.5 = 6,007.5 cents, a tie →
			// 6,008 (8 is even). Net 100,125 − 6,008 = 94,117.
			name:    "half-even tie on a credit line rounds up to even",
			terms:   Terms{MonthlyFee: usd(100_125), AtRiskBps: 1200},
			results: []Result{res(level("a", typev1.Aggregation_AGGREGATION_MEAN, typev1.Comparator_COMPARATOR_AT_LEAST, "1", true, 5000), Missed)},
			atRisk:  12_015, credit: map[string]int64{"a": 6_008}, credits: 6_008, net: 94_117,
		},
		{
			// A level not evaluated yet (no outcome) costs nothing.
			name:    "a level not evaluated carries no credit",
			terms:   Terms{MonthlyFee: usd(5_000_000), AtRiskBps: 1200},
			results: []Result{res(asa, NotEvaluated)},
			atRisk:  600_000, credit: map[string]int64{}, credits: 0, net: 5_000_000,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Compute(tt.terms, "2025-06", tt.results, nil)
			if err != nil {
				t.Fatal(err)
			}
			if s.Charges != tt.terms.MonthlyFee {
				t.Errorf("charges %v, want the fee %v", s.Charges, tt.terms.MonthlyFee)
			}
			if s.AtRisk != usd(tt.atRisk) {
				t.Errorf("at-risk %v, want %v", s.AtRisk, usd(tt.atRisk))
			}
			if len(s.Credit) != len(tt.credit) {
				t.Errorf("credits for %v, want %v", s.Credit, tt.credit)
			}
			for k, c := range tt.credit {
				if s.Credit[k] != usd(c) {
					t.Errorf("credit of %s %v, want %v", k, s.Credit[k], usd(c))
				}
			}
			if s.Credits != usd(tt.credits) || s.Net != usd(tt.net) {
				t.Errorf("credits %v net %v, want %v and %v", s.Credits, s.Net, usd(tt.credits), usd(tt.net))
			}
			if len(s.Lines) < 4 {
				t.Errorf("statement explains %d lines, want charges, at-risk, credits, net: %q", len(s.Lines), s.Texts())
			}
		})
	}
}

func TestStatementExplainsEachLine(t *testing.T) {
	asa := percentWithin("asa_20s", "20", typev1.Comparator_COMPARATOR_AT_MOST, "80", true, 6000)
	s, err := Compute(Terms{MonthlyFee: money.New("USD", 5_000_000), AtRiskBps: 1200}, "2025-06", []Result{{Level: asa, Outcome: Missed}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Charges: USD 50000.00 = the fixed monthly fee USD 50000.00.",
		"At-risk amount: USD 6000.00 = charges USD 50000.00 × 1200 bps (12 %) / 10 000, rounded half-even to the minor unit.",
		"Credit for asa_20s (critical, MISSED): USD 3600.00 = at-risk USD 6000.00 × allocation 6000 bps (60 %), rounded half-even to the minor unit.",
		"Credits: USD 3600.00 = the sum of the level credits (within the at-risk amount USD 6000.00).",
		"Net: USD 46400.00 = charges USD 50000.00 − credits USD 3600.00 + earn-backs USD 0.00 + bonus USD 0.00.",
	}
	if strings.Join(s.Texts(), "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(s.Texts(), "\n"), strings.Join(want, "\n"))
	}
}

func TestWindowOf(t *testing.T) {
	manila, _ := time.LoadLocation("Asia/Manila")
	newYork, _ := time.LoadLocation("America/New_York")
	asuncion, _ := time.LoadLocation("America/Asuncion")
	havana, _ := time.LoadLocation("America/Havana")
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	now := utc("2025-06-15T00:00:00Z")
	tests := []struct {
		name         string
		period       string
		loc          *time.Location
		commencement time.Time
		start, end   string
		fromComm     bool
		wantErr      string
	}{
		{
			// Manila is UTC+8 all year: March starts 2025-02-28 16:00 UTC.
			name: "a month in Manila", period: "2025-03", loc: manila,
			commencement: Commencement(2025, 1, 1, manila),
			start:        "2025-02-28T16:00:00Z", end: "2025-03-31T16:00:00Z",
		},
		{
			// New York: EST (UTC−5) on 1 March, EDT (UTC−4) on 1 April.
			name: "a month across a DST change", period: "2025-03", loc: newYork,
			commencement: Commencement(2025, 1, 1, newYork),
			start:        "2025-03-01T05:00:00Z", end: "2025-04-01T04:00:00Z",
		},
		{
			// Asunción skipped midnight on 1 October 2023: 30 September
			// 23:59:59 −04 was followed by 1 October 01:00 −03 (04:00 UTC).
			// October starts there, not at 30 September 23:00 −04 (03:00
			// UTC), which belongs to September; it ends at 1 November
			// 00:00 −03 = 03:00 UTC.
			name: "a month whose first midnight a DST change skips", period: "2023-10", loc: asuncion,
			commencement: Commencement(2023, 1, 1, asuncion),
			start:        "2023-10-01T04:00:00Z", end: "2023-11-01T03:00:00Z",
		},
		{
			// ... and September ends where October starts.
			name: "the month before a skipped midnight", period: "2023-09", loc: asuncion,
			commencement: Commencement(2023, 1, 1, asuncion),
			start:        "2023-09-01T04:00:00Z", end: "2023-10-01T04:00:00Z",
		},
		{
			// Havana commenced on 10 March 2024, when 00:00 CST became 01:00
			// CDT at 05:00 UTC: service begins then, not at 9 March 23:00
			// CST (04:00 UTC).
			name: "commencement on a day whose midnight a DST change skips", period: "2024-03", loc: havana,
			commencement: Commencement(2024, 3, 10, havana),
			start:        "2024-03-10T05:00:00Z", end: "2024-04-01T04:00:00Z", fromComm: true,
		},
		{
			name: "December ends at the next year", period: "2024-12", loc: time.UTC,
			commencement: Commencement(2024, 1, 1, time.UTC),
			start:        "2024-12-01T00:00:00Z", end: "2025-01-01T00:00:00Z",
		},
		{
			// Commencement 10 March (Manila midnight = 9 March 16:00 UTC).
			name: "the first month starts at commencement", period: "2025-03", loc: manila,
			commencement: Commencement(2025, 3, 10, manila),
			start:        "2025-03-09T16:00:00Z", end: "2025-03-31T16:00:00Z", fromComm: true,
		},
		{
			name: "a month before commencement", period: "2025-02", loc: manila,
			commencement: Commencement(2025, 3, 10, manila),
			wantErr:      "period 2025-02 ends before service commencement on 2025-03-10: evaluate 2025-03 or a later period",
		},
		{
			name: "a month not begun", period: "2025-07", loc: manila,
			commencement: Commencement(2025, 3, 10, manila),
			wantErr:      "period 2025-07 has not begun yet",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePeriod(tt.period)
			if err != nil {
				t.Fatal(err)
			}
			w, err := WindowOf(p, tt.loc, tt.commencement, now)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || apperr.KindOf(err) != apperr.FailedPrecondition {
					t.Fatalf("got %v, want FAILED_PRECONDITION %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !w.Start.Equal(utc(tt.start)) || !w.End.Equal(utc(tt.end)) || w.FromCommencement != tt.fromComm {
				t.Errorf("window [%v, %v) from commencement %v, want [%s, %s) %v", w.Start.UTC(), w.End.UTC(), w.FromCommencement, tt.start, tt.end, tt.fromComm)
			}
		})
	}
}

func TestParsePeriodRefuses(t *testing.T) {
	for _, s := range []string{"2025-13", "2025-00", "2025-3", "25-03", "2025/03", "abcd-01", "0000-01", "+025-03", "2025-+3", "-025-03", " 025-03"} {
		if _, err := ParsePeriod(s); apperr.KindOf(err) != apperr.InvalidArgument {
			t.Errorf("ParsePeriod(%q) = %v, want INVALID_ARGUMENT", s, err)
		}
	}
}

func TestValueText(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{4.1, "4.1"}, // the double nearest 4.1 reads back as the decimal sent
		{0.30000000000000004, "0.30000000000000004"}, // float64 0.1 + 0.2
		{20, "20"},
		{-12.5, "-12.5"},
		{math.Copysign(0, -1), "0"},
		{1e21, "1000000000000000000000"},
		{1.5e-7, "0.00000015"},
	}
	for _, tt := range tests {
		got, err := ValueText(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ValueText(%v) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		if _, err := ParseDecimal(got); err != nil {
			t.Errorf("ValueText(%v) = %q does not parse back: %v", tt.in, got, err)
		}
	}
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := ValueText(v); err == nil {
			t.Errorf("ValueText(%v) accepted", v)
		}
	}
}

func TestFormatDecimal(t *testing.T) {
	// 2/3 to 6 places: 0.6666666… → 0.666667; 1/8 = 0.125 exactly;
	// 0.0000005 is a tie at 6 places → 0.000000 → "0"; 0.0000015 → 0.000002.
	tests := []struct {
		num, den int64
		want     string
	}{
		{2, 3, "0.666667"}, {1, 8, "0.125"}, {70, 1, "70"}, {-1, 4, "-0.25"},
		{5, 10_000_000, "0"}, {15, 10_000_000, "0.000002"}, {-5, 10_000_000, "0"},
	}
	for _, tt := range tests {
		r := new(big.Rat).SetFrac64(tt.num, tt.den)
		if got := FormatDecimal(r, 6); got != tt.want {
			t.Errorf("FormatDecimal(%d/%d) = %q, want %q", tt.num, tt.den, got, tt.want)
		}
	}
}

func TestIntake(t *testing.T) {
	utc := time.UTC
	comm := Commencement(2025, 3, 1, utc)
	now := time.Date(2025, 3, 15, 12, 0, 0, 0, utc)
	in := NewIntake([]*typev1.ServiceLevel{{Key: "asa_20s"}}, comm, now)
	tests := []struct {
		name   string
		m      Measurement
		reason string // "" when accepted
	}{
		{"accepted", Measurement{Key: "asa_20s", EventID: "e1", Time: now.Add(-time.Hour), Value: 12.5}, ""},
		{"at commencement", Measurement{Key: "asa_20s", EventID: "e1", Time: comm, Value: 1}, ""},
		{"five minutes of skew", Measurement{Key: "asa_20s", EventID: "e1", Time: now.Add(MaxSkew), Value: 1}, ""},
		{"unknown key", Measurement{Key: "aht", EventID: "e1", Time: now, Value: 1}, `the contract has no service level "aht"`},
		{"before commencement", Measurement{Key: "asa_20s", EventID: "e1", Time: comm.Add(-time.Nanosecond), Value: 1}, "is before service commencement (2025-03-01T00:00:00Z)"},
		{"in the future", Measurement{Key: "asa_20s", EventID: "e1", Time: now.Add(MaxSkew + time.Second), Value: 1}, "is in the future"},
		{"not finite", Measurement{Key: "asa_20s", EventID: "e1", Time: now, Value: math.Inf(1)}, "is not a finite number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, reason := in.Check(tt.m)
			if tt.reason == "" {
				if reason != "" || s.Value == "" {
					t.Fatalf("rejected: %s", reason)
				}
				return
			}
			if !strings.Contains(reason, tt.reason) {
				t.Errorf("reason %q, want %q", reason, tt.reason)
			}
		})
	}
}

func TestAStatementBeyondInt64IsAnErrorNeverAWrongAmount(t *testing.T) {
	asa := percentWithin("asa_20s", "20", typev1.Comparator_COMPARATOR_AT_MOST, "80", true, 25_000)
	// At-risk 100 % of the largest fee, and a credit of 250 % of that:
	// 2.5 × 9,223,372,036,854,775,807 minor units has no int64.
	_, err := Compute(Terms{MonthlyFee: money.New("USD", math.MaxInt64), AtRiskBps: 10_000}, "2025-06", []Result{{Level: asa, Outcome: Missed}}, nil)
	if !errors.Is(err, money.ErrOverflow) {
		t.Fatalf("got %v, want money.ErrOverflow", err)
	}
}
