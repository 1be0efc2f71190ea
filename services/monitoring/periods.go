package monitoring

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/civil"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/money"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/opsmetrics"
	"github.com/acme/bpo/kit/protoenum"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/monitoring/evaluation"
	"github.com/acme/bpo/services/monitoring/store"
	"go.einride.tech/aip/resourcename"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The month-end: periods are stored when closed (an OPEN period is
// derived from the contract and the clock), with one Statement document
// per revision. spec: monitoring.md "Periods and evaluation".
var (
	periodDocs = docstore.Resource(listing.Schema[*monitoringv1.Period]{Fields: []listing.Field[*monitoringv1.Period]{
		listing.Enum("state", (*monitoringv1.Period).GetState),
	}})
	statementDocs = docstore.Resource(listing.Schema[*monitoringv1.Statement]{})
)

// period is what a month-end method needs of one period of a contract.
type period struct {
	t    *terms
	svc  evaluation.Service
	p    evaluation.Period
	w    evaluation.Window
	name string
	// eff is the contract revision in force at the period's start.
	eff *contractv1.Contract
}

// service is the contract's span of service: from commencement to the end
// of the earlier of its end date and a termination's effective date.
func serviceOf(t *terms) evaluation.Service {
	svc := evaluation.Service{Loc: t.loc, Commencement: t.commencement}
	last := t.contract.GetEndDate()
	if e := t.contract.GetTermination().GetEffectiveDate(); e.GetYear() != 0 && (last.GetYear() == 0 || before(e, last)) {
		last = e
	}
	if last.GetYear() != 0 {
		svc.End = evaluation.EndOfDay(int(last.GetYear()), time.Month(last.GetMonth()), int(last.GetDay()), t.loc)
	}
	return svc
}

func before(a, b *date.Date) bool {
	return a.GetYear()*10000+a.GetMonth()*100+a.GetDay() < b.GetYear()*10000+b.GetMonth()*100+b.GetDay()
}

// openPeriod reads the contract, its terms in force and the bounds of the
// period name.
func (s *Server) openPeriod(ctx context.Context, name monitoringv1.PeriodResourceName, what string) (*period, error) {
	p, err := evaluation.ParsePeriod(name.Period)
	if err != nil {
		return nil, err
	}
	contract := contractv1.ContractResourceName{Contract: name.Contract}
	c, err := s.readContract(ctx, contract)
	if err != nil {
		return nil, err
	}
	t, err := commenced(contract, c, what)
	if err != nil {
		return nil, err
	}
	svc := serviceOf(t)
	w, err := svc.Window(p, s.now())
	if err != nil {
		return nil, err
	}
	eff, err := s.effective(ctx, contract, c, w.Start.In(t.loc))
	if err != nil {
		return nil, err
	}
	return &period{t: t, svc: svc, p: p, w: w, name: name.String(), eff: eff}, nil
}

// effective is the contract revision in force on day (GetEffectiveContract);
// the contract as it stands when the contract service does not answer
// that method (an older contract service) or knows no revision then.
func (s *Server) effective(ctx context.Context, name contractv1.ContractResourceName, c *contractv1.Contract, day time.Time) (*contractv1.Contract, error) {
	eff, err := s.contract.GetEffectiveContract(ctx, &contractv1.GetEffectiveContractRequest{Name: name.String(), Date: civil.Of(day)})
	switch status.Code(err) {
	case codes.OK:
		return eff, nil
	case codes.Unimplemented, codes.NotFound:
		return c, nil
	}
	return nil, err
}

// reportDue is the last day the period's reports are due: the period's
// last day + the contract's reporting.due_days; closing is allowed from
// the day after (closable).
func (pd *period) closable() time.Time {
	_, end := pd.p.Bounds(pd.t.loc)
	if pd.w.End.Before(end) {
		end = pd.w.End
	}
	e := end.In(pd.t.loc)
	return time.Date(e.Year(), e.Month(), e.Day()+int(pd.eff.GetReporting().GetDueDays()), 0, 0, 0, 0, pd.t.loc)
}

func (pd *period) reportDue() *date.Date {
	return civil.Of(pd.closable().Add(-12 * time.Hour))
}

// derived is the period as it is while OPEN.
func (pd *period) derived() *monitoringv1.Period {
	return &monitoringv1.Period{
		Name:          pd.name,
		State:         monitoringv1.PeriodState_PERIOD_STATE_OPEN,
		StartTime:     timestamppb.New(pd.w.Start),
		EndTime:       timestamppb.New(pd.w.End),
		ReportDueDate: pd.reportDue(),
	}
}

// GetPeriod implements monitoringv1.MonitoringServiceServer.
func (s *Server) GetPeriod(ctx context.Context, req *monitoringv1.GetPeriodRequest) (*monitoringv1.Period, error) {
	name, err := names.Parse[monitoringv1.PeriodResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	pd, err := s.openPeriod(ctx, name, "periods are evaluated")
	if err != nil {
		return nil, err
	}
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*monitoringv1.Period, error) {
		stored, _, err := periodDocs.Get(ctx, tx, pd.name)
		if apperr.KindOf(err) == apperr.NotFound {
			return pd.derived(), nil
		}
		return stored, err
	})
}

