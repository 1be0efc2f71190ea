package monitoring_test

// Every commercial model through an amendment and a period statement, over
// the real gRPC services, on both dialects: a TIME_AND_MATERIALS and a
// PERFORMANCE_BASED contract are drafted, signed and cut over, and then
// amended from the month after their start month M. Monitoring charges M
// under revision 1 and M+1 under revision 2, the revision in force on each
// period's first day (GetEffectiveContract). spec: monitoring.md "The period
// statement" steps 1–6, contract.md "pricing" and "Amendments"; issue 9
// "Done when", issue 8 part A.

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/civil"
	"github.com/acme/bpo/services/testenv"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// TestEveryModelThroughAmendmentAndStatement, worked by hand. M is the
// contracts' start month (the scope's go-live; service commenced earlier,
// on the first of the previous month, so M and M+1 are whole periods and
// nothing is prorated). Every statement line is rounded half-even to the
// cent once.
//
// TIME_AND_MATERIALS: rate card agent 18.50, team_lead 26.00 USD an hour,
// monthly not-to-exceed 150,000.00, at-risk 1200 bps, escalation cap 300
// bps. Hours are reported on the SUM levels hours_agent and
// hours_team_lead; asa_20s is met in both months (no credit). From M+1 the
// agent's rate is 19.00: +0.50 ÷ 18.50 = 2.70 % (270 bps), within the cap.
//
//   - M (revision 1): agent 2,500 + 2,500 + 1,250.25 = 6,250.25 h × 18.50
//     = 115,629.625 → 115,629.62 (half-even: 2 is even); team_lead 400 +
//     212.75 = 612.75 h × 26.00 = 15,931.50; charges 115,629.62 +
//     15,931.50 = 131,561.12, within the not-to-exceed. At-risk 131,561.12
//     × 12 % = 15,787.3344 → 15,787.33. Credits 0. Net 131,561.12.
//   - M+1 (revision 2): agent 3,600 + 3,600.50 = 7,200.50 h × 19.00 =
//     136,809.50; team_lead 320 + 320 = 640 h × 26.00 = 16,640.00; sum
//     153,449.50 > 150,000.00, so charges = the not-to-exceed 150,000.00.
//     At-risk 150,000.00 × 12 % = 18,000.00. Credits 0. Net 150,000.00.
//     (At revision 1's 18.50 the agent hours would be 133,209.25 and the
//     sum 149,849.25, under the cap: the cap bites only at the new rate.)
//
// PERFORMANCE_BASED: base monthly fee 80,000.00, bonus pool 5,000.00,
// bonus KPIs aht_mean (mean ≤ 300 s) and csat (mean ≥ 4.5 on 1–5), at-risk
// 1000 bps, escalation cap 300 bps. From M+1 the base fee is 82,400.00
// (+2,400 ÷ 80,000 = 3.00 %, 300 bps: at the cap, allowed) and the pool
// 6,000.00 (+1,000 ÷ 5,000 = 20.00 %, 2000 bps: above the cap, so the
// amendment is marked EXCEEDS_ESCALATION_CAP and approved).
//
//   - M (revision 1): charges = base fee 80,000.00; at-risk 80,000.00 ×
//     10 % = 8,000.00; asa_20s (critical, allocation 10000 bps) missed —
//     its one call took 45 s, 0 % within 20 s < 80 % — credit 8,000.00 ×
//     100 % = 8,000.00, within the at-risk cap; bonus: aht_mean met (280 s),
//     csat missed (4.0) → 5,000.00 × 1 ÷ 2 = 2,500.00; net 80,000.00 −
//     8,000.00 + 2,500.00 = 74,500.00.
//   - M+1 (revision 2): charges 82,400.00; at-risk 82,400.00 × 10 % =
//     8,240.00; asa_20s met (5 s), credits 0; bonus: aht_mean (250 s) and
//     csat (4.75) met → 6,000.00 × 2 ÷ 2 = 6,000.00; net 82,400.00 +
//     6,000.00 = 88,400.00. (Revision 1 would have given 85,000.00.)
func TestEveryModelThroughAmendmentAndStatement(t *testing.T) {
	clock := testenv.NewClock(time.Now())
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		clock.Advance(time.Since(clock.Now())) // each dialect's services start at the real time
		cm := e.AsRole(t, auth.ContractManager)
		usd := func(minor int64) *typev1.Money {
			return &typev1.Money{CurrencyCode: testenv.Currency, MinorUnits: minor}
		}
		rates := func(agent, lead int64) []*typev1.RateCardEntry {
			return []*typev1.RateCardEntry{
				{Role: "agent", HourlyRate: usd(agent)},
				{Role: "team_lead", HourlyRate: usd(lead)},
			}
		}
		kpi := func(key string, agg typev1.Aggregation, unit string, cmp typev1.Comparator, target string) *typev1.ServiceLevel {
			return &typev1.ServiceLevel{Key: key, DisplayName: key, Metric: &typev1.MetricDefinition{Aggregation: agg, Unit: unit},
				Comparator: cmp, Target: target, Kind: typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_KPI}
		}

		// Drafted, signed and live: the two contracts.
		tm := commence(t, e, signedModel(t, e, &contractv1.Contract{
			Type: contractv1.ContractType_CONTRACT_TYPE_TIME_AND_MATERIALS, RateCard: rates(1850, 2600),
			MonthlyNotToExceed: usd(15_000_000), EscalationCapBps: 300, CreditRegime: &contractv1.CreditRegime{AtRiskBps: 1200},
		}, nil,
			kpi("hours_agent", typev1.Aggregation_AGGREGATION_SUM, "h", typev1.Comparator_COMPARATOR_AT_LEAST, "0"),
			kpi("hours_team_lead", typev1.Aggregation_AGGREGATION_SUM, "h", typev1.Comparator_COMPARATOR_AT_LEAST, "0"),
		))
		csat := kpi("csat", typev1.Aggregation_AGGREGATION_MEAN, "points", typev1.Comparator_COMPARATOR_AT_LEAST, "4.5")
		csat.Metric.MinValue, csat.Metric.MaxValue = "1", "5"
		pb := commence(t, e, signedModel(t, e, &contractv1.Contract{
			Type: contractv1.ContractType_CONTRACT_TYPE_PERFORMANCE_BASED, BaseMonthlyFee: usd(8_000_000), BonusPool: usd(500_000),
			EscalationCapBps: 300, CreditRegime: &contractv1.CreditRegime{AtRiskBps: 1000},
		}, []string{testenv.LevelAHT, "csat"}, csat))

		// M is the start month (both contracts start on the scope's
		// go-live, the first of a month); the amendments take effect on
		// the first of M+1.
		sd := tm.Contract.GetStartDate()
		loc := tm.cur.Location()
		month := time.Date(int(sd.GetYear()), time.Month(sd.GetMonth()), 1, 0, 0, 0, 0, loc)
		next := month.AddDate(0, 1, 0)
		if psd := pb.Contract.GetStartDate(); civil.Format(psd) != civil.Format(sd) || sd.GetDay() != 1 {
			t.Fatalf("start dates %s and %s, want the same first of a month", civil.Format(sd), civil.Format(psd))
		}

		am := amendSigned(t, e, tm, &contractv1.Amendment{
			DisplayName: "Agent rate review", Changes: &contractv1.Contract{RateCard: rates(1900, 2600)},
			ChangeMask: &fieldmaskpb.FieldMask{Paths: []string{"rate_card"}}, EffectiveDate: civil.Of(next),
		})
		if ch := am.GetEscalation().GetChanges(); len(ch) != 1 || ch[0].GetItem() != "rate_card[agent].hourly_rate" || ch[0].GetChangeBps() != 270 || ch[0].GetExceedsCap() {
			t.Errorf("T&M escalation %v, want agent +270 bps within the cap", am.GetEscalation())
		}
		am = amendSigned(t, e, pb, &contractv1.Amendment{
			DisplayName: "Fee and bonus review", Changes: &contractv1.Contract{BaseMonthlyFee: usd(8_240_000), BonusPool: usd(600_000)},
			ChangeMask: &fieldmaskpb.FieldMask{Paths: []string{"base_monthly_fee", "bonus_pool"}}, EffectiveDate: civil.Of(next),
			Markers: []contractv1.AmendmentMarker{contractv1.AmendmentMarker_AMENDMENT_MARKER_EXCEEDS_ESCALATION_CAP},
		})
		bps := map[string]string{}
		for _, ch := range am.GetEscalation().GetChanges() {
			bps[ch.GetItem()] = fmt.Sprintf("%d %v", ch.GetChangeBps(), ch.GetExceedsCap())
		}
		if bps["base_monthly_fee"] != "300 false" || bps["bonus_pool"] != "2000 true" || len(bps) != 2 {
			t.Errorf("PB escalation %v, want base fee +300 bps at the cap and pool +2000 bps above it", bps)
		}
		if got, err := e.Contract.GetEffectiveContract(cm, &contractv1.GetEffectiveContractRequest{Name: pb.Contract.GetName(), Date: civil.Of(month)}); err != nil || got.GetRevisionId() != "1" {
			t.Fatalf("in force on %s: %v %v, want revision 1", month.Format(time.DateOnly), got.GetRevisionId(), err)
		}

		// Past the reporting due date of M+1: both months can be closed.
		clock.Advance(next.AddDate(0, 1, 0).Add(time.Hour).Sub(clock.Now()))
		day := func(first time.Time, n int) time.Time { return first.AddDate(0, 0, n-1).Add(10 * time.Hour) }
		report(t, e, tm,
			m(testenv.LevelASA, "asa-m", day(month, 2), 5),
			m("hours_agent", "agent-m-1", day(month, 7), 2500), m("hours_agent", "agent-m-2", day(month, 14), 2500),
			m("hours_agent", "agent-m-3", day(month, 21), 1250.25),
			m("hours_team_lead", "lead-m-1", day(month, 7), 400), m("hours_team_lead", "lead-m-2", day(month, 21), 212.75),
			m(testenv.LevelASA, "asa-n", day(next, 2), 5),
			m("hours_agent", "agent-n-1", day(next, 10), 3600), m("hours_agent", "agent-n-2", day(next, 20), 3600.5),
			m("hours_team_lead", "lead-n-1", day(next, 10), 320), m("hours_team_lead", "lead-n-2", day(next, 20), 320),
		)
		report(t, e, pb,
			m(testenv.LevelASA, "asa-m", day(month, 2), 45), m(testenv.LevelAHT, "aht-m", day(month, 3), 280), m("csat", "csat-m", day(month, 4), 4),
			m(testenv.LevelASA, "asa-n", day(next, 2), 5), m(testenv.LevelAHT, "aht-n", day(next, 3), 250), m("csat", "csat-n", day(next, 4), 4.75),
		)

		// T&M.
		ev := closedStatement(t, e, tm, month)
		wantLines(t, "T&M "+month.Format("2006-01"), ev, "1", map[string]int64{
			"CHARGE hours_agent": 11_562_962, "CHARGE hours_team_lead": 1_593_150, "CHARGES": 13_156_112,
			"AT_RISK": 1_578_733, "CREDITS": 0, "NET": 13_156_112,
		})
		if x := lineText(ev, monitoringv1.StatementLineKind_STATEMENT_LINE_KIND_CHARGES); !strings.Contains(x, "within the monthly not-to-exceed") {
			t.Errorf("T&M M: charges line %q, want it within the not-to-exceed", x)
		}
		ev = closedStatement(t, e, tm, next)
		wantLines(t, "T&M "+next.Format("2006-01"), ev, "2", map[string]int64{
			"CHARGE hours_agent": 13_680_950, "CHARGE hours_team_lead": 1_664_000, "CHARGES": 15_000_000,
			"AT_RISK": 1_800_000, "CREDITS": 0, "NET": 15_000_000,
		})
		if x := lineText(ev, monitoringv1.StatementLineKind_STATEMENT_LINE_KIND_CHARGES); !strings.Contains(x, "capped at the monthly not-to-exceed") {
			t.Errorf("T&M M+1: charges line %q, want the not-to-exceed applied", x)
		}

		// Performance-based.
		ev = closedStatement(t, e, pb, month)
		wantLines(t, "PB "+month.Format("2006-01"), ev, "1", map[string]int64{
			"CHARGES": 8_000_000, "AT_RISK": 800_000, "CREDIT " + testenv.LevelASA: 800_000, "CREDITS": 800_000,
			"BONUS": 250_000, "NET": 7_450_000,
		})
		if x := lineText(ev, monitoringv1.StatementLineKind_STATEMENT_LINE_KIND_BONUS); !strings.Contains(x, "1 of 2 bonus KPIs met ("+testenv.LevelAHT+")") {
			t.Errorf("PB M: bonus line %q, want 1 of 2 KPIs met (%s)", x, testenv.LevelAHT)
		}
		ev = closedStatement(t, e, pb, next)
		wantLines(t, "PB "+next.Format("2006-01"), ev, "2", map[string]int64{
			"CHARGES": 8_240_000, "AT_RISK": 824_000, "CREDITS": 0, "BONUS": 600_000, "NET": 8_840_000,
		})
		if x := lineText(ev, monitoringv1.StatementLineKind_STATEMENT_LINE_KIND_BONUS); !strings.Contains(x, "2 of 2 bonus KPIs met") {
			t.Errorf("PB M+1: bonus line %q, want 2 of 2 KPIs met", x)
		}
	}, testenv.WithClock(clock.Now))
}

