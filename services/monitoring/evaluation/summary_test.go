package evaluation

import (
	"strings"
	"testing"

	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
)

func TestSummaryArithmetic(t *testing.T) {
	s := NewSummary()
	for _, m := range []struct {
		v, den string
		outage bool
	}{{"17.25", "", false}, {"3", "2", false}, {"17.25", "", true}, {"0.5", "0.25", false}} {
		if err := s.Add(m.v, m.den, m.outage); err != nil {
			t.Fatal(err)
		}
	}
	// Σ value 17.25 + 3 + 17.25 + 0.5 = 38.00, kept at the values' scale;
	// Σ denominator 1 + 2 + 1 + 0.25 = 4.25.
	if s.N != 4 || s.Outages != 1 || s.SumText() != "38.00" || s.DenText() != "4.25" || s.ValuesText() != "0.5 17.25*2 3" {
		t.Fatalf("summary n=%d outages=%d sum=%s den=%s values=%q", s.N, s.Outages, s.SumText(), s.DenText(), s.ValuesText())
	}

	one := NewSummary()
	if err := one.Add("17.25", "", true); err != nil {
		t.Fatal(err)
	}
	if err := s.Subtract(one); err != nil {
		t.Fatal(err)
	}
	// 38.00 − 17.25 = 20.75; 4.25 − 1 = 3.25.
	if s.N != 3 || s.Outages != 0 || s.SumText() != "20.75" || s.DenText() != "3.25" || s.ValuesText() != "0.5 17.25 3" {
		t.Fatalf("after subtracting: n=%d outages=%d sum=%s den=%s values=%q", s.N, s.Outages, s.SumText(), s.DenText(), s.ValuesText())
	}
	if err := s.Subtract(one); err == nil {
		t.Fatal("took away an outage the summary no longer holds")
	}
	up := NewSummary()
	if err := up.Add("17.25", "", false); err != nil {
		t.Fatal(err)
	}
	if err := s.Subtract(up); err != nil {
		t.Fatal(err) // the other 17.25
	}
	if err := s.Subtract(up); err == nil {
		t.Fatal("took away a 17.25 the summary no longer holds")
	}

	// Stored and read back: the same sums at the same scale, the same counts.
	back := NewSummary()
	if err := back.SetSums("-12.50", "7"); err != nil {
		t.Fatal(err)
	}
	if err := back.AddValuesText("-12.5*2 0 40.125"); err != nil {
		t.Fatal(err)
	}
	if back.SumText() != "-12.50" || back.DenText() != "7" || back.ValuesText() != "-12.5*2 0 40.125" {
		t.Fatalf("read back sum=%s den=%s values=%q", back.SumText(), back.DenText(), back.ValuesText())
	}
	for _, bad := range []string{"1*0", "x", "1*y", "1e5"} {
		if err := NewSummary().AddValuesText(bad); err == nil {
			t.Errorf("AddValuesText(%q) took it", bad)
		}
	}

	// A summary without value counts makes a merge without them.
	m := NewSummary()
	m.Merge(&Summary{N: 1})
	if m.Values != nil || m.N != 1 {
		t.Fatalf("merged with a summary without counts: values %v, n %d", m.Values, m.N)
	}
}

// A percentile from counted values is the nearest rank over the values
// with their multiplicity: 1 three times, 2 once, 5 six times (n = 10).
// Ranks ⌈p × 10 / 100⌉: p30 → 3 → 1; p40 → 4 → 2; p50 → 5 → 5; p100 → 10 → 5.
func TestPercentileFromSummary(t *testing.T) {
	s := NewSummary()
	if err := s.AddValuesText("5*6 1*3 2"); err != nil {
		t.Fatal(err)
	}
	s.N = 10
	for p, want := range map[int32]string{30: "1", 40: "2", 50: "5", 100: "5", 1: "1"} {
		l := &typev1.ServiceLevel{Key: "aht", Target: "100", Metric: &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_PERCENTILE, Percentile: p}}
		a := NewAggregate(l, Window{})
		if err := a.AddSummary(s); err != nil {
			t.Fatal(err)
		}
		r := a.Result()
		if r.Used != 10 || FormatDecimal(r.Value, 6) != want || !strings.Contains(r.Explanation, "of 10 measurements") {
			t.Errorf("p%d: %s (used %d), want %s", p, r.Explanation, r.Used, want)
		}
	}
	// A PERCENTILE needs the counts.
	l := &typev1.ServiceLevel{Key: "aht", Target: "100", Metric: &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_PERCENTILE, Percentile: 50}}
	if err := NewAggregate(l, Window{}).AddSummary(&Summary{N: 3}); err == nil {
		t.Fatal("a percentile from a summary without value counts")
	}
}
