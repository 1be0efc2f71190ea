package monitoring_test

// Service tests of monitoring through its gRPC API, with the real catalog,
// contract and transition services in the same in-process server
// (services/testenv), on SQLite and, when BPO_TEST_POSTGRES_DSN is set, on
// PostgreSQL. spec: monitoring.md "Measurements", "Periods and evaluation";
// issue 3 item 6.

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/services/testenv"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// live is a contract whose service commenced on the first day of the
// previous month (in the service time zone), so that a whole month lies in
// the past and its evaluation does not depend on when the test runs.
type live struct {
	*testenv.Signed
	// prev is the previous month's start, the commencement; cur the
	// current month's start (the previous month's end).
	prev, cur time.Time
	period    string // the previous month, YYYY-MM
}

// liveContract walks the real API to a cutover that commenced service on
// the first of the previous month: testenv.LiveContract commences on the
// scope's go-live, months ahead, when no measurement could be accepted yet
// (see TestLiveContractBeforeGoLive). Here the transition plan starts on
// that day, every pre-cutover task is done, and the cutover records it.
func liveContract(t testing.TB, e *testenv.Env) *live {
	t.Helper()
	return commence(t, e, e.SignedContract(t))
}

// commence cuts the signed contract s over, commencing service on the
// first of the previous month (see liveContract).
func commence(t testing.TB, e *testenv.Env, s *testenv.Signed) *live {
	t.Helper()
	loc, err := time.LoadLocation(s.Contract.GetServiceTimeZone())
	if err != nil || s.Contract.GetServiceTimeZone() == "" {
		t.Fatalf("contract service time zone %q: %v", s.Contract.GetServiceTimeZone(), err)
	}
	now := time.Now().In(loc)
	cur := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
	prev := cur.AddDate(0, -1, 0)
	first := &date.Date{Year: int32(prev.Year()), Month: int32(prev.Month()), Day: 1}

	tm := e.AsRole(t, auth.TransitionManager)
	plan, err := e.Transition.CreateTransitionPlan(tm, &transitionv1.CreateTransitionPlanRequest{TransitionPlan: &transitionv1.TransitionPlan{
		Contract: s.Contract.GetName(), StartDate: first, TargetGoLive: s.GoLive,
	}})
	if err != nil {
		t.Fatalf("CreateTransitionPlan: %v", err)
	}
	if plan, err = e.Transition.StartTransitionPlan(tm, &transitionv1.StartTransitionPlanRequest{Name: plan.GetName()}); err != nil {
		t.Fatalf("StartTransitionPlan: %v", err)
	}
	e.FinishPreCutoverTasks(t, plan)
	if _, err := e.Transition.CompleteCutover(tm, &transitionv1.CompleteCutoverRequest{Name: plan.GetName(), CommencementDate: first}); err != nil {
		t.Fatalf("CompleteCutover: %v", err)
	}
	if s.Contract, err = e.Contract.GetContract(tm, &contractv1.GetContractRequest{Name: s.Contract.GetName()}); err != nil {
		t.Fatalf("GetContract: %v", err)
	}
	return &live{Signed: s, prev: prev, cur: cur, period: prev.Format("2006-01")}
}

// m is a measurement of key at t.
func m(key, id string, t time.Time, v float64) *monitoringv1.Measurement {
	return &monitoringv1.Measurement{ServiceLevelKey: key, EventId: id, EventTime: timestamppb.New(t), Value: v}
}

func wantCode(t *testing.T, err error, want codes.Code, words string) {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != want || !strings.Contains(st.Message(), words) {
		t.Fatalf("got %v, want %v saying %q", err, want, words)
	}
}

func outcomes(rs []*monitoringv1.MeasurementResult) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = strings.TrimPrefix(r.GetOutcome().String(), "MEASUREMENT_OUTCOME_")
	}
	return out
}

func TestMeasurementsBeforeCutoverAreRefused(t *testing.T) {
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		s := e.SignedContract(t)
		_, err := e.Monitoring.BatchCreateMeasurements(e.AsProvider(t, s.Provider), &monitoringv1.BatchCreateMeasurementsRequest{
			Parent:       s.Contract.GetName(),
			Measurements: []*monitoringv1.Measurement{m(testenv.LevelASA, "e1", time.Now(), 12)},
		})
		wantCode(t, err, codes.FailedPrecondition, s.Contract.GetName()+" has no service commencement yet: measurements are accepted from cutover")

		_, err = e.Monitoring.EvaluatePeriod(e.AsRole(t, auth.GovernanceManager), &monitoringv1.EvaluatePeriodRequest{
			Name: s.Contract.GetName() + "/periods/" + time.Now().Format("2006-01"),
		})
		wantCode(t, err, codes.FailedPrecondition, "has no service commencement yet")
	})
}