// ListPeriods implements monitoringv1.MonitoringServiceServer: every
// period from commencement to the current one (or the last of service),
// the closed ones as stored.
func (s *Server) ListPeriods(ctx context.Context, req *monitoringv1.ListPeriodsRequest) (*monitoringv1.ListPeriodsResponse, error) {
	parent, err := names.Parse[contractv1.ContractResourceName]("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	terms, err := periodDocs.Schema().Parse(req.GetFilter())
	if err != nil {
		return nil, err
	}
	after, err := listing.DecodePageToken(req.GetPageToken(), parent.String()+"\x00"+req.GetFilter())
	if err != nil {
		return nil, err
	}
	c, err := s.readContract(ctx, parent)
	if err != nil {
		return nil, err
	}
	t, err := commenced(parent, c, "periods are listed")
	if err != nil {
		return nil, err
	}
	svc := serviceOf(t)
	now := s.now()
	closed, err := sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) ([]*monitoringv1.Period, error) {
		return periodDocs.List(ctx, tx, docstore.Query{Parent: parent.String()})
	})
	if err != nil {
		return nil, err
	}
	byName := map[string]*monitoringv1.Period{}
	for _, p := range closed {
		byName[p.GetName()] = p
	}
	want := ""
	for _, tm := range terms {
		if tm.Field == "state" {
			want = tm.Value
		}
	}
	size := listing.PageSize(req.GetPageSize())
	out := &monitoringv1.ListPeriodsResponse{}
	last, hasEnd := svc.Last()
	for p := svc.First(); ; p = p.Next() {
		if hasEnd && last.Before(p) {
			break
		}
		w, err := svc.Window(p, now)
		if err != nil {
			break // not begun
		}
		name := resourcename.Sprint("contracts/{contract}/periods/{period}", parent.Contract, p.String())
		if name <= after {
			continue
		}
		pm, ok := byName[name]
		if !ok {
			eff := t.contract
			pm = (&period{t: t, svc: svc, p: p, w: w, name: name, eff: eff}).derived()
		}
		if want != "" && want != protoenum.Short(pm.GetState()) {
			continue
		}
		if len(out.Periods) == size {
			out.NextPageToken = listing.EncodePageToken(out.Periods[size-1].GetName(), parent.String()+"\x00"+req.GetFilter())
			break
		}
		out.Periods = append(out.Periods, pm)
	}
	return out, nil
}

