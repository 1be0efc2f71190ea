package auth

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"golang.org/x/time/rate"
)

// RemoteJWKS is the key set an identity provider publishes at a URL
// (Keycloak: https://HOST/realms/REALM/protocol/openid-connect/certs).
type RemoteJWKS struct {
	URL string
	// Client fetches the set; nil is http.DefaultClient.
	Client *http.Client
	// Refresh is how often the set is fetched again, so that a key the
	// provider removed stops verifying tokens; 0 is DefaultJWKSRefresh.
	Refresh time.Duration
	// UnknownKeyRefresh is the least time between the fetches that tokens
	// signed with a key the verifier does not know (the provider rotated
	// its keys) ask for; 0 is DefaultUnknownKeyRefresh. Tokens with
	// made-up key ids cannot make the verifier fetch more often.
	UnknownKeyRefresh time.Duration
	// OnError hears of each failed fetch after the first; the verifier
	// keeps the keys it has.
	OnError func(error)
}

// Defaults of RemoteJWKS.
const (
	DefaultJWKSRefresh       = 15 * time.Minute
	DefaultUnknownKeyRefresh = 30 * time.Second
)

const (
	jwksFetchTimeout = 10 * time.Second
	// unknownKeyWait bounds how long a token with an unknown key id waits
	// for the set, the fetch included. A token arriving when the next
	// allowed fetch is further off is refused at once, not held.
	unknownKeyWait = 5 * time.Second
)

// NewRemoteJWKSVerifier verifies RS256 and ES256 tokens against the key set
// at src.URL, fetched now and kept fresh until ctx is done. A set that
// cannot be fetched now is an error: a server started without keys would
// look healthy and refuse every caller.
func NewRemoteJWKSVerifier(ctx context.Context, src RemoteJWKS, opts ...Option) (v *Verifier, err error) {
	if u, perr := url.Parse(src.URL); perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("JWKS URL %q: want an http(s) URL", src.URL)
	}
	refresh, unknown := src.Refresh, src.UnknownKeyRefresh
	if refresh <= 0 {
		refresh = DefaultJWKSRefresh
	}
	if unknown <= 0 {
		unknown = DefaultUnknownKeyRefresh
	}
	ctx, stop := context.WithCancel(ctx)
	defer func() {
		if err != nil {
			stop() // ends the refresh goroutine keyfunc has started
		}
	}()
	failOnFirst := false
	k, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{src.URL}, keyfunc.Override{
		Client:                    src.Client,
		HTTPTimeout:               jwksFetchTimeout,
		NoErrorReturnFirstHTTPReq: &failOnFirst,
		RateLimitWaitMax:          unknownKeyWait,
		RefreshErrorHandlerFunc: func(string) func(context.Context, error) {
			return func(_ context.Context, err error) {
				if src.OnError != nil {
					src.OnError(err)
				}
			}
		},
		RefreshInterval:   refresh,
		RefreshUnknownKID: rate.NewLimiter(rate.Every(unknown), 1),
	})
	if err != nil {
		return nil, fmt.Errorf("fetch the JWKS at %s: %w", src.URL, err)
	}
	return newVerifier(k.Keyfunc, asymmetric, true, opts)
}
