package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// OIDC is an OpenID Connect identity provider the console signs users in
// with: the authorization-code flow with PKCE (S256). The access token it
// gives becomes the session, as a pasted token would: the API verifies it
// on every call with its own keys (--jwks-url), so the identity provider
// must issue access tokens the API takes (issuer, audience, roles claim).
type OIDC struct {
	// Issuer is the identity provider's issuer URL, as the sign-in page
	// names it.
	Issuer string

	config   oauth2.Config
	verifier *oidc.IDTokenVerifier
	client   *http.Client
}

// OIDCConfig is what DiscoverOIDC needs.
type OIDCConfig struct {
	// Issuer is the identity provider's issuer URL; its discovery
	// document is at Issuer + /.well-known/openid-configuration.
	Issuer string
	// ClientID is the console's client at the identity provider;
	// ClientSecret is empty for a public client.
	ClientID, ClientSecret string
	// RedirectURL is the console's callback as the identity provider
	// knows it: https://HOST/console/oidc/callback.
	RedirectURL string
	// Client fetches the discovery document and the keys and exchanges
	// codes; http.DefaultClient when nil.
	Client *http.Client
}

// DiscoverOIDC reads the identity provider's discovery document; it fails
// when the provider does not answer, or answers for another issuer.
func DiscoverOIDC(ctx context.Context, cfg OIDCConfig) (*OIDC, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("OpenID Connect needs an issuer, a client id and a redirect URL")
	}
	client := cfg.Client
	if client == nil {
		client = http.DefaultClient
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, client), cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("OpenID Connect discovery of %s: %w", cfg.Issuer, err)
	}
	return &OIDC{
		Issuer: cfg.Issuer,
		config: oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
			Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID},
		},
		verifier: p.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
		client:   client,
	}, nil
}

// flowCookie keeps a sign-in's state, nonce and PKCE verifier between the
// redirect to the identity provider and its redirect back: HttpOnly, on
// the callback's path, for ten minutes. SameSite=Lax, not Strict: the
// identity provider's redirect back is a navigation from another site,
// with which a Strict cookie is not sent.
const flowCookie = "bpo_console_oidc"

const flowLifetime = 10 * time.Minute

type flow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Expires  int64  `json:"e"`
}

// oidcStart sends the browser to the identity provider.
func (c *console) oidcStart(w http.ResponseWriter, r *http.Request) {
	if c.oidc == nil {
		c.notFound(w, r)
		return
	}
	f := flow{State: randomString(), Nonce: randomString(), Verifier: oauth2.GenerateVerifier(), Expires: c.now().Add(flowLifetime).Unix()}
	b, _ := json.Marshal(f)
	http.SetCookie(w, &http.Cookie{
		Name: flowCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: "/console/oidc/",
		MaxAge: int(flowLifetime.Seconds()), HttpOnly: true, Secure: overTLS(r), SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, c.oidc.config.AuthCodeURL(f.State, oauth2.S256ChallengeOption(f.Verifier), oidc.Nonce(f.Nonce)), http.StatusSeeOther)
}

// oidcCallback takes the identity provider's answer: the state must be
// the one this browser was sent with, the code is exchanged with the PKCE
// verifier, the ID token must carry the nonce, and the access token must
// be one the API takes. Then it is the session.
func (c *console) oidcCallback(w http.ResponseWriter, r *http.Request) {
	if c.oidc == nil {
		c.notFound(w, r)
		return
	}
	// One use only, whatever happens.
	http.SetCookie(w, &http.Cookie{Name: flowCookie, Value: "", Path: "/console/oidc/", MaxAge: -1, HttpOnly: true, Secure: overTLS(r), SameSite: http.SameSiteLaxMode})
	fail := func(status int, msg string) {
		v := &view{Title: "Sign in", Body: c.signinView(r)}
		v.Errors = []*apiError{{HTTPStatus: status, Message: msg}}
		c.render(w, r, nil, status, "signin", v)
	}
	f, ok := c.readFlow(r)
	if !ok {
		fail(http.StatusBadRequest, "this sign-in was not started in this browser, or took longer than 10 minutes: sign in again")
		return
	}
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1 {
		fail(http.StatusBadRequest, "the identity provider's answer is not for the sign-in this browser started (its state does not match): sign in again")
		return
	}
	if e := q.Get("error"); e != "" {
		fail(http.StatusUnauthorized, "the identity provider refused the sign-in: "+e+" "+q.Get("error_description"))
		return
	}
	code := q.Get("code")
	if code == "" {
		fail(http.StatusBadRequest, "the identity provider's answer holds no code: sign in again")
		return
	}
	ctx := context.WithValue(r.Context(), oauth2.HTTPClient, c.oidc.client)
	tok, err := c.oidc.config.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		fail(http.StatusBadGateway, "the identity provider did not exchange the code: "+exchangeError(err))
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		fail(http.StatusBadGateway, "the identity provider's answer holds no ID token")
		return
	}
	idt, err := c.oidc.verifier.Verify(oidc.ClientContext(r.Context(), c.oidc.client), raw)
	if err != nil {
		fail(http.StatusBadGateway, "the identity provider's ID token does not verify: "+err.Error())
		return
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		fail(http.StatusBadRequest, "the ID token is not for the sign-in this browser started (its nonce does not match): sign in again")
		return
	}
	if e := fitsCookie(tok.AccessToken); e != nil {
		fail(e.HTTPStatus, e.Message)
		return
	}
	if apiErr := c.check(r, tok.AccessToken); apiErr != nil {
		v := &view{Title: "Sign in", Body: c.signinView(r), Errors: []*apiError{apiErr}}
		c.render(w, r, nil, apiErr.HTTPStatus, "signin", v)
		return
	}
	c.setSession(w, r, c.parseSession(tok.AccessToken), tok.Expiry)
	// A page rather than a redirect: after the identity provider's
	// cross-site redirect, the browser would not send the new SameSite=
	// Strict cookie along a redirect; it does from this page on.
	c.render(w, r, nil, http.StatusOK, "signedin", &view{Title: "Signed in", Refresh: "/console/"})
}

// readFlow is the flow cookie of r, if it is there and not expired.
func (c *console) readFlow(r *http.Request) (flow, bool) {
	var f flow
	ck, err := r.Cookie(flowCookie)
	if err != nil {
		return f, false
	}
	b, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil || json.Unmarshal(b, &f) != nil || f.State == "" || f.Verifier == "" {
		return f, false
	}
	return f, c.now().Unix() < f.Expires
}

// exchangeError is a failed code exchange as the identity provider
// worded it.
func exchangeError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.ErrorCode != "" {
		return re.ErrorCode + " " + re.ErrorDescription
	}
	return err.Error()
}

// randomString is 32 random bytes, base64url.
func randomString() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
