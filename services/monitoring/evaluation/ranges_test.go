package evaluation

import (
	"testing"
	"time"

	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
)

func ranged(key string, agg typev1.Aggregation, unit, min, max string) *typev1.ServiceLevel {
	return &typev1.ServiceLevel{Key: key, Metric: &typev1.MetricDefinition{Aggregation: agg, Unit: unit, MinValue: min, MaxValue: max}}
}

// TestAValueOutsideItsLevelsRangeIsRejected: each level's valid values
// follow from its unit and aggregation (a percentage 0–100, a duration or a
// count at least 0), or from the metric's own bounds, which win over the
// unit's; bounds are inclusive and compared as the decimal that is stored;
// no value of any level has more than 12 digits before the point. spec:
// monitoring.md "Measurements"; issue 7 item 5.
func TestAValueOutsideItsLevelsRangeIsRejected(t *testing.T) {
	const (
		mean, sum, count = typev1.Aggregation_AGGREGATION_MEAN, typev1.Aggregation_AGGREGATION_SUM, typev1.Aggregation_AGGREGATION_COUNT
		within, ratio    = typev1.Aggregation_AGGREGATION_PERCENT_WITHIN, typev1.Aggregation_AGGREGATION_RATIO
		availability     = typev1.Aggregation_AGGREGATION_AVAILABILITY
	)
	comm := Commencement(2025, 3, 1, time.UTC)
	now := time.Date(2025, 3, 15, 12, 0, 0, 0, time.UTC)
	in := NewIntake([]*typev1.ServiceLevel{
		ranged("csat", mean, "points", "1", "5"),
		ranged("aht_s", mean, "s", "", ""),
		ranged("asa_20s", within, "Seconds", "", ""),
		ranged("occupancy", mean, "%", "", ""),
		ranged("forecast", mean, "%", "", "150"), // % of the forecast volume: may exceed 100
		ranged("invoices", sum, "invoices", "", ""),
		ranged("tickets", count, "", "", ""),
		ranged("nps", mean, "points", "", ""), // a score without a stated scale
		ranged("quality", mean, "points", "", "4.2"),
		ranged("fcr", ratio, "%", "", ""),
		ranged("portal", availability, "%", "", ""),
		ranged("delta", mean, "s", "-10", ""), // a deviation from plan may be early
		ranged("broken", mean, "points", "", "five"),
	}, comm, now)
	tests := []struct {
		key    string
		value  float64
		reason string // the whole reason; "" when accepted
	}{
		// The report's CSAT: 1–5 is stated by the contract.
		{"csat", 1_000_000, "the value 1000000 of csat is above 5, the most it may be (the contract's metric definition says so)"},
		{"csat", 1, ""},
		{"csat", 5, ""},
		{"csat", 4.2, ""},
		{"csat", 0.999999, "the value 0.999999 of csat is below 1, the least it may be (the contract's metric definition says so)"},
		{"csat", 5.000001, "the value 5.000001 of csat is above 5, the most it may be (the contract's metric definition says so)"},
		{"csat", 5e-324, "the value 5e-324 of csat is below 1, the least it may be (the contract's metric definition says so)"},
		// The report's handle time.
		{"aht_s", -5000, "the value -5000 of aht_s is below 0, the least it may be (a duration is never negative)"},
		{"aht_s", 0, ""},
		{"aht_s", 999_999_999_999, ""},
		{"aht_s", 1e12, "the value 1000000000000 of aht_s has more than 12 digits before the decimal point, more than any measurement may have"},
		{"aht_s", 1e308, "the value 1e+308 of aht_s has more than 12 digits before the decimal point, more than any measurement may have"},
		{"aht_s", -1e308, "the value -1e+308 of aht_s has more than 12 digits before the decimal point, more than any measurement may have"},
		{"asa_20s", -0.5, "the value -0.5 of asa_20s is below 0, the least it may be (a duration is never negative)"},
		{"occupancy", 0, ""},
		{"occupancy", 100, ""},
		{"occupancy", 100.000001, "the value 100.000001 of occupancy is above 100, the most it may be (a percentage is never above 100)"},
		{"occupancy", -0.000001, "the value -0.000001 of occupancy is below 0, the least it may be (a percentage is never below 0)"},
		{"forecast", 150, ""},
		{"forecast", 150.5, "the value 150.5 of forecast is above 150, the most it may be (the contract's metric definition says so)"},
		{"forecast", -1, "the value -1 of forecast is below 0, the least it may be (a percentage is never below 0)"},
		{"invoices", 0, ""},
		{"invoices", -1, "the value -1 of invoices is below 0, the least it may be (a count is never negative)"},
		{"tickets", -1, "the value -1 of tickets is below 0, the least it may be (a count is never negative)"},
		{"nps", -100, ""},
		{"nps", 1_000_000, ""},
		{"nps", 1e308, "the value 1e+308 of nps has more than 12 digits before the decimal point, more than any measurement may have"},
		// 4.2 arrives as the double nearest 4.2, stored as "4.2": within.
		{"quality", 4.2, ""},
		{"quality", 4.2000001, "the value 4.2000001 of quality is above 4.2, the most it may be (the contract's metric definition says so)"},
		// A RATIO numerator is a count of events, not a %: 150 of 200.
		{"fcr", 150, ""},
		{"portal", 500, ""}, // an AVAILABILITY value is not used
		{"portal", 1e308, "the value 1e+308 of portal has more than 12 digits before the decimal point, more than any measurement may have"},
		{"delta", -10, ""},
		{"delta", -10.5, "the value -10.5 of delta is below -10, the least it may be (the contract's metric definition says so)"},
		// A bound that is no decimal (the API refuses one) accepts nothing.
		{"broken", 3, `the contract's max_value "five" of broken is not a decimal; amend the contract`},
	}
	for _, tt := range tests {
		m := Measurement{Key: tt.key, EventID: "e", Time: now.Add(-time.Hour), Value: tt.value}
		if tt.key == "fcr" {
			den := 200.0
			m.Denominator = &den
		}
		s, reason := in.Check(m)
		if reason != tt.reason {
			t.Errorf("%s = %v: reason %q, want %q", tt.key, tt.value, reason, tt.reason)
		}
		if reason == "" && s.Value == "" {
			t.Errorf("%s = %v accepted without a stored value", tt.key, tt.value)
		}
	}
}
