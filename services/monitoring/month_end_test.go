package monitoring_test

// The month-end through the gRPC API, both dialects: close, measurements
// refused for a closed period, exclusions with four eyes, restatement with
// revisions kept. spec: monitoring.md "Periods and evaluation", "Metric
// definitions" (exclusions); issue 8 part A.

import (
	"fmt"
	"math/big"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/money"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"github.com/acme/bpo/services/testenv"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestMonthEndCloseExcludeRestate(t *testing.T) {
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		l := liveContract(t, e)
		c := l.Contract.GetName()
		prov := e.AsProvider(t, l.Provider)
		gm := e.AsRole(t, auth.GovernanceManager)
		period := c + "/periods/" + l.period

		// 10 calls on the 3rd at 10:00–10:09, 6 answered within 20 s: 60 %
		// < 80 % → asa_20s MISSED. 4 slow ones at 10:06–10:09.
		var ms []*monitoringv1.Measurement
		day := l.prev.AddDate(0, 0, 2).Add(10 * time.Hour)
		for i := range 10 {
			v := 12.0
			if i >= 6 {
				v = 45
			}
			ms = append(ms, m(testenv.LevelASA, "asa-"+string(rune('a'+i)), day.Add(time.Duration(i)*time.Minute), v))
		}
		if _, err := e.Monitoring.BatchCreateMeasurements(prov, &monitoringv1.BatchCreateMeasurementsRequest{Parent: c, Measurements: ms}); err != nil {
			t.Fatal(err)
		}
		ev, err := e.Monitoring.EvaluatePeriod(gm, &monitoringv1.EvaluatePeriodRequest{Name: period})
		if err != nil {
			t.Fatal(err)
		}
		if ev.GetState() != monitoringv1.PeriodState_PERIOD_STATE_OPEN || !ev.GetProvisional() || ev.GetCredits().GetMinorUnits() == 0 {
			t.Fatalf("open evaluation: state %v provisional %v credits %v", ev.GetState(), ev.GetProvisional(), ev.GetCredits())
		}
		missedCredits := ev.GetCredits().GetMinorUnits()

		// The provider may not close; the governance manager may, once.
		_, err = e.Monitoring.ClosePeriod(prov, &monitoringv1.ClosePeriodRequest{Name: period})
		wantCode(t, err, codes.PermissionDenied, "")
		p, err := e.Monitoring.ClosePeriod(gm, &monitoringv1.ClosePeriodRequest{Name: period, RequestId: "close-1"})
		if err != nil {
			t.Fatal(err)
		}
		if p.GetState() != monitoringv1.PeriodState_PERIOD_STATE_CLOSED || p.GetStatement() != period+"/statements/1" || p.GetStatementRevisions() != 1 {
			t.Fatalf("closed period %v", p)
		}
		if again, err := e.Monitoring.ClosePeriod(gm, &monitoringv1.ClosePeriodRequest{Name: period, RequestId: "close-1"}); err != nil || again.GetEtag() != p.GetEtag() {
			t.Errorf("retried close: %v %v, want the first answer", again, err)
		}
		_, err = e.Monitoring.ClosePeriod(gm, &monitoringv1.ClosePeriodRequest{Name: period, RequestId: "close-2"})
		wantCode(t, err, codes.FailedPrecondition, "is already CLOSED")
		// The current month's reports are not due yet.
		_, err = e.Monitoring.ClosePeriod(gm, &monitoringv1.ClosePeriodRequest{Name: c + "/periods/" + l.cur.Format("2006-01")})
		wantCode(t, err, codes.FailedPrecondition, "reports are due until")

		// A late measurement of the closed month is refused per item; one of
		// the current month is stored.
		resp, err := e.Monitoring.BatchCreateMeasurements(prov, &monitoringv1.BatchCreateMeasurementsRequest{Parent: c, Measurements: []*monitoringv1.Measurement{
			m(testenv.LevelASA, "late", day.Add(time.Hour), 10),
			m(testenv.LevelASA, "now", l.cur.Add(time.Minute), 10),
		}})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(outcomes(resp.GetResults()), ","); got != "REJECTED,ACCEPTED" || !strings.Contains(resp.GetResults()[0].GetReason(), "period "+l.period+" is closed") {
			t.Errorf("late batch %s: %v", got, resp.GetResults())
		}
		closedEv, err := e.Monitoring.EvaluatePeriod(gm, &monitoringv1.EvaluatePeriodRequest{Name: period})
		if err != nil || closedEv.GetState() != monitoringv1.PeriodState_PERIOD_STATE_CLOSED || closedEv.GetProvisional() || closedEv.GetStatement() != period+"/statements/1" {
			t.Fatalf("closed evaluation %v %v", closedEv.GetStatement(), err)
		}

		// An exclusion of a level the contract does not have is refused.
		_, err = e.Monitoring.CreateExclusion(prov, &monitoringv1.CreateExclusionRequest{Parent: c, Exclusion: &monitoringv1.Exclusion{
			Kind: monitoringv1.ExclusionKind_EXCLUSION_KIND_MAINTENANCE, ServiceLevelKeys: []string{"no_such_level"},
			StartTime: timestamppb.New(day), EndTime: timestamppb.New(day.Add(time.Hour)), Reason: "x",
		}})
		wantCode(t, err, codes.InvalidArgument, "")
		// The provider proposes a client-caused exclusion over the 4 slow
		// calls; the provider may not approve its own, the governance
		// manager does.
		ex, err := e.Monitoring.CreateExclusion(prov, &monitoringv1.CreateExclusionRequest{Parent: c, Exclusion: &monitoringv1.Exclusion{
			Kind: monitoringv1.ExclusionKind_EXCLUSION_KIND_CLIENT_CAUSED, ServiceLevelKeys: []string{testenv.LevelASA},
			StartTime: timestamppb.New(day.Add(6 * time.Minute)), EndTime: timestamppb.New(day.Add(10 * time.Minute)),
			Reason: "client's telephony outage, incident INC-42",
		}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.Monitoring.ApproveExclusion(prov, &monitoringv1.ApproveExclusionRequest{Name: ex.GetName()})
		wantCode(t, err, codes.PermissionDenied, "only the other side")
		if ex, err = e.Monitoring.ApproveExclusion(gm, &monitoringv1.ApproveExclusionRequest{Name: ex.GetName()}); err != nil || ex.GetState() != monitoringv1.ExclusionState_EXCLUSION_STATE_APPROVED {
			t.Fatalf("approve: %v %v", ex, err)
		}

		// A governance manager's proposal is the provider's to decide: the
		// provider rejects it, after which it cannot be approved.
		gmEx, err := e.Monitoring.CreateExclusion(gm, &monitoringv1.CreateExclusionRequest{Parent: c, Exclusion: &monitoringv1.Exclusion{
			Kind: monitoringv1.ExclusionKind_EXCLUSION_KIND_FORCE_MAJEURE, ServiceLevelKeys: []string{testenv.LevelASA},
			StartTime: timestamppb.New(day), EndTime: timestamppb.New(day.Add(6 * time.Minute)), Reason: "storm",
		}})
		if err != nil || gmEx.GetProposerParty() != monitoringv1.Party_PARTY_CLIENT {
			t.Fatalf("governance manager's proposal: %v %v", gmEx, err)
		}
		_, err = e.Monitoring.ApproveExclusion(gm, &monitoringv1.ApproveExclusionRequest{Name: gmEx.GetName()})
		wantCode(t, err, codes.PermissionDenied, "only the other side")
		if gmEx, err = e.Monitoring.RejectExclusion(prov, &monitoringv1.RejectExclusionRequest{Name: gmEx.GetName(), Reason: "no storm that day"}); err != nil ||
			gmEx.GetState() != monitoringv1.ExclusionState_EXCLUSION_STATE_REJECTED || gmEx.GetRejectionReason() != "no storm that day" {
			t.Fatalf("reject: %v %v", gmEx, err)
		}
		_, err = e.Monitoring.ApproveExclusion(prov, &monitoringv1.ApproveExclusionRequest{Name: gmEx.GetName()})
		wantCode(t, err, codes.FailedPrecondition, "is REJECTED")
		approved, err := e.Monitoring.ListExclusions(gm, &monitoringv1.ListExclusionsRequest{Parent: c, Filter: "state = APPROVED"})
		if err != nil || len(approved.GetExclusions()) != 1 || approved.GetExclusions()[0].GetName() != ex.GetName() {
			t.Errorf("approved exclusions %v %v", approved, err)
		}

		// The restatement applies it: 6 of 6 within 20 s → MET, no credit.
		_, err = e.Monitoring.RestatePeriod(gm, &monitoringv1.RestatePeriodRequest{Name: period})
		wantCode(t, err, codes.InvalidArgument, "")
		p2, err := e.Monitoring.RestatePeriod(gm, &monitoringv1.RestatePeriodRequest{Name: period, Reason: "exclusion INC-42 approved after close", RequestId: "restate-1"})
		if err != nil {
			t.Fatal(err)
		}
		if p2.GetStatement() != period+"/statements/2" || p2.GetStatementRevisions() != 2 {
			t.Fatalf("restated period %v", p2)
		}
		st, err := e.Monitoring.GetStatement(gm, &monitoringv1.GetStatementRequest{Name: p2.GetStatement()})
		if err != nil {
			t.Fatal(err)
		}
		sev := st.GetEvaluation()
		if st.GetReason() != "exclusion INC-42 approved after close" || st.GetAuthor() == "" || sev.GetCredits().GetMinorUnits() != 0 {
			t.Errorf("revision 2: reason %q author %q credits %v", st.GetReason(), st.GetAuthor(), sev.GetCredits())
		}
		if len(sev.GetExclusions()) != 1 || sev.GetExclusions()[0].GetMeasurementsRemoved() != 4 {
			t.Errorf("applied exclusions %v, want one removing 4 measurements", sev.GetExclusions())
		}
		list, err := e.Monitoring.ListStatements(gm, &monitoringv1.ListStatementsRequest{Parent: period})
		if err != nil || len(list.GetStatements()) != 2 || list.GetStatements()[0].GetEvaluation().GetCredits().GetMinorUnits() != missedCredits {
			t.Errorf("statements %v %v, want revision 1 (credits %d) kept beside 2", list, err, missedCredits)
		}
		periods, err := e.Monitoring.ListPeriods(gm, &monitoringv1.ListPeriodsRequest{Parent: c})
		if err != nil || len(periods.GetPeriods()) != 2 || periods.GetPeriods()[0].GetState() != monitoringv1.PeriodState_PERIOD_STATE_CLOSED ||
			periods.GetPeriods()[1].GetState() != monitoringv1.PeriodState_PERIOD_STATE_OPEN {
			t.Errorf("periods %v %v", periods, err)
		}
		// The close and the restatement are audited on the period.
		events, err := e.Monitoring.ListAuditEvents(e.AsRole(t, auth.Auditor), &monitoringv1.ListAuditEventsRequest{Filter: `resource = "` + period + `"`})
		if err != nil || len(events.GetAuditEvents()) != 2 {
			t.Errorf("audit events of %s: %v %v, want the close and the restatement", period, events, err)
		}
		open, err := e.Monitoring.ListPeriods(gm, &monitoringv1.ListPeriodsRequest{Parent: c, Filter: "state = OPEN"})
		if err != nil || len(open.GetPeriods()) != 1 {
			t.Errorf("open periods %v %v", open, err)
		}
	})
}

