package monitoring

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/money"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/protoenum"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/monitoring/evaluation"
	"github.com/acme/bpo/services/monitoring/store"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var outcomeProto = map[evaluation.Outcome]monitoringv1.Outcome{
	evaluation.NotEvaluated: monitoringv1.Outcome_OUTCOME_UNSPECIFIED,
	evaluation.Met:          monitoringv1.Outcome_OUTCOME_MET,
	evaluation.Missed:       monitoringv1.Outcome_OUTCOME_MISSED,
	evaluation.NoData:       monitoringv1.Outcome_OUTCOME_NO_DATA,
}

var lineKindProto = map[evaluation.LineKind]monitoringv1.StatementLineKind{
	evaluation.Charge:       monitoringv1.StatementLineKind_STATEMENT_LINE_KIND_CHARGE,
	evaluation.ChargesTotal: monitoringv1.StatementLineKind_STATEMENT_LINE_KIND_CHARGES,
	evaluation.AtRiskLine:   monitoringv1.StatementLineKind_STATEMENT_LINE_KIND_AT_RISK,
	evaluation.CreditLine:   monitoringv1.StatementLineKind_STATEMENT_LINE_KIND_CREDIT,
	evaluation.CreditsTotal: monitoringv1.StatementLineKind_STATEMENT_LINE_KIND_CREDITS,
	evaluation.EarnBackLine: monitoringv1.StatementLineKind_STATEMENT_LINE_KIND_EARN_BACK,
	evaluation.BonusLine:    monitoringv1.StatementLineKind_STATEMENT_LINE_KIND_BONUS,
	evaluation.NetLine:      monitoringv1.StatementLineKind_STATEMENT_LINE_KIND_NET,
	evaluation.ChronicLine:  monitoringv1.StatementLineKind_STATEMENT_LINE_KIND_CHRONIC_FAILURE,
}

// EvaluatePeriod implements monitoringv1.MonitoringServiceServer. A
// CLOSED period answers its current statement; an OPEN one is evaluated
// from the stored measurements, the approved exclusions and the terms in
// force, provisionally (nothing is stored), so the same inputs always give
// the same result to the cent. spec: monitoring.md "Periods and
// evaluation", statement steps 1–7.
func (s *Server) EvaluatePeriod(ctx context.Context, req *monitoringv1.EvaluatePeriodRequest) (*monitoringv1.PeriodEvaluation, error) {
	name, err := names.Parse[monitoringv1.PeriodResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	pd, err := s.openPeriod(ctx, name, "periods are evaluated")
	if err != nil {
		return nil, err
	}
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*monitoringv1.PeriodEvaluation, error) {
		// One read transaction: every level sees the same snapshot.
		if p, _, err := periodDocs.Get(ctx, tx, pd.name); err == nil {
			st, _, err := statementDocs.Get(ctx, tx, p.GetStatement())
			return st.GetEvaluation(), err
		} else if apperr.KindOf(err) != apperr.NotFound {
			return nil, err
		}
		ev, err := s.statement(ctx, tx, pd, fromSummaries)
		if err != nil {
			return nil, err
		}
		// Only here: the statement a close stores says nothing of the kind.
		ev.Explanation = append(ev.Explanation, "Provisional: the period is open, so later measurements, exclusions approved later and amendments may still change it; closing it stores the statement.")
		return ev, nil
	})
}

// source says what an evaluation reads: the summaries kept as measurements
// arrive (an open period's provisional evaluation, early warning), or the
// measurements themselves (the statement a close or a restatement
// stores). Both give the same result to the last digit
// (store/rollup_test.go); the summaries read a few hundred rows where the
// measurements may be millions.
type source int

const (
	fromSummaries source = iota
	fromRows
)

// feed adds to a the measurements of contract's level key in span less
// cut, read from src.
func feed(ctx context.Context, tx *sqlstore.Tx, src source, contract, key string, span evaluation.Interval, cut []evaluation.Interval, a *evaluation.Aggregate) error {
	if src == fromSummaries {
		return store.FeedSummarized(ctx, tx, contract, key, span, cut, a)
	}
	for _, part := range evaluation.Subtract([]evaluation.Interval{span}, cut) {
		if err := store.Feed(ctx, tx, contract, key, part.Start, part.End, a); err != nil {
			return err
		}
	}
	return nil
}