// ClosePeriod implements monitoringv1.MonitoringServiceServer.
func (s *Server) ClosePeriod(ctx context.Context, req *monitoringv1.ClosePeriodRequest) (*monitoringv1.Period, error) {
	name, err := names.Parse[monitoringv1.PeriodResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	pd, err := s.openPeriod(ctx, name, "periods are closed")
	if err != nil {
		return nil, err
	}
	if now := s.now(); now.Before(pd.closable()) {
		return nil, apperr.New(apperr.FailedPrecondition,
			"%s is OPEN and its reports are due until %s (period end + %d due days): close it from %s",
			pd.name, civil.Format(pd.reportDue()), pd.eff.GetReporting().GetDueDays(), pd.closable().Format(time.DateOnly))
	}
	out, err := sqlstore.RetryConflicts(ctx, func() (*monitoringv1.Period, error) {
		return sqlstore.Idempotent(ctx, s.db, monitoringv1.MonitoringService_ClosePeriod_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*monitoringv1.Period, error) {
				if err := lockPeriods(ctx, tx, pd.t.name, false); err != nil {
					return nil, err
				}
				if stored, _, err := periodDocs.Get(ctx, tx, pd.name); err == nil {
					return nil, apperr.New(apperr.FailedPrecondition, "%s is already CLOSED (statement %s): a correction is a restatement (RestatePeriod)", pd.name, stored.GetStatement())
				} else if apperr.KindOf(err) != apperr.NotFound {
					return nil, err
				}
				ev, err := s.statement(ctx, tx, pd, fromRows)
				if err != nil {
					return nil, err
				}
				now := timestamppb.New(s.now())
				p := pd.derived()
				p.State = monitoringv1.PeriodState_PERIOD_STATE_CLOSED
				p.CloseTime, p.ClosedBy = now, auth.Subject(ctx)
				p.CreateTime, p.UpdateTime = now, now
				if err := s.storeStatement(ctx, tx, pd, p, ev, 1, "close", req.GetRequestId()); err != nil {
					return nil, err
				}
				if err := periodDocs.Insert(ctx, tx, pd.name, p); err != nil {
					return nil, err
				}
				return p, audit.Record(ctx, tx, pd.name, req.GetRequestId(), nil, p)
			})
	})
	if err != nil {
		return nil, err
	}
	opsmetrics.PeriodClosed()
	return out, s.afterStatement(ctx, pd, out)
}

// RestatePeriod implements monitoringv1.MonitoringServiceServer.
func (s *Server) RestatePeriod(ctx context.Context, req *monitoringv1.RestatePeriodRequest) (*monitoringv1.Period, error) {
	name, err := names.Parse[monitoringv1.PeriodResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	pd, err := s.openPeriod(ctx, name, "periods are restated")
	if err != nil {
		return nil, err
	}
	// Late measurements are checked like any (but for this period being
	// closed) before the transaction; one refused refuses the restatement.
	var late []evaluation.Stored
	if len(req.GetMeasurements()) > 0 {
		in := evaluation.NewIntake(pd.eff.GetServiceLevels(), pd.t.commencement, s.now())
		in.End = pd.svc.End
		var bad []apperr.FieldViolation
		for i, m := range req.GetMeasurements() {
			st, why := in.Check(measurementOf(m))
			if why == "" && evaluation.MonthOf(st.Time, pd.t.loc) != pd.p {
				if l := in.Levels[st.Key]; pd.svc.StatementOf(l, st.Time) != pd.p {
					why = fmt.Sprintf("event time %s is not in %s", st.Time.UTC().Format(time.RFC3339), pd.p)
				}
			}
			if why != "" {
				bad = append(bad, apperr.FieldViolation{Field: fmt.Sprintf("measurements[%d]", i), Description: why})
				continue
			}
			late = append(late, st)
		}
		if len(bad) > 0 {
			return nil, apperr.Invalid(bad...)
		}
	}
	out, err := sqlstore.RetryConflicts(ctx, func() (*monitoringv1.Period, error) {
		return sqlstore.Idempotent(ctx, s.db, monitoringv1.MonitoringService_RestatePeriod_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*monitoringv1.Period, error) {
				if err := lockPeriods(ctx, tx, pd.t.name, false); err != nil {
					return nil, err
				}
				before, v, err := periodDocs.GetForChange(ctx, tx, pd.name, req.GetEtag())
				if apperr.KindOf(err) == apperr.NotFound {
					return nil, apperr.New(apperr.FailedPrecondition, "%s is OPEN: only a closed period is restated; evaluate it, or close it after its reports are due", pd.name)
				}
				if err != nil {
					return nil, err
				}
				if len(late) > 0 {
					if err := s.saveLate(ctx, tx, pd, late); err != nil {
						return nil, err
					}
				}
				ev, err := s.statement(ctx, tx, pd, fromRows)
				if err != nil {
					return nil, err
				}
				p := proto.CloneOf(before)
				p.UpdateTime = timestamppb.New(s.now())
				if err := s.storeStatement(ctx, tx, pd, p, ev, before.GetStatementRevisions()+1, req.GetReason(), req.GetRequestId()); err != nil {
					return nil, err
				}
				if err := periodDocs.Update(ctx, tx, pd.name, p, v); err != nil {
					return nil, err
				}
				return p, audit.Record(ctx, tx, pd.name, req.GetRequestId(), before, p)
			})
	})
	if err != nil {
		return nil, err
	}
	return out, s.afterStatement(ctx, pd, out)
}

