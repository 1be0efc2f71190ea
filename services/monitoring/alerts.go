package monitoring

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"sync"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/opsmetrics"
	"github.com/acme/bpo/kit/protoenum"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/monitoring/evaluation"
	"github.com/acme/bpo/services/monitoring/store"
	"github.com/acme/bpo/services/monitoring/warning"
	"github.com/oklog/ulid/v2"
	"go.einride.tech/aip/resourcename"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// alertFilter is ListAlerts' filter: state, condition (with or without
// their enum prefixes), service_level_key and period (`YYYY-MM`).
var alertFilter = listing.Schema[*monitoringv1.Alert]{Fields: []listing.Field[*monitoringv1.Alert]{
	listing.Enum("state", (*monitoringv1.Alert).GetState),
	listing.Enum("condition", (*monitoringv1.Alert).GetCondition),
	{Name: "service_level_key", Values: listing.One((*monitoringv1.Alert).GetServiceLevelKey)},
	{Name: "period", Values: listing.One(func(a *monitoringv1.Alert) string {
		var p monitoringv1.PeriodResourceName
		if p.UnmarshalString(a.GetPeriod()) != nil {
			return ""
		}
		return p.Period
	})},
}}

// alertDocs holds the alerts; ids are ULIDs, so name order is raise order.
var alertDocs = docstore.Resource(alertFilter)

var conditionProto = map[warning.Condition]monitoringv1.AlertCondition{
	warning.Budget50:  monitoringv1.AlertCondition_ALERT_CONDITION_BUDGET_50,
	warning.Budget75:  monitoringv1.AlertCondition_ALERT_CONDITION_BUDGET_75,
	warning.Missed:    monitoringv1.AlertCondition_ALERT_CONDITION_MISSED,
	warning.BurnRate:  monitoringv1.AlertCondition_ALERT_CONDITION_BURN_RATE,
	warning.NoData24h: monitoringv1.AlertCondition_ALERT_CONDITION_NO_DATA_24H,
}

// conditionWords head an alert's message.
var conditionWords = map[warning.Condition]string{
	warning.Budget50:  "half of the period's error budget is used",
	warning.Budget75:  "three quarters of the period's error budget are used",
	warning.Missed:    "the level is missed for the period beyond recovery (its whole error budget is used at the period's pace)",
	warning.BurnRate:  "the error budget burns faster than the period allows (burn rate above 1.0 over the last 24 hours and over the period so far)",
	warning.NoData24h: "a critical level has had no measurement for 24 hours",
}

// ingestCheckEvery is how often ingestion checks a contract's alerts at
// most (platform clock): a provider's system sends a batch every few
// seconds, and a check reads the period's aggregates.
const ingestCheckEvery = time.Minute

// watchPoll is how often a watcher looks at the feed without being woken
// (alerts raised by another process on the same database), and
// watchCheckEvery how often it checks the contract's levels itself (the
// no-data rule needs no measurement to fire).
const (
	watchPoll       = 2 * time.Second
	watchCheckEvery = time.Minute
)

// alertHub wakes the watchers of this process when an alert is raised,
// and remembers when each contract was last checked on ingestion.
type alertHub struct {
	mu      sync.Mutex
	wake    chan struct{}
	checked map[string]time.Time
}

func newAlertHub() *alertHub {
	return &alertHub{wake: make(chan struct{}), checked: map[string]time.Time{}}
}

// waiter returns a channel closed at the next raise.
func (h *alertHub) waiter() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.wake
}

func (h *alertHub) raised() {
	h.mu.Lock()
	defer h.mu.Unlock()
	close(h.wake)
	h.wake = make(chan struct{})
}

// due reports whether contract's alerts are due for a check on ingestion
// at now, and if so marks them checked.
func (h *alertHub) due(contract string, now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if last, ok := h.checked[contract]; ok && now.Sub(last) < ingestCheckEvery && !now.Before(last) {
		return false
	}
	h.checked[contract] = now
	return true
}