// statement evaluates the period pd in tx: each level over its windows,
// with the approved exclusions applied, and the statement, from src.
func (s *Server) statement(ctx context.Context, tx *sqlstore.Tx, pd *period, src source) (*monitoringv1.PeriodEvaluation, error) {
	c := pd.eff
	t, err := termsOf(pd)
	if err != nil {
		return nil, err
	}
	excl, err := approvedExclusions(ctx, tx, pd.t.name)
	if err != nil {
		return nil, err
	}
	hours, hoursWords, err := hoursOf(c.GetServiceHours())
	if err != nil {
		return nil, apperr.New(apperr.FailedPrecondition, "%s has service hours that cannot be read (%v); amend the contract", pd.t.name, err)
	}
	now := s.now()
	out := &monitoringv1.PeriodEvaluation{
		Name:         pd.name,
		PeriodStart:  timestamppb.New(pd.w.Start),
		PeriodEnd:    timestamppb.New(pd.w.End),
		Provisional:  true,
		State:        monitoringv1.PeriodState_PERIOD_STATE_OPEN,
		EvaluateTime: timestamppb.New(now),
		ServiceDays:  int32(t.ServiceDays),
		PeriodDays:   int32(t.PeriodDays),
	}
	out.Explanation = append(out.Explanation, windowLine(pd.p, pd.t, pd.w))
	if pd.w.ToEnd {
		out.Explanation = append(out.Explanation, fmt.Sprintf("The contract's last day of service is %s: the period ends there, and later periods are neither evaluated nor charged.",
			pd.svc.End.Add(-time.Nanosecond).In(pd.t.loc).Format(time.DateOnly)))
	}
	if c.GetRevisionId() != "" {
		out.Explanation = append(out.Explanation, fmt.Sprintf("Terms: contract revision %s, in force on %s.", c.GetRevisionId(), pd.w.Start.In(pd.t.loc).Format(time.DateOnly)))
	}

	levels := c.GetServiceLevels()
	results := make([]evaluation.Result, len(levels))
	for i, l := range levels {
		r, applied, err := s.evaluateLevel(ctx, tx, pd, l, excl, hours, hoursWords, src)
		if err != nil {
			return nil, err
		}
		results[i] = r
		out.Exclusions = append(out.Exclusions, applied...)
	}
	past, err := past(ctx, tx, pd)
	if err != nil {
		return nil, err
	}
	st, err := evaluation.Compute(t, pd.p.String(), results, past)
	if err != nil {
		return nil, err
	}

	out.Charges, out.AtRiskAmount, out.Credits, out.Net = st.Charges.Proto(), st.AtRisk.Proto(), st.Credits.Proto(), st.Net.Proto()
	out.EarnBacks, out.Bonus = st.EarnBacks.Proto(), st.Bonus.Proto()
	if st.AnnualCapRemaining != nil {
		out.AnnualCapRemaining = st.AnnualCapRemaining.Proto()
	}
	for _, r := range results {
		lr := &monitoringv1.LevelResult{
			Key:              r.Level.GetKey(),
			DisplayName:      r.Level.GetDisplayName(),
			Kind:             r.Level.GetKind(),
			Aggregation:      r.Level.GetMetric().GetAggregation(),
			Target:           r.Level.GetTarget(),
			Comparator:       r.Level.GetComparator(),
			Outcome:          outcomeProto[r.Outcome],
			MeasurementsUsed: r.Used,
			Window:           r.Level.GetWindow(),
		}
		if lr.Window == typev1.MeasurementWindow_MEASUREMENT_WINDOW_UNSPECIFIED {
			lr.Window = typev1.MeasurementWindow_MEASUREMENT_WINDOW_MONTHLY
		}
		if r.Value != nil {
			lr.Value = evaluation.FormatDecimal(r.Value, evaluation.DisplayPlaces)
		}
		if credit, ok := st.Credit[r.Level.GetKey()]; ok {
			lr.Credit = credit.Proto()
		}
		if credited, ok := st.Credited[r.Level.GetKey()]; ok {
			lr.Credited = credited.Proto()
		}
		for _, w := range r.Windows {
			wr := &monitoringv1.WindowResult{Window: w.Label, StartTime: timestamppb.New(w.Start), EndTime: timestamppb.New(w.End),
				Outcome: outcomeProto[w.Outcome], MeasurementsUsed: w.Used}
			if w.Value != nil {
				wr.Value = evaluation.FormatDecimal(w.Value, evaluation.DisplayPlaces)
			}
			lr.Windows = append(lr.Windows, wr)
		}
		out.Results = append(out.Results, lr)
		out.Explanation = append(out.Explanation, r.Explanation)
	}
	for _, a := range out.Exclusions {
		out.Explanation = append(out.Explanation, a.GetExplanation())
	}
	for _, l := range st.Lines {
		pl := &monitoringv1.StatementLine{Step: int32(l.Step), Kind: lineKindProto[l.Kind], ServiceLevelKey: l.Key, Explanation: l.Text}
		if l.Amount != nil {
			pl.Amount = l.Amount.Proto()
		}
		out.Lines = append(out.Lines, pl)
		out.Explanation = append(out.Explanation, l.Text)
	}
	for _, ch := range st.Chronic {
		out.ChronicFailures = append(out.ChronicFailures, &monitoringv1.ChronicFailure{
			ServiceLevelKey: ch.Key, MissedPeriods: ch.Missed, Misses: ch.K, Window: ch.N,
		})
	}
	return out, nil
}

