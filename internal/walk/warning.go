package walk

// Early warning, the scorecard, a performance review and the reports:
// the governance manager watches the contract's alerts (Server-Sent
// Events through the gateway) while the provider reports a bad stretch of
// the current month; reads the provider's scorecards; opens a review of
// the months so far with an improvement plan; and saves the statement as
// CSV and the trend of calls answered within 20 s as SVG to files.
// spec: monitoring.md "Early warning", "Scorecards and reviews".

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	"github.com/acme/bpo/kit/money"
	"github.com/acme/bpo/kit/protoenum"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// ReportDirEnv names the directory the walk saves its reports in; a new
// temporary directory when unset.
const ReportDirEnv = "BPO_DEMO_REPORTS"

// Open sends GET path as u and returns the answer as it comes (a stream,
// a file); a non-2xx answer is an *APIError. header adds request headers.
// The answer's body is the caller's to close.
func (c *Client) Open(ctx context.Context, u User, path string, header http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if u.Subject != "" {
		tok, err := c.Token(u)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	// No client timeout: an event stream stays open; ctx ends it.
	resp, err := (&http.Client{Transport: c.http.Transport}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return nil, &APIError{Method: http.MethodGet, Path: path, HTTPStatus: resp.StatusCode, Message: strings.TrimSpace(string(raw)), Body: string(raw)}
	}
	return resp, nil
}

// Warn: the governance manager watches the contract's alerts (a
// Server-Sent Events stream through the gateway) when the provider has a
// bad stretch: 120 calls of the last minute answered in 45 s. With the
// month's 300 calls in time (the 100 slow ones of the maintenance window
// are excluded), 120 of 420 calls fail: 28.6 % against a budget of 20 %,
// a burn rate of 1.43 over the period and higher over the last 24 hours,
// so at least BURN_RATE is raised, and with more of the month gone the
// budget alerts. Ingestion checks a contract's alerts at most once a
// minute, and the month-end's reports came just before, so the governance
// manager's alert list (which always checks) raises them; the watcher,
// connected before, sees them pushed.
func (w *Walk) Warn(ctx context.Context) error {
	gm := w.Cast.GovernanceManager
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// What was raised before (the reports of the first month found it
	// missed, and no call of the second month came for a day): the watcher
	// resumes after the latest, as a dashboard that reconnects would.
	var before monitoringv1.ListAlertsResponse
	if err := w.do(ctx, gm, "GET", "/v1/"+w.Contract+"/alerts", url.Values{"pageSize": {"1000"}}, nil, &before); err != nil {
		return err
	}
	cursor := ""
	if n := len(before.GetAlerts()); n > 0 {
		cursor = before.GetAlerts()[n-1].GetCursor()
		var by []string
		count := map[string]int{}
		for _, a := range before.GetAlerts() {
			k := a.GetServiceLevelKey() + " " + protoenum.Short(a.GetCondition()) + " in " + lastSegment(a.GetPeriod())
			if count[k] == 0 {
				by = append(by, k)
			}
			count[k]++
		}
		w.say("warn", gm, "%d alerts raised so far: %s", n, strings.Join(by, "; "))
	}
	resp, err := w.Client.Open(ctx, gm, "/v1/"+w.Contract+"/alerts:watch", http.Header{"Accept": {"text/event-stream"}, "Last-Event-ID": {cursor}})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	events := make(chan *monitoringv1.AlertEvent, 16)
	go readAlertEvents(resp.Body, events)

	u := w.Awarded.User
	now := time.Now()
	loc, err := time.LoadLocation(ServiceZone)
	if err != nil {
		return err
	}
	local := now.In(loc)
	var late []*monitoringv1.Measurement
	for i := 1; i <= 120; i++ {
		late = append(late, &monitoringv1.Measurement{ServiceLevelKey: "asa_20s", EventId: fmt.Sprintf("evening-%s-%03d", local.Format("2006-01"), i),
			EventTime: timestamppb.New(now.Add(-time.Duration(i) * 500 * time.Millisecond)), Value: 45})
	}
	var batch monitoringv1.BatchCreateMeasurementsResponse
	if err := w.do(ctx, u, "POST", "/v1/"+w.Contract+"/measurements:batchCreate", nil,
		&monitoringv1.BatchCreateMeasurementsRequest{Measurements: late}, &batch); err != nil {
		return err
	}
	w.say("warn", u, "reported %d calls of %s answered in 45 s (%d accepted)", len(late), local.Format("2006-01"), batch.GetAccepted())
	var open monitoringv1.ListAlertsResponse
	if err := w.do(ctx, gm, "GET", "/v1/"+w.Contract+"/alerts", url.Values{"filter": {"state = OPEN"}}, nil, &open); err != nil {
		return err
	}
	w.say("warn", gm, "opened the alert list (which checks the levels): %d open alerts; the watcher connected before sees the new ones pushed:", len(open.GetAlerts()))

	// Print what the watcher receives: the first within 10 s, then until
	// it has been quiet for a second.
	seen := 0
	quiet := time.NewTimer(10 * time.Second)
	defer quiet.Stop()
wait:
	for {
		select {
		case e, ok := <-events:
			if !ok {
				break wait
			}
			a := e.GetAlert()
			figures := ""
			if a.GetBudgetUsed() != "" {
				figures = fmt.Sprintf(" — budget used %s %%, burn rate %s over the period, %s over the last 24 h",
					a.GetBudgetUsed(), orDash(a.GetBurnRatePeriod()), orDash(a.GetBurnRate_24H()))
			}
			w.say("warn", gm, "alert #%s pushed to the watcher: %s %s in %s%s",
				e.GetCursor(), a.GetServiceLevelKey(), protoenum.Short(a.GetCondition()), lastSegment(a.GetPeriod()), figures)
			seen++
			quiet.Reset(time.Second)
		case <-quiet.C:
			break wait
		}
	}
	if seen == 0 {
		return fmt.Errorf("no alert reached the watcher within 10 s")
	}
	cancel()
	var list monitoringv1.ListAlertsResponse
	if err := w.do(context.Background(), gm, "GET", "/v1/"+w.Contract+"/alerts", url.Values{"filter": {"state = OPEN"}}, nil, &list); err != nil {
		return err
	}
	if n := len(list.GetAlerts()); n > 0 {
		a := list.GetAlerts()[n-1]
		var acked monitoringv1.Alert
		if err := w.do(context.Background(), gm, "POST", "/v1/"+a.GetName()+":acknowledge", nil,
			&monitoringv1.AcknowledgeAlertRequest{Note: "asked the provider for its evening staffing plan", RequestId: "ack-" + lastSegment(a.GetName())}, &acked); err != nil {
			return err
		}
		w.say("warn", gm, "acknowledged %s (%s): %s", protoenum.Short(acked.GetCondition()), protoenum.Short(acked.GetState()), acked.GetAcknowledgementNote())
	}
	return nil
}

// readAlertEvents parses a Server-Sent Events stream of AlertEvents.
func readAlertEvents(r io.Reader, out chan<- *monitoringv1.AlertEvent) {
	defer close(out)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var data, event string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if event == "alert" && data != "" {
				var e monitoringv1.AlertEvent
				if protojson.Unmarshal([]byte(data), &e) == nil {
					out <- &e
				}
			}
			data, event = "", ""
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data += strings.TrimPrefix(line, "data: ")
		}
	}
}

