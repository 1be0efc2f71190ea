package monitoring_test

import (
	"fmt"
	"strings"
	"testing"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/services/testenv"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

const levelCSAT = "csat"

// csatLevel is the report's critical "Customer satisfaction (1–5)", with
// its scale stated: a mean of at least 4.2 on 1–5, 40 % of the pool.
func csatLevel() *typev1.ServiceLevel {
	return &typev1.ServiceLevel{
		Key: levelCSAT, DisplayName: "Customer satisfaction (1–5)",
		Metric:     &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_MEAN, Unit: "points", MinValue: "1", MaxValue: "5"},
		Comparator: typev1.Comparator_COMPARATOR_AT_LEAST, Target: "4.2",
		Kind: typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL, Window: typev1.MeasurementWindow_MEASUREMENT_WINDOW_MONTHLY, AllocationBps: 4000,
	}
}

// TestAnImplausibleValueIsRejectedAndTheRestOfTheBatchStored is the
// report's F5: a CSAT of 1,000,000 turned a missed critical level into met
// and removed its credit. Out-of-range items are rejected with their
// reason, the batch's other items are stored, and the period's outcome and
// money stay as they were. spec: monitoring.md "Measurements"; issue 7
// item 5.
func TestAnImplausibleValueIsRejectedAndTheRestOfTheBatchStored(t *testing.T) {
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		l := commence(t, e, signedWith(t, e, csatLevel()))
		name := l.Contract.GetName()
		p := e.AsProvider(t, l.Provider)
		gm := e.AsRole(t, auth.GovernanceManager)
		at := l.prev.AddDate(0, 0, 3)

		// 100 surveys of 3 (mean 3 < 4.2: MISSED) and one call answered
		// in 5 s (ASA 100 % ≥ 80 %: MET).
		var batch []*monitoringv1.Measurement
		for i := range 100 {
			batch = append(batch, m(levelCSAT, fmt.Sprintf("survey-%03d", i), at, 3))
		}
		batch = append(batch, m(testenv.LevelASA, "call-1", at, 5))
		resp, err := e.Monitoring.BatchCreateMeasurements(p, &monitoringv1.BatchCreateMeasurementsRequest{Parent: name, Measurements: batch})
		if err != nil || resp.GetAccepted() != 101 {
			t.Fatalf("first batch: %v %v, want 101 accepted", resp, err)
		}
		// Fee USD 95,000.00, 12 % at risk = 1 140 000 cents; the CSAT
		// (critical, 40 %) costs 1 140 000 × 4000 / 10 000 = 456 000;
		// net = 9 500 000 − 456 000 = 9 044 000 cents.
		check := func(when string, used int64) {
			t.Helper()
			ev, err := e.Monitoring.EvaluatePeriod(gm, &monitoringv1.EvaluatePeriodRequest{Name: name + "/periods/" + l.period})
			if err != nil {
				t.Fatal(err)
			}
			csat := level(t, ev, levelCSAT)
			if csat.GetOutcome() != monitoringv1.Outcome_OUTCOME_MISSED || csat.GetValue() != "3" || csat.GetMeasurementsUsed() != used {
				t.Errorf("%s: csat %v, want MISSED at 3 of %d", when, csat, used)
			}
			if asa := level(t, ev, testenv.LevelASA); asa.GetOutcome() != monitoringv1.Outcome_OUTCOME_MET {
				t.Errorf("%s: asa %v, want MET", when, asa)
			}
			for _, line := range []struct {
				name string
				got  *typev1.Money
				want int64
			}{
				{"csat credit", csat.GetCredit(), 456_000},
				{"credits", ev.GetCredits(), 456_000},
				{"net", ev.GetNet(), 9_044_000},
			} {
				if line.got.GetCurrencyCode() != "USD" || line.got.GetMinorUnits() != line.want {
					t.Errorf("%s: %s %v, want USD %d cents", when, line.name, line.got, line.want)
				}
			}
		}
		check("before the outliers", 100)

		// Accepted, the outlier would make the mean (300 + 1 000 000) / 101
		// = 9903.96: MET, and the 456 000 credit gone. The scale's ends
		// are valid and keep the mean at (300 + 1 + 5) / 102 = 3.
		resp, err = e.Monitoring.BatchCreateMeasurements(p, &monitoringv1.BatchCreateMeasurementsRequest{Parent: name, Measurements: []*monitoringv1.Measurement{
			m(levelCSAT, "outlier", at, 1_000_000),
			m(levelCSAT, "survey-low", at, 1),
			m(levelCSAT, "survey-high", at, 5),
			m(testenv.LevelAHT, "handle-negative", at, -5000),
			m(testenv.LevelAHT, "handle-zero", at, 0),
			m(testenv.LevelASA, "call-huge", at, 1e308),
			m(testenv.LevelASA, "call-minus-huge", at, -1e308),
		}})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Join(outcomes(resp.GetResults()), " "), "REJECTED ACCEPTED ACCEPTED REJECTED ACCEPTED REJECTED REJECTED"; got != want {
			t.Fatalf("outcomes %s, want %s (%v)", got, want, resp.GetResults())
		}
		if resp.GetAccepted() != 3 || resp.GetRejected() != 4 {
			t.Errorf("counts %d accepted, %d rejected; want 3 and 4", resp.GetAccepted(), resp.GetRejected())
		}
		for i, want := range map[int]string{
			0: "the value 1000000 of csat is above 5, the most it may be (the contract's metric definition says so)",
			3: "the value -5000 of " + testenv.LevelAHT + " is below 0, the least it may be (a duration is never negative)",
			5: "the value 1e+308 of asa_20s has more than 12 digits before the decimal point, more than any measurement may have",
			6: "the value -1e+308 of asa_20s has more than 12 digits before the decimal point, more than any measurement may have",
		} {
			if got := resp.GetResults()[i].GetReason(); got != want {
				t.Errorf("result %d reason %q, want %q", i, got, want)
			}
		}
		check("after the outliers", 102)

		// The same through the stream: the outlier rejected, listed with
		// its reason, the stream goes on.
		stream, err := e.Monitoring.IngestMeasurements(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(&monitoringv1.IngestMeasurementsRequest{Parent: name, Measurements: []*monitoringv1.Measurement{
			m(levelCSAT, "streamed-outlier", at, 1_000_000), m(levelCSAT, "streamed-3", at, 3),
		}}); err != nil {
			t.Fatal(err)
		}
		sum, err := stream.CloseAndRecv()
		if err != nil {
			t.Fatal(err)
		}
		if sum.GetAccepted() != 1 || sum.GetRejected() != 1 || len(sum.GetRejections()) != 1 || sum.GetRejections()[0].GetEventId() != "streamed-outlier" {
			t.Errorf("stream: %v, want streamed-3 accepted and streamed-outlier rejected", sum)
		}
		check("after the stream", 103)
	})
}

