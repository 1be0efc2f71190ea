package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// certificate is a self-signed certificate for 127.0.0.1 and localhost,
// its own CA, written to files as --tls-cert-file and --tls-key-file want.
type certificate struct {
	certFile, keyFile string
	pool              *x509.CertPool // trusts it
	der               []byte
}

func newCertificate(t *testing.T, dir, name string) certificate {
	t.Helper()
	c := certificate{certFile: filepath.Join(dir, name+".crt"), keyFile: filepath.Join(dir, name+".key")}
	c.write(t)
	return c
}

// write makes a new key and certificate and writes them over the files.
func (c *certificate) write(t *testing.T) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "bpo test " + serial.String()},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	c.der, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(c.der)
	if err != nil {
		t.Fatal(err)
	}
	c.pool = x509.NewCertPool()
	c.pool.AddCert(cert)
}

// running is a `bpo serve` of the test, stopped at the end of it.
type running struct {
	done chan error
}

// startServe runs serve with args until the test ends. The token and TLS
// flags not given are set empty, whatever the environment says.
func startServe(t *testing.T, args ...string) *running {
	t.Helper()
	for _, f := range []string{"--db", "--jwt-secret-file", "--jwks-file", "--jwks-url", "--tls-cert-file", "--tls-key-file", "--tls-ca-file", "--metrics-addr"} {
		if !containsArg(args, f) {
			args = append(args, f, "")
		}
	}
	ctx, stop := context.WithCancel(context.Background())
	r := &running{done: make(chan error, 1)}
	go func() { r.done <- serve(ctx, append(args, "--log-format", "json", "--drain-timeout", "2s")) }()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-r.done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	})
	return r
}

func containsArg(args []string, flag string) bool {
	for _, a := range args {
		if a == flag || strings.HasPrefix(a, flag+"=") {
			return true
		}
	}
	return false
}

// waitFor retries ready until it holds, failing the test if serve returned.
func (r *running) waitFor(t *testing.T, what string, ready func() bool) {
	t.Helper()
	for range 500 {
		if ready() {
			return
		}
		select {
		case err := <-r.done:
			r.done <- err
			t.Fatalf("serve returned before %s: %v", what, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("%s: not after 10 s", what)
}

func httpsClient(pool *x509.CertPool) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func restGet(t *testing.T, c *http.Client, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func localToken(t *testing.T, dataDir string, role auth.Role) string {
	t.Helper()
	key, err := auth.LoadOrCreateLocalKey(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := auth.NewSigner(key).Mint("tess", []auth.Role{role}, "", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func grpcHealth(addr string, creds credentials.TransportCredentials) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err == nil && resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		err = fmt.Errorf("health %s", resp.GetStatus())
	}
	return err
}

func TestServeOverTLS(t *testing.T) {
	dir := t.TempDir()
	cert := newCertificate(t, dir, "server")
	grpcAddr, httpAddr := freeAddr(t), freeAddr(t)
	r := startServe(t, "--data-dir", dir, "--grpc-addr", grpcAddr, "--http-addr", httpAddr,
		"--tls-cert-file", cert.certFile, "--tls-key-file", cert.keyFile)
	trusting := httpsClient(cert.pool)
	r.waitFor(t, "REST over https", func() bool {
		code, _ := restGet(t, trusting, "https://"+httpAddr+"/healthz", "")
		return code == http.StatusOK
	})
	sm := localToken(t, dir, auth.SourcingManager)

	t.Run("gRPC over TLS answers a client trusting the certificate", func(t *testing.T) {
		if err := grpcHealth(grpcAddr, credentials.NewTLS(&tls.Config{RootCAs: cert.pool})); err != nil {
			t.Fatalf("health over TLS: %v", err)
		}
		conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: cert.pool})))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+sm)
		if _, err := catalogv1.NewCatalogServiceClient(conn).ListProviders(ctx, &catalogv1.ListProvidersRequest{}); err != nil {
			t.Fatalf("ListProviders over TLS: %v", err)
		}
	})

	t.Run("plaintext gRPC is refused", func(t *testing.T) {
		err := grpcHealth(grpcAddr, insecure.NewCredentials())
		if status.Code(err) != codes.Unavailable {
			t.Fatalf("health in plaintext: %v; want UNAVAILABLE (no connection)", err)
		}
	})

	t.Run("a client that does not trust the certificate is refused", func(t *testing.T) {
		err := grpcHealth(grpcAddr, credentials.NewTLS(&tls.Config{})) // the system's roots
		if status.Code(err) != codes.Unavailable {
			t.Fatalf("health trusting only the system's roots: %v; want UNAVAILABLE", err)
		}
	})

	t.Run("REST over https reaches every service through the gateway", func(t *testing.T) {
		if code, body := restGet(t, trusting, "https://"+httpAddr+"/v1/providers", sm); code != http.StatusOK {
			t.Fatalf("GET /v1/providers: %d %s; want 200", code, body)
		}
		// The lifecycle view calls the catalog, which answers that there
		// is no such engagement: both connections of the process to its
		// own TLS listener work.
		gm := localToken(t, dir, auth.GovernanceManager)
		if code, body := restGet(t, trusting, "https://"+httpAddr+"/v1/engagements/E1/lifecycle", gm); code != http.StatusNotFound {
			t.Fatalf("GET the lifecycle of an engagement that does not exist: %d %s; want 404", code, body)
		}
		if code, body := restGet(t, trusting, "https://"+httpAddr+"/readyz", ""); code != http.StatusOK {
			t.Fatalf("GET /readyz: %d %s; want 200 (every service SERVING over TLS)", code, body)
		}
	})

	t.Run("plain http to the REST listener is refused", func(t *testing.T) {
		code, body := restGet(t, &http.Client{Timeout: 5 * time.Second}, "http://"+httpAddr+"/v1/providers", sm)
		if code == http.StatusOK {
			t.Fatalf("GET over plain http: %d %s; want it refused", code, body)
		}
	})

	t.Run("a renewed certificate is served without a restart", func(t *testing.T) {
		cert.write(t)
		// A distinct modification time, however coarse the file system's
		// clock, and only once both files are complete.
		later := time.Now().Add(time.Hour)
		for _, f := range []string{cert.certFile, cert.keyFile} {
			if err := os.Chtimes(f, later, later); err != nil {
				t.Fatal(err)
			}
		}
		conn, err := tls.Dial("tcp", httpAddr, &tls.Config{RootCAs: cert.pool})
		if err != nil {
			t.Fatalf("TLS to the REST listener trusting only the new certificate: %v", err)
		}
		conn.Close()
		if code, body := restGet(t, httpsClient(cert.pool), "https://"+httpAddr+"/v1/providers", sm); code != http.StatusOK {
			t.Fatalf("GET /v1/providers after the renewal: %d %s; want 200", code, body)
		}
	})
}