// storeStatement stores revision rev of the period's statement and points
// the period p at it.
func (s *Server) storeStatement(ctx context.Context, tx *sqlstore.Tx, pd *period, p *monitoringv1.Period, ev *monitoringv1.PeriodEvaluation, rev int32, reason, requestID string) error {
	name := pd.name + "/statements/" + strconv.Itoa(int(rev))
	ev.State = monitoringv1.PeriodState_PERIOD_STATE_CLOSED
	ev.Provisional = false
	ev.Statement = name
	st := &monitoringv1.Statement{
		Name: name, Revision: rev, Reason: reason, Author: auth.Subject(ctx), Evaluation: ev,
		ContractRevision: pd.eff.GetRevisionId(), CreateTime: timestamppb.New(s.now()),
	}
	if err := statementDocs.Insert(ctx, tx, name, st); err != nil {
		return err
	}
	p.Statement, p.StatementRevisions = name, rev
	return audit.Record(ctx, tx, name, requestID, nil, st)
}

// afterStatement runs once a statement is committed: a chronic failure it
// found is recorded with contract (idempotent there per period, so a
// retried close records it once), and the scorecard hook runs. A failure
// here leaves the statement stored; retrying the call (same request_id)
// completes it.
func (s *Server) afterStatement(ctx context.Context, pd *period, p *monitoringv1.Period) error {
	st, err := sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*monitoringv1.Statement, error) {
		st, _, err := statementDocs.Get(ctx, tx, p.GetStatement())
		return st, err
	})
	if err != nil {
		return err
	}
	if cf := st.GetEvaluation().GetChronicFailures(); len(cf) > 0 {
		right := &contractv1.ChronicFailureRight{Period: pd.p.String()}
		seen := map[string]bool{}
		for _, f := range cf {
			right.ServiceLevelKeys = append(right.ServiceLevelKeys, f.GetServiceLevelKey())
			for _, m := range f.GetMissedPeriods() {
				if !seen[m] {
					seen[m] = true
					right.MissedPeriods = append(right.MissedPeriods, m)
				}
			}
		}
		if _, err := s.contract.RecordChronicFailure(ctx, &contractv1.RecordChronicFailureRequest{
			Name: pd.t.name.String(), Right: right, RequestId: "monitoring-chronic-" + p.GetStatement(),
		}); err != nil {
			return err
		}
	}
	return s.periodClosed(ctx, pd.eff, p)
}

// GetStatement implements monitoringv1.MonitoringServiceServer.
func (s *Server) GetStatement(ctx context.Context, req *monitoringv1.GetStatementRequest) (*monitoringv1.Statement, error) {
	name, err := names.Parse[monitoringv1.StatementResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	if _, err := s.readContract(ctx, contractv1.ContractResourceName{Contract: name.Contract}); err != nil {
		return nil, err
	}
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*monitoringv1.Statement, error) {
		st, _, err := statementDocs.Get(ctx, tx, name.String())
		return st, err
	})
}

