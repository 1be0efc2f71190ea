package monitoring_test

// Early warning, reports, scorecards and reviews through the gRPC API and
// the real gateway (Server-Sent Events, CSV, SVG) on loopback, on SQLite
// and PostgreSQL. spec: monitoring.md "Early warning", "Scorecards and
// reviews"; issue 8 part B.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/protoenum"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"github.com/acme/bpo/services/gateway"
	"github.com/acme/bpo/services/testenv"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// warned is a live contract on a clock the test moves, with the real
// gateway in front of its services.
type warned struct {
	*live
	e     *testenv.Env
	clock *testenv.Clock
	rest  string // the gateway's base URL
}

// startWarned walks a contract live (service since the first of the
// previous month, on the wall clock), then moves the platform clock to one
// hour before the current month ends: nearly the whole period has elapsed,
// whatever the day the test runs, and the previous month's reports are
// long due, so it can be closed.
func startWarned(t *testing.T, dialect string) *warned {
	t.Helper()
	clock := testenv.NewClock(time.Now())
	e := testenv.Start(t, dialect, testenv.WithClock(clock.Now))
	l := liveContract(t, e)
	end := l.cur.AddDate(0, 1, 0)
	clock.Advance(end.Add(-time.Hour).Sub(clock.Now()))
	h, err := gateway.New(t.Context(), e.Upstreams)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &warned{live: l, e: e, clock: clock, rest: srv.URL}
}

// bearer is the Authorization header of a test context's calls.
func bearer(t *testing.T, ctx context.Context) string {
	t.Helper()
	md, _ := metadata.FromOutgoingContext(ctx)
	if v := md.Get("authorization"); len(v) > 0 {
		return v[0]
	}
	t.Fatal("no token in the context")
	return ""
}

func conditions(alerts []*monitoringv1.Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, a.GetServiceLevelKey()+" "+protoenum.Short(a.GetCondition()))
	}
	return out
}