// TestServeServicesOverTLSInOtherProcesses: a gateway reaches a service
// that speaks TLS when it trusts the service's CA, and answers 503 naming
// the service otherwise.
func TestServeServicesOverTLSInOtherProcesses(t *testing.T) {
	dir := t.TempDir()
	cert := newCertificate(t, dir, "catalog")
	catalogAddr := freeAddr(t)
	catalog := startServe(t, "--service", "catalog", "--data-dir", dir, "--grpc-addr", catalogAddr,
		"--tls-cert-file", cert.certFile, "--tls-key-file", cert.keyFile)
	catalog.waitFor(t, "the catalog over TLS", func() bool {
		return grpcHealth(catalogAddr, credentials.NewTLS(&tls.Config{RootCAs: cert.pool})) == nil
	})
	sm := localToken(t, dir, auth.SourcingManager)
	own := newCertificate(t, dir, "gateway")

	tests := []struct {
		name   string
		flags  []string
		scheme string
		want   int
	}{
		{"a gateway given the services' CA", []string{"--tls-ca-file", cert.certFile}, "http", http.StatusOK},
		{"a gateway with a certificate of its own and the services' CA", []string{"--tls-ca-file", cert.certFile, "--tls-cert-file", own.certFile, "--tls-key-file", own.keyFile}, "https", http.StatusOK},
		{"a gateway dialling in plaintext", nil, "http", http.StatusServiceUnavailable},
		{"a gateway with a certificate of its own, trusting the system's roots", []string{"--tls-cert-file", own.certFile, "--tls-key-file", own.keyFile}, "https", http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			httpAddr := freeAddr(t)
			args := append([]string{"--service", "gateway", "--data-dir", dir, "--http-addr", httpAddr, "--grpc-addr", catalogAddr,
				"--catalog-addr", catalogAddr}, tt.flags...)
			gw := startServe(t, args...)
			client := httpsClient(own.pool)
			base := tt.scheme + "://" + httpAddr
			gw.waitFor(t, "the gateway", func() bool { code, _ := restGet(t, client, base+"/healthz", ""); return code == http.StatusOK })
			code, body := restGet(t, client, base+"/v1/providers", sm)
			if code != tt.want {
				t.Fatalf("GET /v1/providers: %d %s; want %d", code, body, tt.want)
			}
			if code == http.StatusServiceUnavailable && !strings.Contains(body, "catalog") {
				t.Errorf("503 body %s does not name the catalog", body)
			}
		})
	}
}