// ListStatements implements monitoringv1.MonitoringServiceServer.
func (s *Server) ListStatements(ctx context.Context, req *monitoringv1.ListStatementsRequest) (*monitoringv1.ListStatementsResponse, error) {
	parent, err := names.Parse[monitoringv1.PeriodResourceName]("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	if _, err := s.readContract(ctx, contractv1.ContractResourceName{Contract: parent.Contract}); err != nil {
		return nil, err
	}
	query := parent.String()
	after, err := listing.DecodePageToken(req.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	from := 0
	if after != "" {
		if from, err = strconv.Atoi(after); err != nil {
			return nil, listing.InvalidPageToken()
		}
	}
	all, err := sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) ([]*monitoringv1.Statement, error) {
		return statementDocs.List(ctx, tx, docstore.Query{Parent: parent.String()})
	})
	if err != nil {
		return nil, err
	}
	// By revision, not by name: "10" sorts before "2" as text.
	slices.SortFunc(all, func(a, b *monitoringv1.Statement) int { return cmp.Compare(a.GetRevision(), b.GetRevision()) })
	out := &monitoringv1.ListStatementsResponse{}
	size := listing.PageSize(req.GetPageSize())
	for _, st := range all {
		if int(st.GetRevision()) <= from {
			continue
		}
		if len(out.Statements) == size {
			out.NextPageToken = listing.EncodePageToken(strconv.Itoa(int(out.Statements[size-1].GetRevision())), query)
			break
		}
		out.Statements = append(out.Statements, st)
	}
	return out, nil
}

