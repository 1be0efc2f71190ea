package console

import (
	"net/http"
	"slices"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	lifecyclev1 "github.com/acme/bpo/gen/go/bpo/lifecycle/v1"
	"github.com/acme/bpo/kit/auth"
)

type lifecycleView struct {
	Engagement string
	Stage      string
	Steps      []stepView
	// Award is the engagement's approved award, when there is one, to
	// the provider AwardedTo names.
	Award     *catalogv1.EngagementAward
	AwardedTo string
}

// stepView is one of the six steps.
type stepView struct {
	// Key is the step in capitals (DECIDE … MONITOR); Number and Title
	// are for people.
	Key, Title string
	Number     int
	State      string
	Done       bool
	// Current is the first step not done: where the engagement stands.
	Current bool
	// Last is the monitor step, which opens no gate.
	Last    bool
	Hidden  bool
	Facts   []fact
	Blocker string
	// Links lead into the step's own pages.
	Links []link
	// Actions are the buttons of the step for the user's roles.
	Actions []action
}

// fact is a key fact of a step; Href links it when it names a resource
// the console shows.
type fact struct {
	Label, Value, Href string
}

// action is a button: a form posting to Href with the fields given.
type action struct {
	Href, Label, Confirm string
	CSRF                 string
	Fields               map[string]string
	// Note asks for a free-text field of this name (a reason, a note).
	Note, NoteLabel string
	ID              string
}

var stepTitles = map[string]string{
	"decide": "Decide", "scope": "Scope", "select": "Select",
	"contract": "Contract", "transition": "Transition", "monitor": "Monitor",
}

// lifecyclePage shows an engagement's six steps as the lifecycle view
// gives them (GET /v1/engagements/{e}/lifecycle), with links into each
// step.
func (c *console) lifecyclePage(r *http.Request, s *session) (string, *view, int) {
	ids, ok := pathIDs(r, "e")
	if !ok {
		return notFoundPage(r)
	}
	name := "engagements/" + ids[0]
	page := &view{Title: "Engagement " + ids[0], Crumbs: []link{{"Engagements", "/console/engagements"}}}
	var lc lifecyclev1.EngagementLifecycle
	if err := c.api.get(r.Context(), s.token, "/v1/"+name+"/lifecycle", nil, &lc); err != nil {
		return page.failed("lifecycle", err)
	}
	// The engagement itself names its processes (the decide step's facts
	// name one process only when there is one).
	var eng catalogv1.Engagement
	engErr := c.api.get(r.Context(), s.token, "/v1/"+name, nil, &eng)
	if lc.GetDisplayName() != "" {
		page.Title = lc.GetDisplayName()
	}
	v := &lifecycleView{Engagement: name, Stage: enumWord(lc.GetStage())}
	names := map[string]string{}
	if engErr == nil && eng.GetAward().GetProvider() != "" {
		v.Award = eng.GetAward()
		v.AwardedTo = c.providerName(r, s, names, v.Award.GetProvider())
	}
	facts := map[string]map[string]string{}
	for _, st := range lc.GetSteps() {
		facts[st.GetStep()] = st.GetFacts()
	}
	contract := facts["contract"]["contract"]
	current := false
	for i, st := range lc.GetSteps() {
		sv := stepView{
			Key:     strings.ToUpper(st.GetStep()),
			Title:   stepTitles[st.GetStep()],
			Number:  i + 1,
			State:   st.GetState(),
			Done:    st.GetDone(),
			Hidden:  st.GetState() == "HIDDEN",
			Blocker: st.GetBlocker(),
			Facts:   c.factsOf(r, s, names, st.GetFacts()),
			Last:    i == len(lc.GetSteps())-1,
		}
		if !sv.Done && !current {
			sv.Current, current = true, true
		}
		if !sv.Hidden {
			sv.Links = stepLinks(st.GetStep(), name, st.GetFacts(), &eng, engErr == nil, contract)
			sv.Actions = c.stepActions(r, st.GetStep(), name, st.GetState(), s)
		}
		v.Steps = append(v.Steps, sv)
	}
	page.Body = v
	return "lifecycle", page, http.StatusOK
}