// signedModel drafts a contract for a new award with the fields of create
// (its type and prices override the pre-fill from the fixed-price award),
// (the fixed-price award's fee is not carried onto a draft of another
// type), adds levels to the scope's and names bonusKPIs, and takes it through review, approval and both
// signatures.
func signedModel(t *testing.T, e *testenv.Env, create *contractv1.Contract, bonusKPIs []string, levels ...*typev1.ServiceLevel) *testenv.Signed {
	t.Helper()
	a := e.AwardedEngagement(t)
	cm := e.AsRole(t, auth.ContractManager)
	create.Engagement, create.ClientSignatory = a.Engagement.GetName(), testenv.ClientSignatory
	c, err := e.Contract.CreateContract(cm, &contractv1.CreateContractRequest{Contract: create})
	if err != nil {
		t.Fatalf("CreateContract: %v", err)
	}
	if c.GetType() != create.GetType() || c.GetMonthlyFee() != nil {
		t.Fatalf("draft of type %v with monthly fee %v, want %v without the fixed-price award's fee", c.GetType(), c.GetMonthlyFee(), create.GetType())
	}
	edit := &contractv1.Contract{Name: c.GetName(), ServiceLevels: append(c.GetServiceLevels(), levels...), BonusKpis: bonusKPIs}
	paths := []string{"service_levels"}
	if len(bonusKPIs) > 0 {
		paths = append(paths, "bonus_kpis")
	}
	if c, err = e.Contract.UpdateContract(cm, &contractv1.UpdateContractRequest{Contract: edit, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}}); err != nil {
		t.Fatalf("UpdateContract: %v", err)
	}
	if _, err := e.Contract.SubmitContract(cm, &contractv1.SubmitContractRequest{Name: c.GetName()}); err != nil {
		t.Fatalf("SubmitContract: %v", err)
	}
	if _, err := e.Contract.ApproveContract(e.AsRole(t, auth.Approver), &contractv1.ApproveContractRequest{Name: c.GetName()}); err != nil {
		t.Fatalf("ApproveContract: %v", err)
	}
	if _, err := e.Contract.SignContract(e.As(t, testenv.ClientSignatory, auth.Approver), &contractv1.SignContractRequest{Name: c.GetName()}); err != nil {
		t.Fatalf("SignContract (client): %v", err)
	}
	if c, err = e.Contract.SignContract(e.AsProvider(t, a.Provider), &contractv1.SignContractRequest{Name: c.GetName()}); err != nil {
		t.Fatalf("SignContract (provider): %v", err)
	}
	return &testenv.Signed{Awarded: a, Contract: c}
}

