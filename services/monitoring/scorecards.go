package monitoring

import (
	"context"
	"fmt"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/civil"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/monitoring/scorecard"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// scorecardDocs holds one scorecard per closed period; the id is the
// period (`2026-10`), so name order is period order.
var scorecardDocs = docstore.Resource(listing.Schema[*monitoringv1.Scorecard]{Fields: []listing.Field[*monitoringv1.Scorecard]{
	{Name: "reported", Values: listing.One(func(s *monitoringv1.Scorecard) string { return fmt.Sprint(s.GetReported()) })},
}})

var scorecardOutcome = map[monitoringv1.Outcome]scorecard.Outcome{
	monitoringv1.Outcome_OUTCOME_MET:     scorecard.Met,
	monitoringv1.Outcome_OUTCOME_MISSED:  scorecard.Missed,
	monitoringv1.Outcome_OUTCOME_NO_DATA: scorecard.NoData,
}

// periodClosed runs after a period's statement is committed (ClosePeriod,
// and RestatePeriod for each new revision): contract is the revision in
// force, period the stored period (its `statement` names the revision).
// It computes the period's scorecard from that statement (package
// scorecard) and stores it — a restatement recomputes it — then reports
// every score of the contract catalog does not have yet. A report that
// fails (catalog down) leaves the scorecard `reported = false` and the
// error to the caller; the next close or restatement of the contract
// reports it again (the request id makes a repeat harmless).
func (s *Server) periodClosed(ctx context.Context, contract *contractv1.Contract, period *monitoringv1.Period) error {
	pn, err := names.Parse[monitoringv1.PeriodResourceName]("period", period.GetName())
	if err != nil {
		return err
	}
	cn := contractv1.ContractResourceName{Contract: pn.Contract}
	name := monitoringv1.ScorecardResourceName{Contract: pn.Contract, Scorecard: pn.Period}.String()
	loc := time.UTC
	if z := contract.GetServiceTimeZone(); z != "" {
		if l, err := civil.Location(z); err == nil {
			loc = l
		}
	}
	allocation := map[string]int64{}
	for _, l := range contract.GetServiceLevels() {
		allocation[l.GetKey()] = int64(l.GetAllocationBps())
	}
	_, err = sqlstore.RetryConflicts(ctx, func() (bool, error) {
		err := s.db.Write(ctx, func(tx *sqlstore.Tx) error {
			st, _, err := statementDocs.Get(ctx, tx, period.GetStatement())
			if err != nil {
				return err
			}
			ev := st.GetEvaluation()
			all, err := scorecardDocs.List(ctx, tx, docstore.Query{Parent: cn.String()})
			if err != nil {
				return err
			}
			var earlier []int
			for _, sc := range all {
				if sc.GetName() < name {
					earlier = append(earlier, int(sc.GetScore()))
				}
			}
			in := scorecard.Input{
				Charges: ev.GetCharges().GetMinorUnits(), AtRisk: ev.GetAtRiskAmount().GetMinorUnits(),
				Credit: ev.GetCredits().GetMinorUnits(), Earlier: earlier,
			}
			for _, r := range ev.GetResults() {
				in.Levels = append(in.Levels, scorecard.Level{
					Key: r.GetKey(), Critical: r.GetKind() == typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL,
					AllocationBps: allocation[r.GetKey()], Outcome: scorecardOutcome[r.GetOutcome()],
				})
			}
			card := scorecard.Compute(in)
			sc := &monitoringv1.Scorecard{
				Name:            name,
				Provider:        contract.GetProvider(),
				Period:          period.GetName(),
				CriticalMet:     scorecard.Percent(card.CriticalMet),
				KpiMet:          scorecard.Percent(card.KPIMet),
				CreditsOfAtRisk: scorecard.Percent(card.CreditsOfAtRisk),
				Score:           int32(card.Score),
				LevelsMet:       int32(card.LevelsMet),
				LevelsEvaluated: int32(card.LevelsEvaluated),
				Explanation:     append([]string{fmt.Sprintf("From statement revision %d of %s.", st.GetRevision(), pn.Period)}, card.Explanation...),
			}
			if end := period.GetEndTime(); end != nil {
				last := end.AsTime().Add(-time.Nanosecond).In(loc)
				sc.PeriodEnd = &date.Date{Year: int32(last.Year()), Month: int32(last.Month()), Day: int32(last.Day())}
			}
			if card.CreditsOfCharges != nil {
				sc.CreditsOfCharges = scorecard.Percent(card.CreditsOfCharges)
			}
			if card.Delta != nil {
				sc.TrendDelta = scorecard.Decimal(card.Delta)
			}
			// The trend's earlier scores are the last of the earlier scorecards.
			prev := earlierNames(all, name)
			prev = prev[len(prev)-(len(card.Trend)-1):]
			for i, score := range card.Trend[:len(card.Trend)-1] {
				sc.Trend = append(sc.Trend, &monitoringv1.PeriodScorePoint{Period: periodOfScorecard(prev[i]), Score: int32(score)})
			}
			sc.Trend = append(sc.Trend, &monitoringv1.PeriodScorePoint{Period: pn.Period, Score: int32(card.Score)})
			now := timestamppb.New(s.now())
			before, v, err := scorecardDocs.Get(ctx, tx, name)
			switch {
			case apperr.KindOf(err) == apperr.NotFound:
				sc.CreateTime, sc.UpdateTime = now, now
				if err := scorecardDocs.Insert(ctx, tx, name, sc); err != nil {
					return err
				}
				return audit.Record(ctx, tx, name, "", nil, sc)
			case err != nil:
				return err
			}
			sc.CreateTime, sc.UpdateTime, sc.Reported, sc.Etag = before.GetCreateTime(), before.GetUpdateTime(), before.GetReported(), before.GetEtag()
			if proto.Equal(sc, before) {
				return nil // the same statement scored again
			}
			sc.UpdateTime, sc.Reported = now, false
			if err := scorecardDocs.Update(ctx, tx, name, sc, v); err != nil {
				if apperr.KindOf(err) == apperr.Aborted {
					return sqlstore.Conflict("%s was changed at the same time; retry", name)
				}
				return err
			}
			return audit.Record(ctx, tx, name, "", before, sc)
		})
		return err == nil, err
	})
	if err != nil {
		return err
	}
	return s.reportScores(ctx, cn)
}

// earlierNames are the names of the scorecards of all before name, in order.
func earlierNames(all []*monitoringv1.Scorecard, name string) []string {
	var out []string
	for _, sc := range all {
		if sc.GetName() < name {
			out = append(out, sc.GetName())
		}
	}
	return out
}

func periodOfScorecard(name string) string {
	var n monitoringv1.ScorecardResourceName
	if n.UnmarshalString(name) != nil {
		return ""
	}
	return n.Scorecard
}

// reportScores tells catalog each score of the contract it does not have
// yet (ReportProviderPerformance, with the caller's token: a governance
// manager closing or restating a period) and marks it reported.
func (s *Server) reportScores(ctx context.Context, contract contractv1.ContractResourceName) error {
	pending, err := sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) ([]*monitoringv1.Scorecard, error) {
		terms, err := scorecardDocs.Schema().Parse("reported = false")
		if err != nil {
			return nil, err
		}
		return scorecardDocs.List(ctx, tx, docstore.Query{Parent: contract.String(), Terms: terms})
	})
	if err != nil {
		return err
	}
	for _, sc := range pending {
		period := periodOfScorecard(sc.GetName())
		if _, err := s.catalog.ReportProviderPerformance(ctx, &catalogv1.ReportProviderPerformanceRequest{
			Name: sc.GetProvider(),
			Score: &catalogv1.PeriodScore{
				Contract: contract.String(), Period: period, Score: sc.GetScore(), PeriodEnd: sc.GetPeriodEnd(),
			},
			RequestId: fmt.Sprintf("monitoring-score-%s-%s-%d-%d", contract.Contract, period, sc.GetScore(), sc.GetUpdateTime().AsTime().UnixNano()),
		}); err != nil {
			return err
		}
		err := s.db.Write(ctx, func(tx *sqlstore.Tx) error {
			before, v, err := scorecardDocs.Get(ctx, tx, sc.GetName())
			if err != nil {
				return err
			}
			if before.GetReported() || before.GetScore() != sc.GetScore() {
				return nil // reported meanwhile, or restated since: the next pass reports that
			}
			after := proto.CloneOf(before)
			after.Reported = true
			if err := scorecardDocs.Update(ctx, tx, after.GetName(), after, v); err != nil {
				return err
			}
			return audit.Record(ctx, tx, after.GetName(), "", before, after)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// GetScorecard implements monitoringv1.MonitoringServiceServer.
func (s *Server) GetScorecard(ctx context.Context, req *monitoringv1.GetScorecardRequest) (*monitoringv1.Scorecard, error) {
	name, err := names.Parse[monitoringv1.ScorecardResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	if _, err := s.readContract(ctx, contractv1.ContractResourceName{Contract: name.Contract}); err != nil {
		return nil, err
	}
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*monitoringv1.Scorecard, error) {
		sc, _, err := scorecardDocs.Get(ctx, tx, name.String())
		return sc, err
	})
}

// ListScorecards implements monitoringv1.MonitoringServiceServer.
func (s *Server) ListScorecards(ctx context.Context, req *monitoringv1.ListScorecardsRequest) (*monitoringv1.ListScorecardsResponse, error) {
	parent, err := names.Parse[contractv1.ContractResourceName]("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	if _, err := s.readContract(ctx, parent); err != nil {
		return nil, err
	}
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*monitoringv1.ListScorecardsResponse, error) {
		page, next, err := scorecardDocs.Page(ctx, tx, req, docstore.Query{Parent: parent.String()})
		return &monitoringv1.ListScorecardsResponse{Scorecards: page, NextPageToken: next}, err
	})
}