// evaluateLevel evaluates level l over its windows in period pd, leaving
// out the approved exclusions that name it.
func (s *Server) evaluateLevel(ctx context.Context, tx *sqlstore.Tx, pd *period, l *typev1.ServiceLevel, excl []exclusionSpan, hours evaluation.Hours, hoursWords string, src source) (evaluation.Result, []*monitoringv1.AppliedExclusion, error) {
	spans, ok := pd.svc.Spans(l, pd.p, pd.w)
	if !ok {
		q := pd.p
		for int(q.Month)%3 != 0 {
			q = q.Next()
		}
		return evaluation.Result{Level: l, Explanation: fmt.Sprintf("%s: a quarterly level, evaluated with its quarter in the statement of %s (or of the last period of service); no result or credit in this period.", l.GetKey(), q)}, nil, nil
	}
	contract := pd.t.name.String()
	var (
		applied []*monitoringv1.AppliedExclusion
		parts   []evaluation.WindowResult
		rs      []evaluation.Result
	)
	avail := l.GetMetric().GetAggregation() == typev1.Aggregation_AGGREGATION_AVAILABILITY
	for _, sp := range spans {
		var cut []evaluation.Interval
		for _, e := range excl {
			if !e.names(l.GetKey()) {
				continue
			}
			iv := evaluation.Interval{Start: e.start, End: e.end}.Intersect(evaluation.Interval{Start: sp.Start, End: sp.End})
			if !iv.End.After(iv.Start) {
				continue
			}
			cut = append(cut, iv)
			a := &monitoringv1.AppliedExclusion{Exclusion: e.name, ServiceLevelKey: l.GetKey()}
			if avail {
				svc := hours.Intervals(sp.Start, sp.End, pd.t.loc)
				removed := evaluation.Length(svc) - evaluation.Length(evaluation.Subtract(svc, []evaluation.Interval{iv}))
				a.MinutesRemoved = evaluation.Minutes(removed)
				a.Explanation = fmt.Sprintf("Exclusion %s (%s, %s) applied to %s in %s: %s minutes of service time (and any outage in them) removed.",
					e.name, e.kind, e.reason, l.GetKey(), sp.Label, a.MinutesRemoved)
			} else {
				n, err := store.Count(ctx, tx, contract, l.GetKey(), iv.Start, iv.End)
				if err != nil {
					return evaluation.Result{}, nil, err
				}
				a.MeasurementsRemoved = n
				a.Explanation = fmt.Sprintf("Exclusion %s (%s, %s) applied to %s in %s: %d measurements from %s to %s left out.",
					e.name, e.kind, e.reason, l.GetKey(), sp.Label, n,
					iv.Start.In(pd.t.loc).Format("2006-01-02 15:04"), iv.End.In(pd.t.loc).Format("2006-01-02 15:04"))
			}
			applied = append(applied, a)
		}
		a := evaluation.NewAggregate(l, evaluation.Window{Start: sp.Start, End: sp.End})
		if avail {
			if !hours.AroundTheClock() || len(cut) > 0 {
				words := hoursWords
				if len(cut) > 0 {
					words += ", less approved exclusions"
				}
				a.SetService(evaluation.Subtract(hours.Intervals(sp.Start, sp.End, pd.t.loc), cut), words)
			}
			// Exclusions shorten AVAILABILITY's service time, not its
			// measurements.
			if err := feed(ctx, tx, src, contract, l.GetKey(), evaluation.Interval{Start: sp.Start, End: sp.End}, nil, a); err != nil {
				return evaluation.Result{}, nil, err
			}
		} else if err := feed(ctx, tx, src, contract, l.GetKey(), evaluation.Interval{Start: sp.Start, End: sp.End}, cut, a); err != nil {
			return evaluation.Result{}, nil, err
		}
		r := a.Result()
		rs = append(rs, r)
		parts = append(parts, evaluation.WindowResult{Label: sp.Label, Start: sp.Start, End: sp.End, Outcome: r.Outcome, Value: r.Value, Used: r.Used})
	}
	switch l.GetWindow() {
	case typev1.MeasurementWindow_MEASUREMENT_WINDOW_WEEKLY:
		return weekly(l, rs, parts), applied, nil
	case typev1.MeasurementWindow_MEASUREMENT_WINDOW_QUARTERLY:
		r := rs[0]
		r.Windows = parts
		r.Explanation = fmt.Sprintf("Quarter %s (%s to %s): %s", parts[0].Label,
			parts[0].Start.In(pd.t.loc).Format(time.DateOnly), parts[0].End.Add(-time.Nanosecond).In(pd.t.loc).Format(time.DateOnly), r.Explanation)
		return r, applied, nil
	}
	return rs[0], applied, nil
}