// TestEarlyWarning: a critical level silent since commencement is
// reported to a watcher that connects (NO_DATA_24H); half of the month's
// calls answered late then raise, once each, half and three quarters of
// the budget used, the miss beyond recovery and a burn rate above 1.0; a
// watcher that connects later resumes from its cursor, over gRPC and as
// Server-Sent Events through the gateway; an alert is acknowledged once.
func TestEarlyWarning(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			w := startWarned(t, dialect)
			e := w.e
			gm := e.AsRole(t, auth.GovernanceManager)
			contract := w.Contract.GetName()
			period := contract + "/periods/" + w.cur.Format("2006-01")

			// A watcher from the start: its own check finds asa_20s (critical)
			// without a measurement since commencement, weeks ago; aht_mean
			// is a KPI, for which silence raises nothing.
			ctx, cancel := context.WithCancel(gm)
			defer cancel()
			stream, err := e.Monitoring.WatchAlerts(ctx, &monitoringv1.WatchAlertsRequest{Parent: contract})
			if err != nil {
				t.Fatal(err)
			}
			first, err := stream.Recv()
			if err != nil {
				t.Fatal(err)
			}
			if a := first.GetAlert(); a.GetCondition() != monitoringv1.AlertCondition_ALERT_CONDITION_NO_DATA_24H || a.GetServiceLevelKey() != testenv.LevelASA || first.GetCursor() != "1" || a.GetPeriod() != period {
				t.Fatalf("first event %v, want asa_20s NO_DATA_24H in %s at cursor 1", first, period)
			}

			// Ten calls in the last ten hours, five answered in 10 s and five
			// in 30 s: 50 % within 20 s against at least 80 %. Budget 20 %
			// of calls; 50 % failed → burn rate 50/20 = 2.5 over the period
			// and over the last 24 h (the same calls); with the month all
			// but an hour gone, 2.5 × ~0.9986 ≈ 250 % of the budget is used:
			// BUDGET_50, BUDGET_75, MISSED and BURN_RATE, raised by the
			// ingestion's own check after its commit.
			now := w.clock.Now()
			var batch []*monitoringv1.Measurement
			for i := range 10 {
				v := 10.0
				if i%2 == 1 {
					v = 30
				}
				batch = append(batch, m(testenv.LevelASA, "call-"+string(rune('a'+i)), now.Add(-time.Duration(i+1)*time.Hour), v))
			}
			provider := e.AsProvider(t, w.Provider)
			if _, err := e.Monitoring.BatchCreateMeasurements(provider, &monitoringv1.BatchCreateMeasurementsRequest{Parent: contract, Measurements: batch}); err != nil {
				t.Fatal(err)
			}
			var got []*monitoringv1.AlertEvent
			for len(got) < 4 {
				ev, err := stream.Recv()
				if err != nil {
					t.Fatalf("after %d events: %v", len(got), err)
				}
				got = append(got, ev)
			}
			want := []string{"BUDGET_50", "BUDGET_75", "MISSED", "BURN_RATE"}
			for i, ev := range got {
				if c := protoenum.Short(ev.GetAlert().GetCondition()); c != want[i] || ev.GetCursor() != string(rune('2'+i)) {
					t.Errorf("event %d: %s at cursor %s, want %s at %d", i+2, c, ev.GetCursor(), want[i], i+2)
				}
			}
			missed := got[2].GetAlert()
			if missed.GetBudgetUsed() == "" || !strings.HasPrefix(missed.GetBurnRatePeriod(), "2.5") || missed.GetBurnRate_24H() != "2.5" || missed.GetValue() != "50" {
				t.Errorf("missed alert figures: used %q, burn %q / %q, value %q", missed.GetBudgetUsed(), missed.GetBurnRatePeriod(), missed.GetBurnRate_24H(), missed.GetValue())
			}

			// Raised once per condition and period: more late calls, past
			// the ingestion's once-a-minute check, and a list (which checks
			// too) raise nothing new.
			w.clock.Advance(2 * time.Minute)
			if _, err := e.Monitoring.BatchCreateMeasurements(provider, &monitoringv1.BatchCreateMeasurementsRequest{Parent: contract,
				Measurements: []*monitoringv1.Measurement{m(testenv.LevelASA, "call-late", w.clock.Now().Add(-time.Minute), 45)}}); err != nil {
				t.Fatal(err)
			}
			list, err := e.Monitoring.ListAlerts(gm, &monitoringv1.ListAlertsRequest{Parent: contract})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := conditions(list.GetAlerts()), []string{"asa_20s NO_DATA_24H", "asa_20s BUDGET_50", "asa_20s BUDGET_75", "asa_20s MISSED", "asa_20s BURN_RATE"}; !slices.Equal(got, want) {
				t.Errorf("alerts %v, want %v", got, want)
			}
			only, err := e.Monitoring.ListAlerts(gm, &monitoringv1.ListAlertsRequest{Parent: contract, Filter: "condition = MISSED AND state = OPEN"})
			if err != nil || len(only.GetAlerts()) != 1 {
				t.Fatalf("filtered: %v %v", only, err)
			}

			// A watcher that connects later resumes after its cursor: over
			// gRPC…
			ctx2, cancel2 := context.WithCancel(gm)
			defer cancel2()
			later, err := e.Monitoring.WatchAlerts(ctx2, &monitoringv1.WatchAlertsRequest{Parent: contract, AfterCursor: "3"})
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"4", "5"} {
				ev, err := later.Recv()
				if err != nil || ev.GetCursor() != want {
					t.Fatalf("resumed event %v %v, want cursor %s", ev, err, want)
				}
			}
			// …and as Server-Sent Events through the gateway, with
			// Last-Event-ID, read by a plain net/http client.
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, w.rest+"/v1/"+contract+"/alerts:watch", nil)
			req.Header.Set("Authorization", bearer(t, gm))
			req.Header.Set("Accept", "text/event-stream")
			req.Header.Set("Last-Event-ID", "3")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
				t.Fatalf("SSE answer %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			events := readSSE(t, resp.Body, 2)
			for i, ev := range events {
				var ae monitoringv1.AlertEvent
				if err := protojson.Unmarshal([]byte(ev.data), &ae); err != nil {
					t.Fatalf("event data %q: %v", ev.data, err)
				}
				if wantID := string(rune('4' + i)); ev.id != wantID || ev.event != "alert" || ae.GetCursor() != wantID || ae.GetAlert().GetName() != list.GetAlerts()[3+i].GetName() {
					t.Errorf("SSE event %d: id %q event %q alert %s, want id %s alert %s", i, ev.id, ev.event, ae.GetAlert().GetName(), wantID, list.GetAlerts()[3+i].GetName())
				}
			}
			// A cursor that is not one of the feed's is refused.
			bad1, err := e.Monitoring.WatchAlerts(ctx2, &monitoringv1.WatchAlertsRequest{Parent: contract, AfterCursor: "x1"})
			if err == nil {
				_, err = bad1.Recv()
			}
			wantCode(t, err, codes.InvalidArgument, "after_cursor")
			// The gateway answers an error before the stream as any other.
			bad, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, w.rest+"/v1/"+contract+"/alerts:watch", nil)
			bad.Header.Set("Authorization", bearer(t, e.AsProvider(t, w.Providers["CO"].GetName())))
			if r, err := http.DefaultClient.Do(bad); err != nil || (r.StatusCode != http.StatusForbidden && r.StatusCode != http.StatusNotFound) {
				t.Errorf("another provider's watch: %v %v, want 403 or 404", r.StatusCode, err)
			} else {
				r.Body.Close()
			}

			// Acknowledged once; a retry with the same request id answers the
			// same; another acknowledgement is refused.
			ack := &monitoringv1.AcknowledgeAlertRequest{Name: missed.GetName(), Note: "two more agents on the evening shift", RequestId: "ack-1"}
			a1, err := e.Monitoring.AcknowledgeAlert(gm, ack)
			if err != nil {
				t.Fatal(err)
			}
			if a1.GetState() != monitoringv1.AlertState_ALERT_STATE_ACKNOWLEDGED || a1.GetAcknowledgedBy() == "" {
				t.Errorf("acknowledged: %v", a1)
			}
			a2, err := e.Monitoring.AcknowledgeAlert(gm, ack)
			if err != nil || a2.GetEtag() != a1.GetEtag() {
				t.Errorf("retry: %v %v", a2, err)
			}
			_, err = e.Monitoring.AcknowledgeAlert(gm, &monitoringv1.AcknowledgeAlertRequest{Name: missed.GetName(), RequestId: "ack-2"})
			wantCode(t, err, codes.FailedPrecondition, "only an OPEN alert can be acknowledged")
			_, err = e.Monitoring.AcknowledgeAlert(e.AsRole(t, auth.Auditor), &monitoringv1.AcknowledgeAlertRequest{Name: got[0].GetAlert().GetName()})
			if status.Code(err) != codes.PermissionDenied {
				t.Errorf("an auditor acknowledging: %v, want PERMISSION_DENIED", err)
			}
			audits, err := e.Monitoring.ListAuditEvents(e.AsRole(t, auth.Auditor), &monitoringv1.ListAuditEventsRequest{Filter: `resource = "` + missed.GetName() + `"`})
			if err != nil || len(audits.GetAuditEvents()) != 2 {
				t.Errorf("audit of the alert: %d events (%v), want its raise and its acknowledgement", len(audits.GetAuditEvents()), err)
			}
		})
	}
}

