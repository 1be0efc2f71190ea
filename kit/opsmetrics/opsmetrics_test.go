package opsmetrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestCounters(t *testing.T) {
	reg := prometheus.NewRegistry()
	if err := Register(reg); err != nil {
		t.Fatal(err)
	}
	before := testutil.ToFloat64(measurements.WithLabelValues("accepted"))
	// Two batches: 7 accepted, 1 duplicate, 2 rejected; then 3 accepted.
	// Accepted grows by 7 + 3 = 10.
	Measurements(7, 1, 2)
	Measurements(3, 0, 0)
	AlertRaised("MISSED")
	PeriodClosed()
	if got := testutil.ToFloat64(measurements.WithLabelValues("accepted")) - before; got != 10 {
		t.Errorf("accepted grew by %v; want 10", got)
	}
	want := `
# HELP bpo_periods_closed_total Measurement periods closed (evaluated and frozen) by monitoring.
# TYPE bpo_periods_closed_total counter
bpo_periods_closed_total 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "bpo_periods_closed_total"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(reg, "bpo_measurements_total"); err != nil || n != 3 {
		t.Errorf("bpo_measurements_total series = %d (%v); want 3 (accepted, duplicate, rejected)", n, err)
	}
}
