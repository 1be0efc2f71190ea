package monitoring_test

// Weekly levels and AVAILABILITY over service hours through the API, on
// both dialects, with the terms of an amendment (the revision in force on
// the period's first day, GetEffectiveContract). spec: monitoring.md
// "Metric definitions", "Periods and evaluation"; issue 8 part A.

import (
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/civil"
	"github.com/acme/bpo/kit/money"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"github.com/acme/bpo/services/testenv"
	"google.golang.org/genproto/googleapis/type/dayofweek"
	"google.golang.org/genproto/googleapis/type/timeofday"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestWeeklyLevelAndServiceHours(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) { weeklyAndServiceHours(t, dialect) })
	}
}

func weeklyAndServiceHours(t *testing.T, dialect string) {
	clock := testenv.NewClock(time.Now())
	e := testenv.Start(t, dialect, testenv.WithClock(clock.Now))
	l := liveContract(t, e)
	c := l.Contract
	// M: the month after the term's first (revision 1 is in force from the
	// start date; an amendment takes effect after it).
	sd := c.GetStartDate()
	month := time.Date(int(sd.GetYear()), time.Month(sd.GetMonth())+1, 1, 0, 0, 0, 0, l.cur.Location())
	next := month.AddDate(0, 1, 0)

	// From M on (an amendment, signed now): a weekly critical level — mean
	// backlog age at most 10 h, allocation 50 % — and the portal's
	// availability at least 99.5 % in service hours 09:00–17:00 Monday to
	// Friday, allocation 50 %.
	levels := []*typev1.ServiceLevel{}
	for _, sl := range c.GetServiceLevels() {
		levels = append(levels, proto.CloneOf(sl))
	}
	levels = append(levels,
		&typev1.ServiceLevel{Key: "backlog_age", DisplayName: "Backlog age", Metric: &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_MEAN, Unit: "h"},
			Comparator: typev1.Comparator_COMPARATOR_AT_MOST, Target: "10", Kind: typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL,
			Window: typev1.MeasurementWindow_MEASUREMENT_WINDOW_WEEKLY, AllocationBps: 5000},
		&typev1.ServiceLevel{Key: "portal", DisplayName: "Portal availability", Metric: &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_AVAILABILITY, Unit: "%"},
			Comparator: typev1.Comparator_COMPARATOR_AT_LEAST, Target: "99.5", Kind: typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL, AllocationBps: 5000},
	)
	weekdays := []dayofweek.DayOfWeek{dayofweek.DayOfWeek_MONDAY, dayofweek.DayOfWeek_TUESDAY, dayofweek.DayOfWeek_WEDNESDAY, dayofweek.DayOfWeek_THURSDAY, dayofweek.DayOfWeek_FRIDAY}
	cm := e.AsRole(t, auth.ContractManager)
	am, err := e.Contract.CreateAmendment(cm, &contractv1.CreateAmendmentRequest{Parent: c.GetName(), Amendment: &contractv1.Amendment{
		Changes: &contractv1.Contract{ServiceLevels: levels, ServiceHours: &contractv1.ServiceHours{
			Days: weekdays, Start: &timeofday.TimeOfDay{Hours: 9}, End: &timeofday.TimeOfDay{Hours: 17},
		}},
		ChangeMask:    &fieldmaskpb.FieldMask{Paths: []string{"service_levels", "service_hours"}},
		EffectiveDate: civil.Of(month),
	}})
	if err != nil {
		t.Fatalf("CreateAmendment: %v", err)
	}
	for _, step := range []func() error{
		func() error {
			_, err := e.Contract.SubmitAmendment(cm, &contractv1.SubmitAmendmentRequest{Name: am.GetName()})
			return err
		},
		func() error {
			_, err := e.Contract.ApproveAmendment(e.AsRole(t, auth.Approver), &contractv1.ApproveAmendmentRequest{Name: am.GetName()})
			return err
		},
		func() error {
			_, err := e.Contract.SignAmendment(e.As(t, testenv.ClientSignatory, auth.Approver), &contractv1.SignAmendmentRequest{Name: am.GetName()})
			return err
		},
		func() error {
			_, err := e.Contract.SignAmendment(e.AsProvider(t, l.Provider), &contractv1.SignAmendmentRequest{Name: am.GetName()})
			return err
		},
	} {
		if err := step(); err != nil {
			t.Fatalf("amendment: %v", err)
		}
	}
	clock.Advance(next.Add(time.Hour).Sub(clock.Now()))

	// The weeks of M: every ISO week whose Sunday is in M. One backlog
	// report per week, 4 h (met), but 20 h (missed) in the second week.
	var weeks []time.Time // Mondays
	for d := month; d.Before(next); d = d.AddDate(0, 0, 1) {
		if d.Weekday() == time.Sunday {
			weeks = append(weeks, d.AddDate(0, 0, -6))
		}
	}
	var ms []*monitoringv1.Measurement
	for i, mon := range weeks {
		v := 4.0
		if i == 1 {
			v = 20
		}
		ms = append(ms, m("backlog_age", fmt.Sprintf("b%d", i), mon.Add(36*time.Hour), v))
	}
	// The portal: up on M's first day, and down 16:00–18:00 on M's first
	// Monday: 60 of those 120 minutes are in service hours.
	firstMonday := weeks[0]
	if firstMonday.Before(month) {
		firstMonday = firstMonday.AddDate(0, 0, 7)
	}
	ms = append(ms, m("portal", "up", month.Add(time.Hour), 0))
	out := m("portal", "down", firstMonday.Add(18*time.Hour), 0)
	out.Outage = &monitoringv1.Outage{StartTime: timestamppb.New(firstMonday.Add(16 * time.Hour)), EndTime: timestamppb.New(firstMonday.Add(18 * time.Hour))}
	ms = append(ms, out, m(testenv.LevelASA, "asa", month.Add(time.Hour), 5), m(testenv.LevelAHT, "aht", month.Add(time.Hour), 100))
	resp, err := e.Monitoring.BatchCreateMeasurements(e.AsProvider(t, l.Provider), &monitoringv1.BatchCreateMeasurementsRequest{Parent: c.GetName(), Measurements: ms})
	if err != nil || resp.GetRejected() != 0 {
		t.Fatalf("measurements: %v %v", resp, err)
	}

	ev, err := e.Monitoring.EvaluatePeriod(e.AsRole(t, auth.GovernanceManager), &monitoringv1.EvaluatePeriodRequest{Name: c.GetName() + "/periods/" + month.Format("2006-01")})
	if err != nil {
		t.Fatal(err)
	}
	results := map[string]*monitoringv1.LevelResult{}
	for _, r := range ev.GetResults() {
		results[r.GetKey()] = r
	}
	// Service time: the weekdays of M × 8 h. Availability = (service
	// minutes − 60) / service minutes, e.g. 22 weekdays: 10 560 minutes,
	// 10 500 / 10 560 = 99.431818 % < 99.5 → MISSED (around the clock it
	// would have been (44 640 − 120) / 44 640 = 99.73 %, met).
	wd := 0
	for d := month; d.Before(next); d = d.AddDate(0, 0, 1) {
		if d.Weekday() != time.Saturday && d.Weekday() != time.Sunday {
			wd++
		}
	}
	service := int64(wd * 8 * 60)
	want := new(big.Rat).SetFrac64((service-60)*100, service)
	if p := results["portal"]; p.GetOutcome() != monitoringv1.Outcome_OUTCOME_MISSED || p.GetValue() != want.FloatString(6) {
		t.Errorf("portal %v %s, want MISSED %s (%d service minutes)", p.GetOutcome(), p.GetValue(), want.FloatString(6), service)
	}
	// The weekly level: 1 of len(weeks) weeks missed → MISSED, credit
	// at-risk × 50 % × 1/len(weeks); the portal's at-risk × 50 %.
	b := results["backlog_age"]
	if b.GetOutcome() != monitoringv1.Outcome_OUTCOME_MISSED || len(b.GetWindows()) != len(weeks) || b.GetWindows()[1].GetOutcome() != monitoringv1.Outcome_OUTCOME_MISSED {
		t.Fatalf("backlog_age %v", b)
	}
	atRisk := money.FromProto(ev.GetAtRiskAmount())
	wantWeekly, _ := atRisk.MulRat(big.NewRat(5000, int64(10000*len(weeks))))
	wantPortal, _ := atRisk.MulBps(5000)
	if b.GetCredit().GetMinorUnits() != wantWeekly.Minor || results["portal"].GetCredit().GetMinorUnits() != wantPortal.Minor {
		t.Errorf("credits: weekly %v (want %v), portal %v (want %v)", b.GetCredit(), wantWeekly, results["portal"].GetCredit(), wantPortal)
	}
	if !strings.Contains(strings.Join(ev.GetExplanation(), "\n"), "Terms: contract revision 2") {
		t.Errorf("the evaluation does not use revision 2: %q", ev.GetExplanation())
	}
}

