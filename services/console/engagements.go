package console

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	lifecyclev1 "github.com/acme/bpo/gen/go/bpo/lifecycle/v1"
	"github.com/acme/bpo/kit/auth"
)

// engagementsPageSize is how many engagements a page lists: each row
// costs a lifecycle read (the stage is the lifecycle view's, not stored).
const engagementsPageSize = 20

// lifecycleReads is how many rows' lifecycles are read at once.
const lifecycleReads = 4

// stages are the engagement stages, in order (spec README, "The stage of
// an engagement").
var stages = []string{"DECIDED", "SCOPED", "SELECTED", "CONTRACTED", "TRANSITIONING", "LIVE", "CLOSED"}

type engagementsView struct {
	Rows   []engagementRow
	Stages []string
	// The filter: Stage is applied to each row's lifecycle (the API's
	// list cannot filter on a stage it does not store); Owner is the
	// API's own filter.
	Stage, Owner string
	// Listed is how many engagements the API's page held; Next is the
	// console URL of the next page, "" on the last.
	Listed int
	Next   string
}

type engagementRow struct {
	Name, DisplayName, Owner, Created string
	// Stage is the lifecycle's stage word, "" when the lifecycle could
	// not be read (StageError says why).
	Stage      string
	StageError *apiError
}

// engagements lists the engagements with each one's stage, filtered by
// owner (the API's filter) and stage. A provider user, to whom the API
// does not list engagements, gets its own home page instead at /console/.
func (c *console) engagements(w http.ResponseWriter, r *http.Request, s *session) {
	if r.URL.Path == "/console/" && s.has(auth.ProviderUser) && !s.has(staffRoles...) {
		c.providerHome(w, r, s)
		return
	}
	q := r.URL.Query()
	v := &engagementsView{Stages: stages, Owner: strings.TrimSpace(q.Get("owner"))}
	if st := q.Get("stage"); slices.Contains(stages, st) {
		v.Stage = st
	}
	page := &view{Title: "Engagements", Body: v}
	api := url.Values{"pageSize": {itoa(engagementsPageSize)}}
	if v.Owner != "" {
		api.Set("filter", "owner = "+quote(v.Owner))
	}
	if t := q.Get("pageToken"); t != "" && len(t) <= 1000 {
		api.Set("pageToken", t)
	}
	var list catalogv1.ListEngagementsResponse
	if err := c.api.get(r.Context(), s.token, "/v1/engagements", api, &list); err != nil {
		e := asAPIError(err)
		page.Errors = append(page.Errors, e)
		c.render(w, r, s, statusOf(e), "engagements", page)
		return
	}
	v.Listed = len(list.GetEngagements())
	rows := make([]engagementRow, len(list.GetEngagements()))
	sem := make(chan struct{}, lifecycleReads)
	var wg sync.WaitGroup
	for i, e := range list.GetEngagements() {
		rows[i] = engagementRow{Name: e.GetName(), DisplayName: e.GetDisplayName(), Owner: e.GetOwner(), Created: formatTime(e.GetCreateTime())}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			var lc lifecyclev1.EngagementLifecycle
			if err := c.api.get(r.Context(), s.token, "/v1/"+e.GetName()+"/lifecycle", nil, &lc); err != nil {
				rows[i].StageError = asAPIError(err)
				return
			}
			rows[i].Stage = enumWord(lc.GetStage())
		})
	}
	wg.Wait()
	for _, row := range rows {
		if v.Stage != "" && row.Stage != v.Stage {
			continue
		}
		v.Rows = append(v.Rows, row)
		if row.StageError != nil && len(page.Errors) == 0 {
			page.Errors = append(page.Errors, row.StageError)
		}
	}
	if next := list.GetNextPageToken(); next != "" {
		nq := url.Values{"pageToken": {next}}
		if v.Stage != "" {
			nq.Set("stage", v.Stage)
		}
		if v.Owner != "" {
			nq.Set("owner", v.Owner)
		}
		v.Next = "/console/engagements?" + nq.Encode()
	}
	c.render(w, r, s, http.StatusOK, "engagements", page)
}

// staffRoles are the roles other than a provider user's.
var staffRoles = []auth.Role{
	auth.SourcingManager, auth.ProcessOwner, auth.Evaluator, auth.ContractManager, auth.Approver,
	auth.TransitionManager, auth.GovernanceManager, auth.Auditor, auth.Admin,
}

type providerHomeView struct {
	Events    []*catalogv1.SourcingEvent
	Contracts []*contractv1.Contract
}

// providerHome is a provider user's start: the sourcing events it is
// invited to and its contracts, as the API lists them to it.
func (c *console) providerHome(w http.ResponseWriter, r *http.Request, s *session) {
	v := &providerHomeView{}
	page := &view{Title: "Your sourcing events and contracts", Body: v}
	var events catalogv1.ListSourcingEventsResponse
	if err := c.api.get(r.Context(), s.token, "/v1/sourcingEvents", url.Values{"pageSize": {"100"}}, &events); err != nil {
		page.Errors = append(page.Errors, asAPIError(err))
	}
	v.Events = events.GetSourcingEvents()
	var contracts contractv1.ListContractsResponse
	if err := c.api.get(r.Context(), s.token, "/v1/contracts", url.Values{"pageSize": {"100"}}, &contracts); err != nil {
		page.Errors = append(page.Errors, asAPIError(err))
	}
	v.Contracts = contracts.GetContracts()
	c.render(w, r, s, http.StatusOK, "home", page)
}

// quote is value as a quoted value of the API's filter grammar
// (kit/listing: a double quote inside is escaped with a backslash).
func quote(value string) string {
	return `"` + strings.ReplaceAll(value, `"`, `\"`) + `"`
}