// amendSigned takes an amendment of l's contract through review, approval
// and both signatures.
func amendSigned(t *testing.T, e *testenv.Env, l *live, am *contractv1.Amendment) *contractv1.Amendment {
	t.Helper()
	cm := e.AsRole(t, auth.ContractManager)
	got, err := e.Contract.CreateAmendment(cm, &contractv1.CreateAmendmentRequest{Parent: l.Contract.GetName(), Amendment: am})
	if err != nil {
		t.Fatalf("CreateAmendment: %v", err)
	}
	if _, err := e.Contract.SubmitAmendment(cm, &contractv1.SubmitAmendmentRequest{Name: got.GetName()}); err != nil {
		t.Fatalf("SubmitAmendment: %v", err)
	}
	if _, err := e.Contract.ApproveAmendment(e.AsRole(t, auth.Approver), &contractv1.ApproveAmendmentRequest{Name: got.GetName()}); err != nil {
		t.Fatalf("ApproveAmendment: %v", err)
	}
	if _, err := e.Contract.SignAmendment(e.As(t, testenv.ClientSignatory, auth.Approver), &contractv1.SignAmendmentRequest{Name: got.GetName()}); err != nil {
		t.Fatalf("SignAmendment (client): %v", err)
	}
	if got, err = e.Contract.SignAmendment(e.AsProvider(t, l.Provider), &contractv1.SignAmendmentRequest{Name: got.GetName()}); err != nil {
		t.Fatalf("SignAmendment (provider): %v", err)
	}
	if got.GetState() != contractv1.AmendmentState_AMENDMENT_STATE_SIGNED || got.GetRevisionId() != "2" {
		t.Fatalf("%s is %v, revision %q, after both signatures", got.GetName(), got.GetState(), got.GetRevisionId())
	}
	return got
}