type sse struct{ id, event, data string }

// readSSE reads n events (comments and retry lines skipped) from a
// Server-Sent Events stream.
func readSSE(t *testing.T, r io.Reader, n int) []sse {
	t.Helper()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var out []sse
	var cur sse
	for len(out) < n && sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.data != "" {
				out = append(out, cur)
			}
			cur = sse{}
		case strings.HasPrefix(line, "id: "):
			cur.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			cur.event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			cur.data += strings.TrimPrefix(line, "data: ")
		}
	}
	if len(out) < n {
		t.Fatalf("read %d events, want %d (%v)", len(out), n, sc.Err())
	}
	return out
}

// TestReportsScorecardAndReview: the previous month (asa_20s without data:
// NO_DATA, missed) as CSV and the trend as SVG through the gateway; its
// close scores it and catalog gets the score; a review of both months is
// pre-filled, takes an action item and is decided once.
func TestReportsScorecardAndReview(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			w := startWarned(t, dialect)
			e := w.e
			gm := e.AsRole(t, auth.GovernanceManager)
			contract := w.Contract.GetName()
			cid := strings.TrimPrefix(contract, "contracts/")
			provider := e.AsProvider(t, w.Provider)
			// The current month: 3 of 4 calls within 20 s (75 %, missed);
			// handle time 200 s (met).
			now := w.clock.Now()
			if _, err := e.Monitoring.BatchCreateMeasurements(provider, &monitoringv1.BatchCreateMeasurementsRequest{Parent: contract, Measurements: []*monitoringv1.Measurement{
				m(testenv.LevelASA, "c1", now.Add(-4*time.Hour), 5), m(testenv.LevelASA, "c2", now.Add(-3*time.Hour), 15),
				m(testenv.LevelASA, "c3", now.Add(-2*time.Hour), 19), m(testenv.LevelASA, "c4", now.Add(-1*time.Hour), 25),
				m(testenv.LevelAHT, "h1", now.Add(-1*time.Hour), 200),
			}}); err != nil {
				t.Fatal(err)
			}

			get := func(path string) (*http.Response, []byte) {
				t.Helper()
				req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, w.rest+path, nil)
				req.Header.Set("Authorization", bearer(t, gm))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp, b
			}
			// The statement as CSV: one line per statement line, amounts in
			// major units beside the currency.
			resp, body := get("/v1/" + contract + "/periods/" + w.period + "/statement.csv")
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
				t.Fatalf("CSV: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
			if err != nil || len(recs) < 2 || recs[0][0] != "period" {
				t.Fatalf("CSV does not parse as a statement: %v\n%s", err, body)
			}
			ev, err := e.Monitoring.EvaluatePeriod(gm, &monitoringv1.EvaluatePeriodRequest{Name: contract + "/periods/" + w.period})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(ev.GetLines()); n > 0 && len(recs) != n+1 {
				t.Errorf("CSV has %d lines, the statement %d", len(recs)-1, n)
			}
			for _, r := range recs[1:] {
				if r[7] != "" && (r[7] != "USD" || !strings.Contains(r[6], ".")) {
					t.Errorf("line %v: amount not in major units with its currency", r)
				}
			}
			// The trend of asa_20s over both months: the previous one
			// NO_DATA (no point, marked), the current one 75 % (a missed
			// point); one target line.
			resp, body = get("/v1/contracts/" + cid + "/serviceLevels/" + testenv.LevelASA + "/trend.svg?periods=12")
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/svg+xml" {
				t.Fatalf("SVG: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			counts := svgElements(t, body)
			for what, want := range map[string]int{"circle.point missed": 1, "circle.point": 0, "text.no-data": 1, "line.target": 1, "text.period": 2} {
				if counts[what] != want {
					t.Errorf("SVG %s: %d, want %d\n%s", what, counts[what], want, body)
				}
			}
			resp, _ = get("/v1/contracts/" + cid + "/serviceLevels/nope/trend.svg")
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("trend of an unknown level: %d, want 404", resp.StatusCode)
			}

			// Closing the previous month scores it and tells catalog.
			if _, err := e.Monitoring.ClosePeriod(gm, &monitoringv1.ClosePeriodRequest{Name: contract + "/periods/" + w.period, RequestId: "close-1"}); err != nil {
				t.Fatal(err)
			}
			sc, err := e.Monitoring.GetScorecard(gm, &monitoringv1.GetScorecardRequest{Name: contract + "/scorecards/" + w.period})
			if err != nil {
				t.Fatal(err)
			}
			// asa_20s (critical) NO_DATA → C = 0; aht_mean (KPI) NO_DATA → K
			// = 0; the credit is at-risk × asa's allocation, R = that share.
			if sc.GetLevelsMet() != 0 || sc.GetLevelsEvaluated() != 2 || !sc.GetReported() || sc.GetScore() > 20 || len(sc.GetTrend()) != 1 {
				t.Errorf("scorecard %v", sc)
			}
			p, err := e.Catalog.GetProvider(gm, &catalogv1.GetProviderRequest{Name: w.Provider})
			if err != nil {
				t.Fatal(err)
			}
			if perf := p.GetPerformance(); len(perf) != 1 || perf[0].GetScore() != sc.GetScore() || perf[0].GetPeriod() != w.period || perf[0].GetContract() != contract {
				t.Errorf("catalog performance %v, want the score %d of %s", perf, sc.GetScore(), w.period)
			}
			list, err := e.Monitoring.ListScorecards(provider, &monitoringv1.ListScorecardsRequest{Parent: contract})
			if err != nil || len(list.GetScorecards()) != 1 {
				t.Errorf("the provider's scorecards: %v %v", list, err)
			}

			// A restatement with ten calls of that month, all within 20 s,
			// rescores it: asa_20s MET → C = 1; aht_mean still NO_DATA → K =
			// 0; no credit → R = 0: 60 × 1 + 20 × 0 + 20 × (1 − 0) = 80. The
			// catalog's score of that period is replaced.
			var calls []*monitoringv1.Measurement
			for i := range 10 {
				calls = append(calls, m(testenv.LevelASA, "restated-"+string(rune('a'+i)), w.prev.Add(time.Duration(i+1)*time.Hour), 12))
			}
			if _, err := e.Monitoring.RestatePeriod(gm, &monitoringv1.RestatePeriodRequest{Name: contract + "/periods/" + w.period,
				Reason: "the provider's export missed a day", Measurements: calls, RequestId: "restate-1"}); err != nil {
				t.Fatal(err)
			}
			re, err := e.Monitoring.GetScorecard(gm, &monitoringv1.GetScorecardRequest{Name: sc.GetName()})
			if err != nil {
				t.Fatal(err)
			}
			if re.GetScore() != 80 || !re.GetReported() || re.GetCriticalMet() != "100" || re.GetKpiMet() != "0" {
				t.Errorf("restated scorecard: score %d, reported %v, C %s, K %s; want 80, true, 100, 0\n%v", re.GetScore(), re.GetReported(), re.GetCriticalMet(), re.GetKpiMet(), re.GetExplanation())
			}
			p, err = e.Catalog.GetProvider(gm, &catalogv1.GetProviderRequest{Name: w.Provider})
			if err != nil {
				t.Fatal(err)
			}
			if perf := p.GetPerformance(); len(perf) != 1 || perf[0].GetScore() != 80 {
				t.Errorf("catalog performance after the restatement %v, want the one score 80", perf)
			}
			sc = re

			// A review of both months, pre-filled.
			rv, err := e.Monitoring.CreateReview(gm, &monitoringv1.CreateReviewRequest{Parent: contract, RequestId: "review-1", Review: &monitoringv1.Review{
				DisplayName: "First two months", FirstPeriod: w.period, LastPeriod: w.cur.Format("2006-01"),
				Findings: []string{"calls answered late in the evening"},
			}})
			if err != nil {
				t.Fatal(err)
			}
			if len(rv.GetPeriods()) != 2 || rv.GetPeriods()[0].GetScore() != sc.GetScore() || rv.GetPeriods()[0].GetProvisional() ||
				!rv.GetPeriods()[1].GetProvisional() || rv.GetPeriods()[1].GetLevelsMet() != "1 of 2" || rv.GetChronicFailureRight() {
				t.Errorf("review periods %v", rv.GetPeriods())
			}
			if rv.GetAlertCount() == 0 {
				t.Errorf("review alerts: %v", rv.GetAlertSummary())
			}
			_, err = e.Monitoring.DecideReview(gm, &monitoringv1.DecideReviewRequest{Name: rv.GetName(), Decision: monitoringv1.ReviewDecision_REVIEW_DECISION_TERMINATE_FOR_CAUSE, Rationale: "enough"})
			wantCode(t, err, codes.FailedPrecondition, "needs a chronic-failure right")
			_, err = e.Monitoring.DecideReview(gm, &monitoringv1.DecideReviewRequest{Name: rv.GetName(), Decision: monitoringv1.ReviewDecision_REVIEW_DECISION_IMPROVEMENT_PLAN, Rationale: "fix evenings"})
			wantCode(t, err, codes.FailedPrecondition, "needs at least one open action item")
			rv, err = e.Monitoring.UpdateReview(gm, &monitoringv1.UpdateReviewRequest{
				Review: &monitoringv1.Review{Name: rv.GetName(), Etag: rv.GetEtag(), ActionItems: []*monitoringv1.ActionItem{{
					Description: "Two more agents on the evening shift", Owner: "provider: workforce planning", DueDate: &date.Date{Year: 2030, Month: 1, Day: 15},
				}}},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"action_items"}},
			})
			if err != nil || rv.GetActionItems()[0].GetState() != monitoringv1.ActionItemState_ACTION_ITEM_STATE_OPEN {
				t.Fatalf("UpdateReview: %v %v", rv, err)
			}
			decide := &monitoringv1.DecideReviewRequest{Name: rv.GetName(), Decision: monitoringv1.ReviewDecision_REVIEW_DECISION_IMPROVEMENT_PLAN, Rationale: "fix evenings", RequestId: "decide-1"}
			d1, err := e.Monitoring.DecideReview(gm, decide)
			if err != nil || d1.GetState() != monitoringv1.ReviewState_REVIEW_STATE_DECIDED {
				t.Fatalf("DecideReview: %v %v", d1, err)
			}
			if d2, err := e.Monitoring.DecideReview(gm, decide); err != nil || d2.GetEtag() != d1.GetEtag() {
				t.Errorf("retry: %v %v", d2, err)
			}
			_, err = e.Monitoring.DecideReview(gm, &monitoringv1.DecideReviewRequest{Name: rv.GetName(), Decision: monitoringv1.ReviewDecision_REVIEW_DECISION_CONTINUE, Rationale: "changed my mind"})
			wantCode(t, err, codes.FailedPrecondition, "is decided once")
			_, err = e.Monitoring.UpdateReview(gm, &monitoringv1.UpdateReviewRequest{Review: &monitoringv1.Review{Name: rv.GetName(), Findings: []string{"x"}}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"findings"}}})
			wantCode(t, err, codes.FailedPrecondition, "only its action_items may change")
			_, err = e.Monitoring.CreateReview(provider, &monitoringv1.CreateReviewRequest{Parent: contract, Review: &monitoringv1.Review{DisplayName: "mine", FirstPeriod: w.period, LastPeriod: w.period}})
			if status.Code(err) != codes.PermissionDenied {
				t.Errorf("a provider creating a review: %v", err)
			}
			_, err = e.Monitoring.CreateReview(gm, &monitoringv1.CreateReviewRequest{Parent: contract, Review: &monitoringv1.Review{DisplayName: "too long", FirstPeriod: "2020-01", LastPeriod: "2021-06"}})
			wantCode(t, err, codes.InvalidArgument, "at most 12")
		})
	}
}

