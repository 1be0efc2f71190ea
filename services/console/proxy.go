package console

import (
	"net/http"
	"net/url"
	"regexp"
)

// What a page has the browser fetch — a chart, a CSV, the alert stream —
// the browser fetches with its session cookie, which the API does not
// take. These routes ask the API for the same thing with the session's
// token and pass the answer on.

// svgPolicy is the Content-Security-Policy of a chart: an SVG may style
// itself (the Gantt chart has a <style>) but runs nothing and loads
// nothing, even when opened on its own.
const svgPolicy = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// periodsPattern is a trend's `?periods=` (the API takes at most 36).
var periodsPattern = regexp.MustCompile(`^[0-9]{1,2}$`)

// statementCSV is GET /v1/contracts/{c}/periods/{p}/statement.csv.
func (c *console) statementCSV(w http.ResponseWriter, r *http.Request, s *session) {
	ids, ok := pathIDs(r, "c", "period")
	if !ok {
		http.NotFound(w, r)
		return
	}
	c.passFile(w, r, s, "/v1/contracts/"+ids[0]+"/periods/"+ids[1]+"/statement.csv", nil)
}

// trendSVG is GET /v1/contracts/{c}/serviceLevels/{key}/trend.svg.
func (c *console) trendSVG(w http.ResponseWriter, r *http.Request, s *session) {
	ids, ok := pathIDs(r, "c", "key")
	if !ok {
		http.NotFound(w, r)
		return
	}
	q := url.Values{}
	if p := r.URL.Query().Get("periods"); periodsPattern.MatchString(p) {
		q.Set("periods", p)
	}
	c.passFile(w, r, s, "/v1/contracts/"+ids[0]+"/serviceLevels/"+ids[1]+"/trend.svg", q)
}

// scheduleSVG is the Gantt chart of a plan: GET
// /v1/transitionPlans/{t}/schedule:export?format=svg (ExportSchedule).
func (c *console) scheduleSVG(w http.ResponseWriter, r *http.Request, s *session) {
	ids, ok := pathIDs(r, "t")
	if !ok {
		http.NotFound(w, r)
		return
	}
	c.passFile(w, r, s, "/v1/transitionPlans/"+ids[0]+"/schedule:export", url.Values{"format": {"svg"}})
}

// passFile answers with the API's file at path, or the API's error as
// text with its status.
func (c *console) passFile(w http.ResponseWriter, r *http.Request, s *session, path string, q url.Values) {
	rec, err := c.api.file(r.Context(), s.token, path, q)
	if err != nil {
		e := asAPIError(err)
		http.Error(w, e.Error(), e.HTTPStatus)
		return
	}
	h := w.Header()
	ct := rec.header.Get("Content-Type")
	h.Set("Content-Type", ct)
	if d := rec.header.Get("Content-Disposition"); d != "" {
		h.Set("Content-Disposition", d)
	}
	if isSVG(ct) {
		h.Set("Content-Security-Policy", svgPolicy)
	}
	_, _ = w.Write(rec.body.Bytes())
}

func isSVG(contentType string) bool {
	return len(contentType) >= 13 && contentType[:13] == "image/svg+xml"
}

// alertEvents is the contract's alert stream: GET
// /v1/contracts/{c}/alerts:watch as Server-Sent Events, passed on as it
// comes. The browser's Last-Event-ID (set by EventSource when it
// reconnects) is passed on, so the stream resumes where it stopped; the
// page's first connection resumes after the last alert it listed
// (?after=).
func (c *console) alertEvents(w http.ResponseWriter, r *http.Request, s *session) {
	ids, ok := pathIDs(r, "c")
	if !ok {
		http.NotFound(w, r)
		return
	}
	q := url.Values{}
	if after := r.URL.Query().Get("after"); after != "" && len(after) <= 200 {
		q.Set("after_cursor", after)
	}
	header := http.Header{"Accept": {"text/event-stream"}}
	if id := r.Header.Get("Last-Event-ID"); id != "" && len(id) <= 200 {
		header.Set("Last-Event-ID", id)
	}
	req := c.api.request(r.Context(), s.token, http.MethodGet, "/v1/contracts/"+ids[0]+"/alerts:watch", q, nil, header)
	c.api.api.ServeHTTP(&streamWriter{w: w}, req)
}

// streamWriter passes an answer on as it is written, flushing when the
// API flushes: the API's handler writes into the browser's connection.
type streamWriter struct{ w http.ResponseWriter }

func (s *streamWriter) Header() http.Header         { return s.w.Header() }
func (s *streamWriter) WriteHeader(status int)      { s.w.WriteHeader(status) }
func (s *streamWriter) Write(b []byte) (int, error) { return s.w.Write(b) }
func (s *streamWriter) Flush()                      { _ = http.NewResponseController(s.w).Flush() }
func (s *streamWriter) Unwrap() http.ResponseWriter { return s.w }
