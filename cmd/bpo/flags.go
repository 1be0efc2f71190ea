package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/keyfile"
	"go.uber.org/zap"
)

// envDefaults sets every flag not given on the command line from its
// BPO_<FLAG> environment variable (--data-dir ← BPO_DATA_DIR).
func envDefaults(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		key := "BPO_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(key); ok {
			if serr := fs.Set(f.Name, v); serr != nil {
				err = fmt.Errorf("%s (for --%s): %w", key, f.Name, serr)
			}
		}
	})
	return err
}

// tokenFlags say which tokens `bpo serve` accepts.
type tokenFlags struct {
	secretFile string
	jwksFile   string
	jwksURL    string
	issuer     string
	audience   string
	rolesClaim string
}

func (t *tokenFlags) flags(fs *flag.FlagSet) {
	fs.StringVar(&t.secretFile, "jwt-secret-file", "", "file holding the hex HS256 secret (default: the local key in --data-dir, created on first run)")
	fs.StringVar(&t.jwksFile, "jwks-file", "", "JWKS file with the RS256/ES256 keys that sign tokens (instead of HS256)")
	fs.StringVar(&t.jwksURL, "jwks-url", "", "an identity provider's JWKS URL: RS256/ES256 tokens signed by its keys, fetched again as they rotate (instead of HS256)")
	fs.StringVar(&t.issuer, "jwt-issuer", auth.Issuer, "the iss every token must carry (Keycloak: https://HOST/realms/REALM)")
	fs.StringVar(&t.audience, "jwt-audience", auth.Audience, "a value every token's aud must hold")
	fs.StringVar(&t.rolesClaim, "jwt-roles-claim", "roles", "the claim holding the roles, names joined by dots (Keycloak: realm_access.roles or resource_access.CLIENT.roles)")
}

func (t *tokenFlags) check() error {
	var given []string
	for _, f := range []struct{ name, value string }{{"--jwt-secret-file", t.secretFile}, {"--jwks-file", t.jwksFile}, {"--jwks-url", t.jwksURL}} {
		if f.value != "" {
			given = append(given, f.name)
		}
	}
	if len(given) > 1 {
		return fmt.Errorf("%s: give one source of token keys", strings.Join(given, " and "))
	}
	// The verifier is made once the flags are taken; a bad issuer,
	// audience or roles claim is a flag error all the same.
	if _, err := auth.NewHMACVerifier(make([]byte, 32), t.options()...); err != nil {
		return fmt.Errorf("--jwt-issuer, --jwt-audience, --jwt-roles-claim: %w", err)
	}
	return nil
}

// checkShared refuses to start a process of a distributed deployment
// (told where its peers are, or one service alone on a shared database)
// that has no token key and would create its own in dataDir: tokens
// minted for the others would be refused here, a 401 deep inside a
// user's work. A key already in dataDir is used as it is.
func (t *tokenFlags) checkShared(service string, peers, sharedDB bool, dataDir string) error {
	if t.secretFile != "" || t.jwksFile != "" || t.jwksURL != "" || (!peers && (service == "all" || !sharedDB)) {
		return nil
	}
	path := filepath.Join(dataDir, auth.LocalKeyFile)
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	why := "is told where the other services are"
	if !peers {
		why = "runs alone on a shared database"
	}
	return fmt.Errorf("--service %s %s but has no token key: it would create its own (%s) and refuse the tokens the other processes accept. "+
		"Share one key: create it once (openssl rand -hex 32 > jwt.key) and give the same file to every process — "+
		"--jwt-secret-file jwt.key (or BPO_JWT_SECRET_FILE) for every bpo serve, bpo token and bpo demo; "+
		"or --jwks-file / --jwks-url for an identity provider's keys", service, why, path)
}

// secretKey is the HS256 key of --jwt-secret-file, for the commands that
// sign tokens (token, demo).
func secretKey(file string) ([]byte, error) {
	return keyfile.Secret{What: "the --jwt-secret-file key", Remedy: "give the hex HS256 secret the servers verify tokens with"}.ReadHex(file)
}

func (t *tokenFlags) options() []auth.Option {
	return []auth.Option{auth.WithIssuer(t.issuer), auth.WithAudience(t.audience), auth.WithRolesClaim(t.rolesClaim)}
}

// verifier checks tokens as the flags say; the keys of --jwks-url are
// fetched with client until ctx is done.
func (t *tokenFlags) verifier(ctx context.Context, log *zap.Logger, dataDir string, client *http.Client) (*auth.Verifier, error) {
	switch {
	case t.jwksURL != "":
		return auth.NewRemoteJWKSVerifier(ctx, auth.RemoteJWKS{
			URL:    t.jwksURL,
			Client: client,
			OnError: func(err error) {
				log.Warn("JWKS fetch failed; the keys fetched before stay in use", zap.String("url", t.jwksURL), zap.Error(err))
			},
		}, t.options()...)
	case t.jwksFile != "":
		b, err := os.ReadFile(t.jwksFile)
		if err != nil {
			return nil, err
		}
		return auth.NewJWKSVerifier(b, t.options()...)
	case t.secretFile != "":
		key, err := keyfile.Secret{What: "the --jwt-secret-file key", Remedy: "give the hex HS256 secret the tokens are signed with"}.ReadHex(t.secretFile)
		if err != nil {
			return nil, err
		}
		return auth.NewHMACVerifier(key, t.options()...)
	default:
		key, err := auth.LoadOrCreateLocalKey(dataDir)
		if err != nil {
			return nil, fmt.Errorf("local key: %w", err)
		}
		return auth.NewHMACVerifier(key, t.options()...)
	}
}

