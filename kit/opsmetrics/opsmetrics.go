// Package opsmetrics holds the business counters an operator watches,
// beside the RPC metrics: measurements accepted and rejected, alerts
// raised, periods closed. (Audit chain verifications are kit/audit's
// bpo_audit_chain_verifications_total.)
//
// The counters are process-wide; a service calls the functions below where
// the event is committed, and `bpo serve` registers them (Register) on the
// registry its /metrics serves. Unregistered, they count into nothing
// anyone reads, which is what in-process tests want.
package opsmetrics

import "github.com/prometheus/client_golang/prometheus"

var (
	measurements = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bpo_measurements_total",
		Help: "Measurements reported by providers' systems, by outcome: accepted (stored), duplicate (an event id already stored, same content) or rejected (refused with a reason).",
	}, []string{"outcome"})
	alerts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bpo_alerts_raised_total",
		Help: "Alerts raised by monitoring's early warning, by condition (BUDGET_50, BUDGET_75, MISSED, BURN_RATE, NO_DATA_24H).",
	}, []string{"condition"})
	periodsClosed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "bpo_periods_closed_total",
		Help: "Measurement periods closed (evaluated and frozen) by monitoring.",
	})
)

func init() {
	// The outcomes show at zero from the start, so a rate() has a series.
	for _, o := range []string{"accepted", "duplicate", "rejected"} {
		measurements.WithLabelValues(o)
	}
}

// Register puts the counters on reg (once per registry).
func Register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{measurements, alerts, periodsClosed} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// Measurements counts one committed batch of measurements by outcome.
func Measurements(accepted, duplicates, rejected int64) {
	measurements.WithLabelValues("accepted").Add(float64(accepted))
	measurements.WithLabelValues("duplicate").Add(float64(duplicates))
	measurements.WithLabelValues("rejected").Add(float64(rejected))
}

// AlertRaised counts one alert raised (committed) for condition, a short
// word from a small fixed set (it is a label).
func AlertRaised(condition string) {
	alerts.WithLabelValues(condition).Inc()
}

// PeriodClosed counts one measurement period closed (committed).
func PeriodClosed() {
	periodsClosed.Inc()
}
