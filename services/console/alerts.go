package console

import (
	"net/http"
	"net/url"

	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	"github.com/acme/bpo/kit/auth"
)

// The early warning of the monitor step: a contract's open alerts, live.

type alertsView struct {
	Contract string
	Alerts   []alertRow
	// Events is the console URL of the live stream, resuming after the
	// last alert listed.
	Events string
	// CanAcknowledge says whether the user's roles may acknowledge.
	CanAcknowledge bool
	// Template is the row the page's script fills for an alert pushed
	// live, with the same form as the listed ones.
	Template alertRow
}

type alertRow struct {
	A           *monitoringv1.Alert
	Acknowledge action
}

// alertsPage lists a contract's open alerts, each with an acknowledge
// button; the page's script adds the alerts raised while it is open.
func (c *console) alertsPage(r *http.Request, s *session) (string, *view, int) {
	ids, ok := pathIDs(r, "c")
	if !ok {
		return notFoundPage(r)
	}
	contract := "contracts/" + ids[0]
	page := &view{Title: "Open alerts", Crumbs: []link{{"Contract " + ids[0], consoleURL(contract)}}}
	v := &alertsView{Contract: contract, CanAcknowledge: s.has(auth.GovernanceManager, auth.ProviderUser)}
	var list monitoringv1.ListAlertsResponse
	if err := c.api.get(r.Context(), s.token, "/v1/"+contract+"/alerts", url.Values{"filter": {"state = OPEN"}, "pageSize": {"1000"}}, &list); err != nil {
		return page.failed("alerts", err)
	}
	cursor := ""
	for _, a := range list.GetAlerts() {
		v.Alerts = append(v.Alerts, alertRow{A: a, Acknowledge: c.ackAction(s, a.GetName(), a.GetEtag())})
		cursor = a.GetCursor()
	}
	q := url.Values{}
	if cursor != "" {
		q.Set("after", cursor)
	}
	v.Events = consoleURL(contract + "/alerts/events")
	if len(q) > 0 {
		v.Events += "?" + q.Encode()
	}
	v.Template = alertRow{A: &monitoringv1.Alert{}, Acknowledge: c.ackAction(s, "", "")}
	page.Body = v
	return "alerts", page, http.StatusOK
}

// ackAction is an alert's acknowledge button; none for a user whose
// roles may not acknowledge.
func (c *console) ackAction(s *session, alert, etag string) action {
	if !s.has(auth.GovernanceManager, auth.ProviderUser) {
		return action{}
	}
	a := newAction(s, consoleURL(alert)+"/acknowledge", "Acknowledge", etag)
	a.Note, a.NoteLabel, a.ID = "note", "What is being done about it (optional)", "ack-"+lastSegment(alert)
	return a
}

// acknowledge acknowledges an open alert with the user's note.
func (c *console) acknowledge(w http.ResponseWriter, r *http.Request, s *session) {
	ids, ok := pathIDs(r, "c", "a")
	if !ok {
		c.notFound(w, r)
		return
	}
	name := "contracts/" + ids[0] + "/alerts/" + ids[1]
	c.act(w, r, s, c.alertsPage, "/v1/"+name+":acknowledge", &monitoringv1.AcknowledgeAlertRequest{
		Name: name, Note: r.PostFormValue("note"), Etag: formEtag(r), RequestId: formRequestID(r),
	}, "acknowledged", consoleURL("contracts/"+ids[0]+"/alerts"))
}