// Review: the provider's scorecards (one per closed period), then a
// performance review of the months of service so far, pre-filled with
// their statements, scores and alerts, with an action item and the
// decision IMPROVEMENT_PLAN.
func (w *Walk) Review(ctx context.Context) error {
	gm := w.Cast.GovernanceManager
	var cards monitoringv1.ListScorecardsResponse
	if err := w.do(ctx, gm, "GET", "/v1/"+w.Contract+"/scorecards", nil, nil, &cards); err != nil {
		return err
	}
	if len(cards.GetScorecards()) == 0 {
		w.say("review", gm, "no scorecard yet: a period is scored when it is closed")
	}
	for _, sc := range cards.GetScorecards() {
		reported := "not yet reported to the catalog"
		if sc.GetReported() {
			reported = "reported to the catalog as the provider's performance"
		}
		w.say("review", gm, "scorecard %s: score %d/100 — critical levels met (by allocation) %s %%, KPIs met %s %%, credits %s %% of charges; %s",
			lastSegment(sc.GetName()), sc.GetScore(), sc.GetCriticalMet(), sc.GetKpiMet(), orDash(sc.GetCreditsOfCharges()), reported)
	}

	last := time.Now().In(w.Commencement.Location()).Format("2006-01")
	var rv monitoringv1.Review
	if err := w.do(ctx, gm, "POST", "/v1/"+w.Contract+"/reviews", url.Values{"requestId": {"review-" + w.Period}}, &monitoringv1.Review{
		DisplayName: "Review of the first months of service", FirstPeriod: w.Period, LastPeriod: last,
		Findings: []string{"Calls answered within 20 s stay below target, worst in the evenings."},
	}, &rv); err != nil {
		return err
	}
	for _, p := range rv.GetPeriods() {
		state := "closed"
		if p.GetProvisional() {
			state = "open"
		}
		score := "—"
		if p.Score != nil {
			score = fmt.Sprintf("%d", p.GetScore())
		}
		w.say("review", gm, "  %s (%s): levels met %s, missed %s, net %s, score %s", p.GetPeriod(), state, orDash(p.GetLevelsMet()),
			orDash(strings.Join(p.GetMissed(), ", ")), orDash(money.Format(p.GetNet())), score)
	}
	w.say("review", gm, "  alerts in the range: %d (%s)", rv.GetAlertCount(), orDash(strings.Join(rv.GetAlertSummary(), ", ")))
	due := time.Now().AddDate(0, 1, 0)
	if err := w.do(ctx, gm, "PATCH", "/v1/"+rv.GetName(), nil, &monitoringv1.Review{
		Etag: rv.GetEtag(),
		ActionItems: []*monitoringv1.ActionItem{{
			Description: "Staff two more agents on the evening shift", Owner: w.label(w.Awarded.Name) + ": workforce planning",
			DueDate: &date.Date{Year: int32(due.Year()), Month: int32(due.Month()), Day: int32(due.Day())},
		}},
	}, &rv); err != nil {
		return err
	}
	if err := w.do(ctx, gm, "POST", "/v1/"+rv.GetName()+":decide", nil, &monitoringv1.DecideReviewRequest{
		Decision: monitoringv1.ReviewDecision_REVIEW_DECISION_IMPROVEMENT_PLAN, Rationale: "One more month to recover with the evening staffing plan.",
		Etag: rv.GetEtag(), RequestId: "decide-" + lastSegment(rv.GetName()),
	}, &rv); err != nil {
		return err
	}
	w.say("review", gm, "review %s decided %s: %s (action item: %s, due %04d-%02d-%02d)", lastSegment(rv.GetName()), protoenum.Short(rv.GetDecision()),
		rv.GetDecisionRationale(), rv.GetActionItems()[0].GetDescription(), rv.GetActionItems()[0].GetDueDate().GetYear(),
		rv.GetActionItems()[0].GetDueDate().GetMonth(), rv.GetActionItems()[0].GetDueDate().GetDay())
	return nil
}

