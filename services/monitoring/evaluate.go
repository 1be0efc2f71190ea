package monitoring

import (
	"context"
	"fmt"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/money"
	"github.com/acme/bpo/kit/names"
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

// EvaluatePeriod implements monitoringv1.MonitoringServiceServer. It reads
// the contract's terms and the period's stored measurements and computes
// every level's value and the statement exactly; nothing is stored, so the
// same measurements always give the same result to the cent. spec:
// monitoring.md "Periods and evaluation", statement steps 1–3 and 6.
func (s *Server) EvaluatePeriod(ctx context.Context, req *monitoringv1.EvaluatePeriodRequest) (*monitoringv1.PeriodEvaluation, error) {
	name, err := names.Parse[monitoringv1.PeriodResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	period, err := evaluation.ParsePeriod(name.Period)
	if err != nil {
		return nil, err
	}
	contract := contractv1.ContractResourceName{Contract: name.Contract}
	c, err := s.readContract(ctx, contract)
	if err != nil {
		return nil, err
	}
	t, err := commenced(contract, c, "periods are evaluated")
	if err != nil {
		return nil, err
	}
	fee := c.GetMonthlyFee()
	if fee.GetCurrencyCode() == "" {
		return nil, apperr.New(apperr.FailedPrecondition, "%s has no monthly fee: only fixed-price statements are built; amend the contract", contract)
	}
	now := s.now()
	w, err := evaluation.WindowOf(period, t.loc, t.commencement, now)
	if err != nil {
		return nil, err
	}

	levels := c.GetServiceLevels()
	results := make([]evaluation.Result, len(levels))
	// One read transaction: every level sees the same snapshot.
	err = s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		for i, l := range levels {
			a := evaluation.NewAggregate(l, w)
			if err := store.Feed(ctx, tx, contract.String(), l.GetKey(), w.Start, w.End, a); err != nil {
				return err
			}
			results[i] = a.Result()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	st, err := evaluation.Compute(evaluation.Terms{
		MonthlyFee: money.FromProto(fee),
		AtRiskBps:  c.GetCreditRegime().GetAtRiskBps(),
	}, results)
	if err != nil {
		return nil, err
	}

	out := &monitoringv1.PeriodEvaluation{
		Name:         req.GetName(),
		PeriodStart:  timestamppb.New(w.Start),
		PeriodEnd:    timestamppb.New(w.End),
		Provisional:  true, // closing periods is not built: every period is open
		Charges:      st.Charges.Proto(),
		AtRiskAmount: st.AtRisk.Proto(),
		Credits:      st.Credits.Proto(),
		Net:          st.Net.Proto(),
		EvaluateTime: timestamppb.New(now),
	}
	out.Explanation = append(out.Explanation, windowLine(period, t, w),
		"Provisional: the period is open (closing periods is not built yet), so later measurements may still change it.")
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
		}
		if r.Value != nil {
			lr.Value = evaluation.FormatDecimal(r.Value, evaluation.DisplayPlaces)
		}
		if credit, ok := st.Credit[r.Level.GetKey()]; ok {
			lr.Credit = credit.Proto()
		}
		out.Results = append(out.Results, lr)
		out.Explanation = append(out.Explanation, r.Explanation)
	}
	out.Explanation = append(out.Explanation, st.Lines...)
	return out, nil
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
