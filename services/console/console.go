// Package console is the web console of the platform: server-rendered
// pages for the people who run the engagements — the engagements and
// their lifecycle, the selection, the contract and its money, the alerts,
// the transition and the audit log — served by the gateway under
// /console/.
//
// The console is a client of the public REST API and nothing more: every
// read and every action is a REST call (`/v1/…`, JSON, `Authorization:
// Bearer <token>`) through the gateway's own HTTP handler, in process,
// with the signed-in user's token. It has the API's routes,
// authentication, roles, tenancy and error messages because it has no
// other way in; a provider user sees exactly what the API shows it.
//
// Pages work without JavaScript (forms post and redirect); one small
// script adds the alert list's live updates (Server-Sent Events) and
// confirmation dialogs. Templates, the stylesheet and the script are
// embedded: nothing is fetched from elsewhere at run time, and the
// Content-Security-Policy allows nothing but the console's own files.
package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// contentSecurityPolicy allows the console's own files only: no inline
// script or style, no frames, forms that post to the console.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// maxFormBytes bounds a form the console reads: its largest is a pasted
// token.
const maxFormBytes = 64 << 10

// Option configures the console.
type Option func(*console)

// WithLogger logs what the console cannot show the user (a template that
// fails); without it nothing is logged.
func WithLogger(log *zap.Logger) Option {
	return func(c *console) { c.log = log }
}

// WithRolesClaim says where tokens hold their roles, as the API's
// --jwt-roles-claim (default `roles`). The console reads them only to
// offer the buttons of the user's roles; the API decides.
func WithRolesClaim(path string) Option {
	return func(c *console) {
		if path != "" {
			c.rolesClaim = path
		}
	}
}

// WithOIDC offers sign-in with an OpenID Connect identity provider
// (DiscoverOIDC), besides a pasted token.
func WithOIDC(p *OIDC) Option {
	return func(c *console) { c.oidc = p }
}

// WithClock sets the console's clock (cookie lifetimes, the OIDC flow's
// expiry); time.Now by default.
func WithClock(now func() time.Time) Option {
	return func(c *console) { c.now = now }
}

// console holds what the handlers share.
type console struct {
	api        client
	log        *zap.Logger
	rolesClaim string
	oidc       *OIDC
	now        func() time.Time
	pages      map[string]*template.Template
	static     map[string]staticFile
}

// New returns the console's handler, for the paths under /console/. api
// is the gateway's REST handler, without the console: every page reads
// and acts through it.
func New(api http.Handler, opts ...Option) (http.Handler, error) {
	c := &console{api: client{api: api}, log: zap.NewNop(), rolesClaim: "roles", now: time.Now}
	for _, o := range opts {
		o(c)
	}
	var err error
	if c.static, err = loadStatic(); err != nil {
		return nil, err
	}
	if c.pages, err = parsePages(); err != nil {
		return nil, err
	}
	return c.secure(c.routes()), nil
}

func (c *console) routes() *http.ServeMux {
	mux := http.NewServeMux()
	page := func(pattern string, h handler) { mux.Handle(pattern, c.signedIn(h)) }

	mux.HandleFunc("GET /console/signin", c.signinPage)
	mux.HandleFunc("POST /console/signin", c.signin)
	mux.HandleFunc("POST /console/signout", c.signout)
	mux.HandleFunc("GET /console/oidc/start", c.oidcStart)
	mux.HandleFunc("GET /console/oidc/callback", c.oidcCallback)
	mux.HandleFunc("GET /console/static/{file}", c.serveStatic)

	page("GET /console/{$}", c.engagements)
	page("GET /console/engagements", c.engagements)
	page("GET /console/engagements/{e}", c.show(c.lifecyclePage))
	page("GET /console/engagements/{e}/scope", c.show(c.scopePage))
	page("POST /console/engagements/{e}/scope/{action}", c.scopeAction)
	page("GET /console/processes/{p}", c.show(c.processPage))
	page("GET /console/sourcingEvents/{s}", c.show(c.sourcingEventPage))
	page("POST /console/sourcingEvents/{s}/approveAward", c.approveAward)
	page("GET /console/sourcingEvents/{s}/proposals/{p}", c.show(c.proposalPage))
	page("GET /console/contracts/{c}", c.show(c.contractPage))
	page("POST /console/contracts/{c}/{action}", c.contractAction)
	page("GET /console/contracts/{c}/periods/{period}", c.show(c.periodPage))
	page("POST /console/contracts/{c}/periods/{period}/close", c.closePeriod)
	page("GET /console/contracts/{c}/alerts", c.show(c.alertsPage))
	page("POST /console/contracts/{c}/alerts/{a}/acknowledge", c.acknowledge)
	page("GET /console/transitionPlans/{t}", c.show(c.transitionPlanPage))
	page("POST /console/transitionPlans/{t}/completeCutover", c.completeCutover)
	page("GET /console/audit", c.show(c.auditPage))

	// What the browser fetches from a page with the session cookie, which
	// the API does not take: the console asks the API with the token.
	mux.Handle("GET /console/contracts/{c}/periods/{period}/statement.csv", c.signedInFile(c.statementCSV))
	mux.Handle("GET /console/contracts/{c}/serviceLevels/{key}/trend.svg", c.signedInFile(c.trendSVG))
	mux.Handle("GET /console/transitionPlans/{t}/schedule.svg", c.signedInFile(c.scheduleSVG))
	mux.Handle("GET /console/contracts/{c}/alerts/events", c.signedInFile(c.alertEvents))

	mux.HandleFunc("/console/", c.notFound)
	return mux
}

