package monitoring_test

import (
	"testing"
	"time"

	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/services/testenv"
)

// A name of another kind — the engagement for a contract, a contract for
// a period — is refused on the field that held it, before anything is
// read or stored.
func TestNamesOfAnotherKindAreRefused(t *testing.T) {
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		l := liveContract(t, e)
		contract := l.Contract.GetName()
		others := []string{l.Contract.GetEngagement(), contract + "/periods/2026-01", contract + "/liveContract"}
		p := e.AsProvider(t, l.Provider)
		for _, other := range others {
			_, err := e.Monitoring.BatchCreateMeasurements(p, &monitoringv1.BatchCreateMeasurementsRequest{
				Parent: other, Measurements: []*monitoringv1.Measurement{m(testenv.LevelASA, "e1", l.prev.AddDate(0, 0, 1), 12)},
			})
			wantField(t, err, "parent")
			stream, err := e.Monitoring.IngestMeasurements(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := stream.Send(&monitoringv1.IngestMeasurementsRequest{
				Parent: other, Measurements: []*monitoringv1.Measurement{m(testenv.LevelASA, "e1", l.prev.AddDate(0, 0, 1), 12)},
			}); err != nil {
				t.Fatal(err)
			}
			_, err = stream.CloseAndRecv()
			wantField(t, err, "parent")
		}
		for _, other := range []string{contract, l.Contract.GetEngagement() + "/periods/2026-01"} {
			_, err := e.Monitoring.EvaluatePeriod(e.AsRole(t, auth.GovernanceManager), &monitoringv1.EvaluatePeriodRequest{Name: other})
			wantField(t, err, "name")
		}
		// Nothing was stored: the same event id is new to the contract.
		resp, err := e.Monitoring.BatchCreateMeasurements(p, &monitoringv1.BatchCreateMeasurementsRequest{
			Parent: contract, Measurements: []*monitoringv1.Measurement{m(testenv.LevelASA, "e1", l.prev.AddDate(0, 0, 1).Add(time.Hour), 12)},
		})
		if err != nil || resp.GetAccepted() != 1 {
			t.Fatalf("the contract's own batch: %v, %v; want it accepted", resp, err)
		}
	})
}