// weekly combines a weekly level's weeks: MET when every week is met,
// NO_DATA when none has data, else MISSED; its credit is the allocation ×
// the share of weeks missed (or without data).
func weekly(l *typev1.ServiceLevel, rs []evaluation.Result, parts []evaluation.WindowResult) evaluation.Result {
	r := evaluation.Result{Level: l, Windows: parts}
	missed, noData, evaluated := 0, 0, 0
	var words []string
	for i, w := range rs {
		r.Used += w.Used
		if w.Outcome == evaluation.NotEvaluated {
			words = append(words, fmt.Sprintf("%s not evaluated", parts[i].Label))
			continue
		}
		evaluated++
		switch w.Outcome {
		case evaluation.Missed:
			missed++
		case evaluation.NoData:
			noData++
		}
		words = append(words, fmt.Sprintf("%s %s", parts[i].Label, w.Outcome))
	}
	switch {
	case evaluated == 0:
		r.Outcome = evaluation.NotEvaluated
	case noData == evaluated:
		r.Outcome = evaluation.NoData
	case missed+noData == 0:
		r.Outcome = evaluation.Met
	default:
		r.Outcome = evaluation.Missed
	}
	if evaluated > 0 {
		r.Share = big.NewRat(int64(missed+noData), int64(evaluated))
	}
	r.Explanation = fmt.Sprintf("%s: a weekly level over the %d ISO weeks that end in the period (%s): %d missed or without data → %s.",
		l.GetKey(), len(rs), strings.Join(words, "; "), missed+noData, r.Outcome)
	for _, w := range rs {
		r.Explanation += " " + w.Explanation
	}
	return r
}

