package monitoring_test

// A contract with RATIO and AVAILABILITY levels, end to end over gRPC on
// SQLite and PostgreSQL: outages and numerator/denominator events are
// reported, validated, stored, deduplicated and evaluated into outcomes and
// a credit. spec: monitoring.md "Metric definitions", "Measurements".

import (
	"math/big"
	"strings"
	"testing"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/services/monitoring/evaluation"
	"github.com/acme/bpo/services/testenv"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const (
	levelPortal = "portal_availability" // CRITICAL, 40 % of the pool: availability at least 99.5 %
	levelFCR    = "first_contact"       // KPI: first-contact resolution at least 70 %
)

// signedWithLevels walks an engagement to a SIGNED contract as
// testenv.SignedContract does, with the contract manager adding a portal
// availability level and a first-contact-resolution ratio to the draft
// (the ASA keeps 60 % of the pool, the portal gets 40 %).
func signedWithLevels(t *testing.T, e *testenv.Env) *testenv.Signed {
	t.Helper()
	monthly := typev1.MeasurementWindow_MEASUREMENT_WINDOW_MONTHLY
	return signedWith(t, e,
		&typev1.ServiceLevel{
			Key: levelPortal, DisplayName: "Customer portal availability",
			Metric:     &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_AVAILABILITY, Unit: "%"},
			Comparator: typev1.Comparator_COMPARATOR_AT_LEAST, Target: "99.5",
			Kind: typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL, Window: monthly, AllocationBps: 4000,
		},
		&typev1.ServiceLevel{
			Key: levelFCR, DisplayName: "First-contact resolution",
			Metric:     &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_RATIO, Unit: "%"},
			Comparator: typev1.Comparator_COMPARATOR_AT_LEAST, Target: "70",
			Kind: typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_KPI, Window: monthly,
		})
}

// signedWith walks an engagement to a SIGNED contract as
// testenv.SignedContract does, with the contract manager giving the ASA
// 60 % of the pool and adding levels to the draft (their critical ones
// share the other 40 %).
func signedWith(t *testing.T, e *testenv.Env, levels ...*typev1.ServiceLevel) *testenv.Signed {
	t.Helper()
	s := &testenv.Signed{Awarded: e.AwardedEngagement(t)}
	cm := e.AsRole(t, auth.ContractManager)
	c, err := e.Contract.CreateContract(cm, &contractv1.CreateContractRequest{Contract: &contractv1.Contract{
		Engagement: s.Engagement.GetName(), ClientSignatory: testenv.ClientSignatory,
	}})
	if err != nil {
		t.Fatalf("CreateContract: %v", err)
	}
	draft := proto.Clone(c).(*contractv1.Contract)
	for _, l := range draft.ServiceLevels {
		if l.GetKey() == testenv.LevelASA {
			l.AllocationBps = 6000
		}
	}
	draft.ServiceLevels = append(draft.ServiceLevels, levels...)
	if _, err = e.Contract.UpdateContract(cm, &contractv1.UpdateContractRequest{
		Contract: draft, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"service_levels"}},
	}); err != nil {
		t.Fatalf("UpdateContract: %v", err)
	}
	if _, err = e.Contract.SubmitContract(cm, &contractv1.SubmitContractRequest{Name: c.GetName()}); err != nil {
		t.Fatalf("SubmitContract: %v", err)
	}
	if _, err = e.Contract.ApproveContract(e.AsRole(t, auth.Approver), &contractv1.ApproveContractRequest{Name: c.GetName()}); err != nil {
		t.Fatalf("ApproveContract: %v", err)
	}
	if _, err = e.Contract.SignContract(e.As(t, testenv.ClientSignatory, auth.Approver), &contractv1.SignContractRequest{Name: c.GetName()}); err != nil {
		t.Fatalf("SignContract (client): %v", err)
	}
	if s.Contract, err = e.Contract.SignContract(e.AsProvider(t, s.Provider), &contractv1.SignContractRequest{Name: c.GetName()}); err != nil {
		t.Fatalf("SignContract (provider): %v", err)
	}
	return s
}