// TestTerminatedContractEndsItsPeriods: a contract terminated with effect
// on the 15th of the previous month is charged 15 days of that month and
// nothing after; late measurements of its service are accepted until that
// last period closes, later events are refused.
func TestTerminatedContractEndsItsPeriods(t *testing.T) {
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		l := liveContract(t, e)
		c := l.Contract.GetName()
		prov := e.AsProvider(t, l.Provider)
		gm := e.AsRole(t, auth.GovernanceManager)
		last := l.prev.AddDate(0, 0, 14) // the 15th
		if _, err := e.Contract.TerminateContract(e.AsRole(t, auth.ContractManager), &contractv1.TerminateContractRequest{
			Name: c, Reason: contractv1.TerminationReason_TERMINATION_REASON_MUTUAL, Explanation: "mutual agreement",
			EffectiveDate: &date.Date{Year: int32(last.Year()), Month: int32(last.Month()), Day: int32(last.Day())},
		}); err != nil {
			t.Fatal(err)
		}
		// Late measurements of the service (the 10th) are accepted once the
		// contract is terminated; one of the 20th, after the last day, is not.
		resp, err := e.Monitoring.BatchCreateMeasurements(prov, &monitoringv1.BatchCreateMeasurementsRequest{Parent: c, Measurements: []*monitoringv1.Measurement{
			m(testenv.LevelASA, "in", l.prev.AddDate(0, 0, 9), 10),
			m(testenv.LevelASA, "after", l.prev.AddDate(0, 0, 19), 10),
		}})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(outcomes(resp.GetResults()), ","); got != "ACCEPTED,REJECTED" || !strings.Contains(resp.GetResults()[1].GetReason(), "after the contract's last day of service") {
			t.Errorf("after termination: %s %v", got, resp.GetResults())
		}
		// The current month is after the last day of service.
		_, err = e.Monitoring.EvaluatePeriod(gm, &monitoringv1.EvaluatePeriodRequest{Name: c + "/periods/" + l.cur.Format("2006-01")})
		wantCode(t, err, codes.FailedPrecondition, "neither evaluated nor charged")
		ps, err := e.Monitoring.ListPeriods(gm, &monitoringv1.ListPeriodsRequest{Parent: c})
		if err != nil || len(ps.GetPeriods()) != 1 || !ps.GetPeriods()[0].GetEndTime().AsTime().Equal(l.prev.AddDate(0, 0, 15)) {
			t.Fatalf("periods %v %v, want one ending after the 15th", ps, err)
		}
		// The last period is prorated: fee × 15 / days in the month,
		// rounded half-even once.
		ev, err := e.Monitoring.EvaluatePeriod(gm, &monitoringv1.EvaluatePeriodRequest{Name: c + "/periods/" + l.period})
		if err != nil {
			t.Fatal(err)
		}
		days := l.cur.AddDate(0, 0, -1).Day()
		want, _ := money.FromProto(l.MonthlyFee).MulRat(big.NewRat(15, int64(days)))
		if ev.GetServiceDays() != 15 || ev.GetPeriodDays() != int32(days) || ev.GetCharges().GetMinorUnits() != want.Minor {
			t.Errorf("charges %v for %d of %d days, want %v", ev.GetCharges(), ev.GetServiceDays(), ev.GetPeriodDays(), want)
		}
		if !strings.Contains(strings.Join(ev.GetExplanation(), "\n"), "× 15 days of service ÷") {
			t.Errorf("explanation does not state the proration: %q", ev.GetExplanation())
		}
		// Closing the last period ends the reporting.
		if _, err := e.Monitoring.ClosePeriod(gm, &monitoringv1.ClosePeriodRequest{Name: c + "/periods/" + l.period}); err != nil {
			t.Fatal(err)
		}
		resp, err = e.Monitoring.BatchCreateMeasurements(prov, &monitoringv1.BatchCreateMeasurementsRequest{Parent: c, Measurements: []*monitoringv1.Measurement{
			m(testenv.LevelASA, "late", l.prev.AddDate(0, 0, 11), 10),
		}})
		if err != nil || resp.GetRejected() != 1 || !strings.Contains(resp.GetResults()[0].GetReason(), "is closed") {
			t.Errorf("after the last close: %v %v", resp, err)
		}
	})
}

