package console

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/acme/bpo/kit/auth"
)

// sessionCookie holds the signed-in user's token: the session is the
// token. HttpOnly (no script reads it), SameSite=Strict (no other site's
// page sends it), Path=/console/ (the API's own paths never see it), and
// Secure when the console is reached over TLS.
const sessionCookie = "bpo_console"

// session is the signed-in user: the token, which every API call carries,
// and what the console reads from it for display — who is signed in, and
// which buttons to offer. Those claims are read without checking the
// signature: the API checked it at sign-in and checks it again on every
// call, and a button offered to the wrong role only earns the API's
// refusal. Nothing is authorised here.
type session struct {
	token    string
	subject  string
	roles    []auth.Role
	provider string
	expires  time.Time // zero when the token says nothing
}

// has reports whether the token names one of roles.
func (s *session) has(roles ...auth.Role) bool {
	for _, r := range roles {
		if slices.Contains(s.roles, r) || slices.Contains(s.roles, auth.Admin) {
			return true
		}
	}
	return false
}

// csrf is the anti-forgery value of the session's forms.
func (s *session) csrf() string { return csrfToken(s.token) }

// readSession returns the session of r's cookie, or nil.
func (c *console) readSession(r *http.Request) *session {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return nil
	}
	return c.parseSession(ck.Value)
}

// parseSession reads the claims of token for display (see session).
func (c *console) parseSession(token string) *session {
	s := &session{token: token}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return s
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return s
	}
	var claims map[string]any
	if json.Unmarshal(payload, &claims) != nil {
		return s
	}
	s.subject, _ = claims["sub"].(string)
	s.provider, _ = claims["provider"].(string)
	if exp, ok := claims["exp"].(float64); ok {
		s.expires = time.Unix(int64(exp), 0)
	}
	// The roles claim, its path's names joined by dots, as the API reads
	// it (--jwt-roles-claim); names that are not bpo roles are skipped.
	var at any = claims
	for _, k := range strings.Split(c.rolesClaim, ".") {
		m, _ := at.(map[string]any)
		at = m[k]
	}
	list, _ := at.([]any)
	for _, v := range list {
		if name, ok := v.(string); ok && auth.Role(name).Valid() {
			s.roles = append(s.roles, auth.Role(name))
		}
	}
	return s
}

// setSession answers r with the session cookie for token, living no longer
// than the token (nor than notAfter, when set).
func (c *console) setSession(w http.ResponseWriter, r *http.Request, s *session, notAfter time.Time) {
	ck := &http.Cookie{
		Name:     sessionCookie,
		Value:    s.token,
		Path:     "/console/",
		HttpOnly: true,
		Secure:   overTLS(r),
		SameSite: http.SameSiteStrictMode,
	}
	until := s.expires
	if !notAfter.IsZero() && (until.IsZero() || notAfter.Before(until)) {
		until = notAfter
	}
	if !until.IsZero() {
		ck.Expires = until
		ck.MaxAge = max(1, int(until.Sub(c.now()).Seconds()))
	}
	http.SetCookie(w, ck)
}

// clearSession removes the session cookie.
func clearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/console/", MaxAge: -1,
		HttpOnly: true, Secure: overTLS(r), SameSite: http.SameSiteStrictMode,
	})
}

// overTLS reports whether the browser reached the console over TLS: on a
// TLS listener, or through a proxy that ended TLS and says so. The header
// can only add Secure to a cookie, never take it away.
func overTLS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// csrfKey separates the anti-forgery values from any other use of a hash
// of the token.
var csrfKey = []byte("bpo console csrf v1")

// csrfToken is the hidden `csrf` field of a session's forms: HMAC-SHA256
// of the session's token. Only a page that had the session can hold it —
// the token is in an HttpOnly cookie and never in a URL or a page, and the
// hash does not give it back. It depends on the token alone, not on a key
// of the process, so a form served by one gateway replica is accepted by
// another, and after a restart.
func csrfToken(token string) string {
	m := hmac.New(sha256.New, csrfKey)
	m.Write([]byte(token))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// validCSRF reports whether got is the session's anti-forgery value.
func validCSRF(s *session, got string) bool {
	return s != nil && got != "" && hmac.Equal([]byte(got), []byte(s.csrf()))
}
