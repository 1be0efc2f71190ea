package console

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	auditv1 "github.com/acme/bpo/gen/go/bpo/audit/v1"
	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
)

// The audit log: each service keeps its own, hash-chained
// (`/v1/{service}/auditEvents`, `…:verify`); the page shows one at a time.

// auditServices are the services with an audit log, as the API names them
// in its paths.
var auditServices = []string{"catalog", "contract", "transition", "monitoring"}

// auditPageSize is how many events a page shows.
const auditPageSize = 50

type auditView struct {
	Service, Resource string
	Services          []link
	Events            []auditRow
	Verification      *auditv1.Verification
	Next              string
}

type auditRow struct {
	E *auditv1.AuditEvent
	// Href is the console page of the event's resource, if it has one.
	Href string
	// Method is the RPC's short name (CreateProvider).
	Method string
}

// auditPage shows a service's audit log, paged, filtered by resource if
// asked, with the verification of its chain.
func (c *console) auditPage(r *http.Request, s *session) (string, *view, int) {
	q := r.URL.Query()
	v := &auditView{Service: "catalog", Resource: strings.TrimSpace(q.Get("resource"))}
	if svc := q.Get("service"); slices.Contains(auditServices, svc) {
		v.Service = svc
	}
	for _, svc := range auditServices {
		v.Services = append(v.Services, link{svc, "/console/audit?service=" + svc})
	}
	page := &view{Title: "Audit log of " + v.Service, Body: v}
	base := "/v1/" + v.Service + "/auditEvents"
	api := url.Values{"pageSize": {itoa(auditPageSize)}}
	if v.Resource != "" {
		api.Set("filter", "resource = "+quote(v.Resource))
	}
	if t := q.Get("pageToken"); t != "" && len(t) <= 1000 {
		api.Set("pageToken", t)
	}
	var list catalogv1.ListAuditEventsResponse // the same shape in every service
	if err := c.api.get(r.Context(), s.token, base, api, &list); err != nil {
		return page.failed("audit", err)
	}
	for _, e := range list.GetAuditEvents() {
		row := auditRow{E: e, Method: e.GetMethod()[strings.LastIndex(e.GetMethod(), "/")+1:]}
		if pageOf(e.GetResource()) {
			row.Href = consoleURL(e.GetResource())
		}
		v.Events = append(v.Events, row)
	}
	var ver catalogv1.VerifyAuditLogResponse
	if err := c.api.get(r.Context(), s.token, base+":verify", nil, &ver); err != nil {
		page.Errors = append(page.Errors, asAPIError(err))
	} else {
		v.Verification = ver.GetVerification()
	}
	if next := list.GetNextPageToken(); next != "" {
		nq := url.Values{"service": {v.Service}, "pageToken": {next}}
		if v.Resource != "" {
			nq.Set("resource", v.Resource)
		}
		v.Next = "/console/audit?" + nq.Encode()
	}
	return "audit", page, http.StatusOK
}
