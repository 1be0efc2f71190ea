package console

import (
	"net/http"

	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/auth"
)

// The transition step: a plan's readiness gates and its schedule.

type planView struct {
	Plan      *transitionv1.TransitionPlan
	Readiness *transitionv1.Readiness
	GanttSrc  string
	Actions   []action
}

// gateTitles name the readiness gates for people.
var gateTitles = map[string]string{
	"tasks":        "Tasks before cutover",
	"knowledge":    "Knowledge transfer signed off",
	"training":     "Agents trained",
	"integration":  "Integrations tested",
	"parallel_run": "Parallel run",
}

// transitionPlanPage shows a plan: its state, the readiness gates with
// what each misses, and the Gantt chart of its schedule.
func (c *console) transitionPlanPage(r *http.Request, s *session) (string, *view, int) {
	ids, ok := pathIDs(r, "t")
	if !ok {
		return notFoundPage(r)
	}
	name := "transitionPlans/" + ids[0]
	page := &view{Title: "Transition plan " + ids[0], Crumbs: []link{{"Engagements", "/console/engagements"}}}
	v := &planView{Plan: &transitionv1.TransitionPlan{}}
	if err := c.api.get(r.Context(), s.token, "/v1/"+name, nil, v.Plan); err != nil {
		return page.failed("plan", err)
	}
	p := v.Plan
	if e := p.GetEngagement(); e != "" {
		page.Crumbs = append(page.Crumbs, link{"Engagement " + lastSegment(e), consoleURL(e)})
	}
	if ct := p.GetContract(); ct != "" {
		page.Crumbs = append(page.Crumbs, link{"Contract " + lastSegment(ct), consoleURL(ct)})
	}
	v.Readiness = &transitionv1.Readiness{}
	if err := c.api.get(r.Context(), s.token, "/v1/"+name+":checkReadiness", nil, v.Readiness); err != nil {
		page.Errors = append(page.Errors, asAPIError(err))
		v.Readiness = nil
	}
	v.GanttSrc = consoleURL(name + "/schedule.svg")
	if p.GetState() == transitionv1.PlanState_PLAN_STATE_CUTOVER_READY && s.has(auth.TransitionManager) {
		a := newAction(s, consoleURL(name+"/completeCutover"), "Complete the cutover", p.GetEtag())
		a.ID, a.Confirm = "complete-cutover", "Complete the cutover? The provider then runs the service, from today."
		v.Actions = append(v.Actions, a)
	}
	page.Body = v
	return "plan", page, http.StatusOK
}

// completeCutover completes a ready plan's cutover (commencement today
// in the service time zone, the API's default).
func (c *console) completeCutover(w http.ResponseWriter, r *http.Request, s *session) {
	ids, ok := pathIDs(r, "t")
	if !ok {
		c.notFound(w, r)
		return
	}
	name := "transitionPlans/" + ids[0]
	c.act(w, r, s, c.transitionPlanPage, "/v1/"+name+":completeCutover",
		&transitionv1.CompleteCutoverRequest{Name: name, Etag: formEtag(r), RequestId: formRequestID(r)}, "cutover", "")
}