// report stores ms for l's contract as its provider; every one must be
// accepted.
func report(t *testing.T, e *testenv.Env, l *live, ms ...*monitoringv1.Measurement) {
	t.Helper()
	resp, err := e.Monitoring.BatchCreateMeasurements(e.AsProvider(t, l.Provider), &monitoringv1.BatchCreateMeasurementsRequest{Parent: l.Contract.GetName(), Measurements: ms})
	if err != nil || resp.GetAccepted() != int64(len(ms)) {
		t.Fatalf("measurements of %s: %v %v", l.Contract.GetName(), resp, err)
	}
}

// closedStatement closes the period of l's contract starting at month and
// returns its statement's evaluation.
func closedStatement(t *testing.T, e *testenv.Env, l *live, month time.Time) *monitoringv1.PeriodEvaluation {
	t.Helper()
	gm := e.AsRole(t, auth.GovernanceManager)
	pd, err := e.Monitoring.ClosePeriod(gm, &monitoringv1.ClosePeriodRequest{Name: l.Contract.GetName() + "/periods/" + month.Format("2006-01")})
	if err != nil {
		t.Fatalf("close %s: %v", month.Format("2006-01"), err)
	}
	st, err := e.Monitoring.GetStatement(gm, &monitoringv1.GetStatementRequest{Name: pd.GetStatement()})
	if err != nil {
		t.Fatal(err)
	}
	return st.GetEvaluation()
}