// TestLiveContractBeforeGoLive: the cutover of testenv.LiveContract
// commences service on the scope's go-live, the first of a month ahead;
// until then every measurement is before commencement and no period has
// begun.
func TestLiveContractBeforeGoLive(t *testing.T) {
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		l := e.LiveContract(t)
		resp, err := e.Monitoring.BatchCreateMeasurements(e.AsProvider(t, l.Provider), &monitoringv1.BatchCreateMeasurementsRequest{
			Parent:       l.Contract.GetName(),
			Measurements: []*monitoringv1.Measurement{m(testenv.LevelASA, "e1", time.Now(), 12)},
		})
		if err != nil {
			t.Fatal(err)
		}
		if r := resp.GetResults()[0]; r.GetOutcome() != monitoringv1.MeasurementOutcome_MEASUREMENT_OUTCOME_REJECTED || !strings.Contains(r.GetReason(), "before service commencement") {
			t.Errorf("a measurement before go-live: %v, want REJECTED before service commencement", r)
		}
		gm := e.AsRole(t, auth.GovernanceManager)
		_, err = e.Monitoring.EvaluatePeriod(gm, &monitoringv1.EvaluatePeriodRequest{Name: l.Contract.GetName() + "/periods/" + time.Now().Format("2006-01")})
		wantCode(t, err, codes.FailedPrecondition, "ends before service commencement")
		goLive := fmt.Sprintf("%04d-%02d", l.CommencementDate.GetYear(), l.CommencementDate.GetMonth())
		_, err = e.Monitoring.EvaluatePeriod(gm, &monitoringv1.EvaluatePeriodRequest{Name: l.Contract.GetName() + "/periods/" + goLive})
		wantCode(t, err, codes.FailedPrecondition, "has not begun yet")
	})
}

