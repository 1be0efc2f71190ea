package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/acme/bpo/services/console"
	"go.uber.org/zap"
)

// consoleFlags configure the web console the gateway serves under
// /console/: sign-in with an OpenID Connect identity provider, besides
// the pasted token it always takes.
type consoleFlags struct {
	issuer, clientID, secretFile, redirectURL string
}

func (f *consoleFlags) flags(fs *flag.FlagSet) {
	fs.StringVar(&f.issuer, "oidc-issuer", "", "the console's OpenID Connect identity provider (its issuer URL): sign-in with the authorization-code flow and PKCE; the access tokens it issues must be ones the API takes (--jwks-url, --jwt-issuer, --jwt-audience)")
	fs.StringVar(&f.clientID, "oidc-client-id", "", "the console's client id at --oidc-issuer")
	fs.StringVar(&f.secretFile, "oidc-client-secret-file", "", "file holding the client secret at --oidc-issuer (none for a public client)")
	fs.StringVar(&f.redirectURL, "oidc-redirect-url", "", "the console's callback as the identity provider knows it: https://HOST/console/oidc/callback")
}

func (f *consoleFlags) check() error {
	if f.issuer == "" {
		if f.clientID != "" || f.secretFile != "" || f.redirectURL != "" {
			return errors.New("--oidc-client-id, --oidc-client-secret-file and --oidc-redirect-url go with --oidc-issuer")
		}
		return nil
	}
	if f.clientID == "" || f.redirectURL == "" {
		return errors.New("--oidc-issuer needs --oidc-client-id and --oidc-redirect-url")
	}
	u, err := url.Parse(f.redirectURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || !strings.HasSuffix(u.Path, "/console/oidc/callback") {
		return fmt.Errorf("--oidc-redirect-url %q: want the console's callback, https://HOST/console/oidc/callback", f.redirectURL)
	}
	return nil
}

// options are the console's options: the roles claim the API reads, and
// the identity provider, discovered now (no provider, no start — as with
// --jwks-url).
func (f *consoleFlags) options(ctx context.Context, log *zap.Logger, rolesClaim string, client *http.Client) ([]console.Option, error) {
	opts := []console.Option{console.WithLogger(log), console.WithRolesClaim(rolesClaim)}
	if f.issuer == "" {
		return opts, nil
	}
	secret := ""
	if f.secretFile != "" {
		b, err := os.ReadFile(f.secretFile)
		if err != nil {
			return nil, fmt.Errorf("--oidc-client-secret-file: %w", err)
		}
		if secret = strings.TrimSpace(string(b)); secret == "" {
			return nil, fmt.Errorf("--oidc-client-secret-file %s is empty: give the console's client secret at the identity provider", f.secretFile)
		}
	}
	p, err := console.DiscoverOIDC(ctx, console.OIDCConfig{
		Issuer: f.issuer, ClientID: f.clientID, ClientSecret: secret, RedirectURL: f.redirectURL, Client: client,
	})
	if err != nil {
		return nil, fmt.Errorf("--oidc-issuer: %w", err)
	}
	log.Info("console sign-in with OpenID Connect", zap.String("issuer", f.issuer), zap.String("client_id", f.clientID))
	return append(opts, console.WithOIDC(p)), nil
}