// termsOf reads the commercial terms of the revision in force.
func termsOf(pd *period) (evaluation.Terms, error) {
	c := pd.eff
	cr := c.GetCreditRegime()
	t := evaluation.Terms{
		Currency:        c.GetCurrencyCode(),
		AtRiskBps:       cr.GetAtRiskBps(),
		AnnualCapBps:    cr.GetAnnualCapBps(),
		EarnBackPeriods: cr.GetEarnBackPeriods(),
		ChronicMisses:   cr.GetChronicMisses(),
		ChronicWindow:   cr.GetChronicWindow(),
		ServiceDays:     evaluation.ServiceDays(pd.w, pd.t.loc),
		PeriodDays:      pd.p.Days(),
	}
	missing := func(what string) error {
		return apperr.New(apperr.FailedPrecondition, "%s is %s but has no %s: its statement cannot be built; amend the contract",
			pd.t.name, protoenum.Short(c.GetType()), what)
	}
	switch c.GetType() {
	case contractv1.ContractType_CONTRACT_TYPE_TIME_AND_MATERIALS:
		t.Pricing = evaluation.TimeAndMaterials
		if len(c.GetRateCard()) == 0 {
			return t, missing("rate card")
		}
		for _, r := range c.GetRateCard() {
			t.Rates = append(t.Rates, evaluation.Rate{Role: r.GetRole(), Hourly: money.FromProto(r.GetHourlyRate())})
			if t.Currency == "" {
				t.Currency = r.GetHourlyRate().GetCurrencyCode()
			}
		}
		if n := c.GetMonthlyNotToExceed(); n.GetCurrencyCode() != "" {
			a := money.FromProto(n)
			t.NotToExceed = &a
		}
	case contractv1.ContractType_CONTRACT_TYPE_PERFORMANCE_BASED:
		t.Pricing = evaluation.PerformanceBased
		if c.GetBaseMonthlyFee().GetCurrencyCode() == "" {
			return t, missing("base monthly fee")
		}
		t.BaseFee, t.BonusPool, t.BonusKPIs = money.FromProto(c.GetBaseMonthlyFee()), money.FromProto(c.GetBonusPool()), c.GetBonusKpis()
		if t.BonusPool.Currency == "" {
			t.BonusPool.Currency = t.BaseFee.Currency
		}
		if t.Currency == "" {
			t.Currency = t.BaseFee.Currency
		}
	default:
		t.Pricing = evaluation.FixedPrice
		if c.GetMonthlyFee().GetCurrencyCode() == "" {
			return t, apperr.New(apperr.FailedPrecondition, "%s has no monthly fee: a fixed-price statement needs one; amend the contract", pd.t.name)
		}
		t.MonthlyFee = money.FromProto(c.GetMonthlyFee())
		if t.Currency == "" {
			t.Currency = t.MonthlyFee.Currency
		}
	}
	return t, nil
}

// hoursOf reads the contract's service hours; unset is around the clock.
func hoursOf(h *contractv1.ServiceHours) (evaluation.Hours, string, error) {
	var out evaluation.Hours
	if h == nil {
		return out, "around the clock", nil
	}
	var days []string
	for _, d := range h.GetDays() {
		if d < 1 || d > 7 {
			return out, "", fmt.Errorf("day %v", d)
		}
		out.Days = append(out.Days, time.Weekday(int(d)%7)) // google.type.DayOfWeek: MONDAY = 1 … SUNDAY = 7
		days = append(days, protoenum.Short(d))
	}
	tod := func(t interface {
		GetHours() int32
		GetMinutes() int32
	}) time.Duration {
		return time.Duration(t.GetHours())*time.Hour + time.Duration(t.GetMinutes())*time.Minute
	}
	if h.GetStart() != nil || h.GetEnd() != nil {
		out.Start, out.End = tod(h.GetStart()), tod(h.GetEnd())
		if out.End <= out.Start {
			return out, "", fmt.Errorf("end %v not after start %v", out.End, out.Start)
		}
	}
	for _, d := range h.GetHolidays() {
		if out.Holidays == nil {
			out.Holidays = map[string]bool{}
		}
		out.Holidays[fmt.Sprintf("%04d-%02d-%02d", d.GetYear(), d.GetMonth(), d.GetDay())] = true
	}
	words := "service hours"
	if out.Start != 0 || out.End != 0 {
		words += fmt.Sprintf(" %02d:%02d–%02d:%02d", int(out.Start.Hours()), int(out.Start.Minutes())%60, int(out.End.Hours()), int(out.End.Minutes())%60)
	}
	if len(days) > 0 {
		words += " on " + strings.Join(days, ", ")
	}
	if len(out.Holidays) > 0 {
		words += fmt.Sprintf(", %d holidays excluded", len(out.Holidays))
	}
	if out.AroundTheClock() {
		words = "around the clock"
	}
	return out, words, nil
}

// windowLine says which stretch of time the period covers.
func windowLine(p evaluation.Period, t *terms, w evaluation.Window) string {
	const layout = "2006-01-02 15:04"
	line := fmt.Sprintf("Period %s: measurements with event times from %s to %s (exclusive) in the service time zone %s",
		p, w.Start.In(t.loc).Format(layout), w.End.In(t.loc).Format(layout), t.loc)
	if t.contract.GetServiceTimeZone() == "" {
		line += " (the contract sets no service time zone, so UTC is used)"
	}
	if w.FromCommencement {
		line += fmt.Sprintf(", from service commencement on %s", t.commencement.Format(time.DateOnly))
	}
	return line + "."
}