// TestEarnBackAndAnnualCapThroughAmendment: from month M an amendment sets
// an earn-back of one period and an annual cap of 50 bps. With the
// contract's monthly fee F:
//
//   - M: asa_20s missed (its one call took 45 s); its credit at-risk ×
//     allocation is capped by the annual cap: 50 bps × the charges of the
//     last 12 periods (only M is closed: F) − 0 earlier credits = F ×
//     0.5 %, rounded half-even once. Net F − that.
//   - M+1: asa_20s met (5 s): M's credit after the cap is earned back; net
//     F + that.
func TestEarnBackAndAnnualCapThroughAmendment(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) { earnBack(t, dialect) })
	}
}

func earnBack(t *testing.T, dialect string) {
	clock := testenv.NewClock(time.Now())
	e := testenv.Start(t, dialect, testenv.WithClock(clock.Now))
	l := liveContract(t, e)
	c := l.Contract
	sd := c.GetStartDate()
	month := time.Date(int(sd.GetYear()), time.Month(sd.GetMonth())+1, 1, 0, 0, 0, 0, l.cur.Location())
	second := month.AddDate(0, 1, 0)
	cr := proto.CloneOf(c.GetCreditRegime())
	cr.EarnBackPeriods, cr.AnnualCapBps = 1, 50
	cm := e.AsRole(t, auth.ContractManager)
	am, err := e.Contract.CreateAmendment(cm, &contractv1.CreateAmendmentRequest{Parent: c.GetName(), Amendment: &contractv1.Amendment{
		Changes: &contractv1.Contract{CreditRegime: cr}, ChangeMask: &fieldmaskpb.FieldMask{Paths: []string{"credit_regime"}},
		EffectiveDate: civil.Of(month),
	}})
	if err != nil {
		t.Fatalf("CreateAmendment: %v", err)
	}
	if _, err := e.Contract.SubmitAmendment(cm, &contractv1.SubmitAmendmentRequest{Name: am.GetName()}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Contract.ApproveAmendment(e.AsRole(t, auth.Approver), &contractv1.ApproveAmendmentRequest{Name: am.GetName()}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Contract.SignAmendment(e.As(t, testenv.ClientSignatory, auth.Approver), &contractv1.SignAmendmentRequest{Name: am.GetName()}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Contract.SignAmendment(e.AsProvider(t, l.Provider), &contractv1.SignAmendmentRequest{Name: am.GetName()}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(second.AddDate(0, 1, 0).Add(time.Hour).Sub(clock.Now()))
	resp, err := e.Monitoring.BatchCreateMeasurements(e.AsProvider(t, l.Provider), &monitoringv1.BatchCreateMeasurementsRequest{Parent: c.GetName(), Measurements: []*monitoringv1.Measurement{
		m(testenv.LevelASA, "slow", month.Add(time.Hour), 45), m(testenv.LevelAHT, "h1", month.Add(time.Hour), 100),
		m(testenv.LevelASA, "fast", second.Add(time.Hour), 5), m(testenv.LevelAHT, "h2", second.Add(time.Hour), 100),
	}})
	if err != nil || resp.GetRejected() != 0 {
		t.Fatalf("measurements: %v %v", resp, err)
	}
	gm := e.AsRole(t, auth.GovernanceManager)
	statement := func(p time.Time) *monitoringv1.PeriodEvaluation {
		t.Helper()
		pd, err := e.Monitoring.ClosePeriod(gm, &monitoringv1.ClosePeriodRequest{Name: c.GetName() + "/periods/" + p.Format("2006-01")})
		if err != nil {
			t.Fatalf("close %s: %v", p.Format("2006-01"), err)
		}
		st, err := e.Monitoring.GetStatement(gm, &monitoringv1.GetStatementRequest{Name: pd.GetStatement()})
		if err != nil {
			t.Fatal(err)
		}
		return st.GetEvaluation()
	}
	fee := money.FromProto(l.MonthlyFee)
	capped, _ := fee.MulBps(50)
	first := statement(month)
	if first.GetCredits().GetMinorUnits() != capped.Minor || first.GetAnnualCapRemaining().GetMinorUnits() != capped.Minor ||
		first.GetNet().GetMinorUnits() != fee.Minor-capped.Minor {
		t.Errorf("M: credits %v, annual cap remaining %v, net %v; want %v, %v and the fee less it\n%s",
			first.GetCredits(), first.GetAnnualCapRemaining(), first.GetNet(), capped, capped, strings.Join(first.GetExplanation(), "\n"))
	}
	next := statement(second)
	if next.GetEarnBacks().GetMinorUnits() != capped.Minor || next.GetNet().GetMinorUnits() != fee.Minor+capped.Minor {
		t.Errorf("M+1: earn-backs %v net %v; want %v and the fee plus it\n%s", next.GetEarnBacks(), next.GetNet(), capped, strings.Join(next.GetExplanation(), "\n"))
	}
}
