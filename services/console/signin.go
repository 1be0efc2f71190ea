package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
)

// tokenCommand is what the sign-in page tells a user to run.
const tokenCommand = "bin/bpo token --role governance_manager --subject you@example.com"

// signinView is the sign-in page.
type signinView struct {
	Command string
	// Ended: the API refused the session's token (it expired).
	Ended bool
	// Issuer is the identity provider to sign in with, when configured.
	Issuer   string
	SignedIn bool
}

func (c *console) signinView(r *http.Request) *signinView {
	v := &signinView{Command: tokenCommand, Ended: r.URL.Query().Get("ended") != "", SignedIn: c.readSession(r) != nil}
	if c.oidc != nil {
		v.Issuer = c.oidc.Issuer
	}
	return v
}

// signinPage offers to sign in with a token from `bpo token` (the console
// mints nothing) or, when one is configured, with the identity provider.
func (c *console) signinPage(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, c.readSession(r), http.StatusOK, "signin", &view{Title: "Sign in", Body: c.signinView(r)})
}

// signin takes a pasted token: the API is asked a cheap question with it,
// and only a token the API accepts becomes the session.
func (c *console) signin(w http.ResponseWriter, r *http.Request) {
	token := strings.TrimSpace(r.PostFormValue("token"))
	token = strings.TrimSpace(strings.TrimPrefix(token, "Bearer "))
	v := &view{Title: "Sign in", Body: c.signinView(r)}
	if token == "" {
		v.Errors = []*apiError{{HTTPStatus: http.StatusBadRequest, Message: "paste a token first (bpo token prints one)"}}
		c.render(w, r, nil, http.StatusBadRequest, "signin", v)
		return
	}
	if strings.ContainsAny(token, " \t\r\n") {
		v.Errors = []*apiError{{HTTPStatus: http.StatusBadRequest, Message: "that is not a token: a token is one line without spaces, as bpo token prints it"}}
		c.render(w, r, nil, http.StatusBadRequest, "signin", v)
		return
	}
	if e := fitsCookie(token); e != nil {
		v.Errors = []*apiError{e}
		c.render(w, r, nil, e.HTTPStatus, "signin", v)
		return
	}
	if err := c.check(r, token); err != nil {
		v.Errors = []*apiError{err}
		c.render(w, r, nil, err.HTTPStatus, "signin", v)
		return
	}
	c.setSession(w, r, c.parseSession(token), time.Time{})
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}

// check asks the API whether it takes token: a one-item page of the
// sourcing events, which every role may list (a provider user its own).
// A refusal is the API's, as it words it.
func (c *console) check(r *http.Request, token string) *apiError {
	var out catalogv1.ListSourcingEventsResponse
	return asAPIError(c.api.get(r.Context(), token, "/v1/sourcingEvents", url.Values{"pageSize": {"1"}}, &out))
}

// signout ends the session: the cookie goes. (The token itself stays
// valid until it expires; the console cannot revoke it.)
func (c *console) signout(w http.ResponseWriter, r *http.Request) {
	clearSession(w, r)
	http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
}

// maxTokenBytes is the longest token the session cookie can hold: browsers
// keep cookies of up to 4096 bytes, name and attributes included.
const maxTokenBytes = 3800

// fitsCookie refuses a token too long to be the session cookie, which the
// browser would drop without a word.
func fitsCookie(token string) *apiError {
	if len(token) <= maxTokenBytes {
		return nil
	}
	return &apiError{HTTPStatus: http.StatusBadRequest, Message: fmt.Sprintf(
		"the token is %d bytes long, more than the %d a browser keeps in a cookie: use a token with fewer claims "+
			"(an identity provider can leave groups and unused roles out of its access tokens)", len(token), maxTokenBytes)}
}
