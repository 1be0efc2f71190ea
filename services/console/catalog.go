package console

import (
	"net/http"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/auth"
	"google.golang.org/protobuf/proto"
)

// The decide and scope steps: a process with its latest assessment, and
// an engagement's scope with its review buttons.

type processView struct {
	Process    *catalogv1.Process
	Assessment *catalogv1.Assessment
}

// processPage shows a process and its latest assessment (the decide step).
func (c *console) processPage(r *http.Request, s *session) (string, *view, int) {
	ids, ok := pathIDs(r, "p")
	if !ok {
		return notFoundPage(r)
	}
	name := "processes/" + ids[0]
	page := &view{Title: "Process " + ids[0], Crumbs: []link{{"Engagements", "/console/engagements"}}}
	v := &processView{Process: &catalogv1.Process{}}
	if err := c.api.get(r.Context(), s.token, "/v1/"+name, nil, v.Process); err != nil {
		return page.failed("process", err)
	}
	if v.Process.GetDisplayName() != "" {
		page.Title = v.Process.GetDisplayName()
	}
	if a := v.Process.GetLatestAssessment(); a != "" {
		v.Assessment = &catalogv1.Assessment{}
		if err := c.api.get(r.Context(), s.token, "/v1/"+a, nil, v.Assessment); err != nil {
			page.Errors = append(page.Errors, asAPIError(err))
			v.Assessment = nil
		}
	}
	page.Body = v
	return "process", page, http.StatusOK
}

type scopeView struct {
	Engagement string
	Scope      *catalogv1.Scope
	Actions    []action
}

// scopePage shows an engagement's scope (its latest revision) with the
// buttons of its review for the user's roles.
func (c *console) scopePage(r *http.Request, s *session) (string, *view, int) {
	ids, ok := pathIDs(r, "e")
	if !ok {
		return notFoundPage(r)
	}
	engagement := "engagements/" + ids[0]
	name := engagement + "/scope"
	page := &view{Title: "Scope of engagement " + ids[0], Crumbs: []link{
		{"Engagements", "/console/engagements"}, {"Engagement " + ids[0], consoleURL(engagement)},
	}}
	v := &scopeView{Engagement: engagement, Scope: &catalogv1.Scope{}}
	if err := c.api.get(r.Context(), s.token, "/v1/"+name, nil, v.Scope); err != nil {
		return page.failed("scope", err)
	}
	etag := v.Scope.GetEtag()
	switch v.Scope.GetState() {
	case catalogv1.ScopeState_SCOPE_STATE_DRAFT:
		if s.has(auth.SourcingManager, auth.ProcessOwner) {
			v.Actions = append(v.Actions, newAction(s, consoleURL(name+"/submit"), "Submit for review", etag))
		}
	case catalogv1.ScopeState_SCOPE_STATE_IN_REVIEW:
		if s.has(auth.Approver) {
			approve := newAction(s, consoleURL(name+"/approve"), "Approve the scope", etag)
			approve.ID, approve.Confirm = "approve-scope", "Approve revision "+itoa(int(v.Scope.GetRevision()))+" of the scope?"
			reject := newAction(s, consoleURL(name+"/reject"), "Send back to draft", etag)
			reject.ID, reject.Note, reject.NoteLabel = "reject-scope", "reason", "Why (the API requires a reason)"
			v.Actions = append(v.Actions, approve, reject)
		}
	}
	page.Body = v
	return "scope", page, http.StatusOK
}

// scopeAction submits, approves or rejects the scope.
func (c *console) scopeAction(w http.ResponseWriter, r *http.Request, s *session) {
	ids, ok := pathIDs(r, "e")
	if !ok {
		c.notFound(w, r)
		return
	}
	name := "engagements/" + ids[0] + "/scope"
	etag, id := formEtag(r), formRequestID(r)
	var body proto.Message
	var done string
	switch r.PathValue("action") {
	case "submit":
		body, done = &catalogv1.SubmitScopeRequest{Name: name, Etag: etag, RequestId: id}, "submitted"
	case "approve":
		body, done = &catalogv1.ApproveScopeRequest{Name: name, Etag: etag, RequestId: id}, "approved"
	case "reject":
		body, done = &catalogv1.RejectScopeRequest{Name: name, Reason: r.PostFormValue("reason"), Etag: etag, RequestId: id}, "rejected"
	default:
		c.notFound(w, r)
		return
	}
	c.act(w, r, s, c.scopePage, "/v1/"+name+":"+r.PathValue("action"), body, done, "")
}
