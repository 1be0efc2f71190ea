package walk

import (
	"context"
	"fmt"
	"strings"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	"github.com/acme/bpo/kit/money"
	"github.com/acme/bpo/kit/protoenum"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// ---------------------------------------------------------------------------
// 6. Monitor: the month-end (issue 8, part A)

// MonthEnd closes the first month and carries on into the second:
//
//   - the governance manager closes the first month (its reports were due
//     the day after it ended), which stores its statement — the ASA credit
//     is now final;
//   - the provider's system sends 40 calls of that month it found late: the
//     closed month refuses them, item by item;
//   - the governance manager restates the month with them: revision 2, with
//     its reason, beside revision 1 — ASA is still missed
//     ((2 295 + 40) / 3 040 = 76.81 % < 80 %);
//   - in the second month the provider proposes a maintenance window (an IVR
//     upgrade) over asa_20s, and the governance manager approves it (four
//     eyes: the other side decides);
//   - the provider reports the second month so far: 400 calls, the first 100
//     slow (45 s) during the maintenance window, the other 300 within 20 s;
//     with the window excluded 300 of 300 are in time → MET, so the first
//     month's ASA credit is earned back (the contract's earn-back is one
//     period), which the second month's provisional statement shows.
func (w *Walk) MonthEnd(ctx context.Context) error {
	gm, prov := w.Cast.GovernanceManager, w.Awarded.User
	var contract contractv1.ContractResourceName
	if err := contract.UnmarshalString(w.Contract); err != nil {
		return fmt.Errorf("contract %q: %w", w.Contract, err)
	}
	first := monitoringv1.PeriodResourceName{Contract: contract.Contract, Period: w.Period}

	var p monitoringv1.Period
	if err := w.do(ctx, gm, "POST", "/v1/"+first.String()+":close", nil, &monitoringv1.ClosePeriodRequest{RequestId: "demo-close-" + w.Period}, &p); err != nil {
		return err
	}
	var st monitoringv1.Statement
	if err := w.do(ctx, gm, "GET", "/v1/"+p.GetStatement(), nil, nil, &st); err != nil {
		return err
	}
	w.say("month-end", gm, "closed %s (%s, reports were due %s): statement %s, credits %s, net %s",
		w.Period, protoenum.Short(p.GetState()), day(p.GetReportDueDate()), p.GetStatement(),
		money.Format(st.GetEvaluation().GetCredits()), money.Format(st.GetEvaluation().GetNet()))

	// 40 late calls of the first month, all within 20 s, on its 20th day.
	late := make([]*monitoringv1.Measurement, 40)
	for i := range late {
		late[i] = &monitoringv1.Measurement{ServiceLevelKey: "asa_20s", EventId: fmt.Sprintf("late-call-%03d", i),
			EventTime: timestamppb.New(w.Commencement.AddDate(0, 0, 19).Add(time.Duration(9*60+i) * time.Minute)), Value: 8}
	}
	var resp monitoringv1.BatchCreateMeasurementsResponse
	if err := w.do(ctx, prov, "POST", "/v1/"+w.Contract+"/measurements:batchCreate", nil,
		&monitoringv1.BatchCreateMeasurementsRequest{Measurements: late}, &resp); err != nil {
		return err
	}
	if resp.GetRejected() != int64(len(late)) {
		return fmt.Errorf("late measurements of a closed month: %d rejected of %d", resp.GetRejected(), len(late))
	}
	w.say("month-end", prov, "%d late calls of %s: %d rejected: %s", len(late), w.Period, resp.GetRejected(), resp.GetResults()[0].GetReason())

	if err := w.do(ctx, gm, "POST", "/v1/"+first.String()+":restate", nil, &monitoringv1.RestatePeriodRequest{
		Reason: "40 calls of the 20th were missing from the provider's export (ticket OPS-311)", Measurements: late, RequestId: "demo-restate-" + w.Period,
	}, &p); err != nil {
		return err
	}
	var list monitoringv1.ListStatementsResponse
	if err := w.do(ctx, gm, "GET", "/v1/"+first.String()+"/statements", nil, nil, &list); err != nil {
		return err
	}
	for _, s := range list.GetStatements() {
		asa := ""
		for _, r := range s.GetEvaluation().GetResults() {
			if r.GetKey() == "asa_20s" {
				asa = fmt.Sprintf("asa_20s %s %s %%", protoenum.Short(r.GetOutcome()), r.GetValue())
			}
		}
		w.say("month-end", gm, "  revision %d (%s, by %s): %s, credits %s", s.GetRevision(), s.GetReason(), s.GetAuthor(), asa, money.Format(s.GetEvaluation().GetCredits()))
	}

	// The second month: a maintenance window over its first quarter so far.
	loc := w.Commencement.Location()
	second := w.Commencement.AddDate(0, 1, 0)
	now := time.Now()
	if !now.After(second) {
		return fmt.Errorf("the second month %s has not begun", second.In(loc).Format("2006-01"))
	}
	span := now.Add(-time.Second).Sub(second)
	const calls, slow = 400, 100
	at := func(i int) time.Time { return second.Add(span * time.Duration(i) / calls) }
	var ex monitoringv1.Exclusion
	if err := w.do(ctx, prov, "POST", "/v1/"+w.Contract+"/exclusions", nil, &monitoringv1.Exclusion{
		Kind: monitoringv1.ExclusionKind_EXCLUSION_KIND_MAINTENANCE, ServiceLevelKeys: []string{"asa_20s"},
		StartTime: timestamppb.New(second), EndTime: timestamppb.New(at(slow)),
		Reason: "IVR platform upgrade announced in CAB-2207",
	}, &ex); err != nil {
		return err
	}
	w.say("month-end", prov, "proposed exclusion %s (%s, %s): %s", ex.GetName(), protoenum.Short(ex.GetKind()), ex.GetReason(), protoenum.Short(ex.GetState()))
	if err := w.do(ctx, gm, "POST", "/v1/"+ex.GetName()+":approve", nil, &monitoringv1.ApproveExclusionRequest{}, &ex); err != nil {
		return err
	}
	w.say("month-end", gm, "approved it (four eyes: the client's side decides the provider's proposal): %s", protoenum.Short(ex.GetState()))

	ms := make([]*monitoringv1.Measurement, 0, calls+2*50)
	for i := range calls {
		v := 9.0
		if i < slow {
			v = 45
		}
		ms = append(ms, &monitoringv1.Measurement{ServiceLevelKey: "asa_20s", EventId: fmt.Sprintf("m2-call-%05d", i), EventTime: timestamppb.New(at(i)), Value: v})
	}
	for i := range 50 {
		ms = append(ms,
			&monitoringv1.Measurement{ServiceLevelKey: "csat", EventId: fmt.Sprintf("m2-survey-%05d", i), EventTime: timestamppb.New(at(i * 8)), Value: float64(4 + i%2)},
			&monitoringv1.Measurement{ServiceLevelKey: "aht_s", EventId: fmt.Sprintf("m2-handle-%05d", i), EventTime: timestamppb.New(at(i * 8)), Value: 380})
	}
	if err := w.do(ctx, prov, "POST", "/v1/"+w.Contract+"/measurements:batchCreate", nil,
		&monitoringv1.BatchCreateMeasurementsRequest{Measurements: ms}, &resp); err != nil {
		return err
	}
	w.say("month-end", prov, "reported %s so far: %d accepted, %d rejected", second.In(loc).Format("2006-01"), resp.GetAccepted(), resp.GetRejected())

	secondName := monitoringv1.PeriodResourceName{Contract: contract.Contract, Period: second.In(loc).Format("2006-01")}
	var ev monitoringv1.PeriodEvaluation
	if err := w.do(ctx, gm, "GET", "/v1/"+secondName.String()+":evaluate", nil, nil, &ev); err != nil {
		return err
	}
	w.say("month-end", gm, "period %s (provisional):", secondName.Period)
	for _, a := range ev.GetExclusions() {
		w.say("month-end", gm, "  %s", a.GetExplanation())
	}
	for _, l := range ev.GetLines() {
		if l.GetKind() == monitoringv1.StatementLineKind_STATEMENT_LINE_KIND_EARN_BACK || l.GetKind() == monitoringv1.StatementLineKind_STATEMENT_LINE_KIND_NET {
			w.say("month-end", gm, "  %s", l.GetExplanation())
		}
	}
	if ev.GetEarnBacks().GetMinorUnits() == 0 {
		return fmt.Errorf("the second month earned nothing back: %s", strings.Join(ev.GetExplanation(), " | "))
	}
	return nil
}
