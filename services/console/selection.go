package console

import (
	"net/http"
	"net/url"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/auth"
)

// The select step: a sourcing event's proposals, compliance results,
// ranking and award; one proposal.

type eventView struct {
	Event *catalogv1.SourcingEvent
	// Sealed: the event is not CLOSED yet, and the API shows the
	// proposals' content to their own providers only.
	Sealed    bool
	Proposals []proposalRow
	Ranking   *catalogv1.Ranking
	Ranked    []rankedRow
	// Criteria heads the ranking's columns.
	Criteria []string
	Actions  []action
	// Providers names the providers for people.
	Providers map[string]string
	// Leader and RunnerUp name the top two of the ranking.
	Leader, RunnerUp string
}

// proposalLabel names a ranked proposal by its provider.
func (c *console) proposalLabel(r *http.Request, s *session, v *eventView, proposal string) string {
	for _, rp := range v.Ranking.GetProposals() {
		if rp.GetProposal() == proposal {
			return c.providerName(r, s, v.Providers, rp.GetProvider())
		}
	}
	return proposal
}

// criterionTitle is a criterion for a column head: "Security compliance".
func criterionTitle(word string) string {
	if word == "" {
		return ""
	}
	w := strings.ToLower(strings.ReplaceAll(word, "_", " "))
	return strings.ToUpper(w[:1]) + w[1:]
}

type proposalRow struct {
	P        *catalogv1.Proposal
	Provider string
}

type rankedRow struct {
	R        *catalogv1.RankedProposal
	Provider string
}

// sealedStates are the states in which proposals are sealed.
var sealedStates = map[catalogv1.SourcingEventState]bool{
	catalogv1.SourcingEventState_SOURCING_EVENT_STATE_DRAFT:     true,
	catalogv1.SourcingEventState_SOURCING_EVENT_STATE_PUBLISHED: true,
}

// sourcingEventPage shows a sourcing event as the API shows it to the
// user: while it is sealed, only what the API returns (who submitted and
// when); once closed, the compliance results with their reasons and the
// ranking with its scores and robustness line.
func (c *console) sourcingEventPage(r *http.Request, s *session) (string, *view, int) {
	ids, ok := pathIDs(r, "s")
	if !ok {
		return notFoundPage(r)
	}
	name := "sourcingEvents/" + ids[0]
	page := &view{Title: "Sourcing event " + ids[0], Crumbs: []link{{"Engagements", "/console/engagements"}}}
	v := &eventView{Event: &catalogv1.SourcingEvent{}, Providers: map[string]string{}}
	if err := c.api.get(r.Context(), s.token, "/v1/"+name, nil, v.Event); err != nil {
		return page.failed("event", err)
	}
	ev := v.Event
	if ev.GetDisplayName() != "" {
		page.Title = ev.GetDisplayName()
	}
	if e := ev.GetEngagement(); e != "" {
		page.Crumbs = append(page.Crumbs, link{"Engagement " + lastSegment(e), consoleURL(e)})
	}
	v.Sealed = sealedStates[ev.GetState()]
	var list catalogv1.ListProposalsResponse
	if err := c.api.get(r.Context(), s.token, "/v1/"+name+"/proposals", url.Values{"pageSize": {"1000"}}, &list); err != nil {
		page.Errors = append(page.Errors, asAPIError(err))
	}
	for _, p := range list.GetProposals() {
		v.Proposals = append(v.Proposals, proposalRow{P: p, Provider: c.providerName(r, s, v.Providers, p.GetProvider())})
	}
	// A sealed event has no ranking to show; the API would refuse one.
	if !v.Sealed && ev.GetState() != catalogv1.SourcingEventState_SOURCING_EVENT_STATE_CANCELLED {
		v.Ranking = &catalogv1.Ranking{}
		if err := c.api.get(r.Context(), s.token, "/v1/"+name+"/ranking", nil, v.Ranking); err != nil {
			page.Errors = append(page.Errors, asAPIError(err))
			v.Ranking = nil
		}
		for i, rp := range v.Ranking.GetProposals() {
			v.Ranked = append(v.Ranked, rankedRow{R: rp, Provider: c.providerName(r, s, v.Providers, rp.GetProvider())})
			if i == 0 {
				for _, cr := range rp.GetCriteria() {
					v.Criteria = append(v.Criteria, criterionTitle(enumWord(cr.GetCriterion()))+" ("+itoa(int(cr.GetWeight()))+")")
				}
			}
		}
	}
	if rb := v.Ranking.GetRobustness(); rb != nil {
		v.Leader = c.proposalLabel(r, s, v, rb.GetLeader())
		v.RunnerUp = c.proposalLabel(r, s, v, rb.GetRunnerUp())
	}
	if a := ev.GetAward(); a != nil && a.GetProvider() != "" && a.GetApprovedBy() == "" &&
		ev.GetState() == catalogv1.SourcingEventState_SOURCING_EVENT_STATE_EVALUATED && s.has(auth.Approver) {
		act := newAction(s, consoleURL(name+"/approveAward"), "Approve the award", ev.GetEtag())
		act.ID, act.Confirm = "approve-award", "Approve the award to "+c.providerName(r, s, v.Providers, a.GetProvider())+"?"
		v.Actions = append(v.Actions, act)
	}
	page.Body = v
	return "event", page, http.StatusOK
}

