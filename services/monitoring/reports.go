package monitoring

import (
	"context"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/services/monitoring/evaluation"
)

// defaultTrendPeriods is how many periods a trend shows unless asked.
const defaultTrendPeriods = 12

// GetServiceLevelTrend implements monitoringv1.MonitoringServiceServer: the
// level's result in each of the last periods (ending with the current
// one, not before commencement), each as EvaluatePeriod answers it — the
// stored statement of a closed period, the provisional result of an open
// one. The gateway draws it as an SVG chart.
func (s *Server) GetServiceLevelTrend(ctx context.Context, req *monitoringv1.GetServiceLevelTrendRequest) (*monitoringv1.ServiceLevelTrend, error) {
	contract, err := names.Parse[contractv1.ContractResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	c, err := s.readContract(ctx, contract)
	if err != nil {
		return nil, err
	}
	t, err := commenced(contract, c, "trends are drawn")
	if err != nil {
		return nil, err
	}
	var level *monitoringv1.ServiceLevelTrend
	for _, l := range c.GetServiceLevels() {
		if l.GetKey() == req.GetServiceLevelKey() {
			level = &monitoringv1.ServiceLevelTrend{
				Contract: contract.String(), ServiceLevelKey: l.GetKey(), DisplayName: l.GetDisplayName(),
				Target: l.GetTarget(), Comparator: l.GetComparator(), Unit: l.GetMetric().GetUnit(),
			}
			switch l.GetMetric().GetAggregation() {
			case typev1.Aggregation_AGGREGATION_PERCENT_WITHIN, typev1.Aggregation_AGGREGATION_RATIO, typev1.Aggregation_AGGREGATION_AVAILABILITY:
				level.Unit = "%" // the period value is a share, whatever the events' unit
			case typev1.Aggregation_AGGREGATION_COUNT:
				level.Unit = ""
			}
		}
	}
	if level == nil {
		return nil, apperr.New(apperr.NotFound, "%s has no service level %q", contract, req.GetServiceLevelKey())
	}
	n := int(req.GetPeriods())
	if n == 0 {
		n = defaultTrendPeriods
	}
	for _, p := range trendPeriods(t, s.now(), n) {
		ev, err := s.EvaluatePeriod(ctx, &monitoringv1.EvaluatePeriodRequest{Name: periodName(contract, p)})
		if err != nil {
			return nil, err
		}
		pt := &monitoringv1.TrendPoint{Period: p.String(), Provisional: ev.GetProvisional()}
		for _, r := range ev.GetResults() {
			if r.GetKey() == level.GetServiceLevelKey() {
				pt.Value, pt.Outcome = r.GetValue(), r.GetOutcome()
			}
		}
		level.Points = append(level.Points, pt)
	}
	return level, nil
}

// trendPeriods are the last n periods up to the one holding now, oldest
// first, from the period of commencement.
func trendPeriods(t *terms, now time.Time, n int) []evaluation.Period {
	local := now.In(t.loc)
	first := t.commencement.In(t.loc)
	var out []evaluation.Period
	for i := n - 1; i >= 0; i-- {
		m := time.Date(local.Year(), local.Month()-time.Month(i), 1, 12, 0, 0, 0, t.loc)
		if m.Year() < first.Year() || (m.Year() == first.Year() && m.Month() < first.Month()) {
			continue
		}
		out = append(out, evaluation.Period{Year: m.Year(), Month: m.Month()})
	}
	return out
}

// periodName is `contracts/{contract}/periods/{YYYY-MM}`.
func periodName(contract contractv1.ContractResourceName, p evaluation.Period) string {
	return monitoringv1.PeriodResourceName{Contract: contract.Contract, Period: p.String()}.String()
}