// TestServeAcceptsTokensOfAnIdentityProvider: with --jwks-url the services
// accept the provider's RS256 access tokens, with the roles where
// --jwt-roles-claim says, and no longer the local key's.
func TestServeAcceptsTokensOfAnIdentityProvider(t *testing.T) {
	dir := t.TempDir()
	cert := newCertificate(t, dir, "idp")
	signer := newKeycloak(t, cert)
	grpcAddr := freeAddr(t)

	t.Run("a JWKS URL whose certificate is not trusted stops the start", func(t *testing.T) {
		err := serve(t.Context(), []string{"--service", "catalog", "--data-dir", dir, "--db", "", "--grpc-addr", grpcAddr,
			"--jwks-url", signer.jwksURL, "--jwt-issuer", signer.issuer, "--tls-ca-file", "", "--tls-cert-file", "", "--tls-key-file", ""})
		if err == nil || !strings.Contains(err.Error(), "JWKS") {
			t.Fatalf("serve: %v; want an error about the JWKS", err)
		}
	})

	r := startServe(t, "--service", "catalog", "--data-dir", dir, "--grpc-addr", grpcAddr,
		"--jwks-url", signer.jwksURL, "--jwt-issuer", signer.issuer, "--jwt-roles-claim", "realm_access.roles",
		"--tls-ca-file", cert.certFile)
	r.waitFor(t, "the catalog", func() bool { return grpcHealth(grpcAddr, insecure.NewCredentials()) == nil })
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	list := func(token string) error {
		ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+token)
		_, err := catalogv1.NewCatalogServiceClient(conn).ListProviders(ctx, &catalogv1.ListProvidersRequest{})
		return err
	}
	if err := list(signer.token(t, "sourcing_manager")); err != nil {
		t.Errorf("ListProviders with the identity provider's token: %v", err)
	}
	if err := list(signer.token(t, "offline_access")); status.Code(err) != codes.PermissionDenied {
		t.Errorf("ListProviders with only Keycloak's own roles: %v; want PERMISSION_DENIED", err)
	}
	if err := list(localToken(t, dir, auth.SourcingManager)); status.Code(err) != codes.Unauthenticated {
		t.Errorf("ListProviders with a token of the local key: %v; want UNAUTHENTICATED", err)
	}
}

// keycloak serves an ES256 key set over https and signs access tokens
// shaped like Keycloak's.
type keycloak struct {
	issuer, jwksURL string
	key             *ecdsa.PrivateKey
}

func newKeycloak(t *testing.T, cert certificate) *keycloak {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	point, err := key.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := json.Marshal(map[string]any{"keys": []any{map[string]any{
		"kid": "k1", "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig",
		"x": base64.RawURLEncoding.EncodeToString(point[1:33]), "y": base64.RawURLEncoding.EncodeToString(point[33:]),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(cert.certFile, cert.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(jwks)
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(func() { _ = srv.Close() })
	issuer := "https://" + lis.Addr().String() + "/realms/bpo"
	return &keycloak{issuer: issuer, jwksURL: issuer + "/protocol/openid-connect/certs", key: key}
}

func (k *keycloak) token(t *testing.T, realmRoles ...string) string {
	t.Helper()
	roles := []any{"default-roles-bpo"}
	for _, r := range realmRoles {
		roles = append(roles, r)
	}
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": k.issuer, "aud": []any{"bpo", "account"}, "sub": "0b5e7a6e-1d2c-4f00-9a8b-000000000002",
		"typ": "Bearer", "azp": "bpo-web", "exp": now.Add(5 * time.Minute).Unix(), "iat": now.Unix(),
		"realm_access": map[string]any{"roles": roles},
	})
	tok.Header["kid"] = "k1"
	s, err := tok.SignedString(k.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