// Reports: the month's statement as CSV and the trend of calls answered
// within 20 s as SVG, saved to files whose paths are printed.
func (w *Walk) Reports(ctx context.Context) error {
	gm := w.Cast.GovernanceManager
	var contract contractv1.ContractResourceName
	if err := contract.UnmarshalString(w.Contract); err != nil {
		return fmt.Errorf("contract %q: %w", w.Contract, err)
	}
	dir := os.Getenv(ReportDirEnv)
	if dir == "" {
		d, err := os.MkdirTemp("", "bpo-demo-reports-")
		if err != nil {
			return err
		}
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, r := range []struct{ path, file, what string }{
		{"/v1/" + w.Contract + "/periods/" + w.Period + "/statement.csv", "statement-" + w.Period + ".csv", "the statement of " + w.Period},
		{"/v1/" + w.Contract + "/serviceLevels/asa_20s/trend.svg", "trend-asa_20s.svg", "the trend of calls answered within 20 s"},
	} {
		resp, err := w.Client.Open(ctx, gm, r.path, nil)
		if err != nil {
			return err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		path := filepath.Join(dir, r.file)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return err
		}
		w.say("report", gm, "saved %s (%s, %d bytes): %s", r.what, resp.Header.Get("Content-Type"), len(b), path)
	}
	return nil
}

// lastSegment is the id at the end of a resource name.
func lastSegment(name string) string {
	return name[strings.LastIndex(name, "/")+1:]
}