// TestChronicFailureIsRecordedWithContract: with the clock three months
// ahead, the first three periods are closable; the critical asa_20s has no
// data in any of them (NO_DATA counts as missed), so the third close finds
// it missed in 3 of the last 6 periods (the contract's default rule) and
// records the client's right to terminate for cause with contract.
func TestChronicFailureIsRecordedWithContract(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) { chronicFailure(t, dialect) })
	}
}

func chronicFailure(t *testing.T, dialect string) {
	clock := testenv.NewClock(time.Now())
	e := testenv.Start(t, dialect, testenv.WithClock(clock.Now))
	l := liveContract(t, e)
	clock.Advance(l.cur.AddDate(0, 2, 0).Add(time.Hour).Sub(clock.Now())) // into the third month after cur
	c := l.Contract.GetName()
	gm := e.AsRole(t, auth.GovernanceManager)
	var periods []string
	for i := range 3 {
		periods = append(periods, l.prev.AddDate(0, i, 0).Format("2006-01"))
	}
	var last *monitoringv1.Period
	for i, p := range periods {
		var err error
		if last, err = e.Monitoring.ClosePeriod(gm, &monitoringv1.ClosePeriodRequest{Name: c + "/periods/" + p, RequestId: "close-" + p}); err != nil {
			t.Fatalf("close %s: %v", p, err)
		}
		st, err := e.Monitoring.GetStatement(gm, &monitoringv1.GetStatementRequest{Name: last.GetStatement()})
		if err != nil {
			t.Fatal(err)
		}
		cf := st.GetEvaluation().GetChronicFailures()
		if (i < 2) != (len(cf) == 0) {
			t.Fatalf("%s: chronic failures %v", p, cf)
		}
		if i == 2 && (cf[0].GetServiceLevelKey() != testenv.LevelASA || strings.Join(cf[0].GetMissedPeriods(), ",") != strings.Join(periods, ",") ||
			cf[0].GetMisses() != 3 || cf[0].GetWindow() != 6) {
			t.Errorf("chronic failure %v", cf[0])
		}
	}
	got, err := e.Contract.GetContract(gm, &contractv1.GetContractRequest{Name: c})
	if err != nil {
		t.Fatal(err)
	}
	rights := got.GetChronicFailureRights()
	if len(rights) != 1 || rights[0].GetPeriod() != periods[2] || strings.Join(rights[0].GetServiceLevelKeys(), ",") != testenv.LevelASA ||
		strings.Join(rights[0].GetMissedPeriods(), ",") != strings.Join(periods, ",") {
		t.Errorf("contract's chronic-failure rights %v", rights)
	}
	// A retried close (same request id) records nothing twice.
	if _, err := e.Monitoring.ClosePeriod(gm, &monitoringv1.ClosePeriodRequest{Name: c + "/periods/" + periods[2], RequestId: "close-" + periods[2]}); err != nil {
		t.Fatal(err)
	}
	if got, _ = e.Contract.GetContract(gm, &contractv1.GetContractRequest{Name: c}); len(got.GetChronicFailureRights()) != 1 {
		t.Errorf("rights after a retried close: %v", got.GetChronicFailureRights())
	}
}

