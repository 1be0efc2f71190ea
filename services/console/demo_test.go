package console_test

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	"github.com/acme/bpo/internal/walk"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/services/testenv"
	"google.golang.org/protobuf/encoding/protojson"
)

// walkDemo fills p with the demo's engagement (internal/walk, as `bpo
// demo` runs it) up to the month-end; the bad evening that raises the
// alerts (Warn) is left to the test.
func walkDemo(t *testing.T, p *testPlatform) *walk.Walk {
	t.Helper()
	var said walk.Transcript
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the demo's walk:\n%s", said.String())
		}
	})
	w, err := walk.New(walk.NewClient(p.URL, testenv.Key()), time.Now(), said.Say)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.ThroughMonthEnd(context.Background()); err != nil {
		t.Fatalf("the demo's walk: %v", err)
	}
	return w
}

// TestDemoEngagement follows the demo's engagement through the console as
// the people who run it: a governance manager through the six steps to
// the month's statement and the alerts, an approver, an auditor, and a
// provider that lost the award.
func TestDemoEngagement(t *testing.T) {
	p := startPlatform(t, nil)
	w := walkDemo(t, p)
	gm := p.browser(t)
	gm.signIn(mustToken(t, w.Client, w.Cast.GovernanceManager))

	t.Run("the engagement is listed at stage LIVE, and the stage filter keeps it or not", func(t *testing.T) {
		row := func(doc *node) *node {
			return doc.find(func(n *node) bool { return n.Data == "tr" && n.attr("data-engagement") == w.Engagement })
		}
		doc := gm.page("/console/engagements", http.StatusOK)
		r := row(doc)
		if r == nil || r.attr("data-stage") != "LIVE" {
			t.Fatalf("#engagements row of %s: %v; want data-stage LIVE\n%s", w.Engagement, r, doc.byID("engagements").text())
		}
		if a := r.find(func(n *node) bool { return n.Data == "a" }); a == nil || a.attr("href") != "/console/"+w.Engagement {
			t.Errorf("the row does not link to the lifecycle page /console/%s", w.Engagement)
		}
		if row(gm.page("/console/engagements?stage=LIVE", http.StatusOK)) == nil {
			t.Error("stage=LIVE leaves the LIVE engagement out")
		}
		if row(gm.page("/console/engagements?stage=DECIDED", http.StatusOK)) != nil {
			t.Error("stage=DECIDED lists the LIVE engagement")
		}
		if row(gm.page("/console/engagements?owner="+url.QueryEscape(w.Cast.SourcingManager.Subject), http.StatusOK)) == nil {
			t.Error("the owner filter leaves out the owner's engagement")
		}
		if row(gm.page("/console/engagements?owner=nobody", http.StatusOK)) != nil {
			t.Error("the owner filter lists another owner's engagement")
		}
	})

	t.Run("the lifecycle shows stage LIVE and six steps, each linking to a page the API answers", func(t *testing.T) {
		doc := gm.page("/console/"+w.Engagement, http.StatusOK)
		if st := doc.byID("stage").text(); st != "LIVE" {
			t.Errorf("#stage %q; want LIVE", st)
		}
		steps := doc.byID("steps").all(func(n *node) bool { return n.Data == "li" && n.has("data-step") })
		var got []string
		for _, s := range steps {
			got = append(got, s.attr("data-step"))
		}
		if want := []string{"DECIDE", "SCOPE", "SELECT", "CONTRACT", "TRANSITION", "MONITOR"}; !slices.Equal(got, want) {
			t.Fatalf("#steps %v; want %v", got, want)
		}
		for _, s := range steps {
			links := s.all(func(n *node) bool { return n.Data == "a" && n.attr("href") != "" })
			if len(links) == 0 {
				t.Errorf("step %s (%s) has no link", s.attr("data-step"), s.attr("data-state"))
				continue
			}
			href := links[0].attr("href")
			page := gm.page(href, http.StatusOK)
			if errs := page.apiErrors(); len(errs) > 0 {
				t.Errorf("step %s: its page %s shows %q", s.attr("data-step"), href, errs)
			}
			t.Logf("step %s (%s) → %s: %s", s.attr("data-step"), s.attr("data-state"), href, page.find(func(n *node) bool { return n.Data == "h1" }).text())
		}
		monitor := steps[5]
		if !strings.Contains(monitor.text(), "8964.00") && !strings.Contains(monitor.text(), "asa_20s") {
			t.Errorf("the monitor step does not show the missed level or its credit: %s", monitor.text())
		}
	})

	t.Run("the sourcing event shows the proposals, their compliance and the ranking, unsealed", func(t *testing.T) {
		doc := gm.page("/console/"+w.Event, http.StatusOK)
		var got, want []string
		for _, tr := range doc.byID("proposals").all(func(n *node) bool { return n.Data == "tr" && n.has("data-proposal") }) {
			got = append(got, tr.attr("data-proposal"))
		}
		for _, b := range w.Bidders {
			if b.ProposalName != "" {
				want = append(want, b.ProposalName)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("#proposals rows %v; want %v", got, want)
		}
		first := doc.byID("ranking").find(func(n *node) bool {
			return n.Data == "tr" && n.find(func(c *node) bool { return c.Data == "td" }) != nil
		})
		if !strings.Contains(first.text(), w.Awarded.Profile.GetDisplayName()) {
			t.Errorf("first row of #ranking %q; want the awarded %s", first.text(), w.Awarded.Profile.GetDisplayName())
		}
		if doc.byID("robustness").text() == "" {
			t.Error("#robustness is empty")
		}
		if doc.byID("sealed") != nil {
			t.Error("#sealed on an awarded event")
		}
	})

	t.Run("the contract shows its levels, its credit regime and its periods", func(t *testing.T) {
		doc := gm.page("/console/"+w.Contract, http.StatusOK)
		if !strings.Contains(doc.byID("levels").text(), "asa_20s") {
			t.Errorf("#levels: %s", doc.byID("levels").text())
		}
		// The demo's contract puts 12 % of the charges at risk.
		if regime := doc.byID("credit-regime").text(); !strings.Contains(regime, "12 % of a period's charges") {
			t.Errorf("#credit-regime: %s", regime)
		}
		link := "/console/" + w.Contract + "/periods/" + w.Period
		if doc.byID("periods").find(func(n *node) bool { return n.Data == "a" && n.attr("href") == link }) == nil {
			t.Errorf("#periods has no link to %s: %s", link, doc.byID("periods").text())
		}
	})

	t.Run("the statement of the demo's month shows its credit, chart and CSV", func(t *testing.T) {
		doc := gm.page("/console/"+w.Contract+"/periods/"+w.Period, http.StatusOK)
		// The fixed fee is USD 124,500.00 a month; 12 % of it, 14,940.00,
		// is at risk, and asa_20s carries 60 % of that: 8,964.00. The
		// month-end's restatement keeps it ((2,295 + 40) / 3,040 = 76.81 %
		// is still under 80 %).
		credits := doc.byID("statement").all(func(n *node) bool { return n.Data == "tr" && n.attr("data-kind") == "CREDIT" })
		if len(credits) != 1 || !strings.Contains(credits[0].text(), "USD 8,964.00") {
			var texts []string
			for _, c := range credits {
				texts = append(texts, c.text())
			}
			t.Errorf("CREDIT rows %q; want one of USD 8,964.00\n%s", texts, doc.byID("statement").text())
		}
		for _, kind := range []string{"CHARGES", "AT_RISK", "CREDITS", "NET"} {
			if doc.byID("statement").find(func(n *node) bool { return n.Data == "tr" && n.attr("data-kind") == kind }) == nil {
				t.Errorf("no %s line in #statement:\n%s", kind, doc.byID("statement").text())
			}
		}
		csv := doc.byID("csv")
		if csv == nil || !csv.has("download") {
			t.Fatal("no a#csv[download]")
		}
		a := gm.get(csv.attr("href"))
		if a.StatusCode != http.StatusOK || !strings.HasPrefix(a.Header.Get("Content-Type"), "text/csv") || !strings.Contains(a.body, "8964.00") {
			t.Errorf("GET %s: HTTP %d %s; want the CSV with 8964.00\n%s", csv.attr("href"), a.StatusCode, a.Header.Get("Content-Type"), a.body)
		}
		img := doc.byID("trend")
		if img == nil || img.Data != "img" || img.attr("alt") == "" {
			t.Fatal("no img#trend with an alt text")
		}
		a = gm.get(img.attr("src"))
		if a.StatusCode != http.StatusOK || a.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(a.body, "<svg") {
			t.Errorf("GET %s: HTTP %d %s; want the SVG", img.attr("src"), a.StatusCode, a.Header.Get("Content-Type"))
		}
		if doc.byID("close-period") != nil {
			t.Error("a Close button on a closed period")
		}
	})

	t.Run("closing the open month shows the API's refusal as the API words it", func(t *testing.T) {
		now := time.Now().In(w.Commencement.Location())
		open := now.Format("2006-01")
		path := "/console/" + w.Contract + "/periods/" + open
		doc := gm.page(path, http.StatusOK)
		button := doc.byID("close-period")
		if button == nil {
			t.Fatalf("no Close button on the open period %s for the governance manager", open)
		}
		form := closest(doc, button, "form")
		fields := url.Values{}
		for _, in := range form.all(func(n *node) bool { return n.Data == "input" }) {
			fields.Set(in.attr("name"), in.attr("value"))
		}
		// The month has not ended, so its reports are not due yet: the
		// API's FAILED_PRECONDITION, HTTP 400.
		a := gm.post(form.attr("action"), fields)
		errs := parse(t, a.body).apiErrors()
		if a.StatusCode != http.StatusBadRequest || len(errs) == 0 || !strings.Contains(errs[0], "FAILED_PRECONDITION") {
			t.Errorf("close the open month: HTTP %d %q; want the API's 400 FAILED_PRECONDITION", a.StatusCode, errs)
		}
		t.Logf("the API's refusal: %q", errs)
	})

	t.Run("the transition plan shows its gates and its Gantt chart", func(t *testing.T) {
		doc := gm.page("/console/"+w.Plan, http.StatusOK)
		gates := doc.byID("gates").all(func(n *node) bool { return n.Data == "tr" && n.has("data-gate") })
		if len(gates) != 5 {
			t.Errorf("#gates: %d gates; want the 5 readiness gates", len(gates))
		}
		img := doc.byID("gantt")
		if img == nil || img.attr("alt") == "" {
			t.Fatal("no img#gantt with an alt text")
		}
		a := gm.get(img.attr("src"))
		if a.StatusCode != http.StatusOK || a.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(a.body, "<svg") {
			t.Errorf("GET %s: HTTP %d %s; want the Gantt chart", img.attr("src"), a.StatusCode, a.Header.Get("Content-Type"))
		}
		if csp := a.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script") {
			t.Errorf("the chart's Content-Security-Policy %q; want one that runs nothing", csp)
		}
	})

	t.Run("the audit page lists the log and its verification for an auditor, and the API's refusal to others", func(t *testing.T) {
		auditor := p.browser(t)
		auditor.signIn(p.token(t, "ada.audit@northwind.example", "", time.Hour, auth.Auditor))
		for _, svc := range []string{"catalog", "contract", "transition", "monitoring"} {
			doc := auditor.page("/console/audit?service="+svc, http.StatusOK)
			if n := len(doc.byID("audit").all(func(n *node) bool { return n.Data == "td" })); n == 0 {
				t.Errorf("%s: #audit has no rows", svc)
			}
			if v := doc.byID("verification"); v == nil || v.attr("data-ok") != "true" {
				t.Errorf("%s: #verification %v; want data-ok=true", svc, v)
			}
		}
		// A page of 50 and the next one.
		doc := auditor.page("/console/audit?service=catalog", http.StatusOK)
		next := doc.find(func(n *node) bool { return n.Data == "a" && n.attr("rel") == "next" })
		if next == nil {
			t.Fatal("the catalog's log (more than 50 events) has no next page")
		}
		second := auditor.page(next.attr("href"), http.StatusOK)
		if s := second.byID("audit").find(func(n *node) bool { return n.Data == "tr" && n.has("data-sequence") }); s == nil || s.attr("data-sequence") != "51" {
			t.Errorf("the second page starts at %v; want event 51", s)
		}
		want := restError(t, p, "/v1/catalog/auditEvents", mustToken(t, w.Client, w.Cast.GovernanceManager))
		a := gm.get("/console/audit")
		errs := parse(t, a.body).apiErrors()
		if a.StatusCode != http.StatusForbidden || len(errs) == 0 || !strings.Contains(errs[0], want) {
			t.Errorf("the audit page for a governance manager: HTTP %d %q; want the API's 403 %q", a.StatusCode, errs, want)
		}
	})

	t.Run("a provider reads its own proposal, and for the winner's gets the API's refusal and nothing of it", func(t *testing.T) {
		loser := w.Loser()
		token := mustToken(t, w.Client, loser.User)
		pu := p.browser(t)
		pu.signIn(token)
		home := pu.page("/console/", http.StatusOK)
		if errs := home.apiErrors(); len(errs) > 0 {
			t.Errorf("the provider's home shows %q", errs)
		}
		if home.byID("events").find(func(n *node) bool { return n.Data == "a" && n.attr("href") == "/console/"+w.Event }) == nil {
			t.Errorf("the provider's home does not list the event it bid on: %s", home.byID("events").text())
		}
		own := pu.page("/console/"+loser.ProposalName, http.StatusOK)
		if !strings.Contains(own.byID("content").text(), loser.Proposal.GetDeliveryCenters()[0]) {
			t.Errorf("its own proposal page does not show its delivery centre %q", loser.Proposal.GetDeliveryCenters()[0])
		}
		want := restError(t, p, "/v1/"+w.Awarded.ProposalName, token)
		a := pu.get("/console/" + w.Awarded.ProposalName)
		doc := parse(t, a.body)
		errs := doc.apiErrors()
		if a.StatusCode != http.StatusForbidden || len(errs) != 1 || !strings.Contains(errs[0], want) {
			t.Errorf("the winner's proposal for %s: HTTP %d %q; want the API's 403 %q", loser.Key, a.StatusCode, errs, want)
		}
		for _, secret := range append(slices.Clone(w.Awarded.Proposal.GetDeliveryCenters()), "124,500", "124500") {
			if strings.Contains(doc.text(), secret) {
				t.Errorf("the refused page shows %q of the winner's proposal", secret)
			}
		}
		// The engagements are not a provider's to list: the API says so.
		if a := pu.get("/console/engagements"); a.StatusCode != http.StatusForbidden {
			t.Errorf("the engagements list for a provider: HTTP %d; want the API's 403", a.StatusCode)
		}
	})

	t.Run("an alert raised while the stream is open is pushed through the console, and acknowledged there", func(t *testing.T) {
		doc := gm.page("/console/"+w.Contract+"/alerts", http.StatusOK)
		list := doc.byID("alerts")
		if list == nil || list.attr("data-events") == "" {
			t.Fatal("no #alerts with its event stream")
		}
		before := map[string]bool{}
		for _, li := range list.all(func(n *node) bool { return n.Data == "li" && n.has("data-alert") }) {
			before[li.attr("data-alert")] = true
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+list.attr("data-events"), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept", "text/event-stream")
		resp, err := (&http.Client{Jar: gm.c.Jar}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("the alert stream: HTTP %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		events := make(chan *monitoringv1.AlertEvent)
		go readEvents(ctx, resp, events)

		// The provider's bad evening (the demo's Warn) raises new alerts.
		warned := make(chan error, 1)
		go func() { warned <- w.Warn(ctx) }()
		var pushed *monitoringv1.Alert
		for pushed == nil {
			select {
			case e, ok := <-events:
				if !ok {
					t.Fatal("the stream ended before a new alert came")
				}
				if !before[e.GetAlert().GetName()] && e.GetAlert().GetState() == monitoringv1.AlertState_ALERT_STATE_OPEN {
					pushed = e.GetAlert()
				}
			case <-ctx.Done():
				t.Fatal("no new alert came through the console's stream within a minute")
			}
		}
		t.Logf("pushed through the console: %s %s", pushed.GetName(), pushed.GetCondition())
		if err := <-warned; err != nil {
			t.Fatalf("the demo's bad evening: %v", err)
		}
		cancel()

		// Acknowledge an open one through the console.
		doc = gm.page("/console/"+w.Contract+"/alerts", http.StatusOK)
		li := doc.byID("alerts").find(func(n *node) bool { return n.Data == "li" && n.has("data-alert") })
		if li == nil {
			t.Fatal("no open alert listed")
		}
		form := li.find(func(n *node) bool { return n.Data == "form" })
		fields := url.Values{}
		for _, in := range form.all(func(n *node) bool { return n.Data == "input" }) {
			fields.Set(in.attr("name"), in.attr("value"))
		}
		fields.Set("note", "called the provider's floor manager")
		a := gm.post(form.attr("action"), fields)
		if a.StatusCode != http.StatusSeeOther {
			t.Fatalf("acknowledge: HTTP %d\n%s", a.StatusCode, a.body)
		}
		var listed monitoringv1.ListAlertsResponse
		if err := w.Client.Do(context.Background(), w.Cast.GovernanceManager, "GET", "/v1/"+w.Contract+"/alerts", url.Values{"pageSize": {"1000"}}, nil, &listed); err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(listed.GetAlerts(), func(x *monitoringv1.Alert) bool { return x.GetName() == li.attr("data-alert") })
		if i < 0 || listed.GetAlerts()[i].GetState() != monitoringv1.AlertState_ALERT_STATE_ACKNOWLEDGED || listed.GetAlerts()[i].GetAcknowledgementNote() != "called the provider's floor manager" {
			t.Errorf("after acknowledging in the console, the API lists %v", listed.GetAlerts()[max(i, 0)])
		}
		// The same form sent twice acts once: its request id gets the
		// first answer again.
		if a := gm.post(form.attr("action"), fields); a.StatusCode != http.StatusSeeOther {
			t.Errorf("the acknowledgement sent twice: HTTP %d; want the first answer again (303)", a.StatusCode)
		}
		// Another acknowledgement of it (a form of its own) is refused by
		// the API — the alert changed since the form was made — and the
		// page says so.
		fields.Set("request_id", strings.Repeat("a", 32))
		a = gm.post(form.attr("action"), fields)
		if errs := parse(t, a.body).apiErrors(); a.StatusCode < 400 || len(errs) == 0 {
			t.Errorf("acknowledging twice: HTTP %d %q; want the API's refusal", a.StatusCode, errs)
		} else {
			t.Logf("acknowledging twice: HTTP %d %q", a.StatusCode, errs)
		}
	})

	t.Run("an approver approves a scope revision from the lifecycle page", func(t *testing.T) {
		e := w.Engagement + "/scope"
		body := w.ScopeBody(e)
		body.Deliverables[0].ExpectedMonthlyVolume++
		var sc catalogv1.Scope
		if err := w.Client.Do(context.Background(), w.Cast.SourcingManager, "PATCH", "/v1/"+e, url.Values{"updateMask": {"deliverables"}}, body, &sc); err != nil {
			t.Fatal(err)
		}
		if err := w.Client.Do(context.Background(), w.Cast.SourcingManager, "POST", "/v1/"+e+":submit", nil, &catalogv1.SubmitScopeRequest{}, &sc); err != nil {
			t.Fatal(err)
		}
		approver := p.browser(t)
		approver.signIn(mustToken(t, w.Client, w.Cast.Approver))
		doc := approver.page("/console/"+w.Engagement, http.StatusOK)
		scope := doc.byID("steps").find(func(n *node) bool { return n.attr("data-step") == "SCOPE" })
		if scope.attr("data-state") != "IN_REVIEW" {
			t.Fatalf("SCOPE step %s; want IN_REVIEW", scope.attr("data-state"))
		}
		form := scope.find(func(n *node) bool { return n.Data == "form" })
		if form == nil {
			t.Fatalf("no approve button in the SCOPE step for an approver: %s", scope.text())
		}
		fields := url.Values{}
		for _, in := range form.all(func(n *node) bool { return n.Data == "input" }) {
			fields.Set(in.attr("name"), in.attr("value"))
		}
		// A stale etag is the API's ABORTED, and nothing is approved.
		stale := url.Values{}
		for k, v := range fields {
			stale[k] = v
		}
		stale.Set("etag", `"stale"`)
		stale.Set("request_id", strings.Repeat("0", 32))
		a := approver.post(form.attr("action"), stale)
		if errs := parse(t, a.body).apiErrors(); a.StatusCode != http.StatusConflict || len(errs) == 0 || !strings.Contains(errs[0], "ABORTED") {
			t.Errorf("approve with a stale etag: HTTP %d %q; want the API's 409 ABORTED", a.StatusCode, errs)
		}
		a = approver.post(form.attr("action"), fields)
		if a.StatusCode != http.StatusSeeOther || a.Header.Get("Location") != "/console/"+w.Engagement+"?done=approved" {
			t.Fatalf("approve: HTTP %d to %q\n%s", a.StatusCode, a.Header.Get("Location"), a.body)
		}
		if err := w.Client.Do(context.Background(), w.Cast.SourcingManager, "GET", "/v1/"+e, nil, nil, &sc); err != nil {
			t.Fatal(err)
		}
		if sc.GetState() != catalogv1.ScopeState_SCOPE_STATE_APPROVED || sc.GetApprover() != w.Cast.Approver.Subject {
			t.Errorf("scope after the console's approval: %s by %q; want APPROVED by %s", sc.GetState(), sc.GetApprover(), w.Cast.Approver.Subject)
		}
		back := approver.page(a.Header.Get("Location"), http.StatusOK)
		if n := back.find(func(n *node) bool { return strings.Contains(n.attr("class"), "notice") }); n == nil || n.text() != "Approved." {
			t.Errorf("the page after approving says %q; want Approved.", n.text())
		}
		// The form again: the same request id, so the API answers the
		// first approval again and approves nothing twice.
		if a := approver.post(form.attr("action"), fields); a.StatusCode != http.StatusSeeOther {
			t.Errorf("the approval sent twice: HTTP %d; want the first answer again (303)", a.StatusCode)
		}
	})
}

// mustToken is the token the walk's client signs for u.
func mustToken(t *testing.T, c *walk.Client, u walk.User) string {
	t.Helper()
	tok, err := c.Token(u)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// closest is the nearest ancestor of n (in doc) named tag.
func closest(doc, n *node, tag string) *node {
	var found *node
	for _, f := range doc.all(func(e *node) bool { return e.Data == tag }) {
		if f.find(func(e *node) bool { return e.Node == n.Node }) != nil {
			found = f
		}
	}
	return found
}

// readEvents parses a Server-Sent Events stream of AlertEvents.
func readEvents(ctx context.Context, resp *http.Response, out chan<- *monitoringv1.AlertEvent) {
	defer close(out)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var event, data string
	for sc.Scan() {
		switch line := sc.Text(); {
		case line == "":
			if event == "alert" {
				var e monitoringv1.AlertEvent
				if protojson.Unmarshal([]byte(data), &e) == nil {
					select {
					case out <- &e:
					case <-ctx.Done():
						return
					}
				}
			}
			event, data = "", ""
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data += strings.TrimPrefix(line, "data: ")
		}
	}
}