// providerName is a provider's display name, read once per page; its
// resource name when the API does not show the provider to the user.
func (c *console) providerName(r *http.Request, s *session, seen map[string]string, provider string) string {
	if provider == "" {
		return ""
	}
	if n, ok := seen[provider]; ok {
		return n
	}
	seen[provider] = provider
	if id, ok := strings.CutPrefix(provider, "providers/"); ok && idPattern.MatchString(id) {
		var p catalogv1.Provider
		if c.api.get(r.Context(), s.token, "/v1/providers/"+id, nil, &p) == nil && p.GetDisplayName() != "" {
			seen[provider] = p.GetDisplayName()
		}
	}
	return seen[provider]
}

// approveAward approves the proposed award.
func (c *console) approveAward(w http.ResponseWriter, r *http.Request, s *session) {
	ids, ok := pathIDs(r, "s")
	if !ok {
		c.notFound(w, r)
		return
	}
	name := "sourcingEvents/" + ids[0]
	c.act(w, r, s, c.sourcingEventPage, "/v1/"+name+":approveAward",
		&catalogv1.ApproveAwardRequest{Name: name, Etag: formEtag(r), RequestId: formRequestID(r)}, "approved", "")
}

type proposalView struct {
	Proposal *catalogv1.Proposal
	Provider string
	Event    *catalogv1.SourcingEvent
}

// proposalPage shows one proposal, or the API's refusal (another
// provider's proposal, a sealed one) and nothing of it.
func (c *console) proposalPage(r *http.Request, s *session) (string, *view, int) {
	ids, ok := pathIDs(r, "s", "p")
	if !ok {
		return notFoundPage(r)
	}
	event := "sourcingEvents/" + ids[0]
	name := event + "/proposals/" + ids[1]
	page := &view{Title: "Proposal " + ids[1], Crumbs: []link{{"Sourcing event " + ids[0], consoleURL(event)}}}
	v := &proposalView{Proposal: &catalogv1.Proposal{}}
	if err := c.api.get(r.Context(), s.token, "/v1/"+name, nil, v.Proposal); err != nil {
		return page.failed("proposal", err)
	}
	// The event gives the page its context; a user who may read the
	// proposal may read its event, and without it the page still holds.
	var ev catalogv1.SourcingEvent
	if c.api.get(r.Context(), s.token, "/v1/"+event, nil, &ev) == nil {
		v.Event = &ev
		if ev.GetDisplayName() != "" {
			page.Crumbs[0].Text = ev.GetDisplayName()
		}
	}
	v.Provider = c.providerName(r, s, map[string]string{}, v.Proposal.GetProvider())
	page.Body = v
	return "proposal", page, http.StatusOK
}
