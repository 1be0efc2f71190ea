package console

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"google.golang.org/protobuf/proto"
)

// builder builds a page for a signed-in user: its template, its view and
// its HTTP status (the API's, when the page's main read failed).
type builder func(r *http.Request, s *session) (string, *view, int)

// show serves the page b builds.
func (c *console) show(b builder) handler {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		page, v, status := b(r, s)
		if n := r.URL.Query().Get("done"); n != "" && status == http.StatusOK {
			v.Notice = notices[n]
		}
		c.render(w, r, s, status, page, v)
	}
}

// notices say what an action did, after its redirect (?done=…).
var notices = map[string]string{
	"submitted":    "Submitted for review.",
	"approved":     "Approved.",
	"rejected":     "Sent back to draft.",
	"signed":       "Signed.",
	"closed":       "Closed: the statement is stored.",
	"acknowledged": "Acknowledged.",
	"cutover":      "Cutover completed: the service is live.",
}

// act performs an action as the user: the API's custom method at path
// with body. Done, the browser goes back to the page (redirect after
// post, ?done=word): back, or when it is "" the form's (backTo); refused,
// it gets page b again with the API's answer on top, with the API's
// status.
func (c *console) act(w http.ResponseWriter, r *http.Request, s *session, b builder, path string, body proto.Message, done, back string) {
	err := c.api.post(r.Context(), s.token, path, body, nil)
	if err == nil {
		if back == "" {
			back = backTo(r)
		}
		http.Redirect(w, r, back+"?done="+done, http.StatusSeeOther)
		return
	}
	e := asAPIError(err)
	page, v, _ := b(r, s)
	v.Errors = append([]*apiError{e}, v.Errors...)
	c.render(w, r, s, e.HTTPStatus, page, v)
}

// backTo is the page an action returns to: the form's `back` field when
// it is a console path, else the resource's page (the action's URL
// without its last segment).
func backTo(r *http.Request) string {
	if b := r.PostFormValue("back"); strings.HasPrefix(b, "/console/") && !strings.ContainsAny(b, "\\?#") {
		if u, err := url.Parse(b); err == nil && u.Host == "" && !strings.Contains(u.Path, "..") {
			return u.Path
		}
	}
	p := r.URL.Path
	return p[:strings.LastIndex(p, "/")]
}

// formEtag and formRequestID are the hidden fields an action's form
// carries: the etag of the resource as the page showed it (so a change in
// between is the API's ABORTED, not a silent overwrite) and a request id
// made when the page was shown (so a form sent twice acts once).
func formEtag(r *http.Request) string {
	if e := r.PostFormValue("etag"); len(e) <= 200 {
		return e
	}
	return ""
}

var requestIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

func formRequestID(r *http.Request) string {
	if id := r.PostFormValue("request_id"); requestIDPattern.MatchString(id) {
		return id
	}
	return ""
}

// newRequestID is a fresh request id for a form.
func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newAction is a button posting to href, with the resource's etag, a
// fresh request id and the session's anti-forgery value.
func newAction(s *session, href, label, etag string) action {
	a := action{Href: href, Label: label, CSRF: s.csrf(), Fields: map[string]string{"request_id": newRequestID()}}
	if etag != "" {
		a.Fields["etag"] = etag
	}
	return a
}