// closedPeriods are the closed periods of a contract, by period id.
func closedPeriods(ctx context.Context, tx *sqlstore.Tx, contract contractv1.ContractResourceName) (map[evaluation.Period]bool, error) {
	ps, err := periodDocs.List(ctx, tx, docstore.Query{Parent: contract.String()})
	if err != nil {
		return nil, err
	}
	out := make(map[evaluation.Period]bool, len(ps))
	for _, p := range ps {
		n, err := names.Parse[monitoringv1.PeriodResourceName]("name", p.GetName())
		if err != nil {
			return nil, err
		}
		id, err := evaluation.ParsePeriod(n.Period)
		if err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, nil
}

// past reads the latest statements of the periods before pd (as many as
// the annual cap, earn-back and chronic failure look back: 36 months, 12
// quarters of a quarterly level), oldest first; a period not closed is nil.
func past(ctx context.Context, tx *sqlstore.Tx, pd *period) ([]*evaluation.Past, error) {
	const lookBack = 36
	ps, err := periodDocs.List(ctx, tx, docstore.Query{Parent: pd.t.name.String()})
	if err != nil {
		return nil, err
	}
	byName := map[string]*monitoringv1.Period{}
	for _, p := range ps {
		byName[p.GetName()] = p
	}
	out := make([]*evaluation.Past, 0, lookBack)
	p := pd.p
	for range lookBack {
		p = p.Prev()
		if p.Before(pd.svc.First()) {
			break
		}
		out = append(out, nil)
		stored, ok := byName[resourcename.Sprint("contracts/{contract}/periods/{period}", pd.t.name.Contract, p.String())]
		if !ok {
			continue
		}
		st, _, err := statementDocs.Get(ctx, tx, stored.GetStatement())
		if err != nil {
			return nil, err
		}
		out[len(out)-1] = pastOf(p, st.GetEvaluation())
	}
	// Oldest first.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

func pastOf(p evaluation.Period, ev *monitoringv1.PeriodEvaluation) *evaluation.Past {
	ps := &evaluation.Past{
		Period: p.String(), Charges: money.FromProto(ev.GetCharges()), Credits: money.FromProto(ev.GetCredits()),
		Credited: map[string]money.Amount{}, Outcomes: map[string]evaluation.Outcome{},
	}
	for _, r := range ev.GetResults() {
		for o, po := range outcomeProto {
			if po == r.GetOutcome() {
				ps.Outcomes[r.GetKey()] = o
			}
		}
		if r.GetCredited() != nil {
			ps.Credited[r.GetKey()] = money.FromProto(r.GetCredited())
		}
	}
	return ps
}

// monthEndReaders may read periods, statements and exclusions: as
// EvaluatePeriod (a provider user only its own provider's, readContract).
var monthEndReaders = []auth.Role{auth.GovernanceManager, auth.ContractManager, auth.Auditor, auth.SourcingManager, auth.ProviderUser}

// monthEndIntake teaches a contract's intake the month-end: measurements
// after the last day of service, and those of a closed statement period,
// are rejected per item with the reason. spec: monitoring.md
// "Measurements" (a closed period).
//
// It answers how many periods were closed when it looked; the write
// transaction checks that number again under lockPeriods (stillClosed), so
// a period closed in between cannot take the batch's measurements.
func (s *Server) monthEndIntake(ctx context.Context, t *terms, in *evaluation.Intake) (int, error) {
	svc := serviceOf(t)
	in.End = svc.End
	// One SELECT: its own snapshot, no transaction around it.
	closed, err := sqlstore.QueryOne(ctx, s.db, func(tx *sqlstore.Tx) (map[evaluation.Period]bool, error) {
		return closedPeriods(ctx, tx, t.name)
	})
	if err != nil || len(closed) == 0 {
		return 0, err
	}
	in.Closed = func(l *typev1.ServiceLevel, at time.Time) string {
		if p := svc.StatementOf(l, at); closed[p] {
			return fmt.Sprintf("period %s is closed: its statement is final; a correction is a restatement by a governance manager (RestatePeriod)", p)
		}
		return ""
	}
	return len(closed), nil
}

// errClosedMeanwhile says a period of the contract closed between a batch's
// intake and its write: the batch is checked again from the start.
var errClosedMeanwhile = errors.New("a period closed while the batch was checked")

// lockPeriods orders a contract's measurement writes (shared) against the
// close and restatement of its periods (exclusive): a close then sees every
// batch committed before it, and a batch after it sees the close. Periods
// only ever close, so a count of closed periods tells whether one closed.
func lockPeriods(ctx context.Context, tx *sqlstore.Tx, contract contractv1.ContractResourceName, shared bool) error {
	return tx.Lock(ctx, "monitoring/periods/"+contract.String(), shared)
}

// stillClosed checks, in a measurement write holding lockPeriods shared,
// that no period closed since the intake saw `seen` closed.
func stillClosed(ctx context.Context, tx *sqlstore.Tx, contract contractv1.ContractResourceName, seen int) error {
	if err := lockPeriods(ctx, tx, contract, true); err != nil {
		return err
	}
	closed, err := closedPeriods(ctx, tx, contract)
	if err != nil {
		return err
	}
	if len(closed) != seen {
		return errClosedMeanwhile
	}
	return nil
}

// measurementOf reads an API measurement for the intake.
func measurementOf(m *monitoringv1.Measurement) evaluation.Measurement {
	in := evaluation.Measurement{Key: m.GetServiceLevelKey(), EventID: m.GetEventId(), Time: m.GetEventTime().AsTime(), Value: m.GetValue()}
	if m.Denominator != nil {
		d := m.GetDenominator()
		in.Denominator = &d
	}
	if o := m.GetOutage(); o != nil {
		in.Outage = &evaluation.Interval{Start: o.GetStartTime().AsTime(), End: o.GetEndTime().AsTime()}
	}
	return in
}

// saveLate stores a restatement's late measurements in tx; each must be
// new (or a duplicate of what is stored), or nothing is restated.
func (s *Server) saveLate(ctx context.Context, tx *sqlstore.Tx, pd *period, late []evaluation.Stored) error {
	fates, err := store.Save(ctx, tx, pd.t.name.String(), late, s.now(), pd.t.loc)
	if err != nil {
		return err
	}
	var bad []apperr.FieldViolation
	for i, f := range fates {
		if f == store.Conflict {
			bad = append(bad, apperr.FieldViolation{Field: fmt.Sprintf("measurements[%d]", i),
				Description: "event_id " + late[i].EventID + " was already reported with other content; a correction needs a new event_id"})
		}
	}
	if len(bad) > 0 {
		return apperr.Invalid(bad...)
	}
	return nil
}