// tlsFlags say whether the process speaks TLS; load makes them the TLS of
// the process: what its listeners present and how it dials.
//
// With a certificate every listener speaks TLS only. Connections to other
// services use TLS when the process has a certificate or a CA file: the
// services of one deployment speak TLS all or none, and a process without
// a certificate of its own (a gateway behind an ingress that ends TLS)
// says with --tls-ca-file that they do.
type tlsFlags struct {
	certFile, keyFile, caFile string

	cert  *keyPair       // nil: plaintext listeners
	roots *x509.CertPool // for other services; nil: the system's
	// jwksRoots are the system's roots and --tls-ca-file's: an identity
	// provider often has a public certificate where the services have
	// the deployment's own.
	jwksRoots *x509.CertPool
}

func (f *tlsFlags) flags(fs *flag.FlagSet) {
	fs.StringVar(&f.certFile, "tls-cert-file", "", "PEM certificate (chain) to serve gRPC and REST over TLS only (default: plaintext); re-read when it changes")
	fs.StringVar(&f.keyFile, "tls-key-file", "", "PEM private key of --tls-cert-file")
	fs.StringVar(&f.caFile, "tls-ca-file", "", "PEM CA certificates that sign the other services' certificates: dial them over TLS, trusting only these (default with --tls-cert-file: the system's roots)")
}

func (f *tlsFlags) check() error {
	if (f.certFile == "") != (f.keyFile == "") {
		return errors.New("--tls-cert-file and --tls-key-file go together")
	}
	return nil
}

func (f *tlsFlags) load(log *zap.Logger) error {
	if f.certFile != "" {
		f.cert = &keyPair{certFile: f.certFile, keyFile: f.keyFile, onError: func(err error) {
			log.Error("TLS certificate not reloaded; serving the one loaded before", zap.Error(err))
		}}
		if _, err := f.cert.get(); err != nil {
			return fmt.Errorf("--tls-cert-file/--tls-key-file: %w", err)
		}
	}
	if f.caFile == "" {
		return nil
	}
	pem, err := os.ReadFile(f.caFile)
	if err != nil {
		return fmt.Errorf("--tls-ca-file: %w", err)
	}
	f.roots = x509.NewCertPool()
	if !f.roots.AppendCertsFromPEM(pem) {
		return fmt.Errorf("--tls-ca-file %s holds no PEM certificate", f.caFile)
	}
	if f.jwksRoots, err = x509.SystemCertPool(); err != nil {
		f.jwksRoots = x509.NewCertPool()
	}
	f.jwksRoots.AppendCertsFromPEM(pem)
	return nil
}

// listen listens on addr, over TLS when the process has a certificate,
// offering the application protocols protos (ALPN; gRPC needs h2).
func (f *tlsFlags) listen(addr string, protos ...string) (net.Listener, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil || f.cert == nil {
		return lis, err
	}
	return tls.NewListener(lis, &tls.Config{
		MinVersion:     tls.VersionTLS12,
		NextProtos:     protos,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return f.cert.get() },
	}), nil
}

// dial is the TLS of a connection to the process's own gRPC listener (own)
// or another service's; nil is plaintext.
func (f *tlsFlags) dial(own bool) *tls.Config {
	switch {
	case own && f.cert == nil:
		return nil
	case own:
		return &tls.Config{
			MinVersion: tls.VersionTLS12,
			// --grpc-addr (":9090", "localhost:9090") seldom names what
			// the certificate names, so the name is not checked: the
			// listener must present exactly this process's certificate,
			// which only the holder of its key can.
			InsecureSkipVerify: true, //nolint:gosec // VerifyConnection checks the certificate
			VerifyConnection: func(cs tls.ConnectionState) error {
				mine, err := f.cert.get()
				if err != nil {
					return err
				}
				if len(cs.PeerCertificates) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, mine.Certificate[0]) {
					return errors.New("the process's own listener presented another certificate")
				}
				return nil
			},
		}
	case f.cert == nil && f.roots == nil:
		return nil
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: f.roots}
}

// jwksClient fetches the identity provider's keys.
func (f *tlsFlags) jwksClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if f.jwksRoots != nil {
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: f.jwksRoots}
	}
	return &http.Client{Transport: tr}
}

// keyPair is a certificate and key read from files, read again when either
// file changes, so that a renewed certificate is served without a restart.
type keyPair struct {
	certFile, keyFile string
	onError           func(error)

	mu      sync.Mutex
	current *tls.Certificate
	stamp   [2]time.Time // the files' modification times when last read
}

func (k *keyPair) get() (*tls.Certificate, error) {
	var stamp [2]time.Time
	for i, name := range []string{k.certFile, k.keyFile} {
		if fi, err := os.Stat(name); err == nil {
			stamp[i] = fi.ModTime()
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.current != nil && stamp == k.stamp {
		return k.current, nil
	}
	c, err := tls.LoadX509KeyPair(k.certFile, k.keyFile)
	if err != nil && k.current == nil {
		return nil, err
	}
	// Even when the new pair does not load (its two files written one
	// after the other, say), it is not tried again until a file changes.
	k.stamp = stamp
	if err != nil {
		k.onError(err)
		return k.current, nil
	}
	k.current = &c
	return k.current, nil
}