func TestBatchCreateMeasurements(t *testing.T) {
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		l := liveContract(t, e)
		name := l.Contract.GetName()
		p := e.AsProvider(t, l.Provider)
		day := l.prev.AddDate(0, 0, 2)

		resp, err := e.Monitoring.BatchCreateMeasurements(p, &monitoringv1.BatchCreateMeasurementsRequest{
			Parent: name,
			Measurements: []*monitoringv1.Measurement{
				m(testenv.LevelASA, "call-1", day, 12),
				m(testenv.LevelASA, "call-2", day.Add(time.Minute), 25.5),
				m(testenv.LevelAHT, "call-1", day, 280),
				m("first_contact", "call-1", day, 1),
				m(testenv.LevelASA, "call-0", l.prev.Add(-time.Second), 3),
				m(testenv.LevelASA, "call-9", time.Now().Add(time.Hour), 3),
				m(testenv.LevelASA, "call-2", day.Add(time.Minute), 25.5), // the same, again
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := "ACCEPTED ACCEPTED ACCEPTED REJECTED REJECTED REJECTED DUPLICATE"
		if got := strings.Join(outcomes(resp.GetResults()), " "); got != want {
			t.Fatalf("outcomes %s, want %s (%v)", got, want, resp.GetResults())
		}
		if resp.GetAccepted() != 3 || resp.GetDuplicates() != 1 || resp.GetRejected() != 3 {
			t.Errorf("counts %d/%d/%d, want 3 accepted, 1 duplicate, 3 rejected", resp.GetAccepted(), resp.GetDuplicates(), resp.GetRejected())
		}
		for i, words := range map[int]string{
			3: `no service level "first_contact"`,
			4: "before service commencement",
			5: "in the future",
		} {
			if r := resp.GetResults()[i].GetReason(); !strings.Contains(r, words) {
				t.Errorf("result %d reason %q, want %q", i, r, words)
			}
		}

		// A retry is a no-op; the same event id with another value is
		// rejected and the stored value stays.
		resp, err = e.Monitoring.BatchCreateMeasurements(p, &monitoringv1.BatchCreateMeasurementsRequest{
			Parent: name,
			Measurements: []*monitoringv1.Measurement{
				m(testenv.LevelASA, "call-1", day, 12),
				m(testenv.LevelASA, "call-2", day.Add(time.Minute), 19),
				m(testenv.LevelASA, "call-3", day.Add(2*time.Minute), 19),
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(outcomes(resp.GetResults()), " "); got != "DUPLICATE REJECTED ACCEPTED" {
			t.Fatalf("retry outcomes %s (%v)", got, resp.GetResults())
		}
		if r := resp.GetResults()[1].GetReason(); !strings.Contains(r, "already reported with a different time or value") {
			t.Errorf("conflict reason %q", r)
		}

		// A non-finite value is refused by the request's validation.
		_, err = e.Monitoring.BatchCreateMeasurements(p, &monitoringv1.BatchCreateMeasurementsRequest{
			Parent: name, Measurements: []*monitoringv1.Measurement{m(testenv.LevelASA, "call-4", day, math.NaN())},
		})
		wantField(t, err, "measurements[0].value")

		// One audit record per batch, counts in `after`.
		aud := e.AsRole(t, auth.Auditor)
		events, err := e.Monitoring.ListAuditEvents(aud, &monitoringv1.ListAuditEventsRequest{Filter: `resource = "` + name + `/measurements"`})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(events.GetAuditEvents()); n != 2 {
			t.Fatalf("%d audit events, want 2 (one per stored batch)", n)
		}
		first := events.GetAuditEvents()[0]
		if got := first.GetAfter().GetFields()["accepted"].GetNumberValue(); got != 3 || first.GetSubject() != testenv.ProviderUser(l.Provider) {
			t.Errorf("audit event %v: want 3 accepted by %s", first, testenv.ProviderUser(l.Provider))
		}
		v, err := e.Monitoring.VerifyAuditLog(aud, &monitoringv1.VerifyAuditLogRequest{})
		if err != nil || !v.GetVerification().GetIntact() {
			t.Errorf("audit log not intact: %v %v", v, err)
		}
	})
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != codes.InvalidArgument {
		t.Fatalf("got %v, want INVALID_ARGUMENT on %s", err, field)
	}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				if v.GetField() == field {
					return
				}
			}
		}
	}
	t.Fatalf("no violation of %s in %v", field, err)
}

func TestOnlyTheContractedProviderReports(t *testing.T) {
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		l := liveContract(t, e)
		req := &monitoringv1.BatchCreateMeasurementsRequest{
			Parent:       l.Contract.GetName(),
			Measurements: []*monitoringv1.Measurement{m(testenv.LevelASA, "e1", l.prev.Add(time.Hour), 12)},
		}
		var other string
		for _, p := range l.Providers {
			if p.GetName() != l.Provider {
				other = p.GetName()
				break
			}
		}
		_, err := e.Monitoring.BatchCreateMeasurements(e.AsProvider(t, other), req)
		wantCode(t, err, codes.PermissionDenied, "")
		_, err = e.Monitoring.BatchCreateMeasurements(e.AsRole(t, auth.GovernanceManager), req)
		wantCode(t, err, codes.PermissionDenied, "")
		_, err = e.Monitoring.EvaluatePeriod(e.AsProvider(t, other), &monitoringv1.EvaluatePeriodRequest{Name: l.Contract.GetName() + "/periods/" + l.period})
		wantCode(t, err, codes.PermissionDenied, "")
	})
}

func TestIngestMeasurements(t *testing.T) {
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		l := liveContract(t, e)
		stream, err := e.Monitoring.IngestMeasurements(e.AsProvider(t, l.Provider))
		if err != nil {
			t.Fatal(err)
		}
		day := l.prev.AddDate(0, 0, 5)
		for _, batch := range [][]*monitoringv1.Measurement{
			{m(testenv.LevelASA, "s-1", day, 10), m(testenv.LevelASA, "s-2", day, 30)},
			{m(testenv.LevelASA, "s-2", day, 30), m(testenv.LevelASA, "s-3", day, 15), m("nope", "s-4", day, 1)},
			{m(testenv.LevelAHT, "s-1", day, 300)},
		} {
			if err := stream.Send(&monitoringv1.IngestMeasurementsRequest{Parent: l.Contract.GetName(), Measurements: batch}); err != nil {
				t.Fatal(err)
			}
		}
		resp, err := stream.CloseAndRecv()
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetAccepted() != 4 || resp.GetDuplicates() != 1 || resp.GetRejected() != 1 {
			t.Errorf("counts %d/%d/%d, want 4 accepted, 1 duplicate, 1 rejected", resp.GetAccepted(), resp.GetDuplicates(), resp.GetRejected())
		}
		if len(resp.GetRejections()) != 1 || resp.GetRejections()[0].GetEventId() != "s-4" {
			t.Errorf("rejections %v, want s-4", resp.GetRejections())
		}

		// A message that fails validation ends the stream with
		// INVALID_ARGUMENT; what was acknowledged before stays stored.
		stream, err = e.Monitoring.IngestMeasurements(e.AsProvider(t, l.Provider))
		if err != nil {
			t.Fatal(err)
		}
		_ = stream.Send(&monitoringv1.IngestMeasurementsRequest{Parent: l.Contract.GetName(), Measurements: []*monitoringv1.Measurement{m(testenv.LevelASA, "s-5", day, 5)}})
		_ = stream.Send(&monitoringv1.IngestMeasurementsRequest{Parent: l.Contract.GetName(), Measurements: []*monitoringv1.Measurement{m(testenv.LevelASA, "s-6", day, math.Inf(1))}})
		_, err = stream.CloseAndRecv()
		if status.Code(err) != codes.InvalidArgument {
			t.Fatalf("stream with a non-finite value: %v, want INVALID_ARGUMENT", err)
		}

		ev, err := e.Monitoring.EvaluatePeriod(e.AsRole(t, auth.GovernanceManager), &monitoringv1.EvaluatePeriodRequest{Name: l.Contract.GetName() + "/periods/" + l.period})
		if err != nil {
			t.Fatal(err)
		}
		// s-1, s-2, s-3 and s-5: 10, 30, 15, 5 → 3 of 4 within 20 s.
		if r := level(t, ev, testenv.LevelASA); r.GetMeasurementsUsed() != 4 || r.GetValue() != "75" {
			t.Errorf("asa after streaming: %v, want 4 measurements, 75 %%", r)
		}
	})
}