// stepLinks are the pages of one step.
func stepLinks(step, engagement string, f map[string]string, eng *catalogv1.Engagement, haveEng bool, contract string) []link {
	var out []link
	switch step {
	case "decide":
		var procs []string
		if haveEng {
			procs = eng.GetProcesses()
		} else if p := f["process"]; p != "" {
			procs = []string{p}
		}
		for _, p := range procs {
			out = append(out, link{"Process " + lastSegment(p) + " and its assessment", consoleURL(p)})
		}
	case "scope":
		out = append(out, link{"The scope", consoleURL(engagement + "/scope")})
	case "select":
		if e := f["sourcing_event"]; e != "" {
			out = append(out, link{"Sourcing event: proposals and ranking", consoleURL(e)})
		}
		if p := f["proposal"]; p != "" {
			out = append(out, link{"The awarded proposal", consoleURL(p)})
		}
	case "contract":
		if contract != "" {
			out = append(out, link{"The contract: service levels and credit regime", consoleURL(contract)})
		}
	case "transition":
		if p := f["plan"]; p != "" {
			out = append(out, link{"Transition plan: readiness gates and schedule", consoleURL(p)})
		}
	case "monitor":
		if contract == "" {
			break
		}
		if p, _, _ := strings.Cut(f["period"], " "); p != "" {
			out = append(out, link{"Statement of " + p, consoleURL(contract + "/periods/" + p)})
		}
		out = append(out,
			link{"Alerts", consoleURL(contract + "/alerts")},
			link{"Every period", consoleURL(contract) + "#periods-h"})
	}
	return out
}

// stepActions are the buttons a step offers the user's roles; the API
// decides whether they work. Approving a scope here needs its etag, read
// with the scope.
func (c *console) stepActions(r *http.Request, step, engagement, state string, s *session) []action {
	if step != "scope" || state != "IN_REVIEW" || !s.has(auth.Approver) {
		return nil
	}
	var sc catalogv1.Scope
	if err := c.api.get(r.Context(), s.token, "/v1/"+engagement+"/scope", nil, &sc); err != nil {
		return nil
	}
	a := newAction(s, consoleURL(engagement+"/scope/approve"), "Approve the scope", sc.GetEtag())
	a.Fields["back"] = consoleURL(engagement)
	a.Confirm = "Approve revision " + itoa(int(sc.GetRevision())) + " of the scope?"
	return []action{a}
}

// factsOf orders a step's facts by key, links those that name a page,
// and names the providers.
func (c *console) factsOf(r *http.Request, s *session, names map[string]string, m map[string]string) []fact {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []fact
	for _, k := range keys {
		// "total_contract_value" reads "total contract value"; in "level
		// asa_20s" the level's key stays as it is.
		head, rest, _ := strings.Cut(k, " ")
		label := strings.TrimSpace(strings.ReplaceAll(head, "_", " ") + " " + rest)
		f := fact{Label: label, Value: m[k]}
		switch {
		case pageOf(f.Value):
			f.Href = consoleURL(f.Value)
		case strings.HasPrefix(f.Value, "providers/"):
			if n := c.providerName(r, s, names, f.Value); n != f.Value {
				f.Value = n + " (" + f.Value + ")"
			}
		}
		out = append(out, f)
	}
	return out
}

// pageOf reports whether name is a resource the console has a page for.
func pageOf(name string) bool {
	parts := strings.Split(name, "/")
	for _, p := range parts {
		if p == "" {
			return false
		}
	}
	switch {
	case len(parts) == 2 && slices.Contains([]string{"engagements", "processes", "sourcingEvents", "contracts", "transitionPlans"}, parts[0]):
		return idPattern.MatchString(parts[1])
	case len(parts) == 4 && parts[0] == "sourcingEvents" && parts[2] == "proposals":
		return idPattern.MatchString(parts[1]) && idPattern.MatchString(parts[3])
	case len(parts) == 4 && parts[0] == "contracts" && parts[2] == "periods":
		return idPattern.MatchString(parts[1]) && periodPattern.MatchString(parts[3])
	}
	return false
}