// svgElements parses an SVG (failing the test when it does not) and
// counts its elements by name and by name.class.
func svgElements(t *testing.T, b []byte) map[string]int {
	t.Helper()
	counts := map[string]int{}
	d := xml.NewDecoder(bytes.NewReader(b))
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG does not parse: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Local
			}
			counts[se.Name.Local]++
			for _, a := range se.Attr {
				if a.Name.Local == "class" {
					counts[se.Name.Local+"."+a.Value]++
				}
			}
		}
	}
	if root != "svg" {
		t.Fatalf("root %q, want svg", root)
	}
	return counts
}

// TestAlertsLeaveOutApprovedExclusions: calls answered late inside an
// approved maintenance window do not burn the budget, as they do not count
// in the statement; the same calls outside it raise the alerts.
func TestAlertsLeaveOutApprovedExclusions(t *testing.T) {
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			w := startWarned(t, dialect)
			e := w.e
			gm := e.AsRole(t, auth.GovernanceManager)
			provider := e.AsProvider(t, w.Provider)
			contract := w.Contract.GetName()
			now := w.clock.Now()
			ex, err := e.Monitoring.CreateExclusion(provider, &monitoringv1.CreateExclusionRequest{Parent: contract, Exclusion: &monitoringv1.Exclusion{
				Kind: monitoringv1.ExclusionKind_EXCLUSION_KIND_MAINTENANCE, ServiceLevelKeys: []string{testenv.LevelASA},
				StartTime: timestamppb.New(now.Add(-10 * time.Hour)), EndTime: timestamppb.New(now.Add(-5 * time.Hour)),
				Reason: "IVR upgrade announced a week ahead",
			}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.Monitoring.ApproveExclusion(gm, &monitoringv1.ApproveExclusionRequest{Name: ex.GetName()}); err != nil {
				t.Fatal(err)
			}
			// Five calls in 40 s inside the window, five in 10 s after it:
			// with the window left out, 5 of 5 are within 20 s — no budget
			// used, nothing raised.
			var batch []*monitoringv1.Measurement
			for i := range 5 {
				batch = append(batch,
					m(testenv.LevelASA, "in-window-"+string(rune('a'+i)), now.Add(-9*time.Hour+time.Duration(i)*time.Minute), 40),
					m(testenv.LevelASA, "after-"+string(rune('a'+i)), now.Add(-4*time.Hour+time.Duration(i)*time.Minute), 10))
			}
			if _, err := e.Monitoring.BatchCreateMeasurements(provider, &monitoringv1.BatchCreateMeasurementsRequest{Parent: contract, Measurements: batch}); err != nil {
				t.Fatal(err)
			}
			list, err := e.Monitoring.ListAlerts(gm, &monitoringv1.ListAlertsRequest{Parent: contract})
			if err != nil {
				t.Fatal(err)
			}
			if got := conditions(list.GetAlerts()); len(got) != 0 {
				t.Errorf("alerts %v, want none: the late calls are inside the approved exclusion", got)
			}
			// Five more late calls after the window: 5 of 10 counted calls
			// fail, burn rate 2.5 → all four budget and burn alerts.
			batch = nil
			for i := range 5 {
				batch = append(batch, m(testenv.LevelASA, "late-"+string(rune('a'+i)), now.Add(-3*time.Hour+time.Duration(i)*time.Minute), 40))
			}
			if _, err := e.Monitoring.BatchCreateMeasurements(provider, &monitoringv1.BatchCreateMeasurementsRequest{Parent: contract, Measurements: batch}); err != nil {
				t.Fatal(err)
			}
			list, err = e.Monitoring.ListAlerts(gm, &monitoringv1.ListAlertsRequest{Parent: contract})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := conditions(list.GetAlerts()), []string{"asa_20s BUDGET_50", "asa_20s BUDGET_75", "asa_20s MISSED", "asa_20s BURN_RATE"}; !slices.Equal(got, want) {
				t.Errorf("alerts %v, want %v", got, want)
			}
			if v := list.GetAlerts()[0].GetValue(); v != "50" {
				t.Errorf("value %s, want 50 (5 of the 10 calls outside the window)", v)
			}
		})
	}
}