func level(t *testing.T, ev *monitoringv1.PeriodEvaluation, key string) *monitoringv1.LevelResult {
	t.Helper()
	for _, r := range ev.GetResults() {
		if r.GetKey() == key {
			return r
		}
	}
	t.Fatalf("no result for %s in %v", key, ev)
	return nil
}

func TestEvaluatePeriod(t *testing.T) {
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		l := liveContract(t, e)
		name := l.Contract.GetName()
		var batch []*monitoringv1.Measurement
		// 10 calls on the 3rd, answered in 5, 12, 20, 20.5, 25, 8, 19.99,
		// 30, 3 and 15 s: 7 within 20 s (20 itself counts) = 70 % < 80 %.
		for i, v := range []float64{5, 12, 20, 20.5, 25, 8, 19.99, 30, 3, 15} {
			batch = append(batch, m(testenv.LevelASA, "asa-"+string(rune('a'+i)), l.prev.AddDate(0, 0, 2).Add(time.Duration(i)*time.Minute), v))
		}
		// Handle times 280, 310.5, 295.25: mean 885.75 / 3 = 295.25 ≤ 300.
		for i, v := range []float64{280, 310.5, 295.25} {
			batch = append(batch, m(testenv.LevelAHT, "aht-"+string(rune('a'+i)), l.prev.AddDate(0, 0, 10), v))
		}
		// The first instant of this month belongs to this month, not to the
		// period evaluated: it would make the ASA 7 of 11.
		batch = append(batch, m(testenv.LevelASA, "asa-next", l.cur, 1))
		resp, err := e.Monitoring.BatchCreateMeasurements(e.AsProvider(t, l.Provider), &monitoringv1.BatchCreateMeasurementsRequest{Parent: name, Measurements: batch})
		if err != nil || resp.GetAccepted() != int64(len(batch)) {
			t.Fatalf("batch: %v %v", resp, err)
		}

		ev, err := e.Monitoring.EvaluatePeriod(e.AsRole(t, auth.GovernanceManager), &monitoringv1.EvaluatePeriodRequest{Name: name + "/periods/" + l.period})
		if err != nil {
			t.Fatal(err)
		}
		if !ev.GetPeriodStart().AsTime().Equal(l.prev) || !ev.GetPeriodEnd().AsTime().Equal(l.cur) || !ev.GetProvisional() {
			t.Errorf("period [%v, %v) provisional %v, want [%v, %v) provisional", ev.GetPeriodStart().AsTime(), ev.GetPeriodEnd().AsTime(), ev.GetProvisional(), l.prev, l.cur)
		}
		asa := level(t, ev, testenv.LevelASA)
		if asa.GetOutcome() != monitoringv1.Outcome_OUTCOME_MISSED || asa.GetValue() != "70" || asa.GetMeasurementsUsed() != 10 || asa.GetTarget() != "80" {
			t.Errorf("asa %v, want MISSED at 70 of 10 against 80", asa)
		}
		aht := level(t, ev, testenv.LevelAHT)
		if aht.GetOutcome() != monitoringv1.Outcome_OUTCOME_MET || aht.GetValue() != "295.25" || aht.GetMeasurementsUsed() != 3 || aht.GetCredit() != nil {
			t.Errorf("aht %v, want MET at 295.25 of 3, no credit", aht)
		}

		// The statement. The awarded PH proposal's fee is USD 95,000.00;
		// the contract has the default 12 % at risk and the ASA as its only
		// critical level, so 100 % of the pool:
		//   at-risk = 9 500 000 × 1200 / 10 000 = 1 140 000 cents;
		//   ASA credit = 1 140 000 × 10 000 / 10 000 = 1 140 000 (= the cap);
		//   net = 9 500 000 − 1 140 000 = 8 360 000 cents (USD 83,600.00).
		if got := l.Contract.GetCreditRegime().GetAtRiskBps(); got != 1200 {
			t.Fatalf("contract at-risk %d bps; the worked example assumes 1200", got)
		}
		for _, line := range []struct {
			name string
			got  *typev1.Money
			want int64
		}{
			{"charges", ev.GetCharges(), 9_500_000},
			{"at-risk", ev.GetAtRiskAmount(), 1_140_000},
			{"asa credit", asa.GetCredit(), 1_140_000},
			{"credits", ev.GetCredits(), 1_140_000},
			{"net", ev.GetNet(), 8_360_000},
		} {
			if line.got.GetCurrencyCode() != "USD" || line.got.GetMinorUnits() != line.want {
				t.Errorf("%s %v, want USD %d cents", line.name, line.got, line.want)
			}
		}
		text := strings.Join(ev.GetExplanation(), "\n")
		for _, words := range []string{"7 of 10 measurements at most 20 s = 70 %", "mean of 3 measurements = 885.75 / 3 = 295.25", "Credit for asa_20s (critical, MISSED)", "Net: "} {
			if !strings.Contains(text, words) {
				t.Errorf("explanation does not say %q:\n%s", words, text)
			}
		}

		// The contracted provider reads its own result; a period before
		// commencement has nothing to evaluate.
		if _, err := e.Monitoring.EvaluatePeriod(e.AsProvider(t, l.Provider), &monitoringv1.EvaluatePeriodRequest{Name: name + "/periods/" + l.period}); err != nil {
			t.Errorf("provider reading its own period: %v", err)
		}
		before := l.prev.AddDate(0, -1, 0).Format("2006-01")
		_, err = e.Monitoring.EvaluatePeriod(e.AsRole(t, auth.Auditor), &monitoringv1.EvaluatePeriodRequest{Name: name + "/periods/" + before})
		wantCode(t, err, codes.FailedPrecondition, "ends before service commencement")
	})
}