func outageM(id string, from, to time.Time) *monitoringv1.Measurement {
	return &monitoringv1.Measurement{
		ServiceLevelKey: levelPortal, EventId: id, EventTime: timestamppb.New(from),
		Outage: &monitoringv1.Outage{StartTime: timestamppb.New(from), EndTime: timestamppb.New(to)},
	}
}

func ratioM(id string, at time.Time, num float64, den *float64) *monitoringv1.Measurement {
	return &monitoringv1.Measurement{ServiceLevelKey: levelFCR, EventId: id, EventTime: timestamppb.New(at), Value: num, Denominator: den}
}

func TestAvailabilityAndRatio(t *testing.T) {
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		l := commence(t, e, signedWithLevels(t, e))
		name := l.Contract.GetName()
		p := e.AsProvider(t, l.Provider)
		day := func(d int, hour int) time.Time { return l.prev.AddDate(0, 0, d-1).Add(time.Duration(hour) * time.Hour) }
		four := 4.0

		batch := []*monitoringv1.Measurement{
			// Outages of the 3rd, 10:00–13:00 and 11:00–14:00, overlap:
			// merged 10:00–14:00 = 240 minutes (not 180 + 180); the 8th,
			// 00:00–01:00 = 60 minutes. Down 300 minutes.
			outageM("out-1", day(3, 10), day(3, 13)),
			outageM("out-2", day(3, 11), day(3, 14)),
			outageM("out-3", day(8, 0), day(8, 1)),
			// First-contact resolution: 5 of 6 single contacts resolved
			// and a day's 2 of 4: (5 + 2) ÷ (6 + 4) = 7 ÷ 10 = 70 % → MET.
			ratioM("fcr-1", day(2, 9), 1, nil), ratioM("fcr-2", day(2, 9), 1, nil), ratioM("fcr-3", day(2, 9), 0, nil),
			ratioM("fcr-4", day(2, 9), 1, nil), ratioM("fcr-5", day(2, 9), 1, nil), ratioM("fcr-6", day(2, 9), 1, nil),
			ratioM("fcr-7", day(4, 9), 2, &four),
			// The ASA meets its target: 1 of 1 within 20 s.
			m(testenv.LevelASA, "asa-1", day(2, 9), 5),
			// Refused per item: a denominator on a PERCENT_WITHIN level, a
			// numerator above its denominator, an outage on a RATIO level.
			{ServiceLevelKey: testenv.LevelASA, EventId: "asa-2", EventTime: timestamppb.New(day(2, 9)), Value: 5, Denominator: &four},
			ratioM("fcr-8", day(2, 9), 2, nil),
			{ServiceLevelKey: levelFCR, EventId: "fcr-9", EventTime: timestamppb.New(day(2, 9)), Outage: &monitoringv1.Outage{StartTime: timestamppb.New(day(2, 9)), EndTime: timestamppb.New(day(2, 10))}},
		}
		resp, err := e.Monitoring.BatchCreateMeasurements(p, &monitoringv1.BatchCreateMeasurementsRequest{Parent: name, Measurements: batch})
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetAccepted() != 11 || resp.GetRejected() != 3 {
			t.Fatalf("accepted %d, rejected %d, want 11 and 3: %v", resp.GetAccepted(), resp.GetRejected(), resp.GetResults())
		}
		for i, words := range map[int]string{
			11: "a denominator is only for RATIO levels",
			12: "must be between 0 and the denominator 1",
			13: "an outage is only for AVAILABILITY levels",
		} {
			if r := resp.GetResults()[i].GetReason(); !strings.Contains(r, words) {
				t.Errorf("result %d reason %q, want %q", i, r, words)
			}
		}

		// Retries: the same outage and ratio are duplicates; the same event
		// ids with another outage end or denominator are rejected.
		eight := 8.0
		resp, err = e.Monitoring.BatchCreateMeasurements(p, &monitoringv1.BatchCreateMeasurementsRequest{Parent: name, Measurements: []*monitoringv1.Measurement{
			outageM("out-1", day(3, 10), day(3, 13)),
			ratioM("fcr-7", day(4, 9), 2, &four),
			outageM("out-3", day(8, 0), day(8, 2)),
			ratioM("fcr-7", day(4, 9), 2, &eight),
			ratioM("fcr-1", day(2, 9), 1, proto.Float64(1)), // denominator 1 given explicitly: the same content
		}})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(outcomes(resp.GetResults()), " "); got != "DUPLICATE DUPLICATE REJECTED REJECTED DUPLICATE" {
			t.Fatalf("retry outcomes %s (%v)", got, resp.GetResults())
		}

		// An outage that ends before it starts is refused by validation.
		_, err = e.Monitoring.BatchCreateMeasurements(p, &monitoringv1.BatchCreateMeasurementsRequest{Parent: name, Measurements: []*monitoringv1.Measurement{
			outageM("out-4", day(9, 2), day(9, 1)),
		}})
		wantField(t, err, "measurements[0].outage")

		ev, err := e.Monitoring.EvaluatePeriod(e.AsRole(t, auth.GovernanceManager), &monitoringv1.EvaluatePeriodRequest{Name: name + "/periods/" + l.period})
		if err != nil {
			t.Fatal(err)
		}
		// The month's length depends on when the test runs (28–31 days, and
		// an hour more or less in a month with a DST change in New York):
		// P minutes. Availability = (P − 300) × 100 / P, below 99.5 % in
		// every month (a 31-day month: 44 340 / 44 640 = 99.33 %) → MISSED.
		period := l.cur.Sub(l.prev)
		want := new(big.Rat).SetFrac64(int64(period-300*time.Minute)*100, int64(period))
		portal := level(t, ev, levelPortal)
		if portal.GetOutcome() != monitoringv1.Outcome_OUTCOME_MISSED || portal.GetValue() != evaluation.FormatDecimal(want, evaluation.DisplayPlaces) || portal.GetMeasurementsUsed() != 3 {
			t.Errorf("portal %v, want MISSED at %s of 3 outages", portal, evaluation.FormatDecimal(want, evaluation.DisplayPlaces))
		}
		fcr := level(t, ev, levelFCR)
		if fcr.GetOutcome() != monitoringv1.Outcome_OUTCOME_MET || fcr.GetValue() != "70" || fcr.GetMeasurementsUsed() != 7 || fcr.GetCredit() != nil {
			t.Errorf("fcr %v, want MET at 70 of 7, no credit", fcr)
		}
		if asa := level(t, ev, testenv.LevelASA); asa.GetOutcome() != monitoringv1.Outcome_OUTCOME_MET || asa.GetCredit() != nil {
			t.Errorf("asa %v, want MET without credit", asa)
		}
		// Fee USD 95,000.00; at-risk 12 % = 1 140 000 cents; the portal
		// (critical, 40 %) costs 1 140 000 × 4000 / 10 000 = 456 000;
		// net = 9 500 000 − 456 000 = 9 044 000 cents.
		for _, line := range []struct {
			name string
			got  *typev1.Money
			want int64
		}{
			{"portal credit", portal.GetCredit(), 456_000},
			{"credits", ev.GetCredits(), 456_000},
			{"net", ev.GetNet(), 9_044_000},
		} {
			if line.got.GetCurrencyCode() != "USD" || line.got.GetMinorUnits() != line.want {
				t.Errorf("%s %v, want USD %d cents", line.name, line.got, line.want)
			}
		}
		text := strings.Join(ev.GetExplanation(), "\n")
		for _, words := range []string{
			"outages in it 300 minutes (3 outages within the period, 2 after merging overlaps; 3 measurements)",
			"Σ numerator 7 ÷ Σ denominator 10 over 7 measurements = 70 %",
		} {
			if !strings.Contains(text, words) {
				t.Errorf("explanation does not say %q:\n%s", words, text)
			}
		}
	})
}