// handler serves a request of a signed-in user.
type handler func(w http.ResponseWriter, r *http.Request, s *session)

// signedIn serves h to a signed-in user and sends anyone else to sign in.
func (c *console) signedIn(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := c.readSession(r)
		if s == nil {
			http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
			return
		}
		h(w, r, s)
	})
}

// signedInFile serves h to a signed-in user; anyone else gets 401 (an
// image or a download has no page to be sent to).
func (c *console) signedInFile(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := c.readSession(r)
		if s == nil {
			http.Error(w, "sign in to the console first", http.StatusUnauthorized)
			return
		}
		h(w, r, s)
	})
}

// secure sets the security headers on every answer and refuses a POST
// that another site's page may have sent: one whose Origin is not the
// console's, or (but for signing in, which has no session yet) one without
// the session's anti-forgery value.
func (c *console) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		if why := crossSite(r); why != "" {
			c.forbidden(w, r, why)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			status, why := http.StatusBadRequest, "The form could not be read: send it again."
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				status, why = http.StatusRequestEntityTooLarge, fmt.Sprintf("The form is larger than the %d bytes the console reads.", maxFormBytes)
			}
			c.render(w, r, nil, status, "message", &view{Title: "Refused", Message: why})
			return
		}
		s := c.readSession(r)
		// Signing in has no session yet, and signing out without one has
		// nothing to protect.
		exempt := r.URL.Path == "/console/signin" || (r.URL.Path == "/console/signout" && s == nil)
		if !exempt && !validCSRF(s, r.PostFormValue("csrf")) {
			c.forbidden(w, r, "the form did not carry this session's anti-forgery value: reload the page and try again")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// crossSite says why r may come from another site's page, or "".
//
// Sec-Fetch-Site, which browsers set and pages cannot, must not say
// another site. The Origin, when there is one, must be the console's —
// except "null", which a browser sends for its own same-origin form under
// Referrer-Policy: no-referrer, and which passes only when Sec-Fetch-Site
// says same-origin.
func crossSite(r *http.Request) string {
	site := r.Header.Get("Sec-Fetch-Site")
	switch site {
	case "", "same-origin", "none":
	default:
		return "the request came from another site's page"
	}
	o := r.Header.Get("Origin")
	switch {
	case o == "":
		return ""
	case o == "null":
		if site == "same-origin" {
			return ""
		}
		return "the request's origin is hidden and the browser does not say it is this console's"
	}
	u, err := url.Parse(o)
	if err != nil || !strings.EqualFold(u.Host, r.Host) {
		return "the request came from another origin (" + o + ")"
	}
	// Behind a proxy that ends TLS the console may not know it is
	// reached over https; over TLS, an http origin is another one.
	if u.Scheme != "https" && (u.Scheme != "http" || overTLS(r)) {
		return "the request came from another origin (" + o + ")"
	}
	return ""
}

func (c *console) forbidden(w http.ResponseWriter, r *http.Request, why string) {
	c.render(w, r, nil, http.StatusForbidden, "message", &view{
		Title:   "Refused",
		Message: "The console refused this request: " + why + ".",
	})
}

func (c *console) notFound(w http.ResponseWriter, r *http.Request) {
	page, v, status := notFoundPage(r)
	c.render(w, r, c.readSession(r), status, page, v)
}

// view is what every page shows around its own content.
type view struct {
	Title  string
	Crumbs []link
	// Errors are the API's answers the page shows, as the API words them.
	Errors []*apiError
	// Notice says what an action did.
	Notice  string
	Message string
	// Refresh sends the browser on to this console URL (a meta refresh).
	Refresh string
	// Body is the page's own data.
	Body any

	User   *userView
	Static map[string]string // file → its URL with a content hash
}

// userView is who is signed in, for the header and the forms.
type userView struct {
	Subject  string
	Roles    string
	Provider string
	CSRF     string
}

// link is a labelled console URL.
type link struct {
	Text, Href string
}

// render answers the page with v. An error of the API that says the token
// is no longer good (401) ends the session instead.
func (c *console) render(w http.ResponseWriter, r *http.Request, s *session, status int, page string, v *view) {
	for _, e := range v.Errors {
		if e != nil && e.HTTPStatus == http.StatusUnauthorized && s != nil {
			clearSession(w, r)
			http.Redirect(w, r, "/console/signin?ended=1", http.StatusSeeOther)
			return
		}
	}
	v.Errors = compact(v.Errors)
	if s != nil {
		v.User = &userView{Subject: s.subject, Provider: s.provider, CSRF: s.csrf()}
		var rs []string
		for _, r := range s.roles {
			rs = append(rs, string(r))
		}
		v.User.Roles = strings.Join(rs, ", ")
	}
	v.Static = map[string]string{}
	for name, f := range c.static {
		v.Static[name] = f.url
	}
	t, ok := c.pages[page]
	if !ok {
		c.log.Error("console: no such page template", zap.String("page", page))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", v); err != nil {
		c.log.Error("console: page template failed", zap.String("page", page), zap.Error(err))
		http.Error(w, "internal error; the failure has been logged", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// compact drops nil errors and repeats (an action refused for the reason
// the page's own read fails).
func compact(errs []*apiError) []*apiError {
	var out []*apiError
	for _, e := range errs {
		if e != nil && !slices.ContainsFunc(out, func(o *apiError) bool { return o.HTTPStatus == e.HTTPStatus && o.Message == e.Message }) {
			out = append(out, e)
		}
	}
	return out
}

// asAPIError is err as the API worded it; an error of the console's own
// (an answer it could not decode) is shown as a 502 in the same shape.
func asAPIError(err error) *apiError {
	if err == nil {
		return nil
	}
	var e *apiError
	if errors.As(err, &e) {
		return e
	}
	return &apiError{HTTPStatus: http.StatusBadGateway, Message: "the console could not read the API's answer: " + err.Error()}
}

// statusOf is the HTTP status of a page whose main read failed with e.
// failed is the page v in template tmpl showing err, the API's answer,
// with the API's HTTP status: a page whose main read was refused.
func (v *view) failed(tmpl string, err error) (string, *view, int) {
	e := asAPIError(err)
	v.Errors = append(v.Errors, e)
	return tmpl, v, statusOf(e)
}

func statusOf(e *apiError) int {
	if e == nil {
		return http.StatusOK
	}
	return e.HTTPStatus
}

// ids of resources, as the API's name patterns allow them; the console
// builds API paths only from ids that match.
var (
	idPattern     = regexp.MustCompile(`^[0-9A-Za-z-]{1,64}$`)
	periodPattern = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}$`)
	keyPattern    = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
)

// pathIDs returns the path values of r named by names, or false when one
// is not an id of the API's patterns.
func pathIDs(r *http.Request, names ...string) ([]string, bool) {
	out := make([]string, len(names))
	for i, n := range names {
		v := r.PathValue(n)
		pat := idPattern
		switch n {
		case "period":
			pat = periodPattern
		case "key":
			pat = keyPattern
		}
		if !pat.MatchString(v) {
			return nil, false
		}
		out[i] = v
	}
	return out, true
}

// notFoundPage is the page of a console URL that names no resource.
func notFoundPage(r *http.Request) (string, *view, int) {
	return "message", &view{Title: "Not found", Message: r.URL.Path + " is not a page of the console."}, http.StatusNotFound
}

// staticFile is an embedded file with the URL that names its content.
type staticFile struct {
	body        []byte
	contentType string
	url         string
}

func loadStatic() (map[string]staticFile, error) {
	out := map[string]staticFile{}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		name := path.Base(p)
		ct := map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}[path.Ext(name)]
		if ct == "" {
			return fmt.Errorf("console: static file %s of unknown type", p)
		}
		out[name] = staticFile{body: b, contentType: ct, url: "/console/static/" + name + "?v=" + hex.EncodeToString(sum[:6])}
		return nil
	})
	return out, err
}

// serveStatic serves the stylesheet and the script. Their URLs carry a
// hash of their content, so they may be cached: a new build names new URLs.
func (c *console) serveStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := c.static[r.PathValue("file")]
	if !ok {
		c.notFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.contentType)
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(f.body)
}