// alertsAfterIngest checks the alerts of the levels a batch reported, in
// the current period and the periods the batch's events fell in, after the
// batch committed. At most once a minute per contract (ingestCheckEvery);
// ListAlerts and WatchAlerts check unthrottled. A failed check never fails
// the ingestion the provider was acknowledged for: the next check raises
// what this one missed.
func (s *Server) alertsAfterIngest(ctx context.Context, t *terms, batch []evaluation.Stored) {
	if len(batch) == 0 || !s.alerts.due(t.name.String(), s.now()) {
		return
	}
	keys := map[string]bool{}
	var periods []evaluation.Period
	for _, m := range batch {
		keys[m.Key] = true
		local := m.Time.In(t.loc)
		p := evaluation.Period{Year: local.Year(), Month: local.Month()}
		if len(periods) == 0 || periods[len(periods)-1] != p {
			periods = appendPeriod(periods, p)
		}
	}
	_ = s.checkAlerts(ctx, t, periods, keys)
}

func appendPeriod(ps []evaluation.Period, p evaluation.Period) []evaluation.Period {
	for _, q := range ps {
		if q == p {
			return ps
		}
	}
	return append(ps, p)
}

// checkAlerts evaluates the early-warning rules (package warning) for the
// levels named in keys (all when nil) in the current period and in extra,
// and raises each condition found that was not raised before in that
// period. Periods that are closed, not begun, before commencement or after
// the last day of service (end date or termination) are skipped.
func (s *Server) checkAlerts(ctx context.Context, t *terms, extra []evaluation.Period, keys map[string]bool) error {
	now := s.now()
	local := now.In(t.loc)
	periods := appendPeriod(nil, evaluation.Period{Year: local.Year(), Month: local.Month()})
	for _, p := range extra {
		periods = appendPeriod(periods, p)
	}
	svc := serviceOf(t)
	for _, p := range periods {
		w, err := svc.Window(p, now)
		if err != nil {
			continue // not begun, before commencement or after the service ended: nothing to warn of
		}
		if open, err := s.periodOpen(ctx, t, p); err != nil || !open {
			if err != nil {
				return err
			}
			continue
		}
		for _, l := range t.contract.GetServiceLevels() {
			if keys != nil && !keys[l.GetKey()] {
				continue
			}
			if err := s.checkLevel(ctx, t, svc, p, w, l, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkLevel assesses one level in one open period and raises what it found.
//
// The budget is the level's window's: the month for monthly levels, the
// ISO week holding now for weekly ones (its alerts are raised once per
// week); a quarterly level's budget would span three periods, so it gets
// only the no-data rule.
func (s *Server) checkLevel(ctx context.Context, t *terms, svc evaluation.Service, p evaluation.Period, w evaluation.Window, l *typev1.ServiceLevel, now time.Time) error {
	at := now
	if at.After(w.End) {
		at = w.End
	}
	budgeted := true
	label := p.String()
	switch l.GetWindow() {
	case typev1.MeasurementWindow_MEASUREMENT_WINDOW_WEEKLY:
		budgeted = false
		spans, _ := svc.Spans(l, p, w)
		for _, sp := range spans {
			if sp.Start.Before(at) && !at.After(sp.End) {
				w, label, budgeted = evaluation.Window{Start: sp.Start, End: sp.End}, sp.Label, true
				if at.After(w.End) {
					at = w.End
				}
			}
		}
	case typev1.MeasurementWindow_MEASUREMENT_WINDOW_QUARTERLY:
		budgeted = false
	}
	level := warning.Level{
		Key:      l.GetKey(),
		Critical: l.GetKind() == typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL,
		AtLeast:  l.GetComparator() == typev1.Comparator_COMPARATOR_AT_LEAST,
	}
	switch l.GetMetric().GetAggregation() {
	case typev1.Aggregation_AGGREGATION_PERCENT_WITHIN, typev1.Aggregation_AGGREGATION_RATIO:
		if target, err := evaluation.ParseDecimal(l.GetTarget()); err == nil && budgeted {
			level.Budgeted, level.Target = true, target
		}
	}
	in := warning.Input{Elapsed: warning.Elapsed(w.Start, w.End, at)}
	var periodValue *big.Rat
	err := s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		if level.Budgeted {
			// Approved exclusions naming the level do not count, as in the
			// statement (evaluate.go).
			excl, err := approvedExclusions(ctx, tx, t.name)
			if err != nil {
				return err
			}
			var cut []evaluation.Interval
			for _, e := range excl {
				if e.names(l.GetKey()) {
					cut = append(cut, evaluation.Interval{Start: e.start, End: e.end})
				}
			}
			sample := func(from time.Time) (warning.Sample, error) {
				a := evaluation.NewAggregate(l, evaluation.Window{Start: from, End: at})
				if err := feed(ctx, tx, fromSummaries, t.name.String(), l.GetKey(), evaluation.Interval{Start: from, End: at}, cut, a); err != nil {
					return warning.Sample{}, err
				}
				r := a.Result()
				if r.Value == nil || r.Outcome == evaluation.NotEvaluated {
					return warning.Sample{}, nil
				}
				return warning.Sample{V: r.Value, N: r.Used}, nil
			}
			if in.Period, err = sample(w.Start); err != nil {
				return err
			}
			periodValue = in.Period.V
			if in.Last24h, err = sample(laterOf(w.Start, at.Add(-24*time.Hour))); err != nil {
				return err
			}
		}
		last, ok, err := store.LatestEventTime(ctx, tx, t.name.String(), l.GetKey(), at)
		if err != nil {
			return err
		}
		since := t.commencement
		if ok && last.After(since) {
			since = last
		}
		in.Silent = at.Sub(since)
		return nil
	})
	if err != nil {
		return err
	}
	a := warning.Assess(level, in)
	for _, c := range a.Conditions {
		alert := &monitoringv1.Alert{
			Period:          resourcename.Sprint("contracts/{contract}/periods/{period}", t.name.Contract, p.String()),
			ServiceLevelKey: l.GetKey(),
			Condition:       conditionProto[c],
			State:           monitoringv1.AlertState_ALERT_STATE_OPEN,
			Kind:            l.GetKind(),
			Target:          l.GetTarget(),
			Provider:        t.contract.GetProvider(),
			Message:         fmt.Sprintf("%s in %s: %s. %s", l.GetKey(), label, conditionWords[c], a.Explanation),
		}
		if a.Used != nil {
			alert.BudgetUsed = warning.Percent(a.Used)
		} else if a.Exhausted {
			alert.BudgetUsed = "100"
		}
		if a.Burn24h != nil {
			alert.BurnRate_24H = warning.Decimal(a.Burn24h)
		}
		if a.BurnPeriod != nil {
			alert.BurnRatePeriod = warning.Decimal(a.BurnPeriod)
		}
		if periodValue != nil {
			alert.Value = evaluation.FormatDecimal(periodValue, evaluation.DisplayPlaces)
		}
		if err := s.raise(ctx, t.name, label, c, alert); err != nil {
			return err
		}
	}
	return nil
}

// raise stores alert unless its condition was raised for the level in the
// period before, audits it, and wakes the watchers.
// window is the budget's window: the period, or a weekly level's week.
func (s *Server) raise(ctx context.Context, contract contractv1.ContractResourceName, window string, c warning.Condition, alert *monitoringv1.Alert) error {
	key := store.AlertKey{Contract: contract.String(), Period: window, Level: alert.GetServiceLevelKey(), Condition: c.String()}
	_, err := sqlstore.RetryConflicts(ctx, func() (bool, error) {
		err := s.db.Write(ctx, func(tx *sqlstore.Tx) error {
			a := proto.CloneOf(alert)
			a.Name = resourcename.Sprint("contracts/{contract}/alerts/{alert}", contract.Contract, ulid.Make().String())
			now := s.now()
			seq, err := store.RaiseAlert(ctx, tx, key, a.GetName(), now)
			if err != nil {
				return err
			}
			a.Cursor = strconv.FormatInt(seq, 10)
			a.CreateTime, a.UpdateTime = timestamppb.New(now), timestamppb.New(now)
			if err := alertDocs.Insert(ctx, tx, a.GetName(), a); err != nil {
				return err
			}
			return audit.Record(ctx, tx, a.GetName(), "", nil, a)
		})
		return err == nil, err
	})
	if errors.Is(err, store.ErrRaised) {
		return nil
	}
	if err != nil {
		return err
	}
	opsmetrics.AlertRaised(c.String())
	s.alerts.raised()
	return nil
}

// periodOpen reports whether period p of the contract is still open (an
// alert is about a period whose outcome can still change).
// Periods are stored when closed (periods.go); one not stored is open.
func (s *Server) periodOpen(ctx context.Context, t *terms, p evaluation.Period) (bool, error) {
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (bool, error) {
		stored, _, err := periodDocs.Get(ctx, tx, periodName(t.name, p))
		switch {
		case apperr.KindOf(err) == apperr.NotFound:
			return true, nil
		case err != nil:
			return false, err
		}
		return stored.GetState() != monitoringv1.PeriodState_PERIOD_STATE_CLOSED, nil
	})
}

// watchable returns the terms of a contract whose alerts the caller may
// read: the contract service's own rules and the provider check of
// readContract apply.
func (s *Server) watchable(ctx context.Context, parent contractv1.ContractResourceName) (*terms, error) {
	c, err := s.readContract(ctx, parent)
	if err != nil {
		return nil, err
	}
	return commenced(parent, c, "alerts are raised")
}

// ListAlerts implements monitoringv1.MonitoringServiceServer. The
// contract's open periods are checked first, so that a condition that
// needs no measurement to arise (no data for 24 hours) is raised by the
// time anyone looks.
func (s *Server) ListAlerts(ctx context.Context, req *monitoringv1.ListAlertsRequest) (*monitoringv1.ListAlertsResponse, error) {
	parent, err := names.Parse[contractv1.ContractResourceName]("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	t, err := s.watchable(ctx, parent)
	if err != nil {
		return nil, err
	}
	if err := s.checkAlerts(ctx, t, nil, nil); err != nil {
		return nil, err
	}
	return sqlstore.Query(ctx, s.db, func(tx *sqlstore.Tx) (*monitoringv1.ListAlertsResponse, error) {
		page, next, err := alertDocs.Page(ctx, tx, req, docstore.Query{Parent: parent.String()})
		return &monitoringv1.ListAlertsResponse{Alerts: page, NextPageToken: next}, err
	})
}

// AcknowledgeAlert implements monitoringv1.MonitoringServiceServer.
func (s *Server) AcknowledgeAlert(ctx context.Context, req *monitoringv1.AcknowledgeAlertRequest) (*monitoringv1.Alert, error) {
	name, err := names.Parse[monitoringv1.AlertResourceName]("name", req.GetName())
	if err != nil {
		return nil, err
	}
	contract := contractv1.ContractResourceName{Contract: name.Contract}
	if _, err := s.readContract(ctx, contract); err != nil {
		return nil, err
	}
	return sqlstore.RetryConflicts(ctx, func() (*monitoringv1.Alert, error) {
		return sqlstore.Idempotent(ctx, s.db, monitoringv1.MonitoringService_AcknowledgeAlert_FullMethodName, req.GetRequestId(), auth.Subject(ctx), req,
			func(tx *sqlstore.Tx) (*monitoringv1.Alert, error) {
				before, v, err := alertDocs.GetForChange(ctx, tx, name.String(), req.GetEtag())
				if err != nil {
					return nil, err
				}
				if st := before.GetState(); st != monitoringv1.AlertState_ALERT_STATE_OPEN {
					return nil, apperr.New(apperr.FailedPrecondition, "%s is %s (by %s): only an OPEN alert can be acknowledged", name, protoenum.Short(st), before.GetAcknowledgedBy())
				}
				a := proto.CloneOf(before)
				now := timestamppb.New(s.now())
				a.State = monitoringv1.AlertState_ALERT_STATE_ACKNOWLEDGED
				a.AcknowledgedBy, a.AcknowledgeTime, a.AcknowledgementNote = auth.Subject(ctx), now, req.GetNote()
				a.UpdateTime = now
				if err := alertDocs.Update(ctx, tx, a.GetName(), a, v); err != nil {
					return nil, err
				}
				return a, audit.Record(ctx, tx, a.GetName(), req.GetRequestId(), before, a)
			})
	})
}

// WatchAlerts implements monitoringv1.MonitoringServiceServer: it replays
// the contract's alerts after the cursor, then sends each new one as it is
// raised. Raises in this process wake it at once; it also polls the feed
// (alerts raised by another replica on the same database) and checks the
// contract's levels itself every minute with the watcher's token, so a
// critical level that falls silent is reported while someone watches.
func (s *Server) WatchAlerts(req *monitoringv1.WatchAlertsRequest, stream grpc.ServerStreamingServer[monitoringv1.AlertEvent]) error {
	ctx := stream.Context()
	parent, err := names.Parse[contractv1.ContractResourceName]("parent", req.GetParent())
	if err != nil {
		return err
	}
	var after int64
	if c := req.GetAfterCursor(); c != "" {
		if after, err = strconv.ParseInt(c, 10, 64); err != nil || after < 0 {
			return apperr.Invalid(apperr.FieldViolation{Field: "after_cursor", Description: "is not a cursor of this feed (an AlertEvent's cursor, a whole number)"})
		}
	}
	t, err := s.watchable(ctx, parent)
	if err != nil {
		return err
	}
	// Headers now: the gateway's event stream starts (200) on them, and
	// answers an error before them as an HTTP error.
	if err := stream.SendHeader(metadata.Pairs(WatchOpenHeader, "1")); err != nil {
		return err
	}
	checked := time.Time{}
	poll := time.NewTicker(watchPoll)
	defer poll.Stop()
	for {
		wake := s.alerts.waiter()
		if now := time.Now(); now.Sub(checked) >= watchCheckEvery {
			checked = now
			if err := s.checkAlerts(ctx, t, nil, nil); err != nil {
				return err
			}
		}
		for {
			var events []*monitoringv1.AlertEvent
			err := s.db.Read(ctx, func(tx *sqlstore.Tx) error {
				feed, err := store.AlertsAfter(ctx, tx, parent.String(), after, 100)
				if err != nil {
					return err
				}
				for _, f := range feed {
					a, _, err := alertDocs.Get(ctx, tx, f.Alert)
					if err != nil {
						return err
					}
					events = append(events, &monitoringv1.AlertEvent{Alert: a, Cursor: strconv.FormatInt(f.Seq, 10)})
				}
				return nil
			})
			if err != nil {
				return err
			}
			for _, e := range events {
				if err := stream.Send(e); err != nil {
					return err
				}
				after, _ = strconv.ParseInt(e.GetCursor(), 10, 64)
			}
			if len(events) < 100 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-poll.C:
		}
	}
}

// WatchOpenHeader is the header WatchAlerts sends once the watch is
// authorised and the contract found: a stream without it has failed (its
// status follows).
const WatchOpenHeader = "bpo-watch-open"

// readers may read a contract's alerts, trends, scorecards and reviews: the
// roles that read its evaluation (a provider user only its own contracts').
var readers = []auth.Role{auth.GovernanceManager, auth.ContractManager, auth.Auditor, auth.SourcingManager, auth.ProviderUser}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