// TestEvaluatePeriodWithoutReports: a provider cannot meet a level by not
// reporting. spec: monitoring.md "Metric definitions" (NO_DATA counts as
// missed for a critical level).
func TestEvaluatePeriodWithoutReports(t *testing.T) {
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		l := liveContract(t, e)
		ev, err := e.Monitoring.EvaluatePeriod(e.AsRole(t, auth.GovernanceManager), &monitoringv1.EvaluatePeriodRequest{Name: l.Contract.GetName() + "/periods/" + l.period})
		if err != nil {
			t.Fatal(err)
		}
		asa, aht := level(t, ev, testenv.LevelASA), level(t, ev, testenv.LevelAHT)
		if asa.GetOutcome() != monitoringv1.Outcome_OUTCOME_NO_DATA || asa.GetValue() != "" || asa.GetMeasurementsUsed() != 0 {
			t.Errorf("asa %v, want NO_DATA without a value", asa)
		}
		if aht.GetOutcome() != monitoringv1.Outcome_OUTCOME_NO_DATA || aht.GetCredit() != nil {
			t.Errorf("aht %v, want NO_DATA and, as a KPI, no credit", aht)
		}
		// As in TestEvaluatePeriod: fee 9 500 000 cents, at-risk 12 % =
		// 1 140 000; the ASA (critical, 100 % of the pool) without data
		// costs 1 140 000 × 10 000 / 10 000 = 1 140 000; net 8 360 000.
		for _, line := range []struct {
			name string
			got  *typev1.Money
			want int64
		}{
			{"asa credit", asa.GetCredit(), 1_140_000},
			{"credits", ev.GetCredits(), 1_140_000},
			{"net", ev.GetNet(), 8_360_000},
		} {
			if line.got.GetCurrencyCode() != "USD" || line.got.GetMinorUnits() != line.want {
				t.Errorf("%s %v, want USD %d cents", line.name, line.got, line.want)
			}
		}
		text := strings.Join(ev.GetExplanation(), "\n")
		for _, words := range []string{"asa_20s: no measurements in the period → NO_DATA (counts as missed", "Credit for asa_20s (critical, NO_DATA)"} {
			if !strings.Contains(text, words) {
				t.Errorf("explanation does not say %q:\n%s", words, text)
			}
		}
	})
}