// wantLines checks that ev was computed under contract revision rev, not
// prorated, and that its money lines — "KIND" or "KIND level", kind
// without STATEMENT_LINE_KIND_ — are exactly want, in USD cents; and that
// the evaluation's totals agree with its lines.
func wantLines(t *testing.T, what string, ev *monitoringv1.PeriodEvaluation, rev string, want map[string]int64) {
	t.Helper()
	explanation := strings.Join(ev.GetExplanation(), "\n")
	if !strings.Contains(explanation, "Terms: contract revision "+rev+",") {
		t.Errorf("%s: not evaluated under revision %s:\n%s", what, rev, explanation)
	}
	if ev.GetServiceDays() != ev.GetPeriodDays() {
		t.Errorf("%s: %d of %d days of service, want a whole month", what, ev.GetServiceDays(), ev.GetPeriodDays())
	}
	got := map[string]int64{}
	for _, l := range ev.GetLines() {
		if l.GetAmount() == nil {
			continue
		}
		k := strings.TrimPrefix(l.GetKind().String(), "STATEMENT_LINE_KIND_")
		if l.GetServiceLevelKey() != "" {
			k += " " + l.GetServiceLevelKey()
		}
		if c := l.GetAmount().GetCurrencyCode(); c != testenv.Currency {
			t.Errorf("%s: line %s in %q", what, k, c)
		}
		got[k] = l.GetAmount().GetMinorUnits()
	}
	if fmt.Sprint(sorted(got)) != fmt.Sprint(sorted(want)) {
		t.Errorf("%s: lines (cents)\n got %v\nwant %v\n%s", what, sorted(got), sorted(want), explanation)
	}
	if ev.GetCharges().GetMinorUnits() != want["CHARGES"] || ev.GetAtRiskAmount().GetMinorUnits() != want["AT_RISK"] ||
		ev.GetCredits().GetMinorUnits() != want["CREDITS"] || ev.GetBonus().GetMinorUnits() != want["BONUS"] || ev.GetNet().GetMinorUnits() != want["NET"] {
		t.Errorf("%s: charges %v at-risk %v credits %v bonus %v net %v disagree with the lines %v", what,
			ev.GetCharges(), ev.GetAtRiskAmount(), ev.GetCredits(), ev.GetBonus(), ev.GetNet(), sorted(want))
	}
}

// sorted lists m as "key=value" in key order.
func sorted(m map[string]int64) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(out)
	return out
}

// lineText is the words of ev's first line of kind.
func lineText(ev *monitoringv1.PeriodEvaluation, kind monitoringv1.StatementLineKind) string {
	for _, l := range ev.GetLines() {
		if l.GetKind() == kind {
			return l.GetExplanation()
		}
	}
	return ""
}