// Batches racing the close of their own period are either in the closed
// statement or refused, never stored beside it: every measurement the
// provider was told ACCEPTED is counted in statement 1. (A close and a
// write order themselves on a per-contract lock; a batch that checked the
// period before the close checks again under that lock.)
func TestNoAcceptedMeasurementMissesTheClose(t *testing.T) {
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		l := liveContract(t, e)
		c := l.Contract.GetName()
		prov := e.AsProvider(t, l.Provider)
		gm := e.AsRole(t, auth.GovernanceManager)
		period := c + "/periods/" + l.period
		start := l.prev.AddDate(0, 0, 4)

		var (
			mu       sync.Mutex
			accepted int64
			wg       sync.WaitGroup
			closed   atomic.Bool
		)
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for b := 0; !closed.Load() && b < 200; b++ {
					var ms []*monitoringv1.Measurement
					for i := range 10 {
						at := start.Add(time.Duration(w*100000+b*10+i) * time.Second)
						ms = append(ms, m(testenv.LevelASA, fmt.Sprintf("race-%d-%d-%d", w, b, i), at, 12))
					}
					resp, err := e.Monitoring.BatchCreateMeasurements(prov, &monitoringv1.BatchCreateMeasurementsRequest{Parent: c, Measurements: ms})
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					accepted += resp.GetAccepted()
					mu.Unlock()
				}
			}()
		}
		time.Sleep(150 * time.Millisecond) // let the writers get going
		p, err := e.Monitoring.ClosePeriod(gm, &monitoringv1.ClosePeriodRequest{Name: period})
		closed.Store(true)
		wg.Wait()
		if err != nil {
			t.Fatal(err)
		}
		st, err := e.Monitoring.GetStatement(gm, &monitoringv1.GetStatementRequest{Name: p.GetStatement()})
		if err != nil {
			t.Fatal(err)
		}
		var used int64 = -1
		for _, r := range st.GetEvaluation().GetResults() {
			if r.GetKey() == testenv.LevelASA {
				used = r.GetMeasurementsUsed()
			}
		}
		if accepted == 0 || used != accepted {
			t.Fatalf("statement counts %d %s measurements; the provider was told %d were accepted", used, testenv.LevelASA, accepted)
		}
	})
}