// TestAContractLevelsScaleMustNotBeUpsideDown: a metric's stated range is
// checked when the contract is drafted — a minimum above the maximum would
// reject every measurement — and a bound is a decimal like a target.
func TestAContractLevelsScaleMustNotBeUpsideDown(t *testing.T) {
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		a := e.AwardedEngagement(t)
		cm := e.AsRole(t, auth.ContractManager)
		c, err := e.Contract.CreateContract(cm, &contractv1.CreateContractRequest{Contract: &contractv1.Contract{
			Engagement: a.Engagement.GetName(), ClientSignatory: testenv.ClientSignatory,
		}})
		if err != nil {
			t.Fatal(err)
		}
		update := func(min, max string) error {
			draft := proto.CloneOf(c)
			draft.Etag = "" // each draft replaces the levels whole
			l := csatLevel()
			l.Metric.MinValue, l.Metric.MaxValue = min, max
			draft.ServiceLevels = append(draft.ServiceLevels, l)
			_, err := e.Contract.UpdateContract(cm, &contractv1.UpdateContractRequest{
				Contract: draft, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"service_levels"}},
			})
			return err
		}
		n := len(c.GetServiceLevels())
		wantField(t, update("5", "1"), fmt.Sprintf("contract.service_levels[%d].metric", n))
		wantField(t, update("1e3", ""), fmt.Sprintf("contract.service_levels[%d].metric.min_value", n))
		wantField(t, update("", "NaN"), fmt.Sprintf("contract.service_levels[%d].metric.max_value", n))
		for _, ok := range [][2]string{{"1", "5"}, {"3", "3"}, {"-2.5", ""}, {"", "0.000001"}} {
			if err := update(ok[0], ok[1]); err != nil {
				t.Errorf("range %q–%q: %v, want it accepted", ok[0], ok[1], err)
			}
		}
	})
}
