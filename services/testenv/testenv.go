// Package testenv runs the four services — catalog, contract, transition
// and monitoring — in process for tests that cross services: one gRPC
// server on 127.0.0.1:0 built by kit/grpcserver exactly as `bpo serve`
// builds it (authentication, the merged policy, validation, error
// mapping), each service on its own fresh database, and the services
// calling one another through connections dialled with kit/downstream, as
// in `bpo serve`. No service is mocked. spec: conventions.md, "Tests".
//
// Tests get typed clients, tokens for any role, and stage helpers that walk
// an engagement through the real API up to a given step
// (AwardedEngagement, SignedContract; other services add theirs in their
// own file of this package).
package testenv

import (
	"context"
	"io/fs"
	"net"
	"strings"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/downstream"
	"github.com/acme/bpo/kit/grpcserver"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"github.com/acme/bpo/services/catalog"
	"github.com/acme/bpo/services/contract"
	"github.com/acme/bpo/services/monitoring"
	"github.com/acme/bpo/services/transition"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// key signs the tests' tokens and is the server's HS256 secret.
var key = []byte("bpo-testenv-hs256-key-32-bytes!!")

// Env is the four services serving on one loopback listener.
type Env struct {
	// Addr is the listener's address, 127.0.0.1:port.
	Addr string
	// Conn is a plain client connection to Addr (no token forwarding: each
	// call carries the token of the context it is made with).
	Conn *grpc.ClientConn

	Catalog    catalogv1.CatalogServiceClient
	Contract   contractv1.ContractServiceClient
	Transition transitionv1.TransitionServiceClient
	Monitoring monitoringv1.MonitoringServiceClient

	// DB holds each service's database by name ("catalog", "contract",
	// "transition", "monitoring"), for tests that must look underneath the
	// API (rarely: prefer the API).
	DB map[string]*sqlstore.DB

	signer *auth.Signer
}

// service is one service of the environment, as cmd/bpo/serve.go wires it.
type service struct {
	name       string
	migrations fs.FS
	policy     auth.Policy
	register   func(s *grpc.Server, db *sqlstore.DB, up *grpc.ClientConn)
}

// services mirrors cmd/bpo/serve.go: each gets its database and clients of
// the services it calls, all through the one upstream connection.
var services = []service{
	{"catalog", nil, catalog.Policy, func(s *grpc.Server, db *sqlstore.DB, _ *grpc.ClientConn) {
		catalogv1.RegisterCatalogServiceServer(s, catalog.New(db))
	}},
	{"contract", nil, contract.Policy, func(s *grpc.Server, db *sqlstore.DB, up *grpc.ClientConn) {
		contractv1.RegisterContractServiceServer(s, contract.New(db, catalogv1.NewCatalogServiceClient(up)))
	}},
	{"transition", nil, transition.Policy, func(s *grpc.Server, db *sqlstore.DB, up *grpc.ClientConn) {
		transitionv1.RegisterTransitionServiceServer(s, transition.New(db, contractv1.NewContractServiceClient(up)))
	}},
	{"monitoring", monitoring.Migrations(), monitoring.Policy, func(s *grpc.Server, db *sqlstore.DB, up *grpc.ClientConn) {
		monitoringv1.RegisterMonitoringServiceServer(s, monitoring.New(db, contractv1.NewContractServiceClient(up)))
	}},
}

// ForEachDialect runs test on a fresh environment once per dialect
// sqltest offers: SQLite, and PostgreSQL when BPO_TEST_POSTGRES_DSN is set.
func ForEachDialect(t *testing.T, test func(t *testing.T, e *Env)) {
	t.Helper()
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) { test(t, Start(t, dialect)) })
	}
}

// Start serves the four services on 127.0.0.1:0, each on a fresh database
// of dialect, until the test ends.
func Start(t testing.TB, dialect string) *Env {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	// The services' own upstream connection, dialled as bpo serve dials
	// it: the caller's token forwarded, a deadline, UNAVAILABLE when down.
	up, err := downstream.Dial("bpo", addr)
	if err != nil {
		t.Fatal(err)
	}

	verifier, err := auth.NewHMACVerifier(key)
	if err != nil {
		t.Fatal(err)
	}
	var policies []auth.Policy
	for _, s := range services {
		policies = append(policies, s.policy)
	}
	srv, err := grpcserver.New(grpcserver.Config{Log: zaptest.NewLogger(t), Verifier: verifier, Policy: auth.Merge(policies...)})
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{Addr: addr, DB: map[string]*sqlstore.DB{}, signer: auth.NewSigner(key)}
	for _, s := range services {
		db := sqltest.Open(t, dialect, s.name, s.migrations)
		e.DB[s.name] = db
		s.register(srv.Server, db, up)
	}

	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, lis, 5*time.Second) }()

	e.Conn, err = grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last-registered first: this one runs before sqltest
	// closes the databases, so no call outlives them.
	t.Cleanup(func() {
		e.Conn.Close()
		up.Close()
		stop()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	e.Catalog = catalogv1.NewCatalogServiceClient(e.Conn)
	e.Contract = contractv1.NewContractServiceClient(e.Conn)
	e.Transition = transitionv1.NewTransitionServiceClient(e.Conn)
	e.Monitoring = monitoringv1.NewMonitoringServiceClient(e.Conn)
	return e
}

// As returns a context (the test's) whose calls carry a token for
// subject with roles. Subjects are what four-eyes rules compare: two
// approvers are two subjects.
func (e *Env) As(t testing.TB, subject string, roles ...auth.Role) context.Context {
	t.Helper()
	return e.token(t, subject, roles, "")
}

// AsRole returns a context of a user holding role only, whose subject is
// the role's name (`contract_manager`), so audit records say who acted.
func (e *Env) AsRole(t testing.TB, role auth.Role) context.Context {
	t.Helper()
	return e.token(t, string(role), []auth.Role{role}, "")
}

// AsProvider returns a context of a user of the provider named provider
// (`providers/…`); its subject is `user-of-` followed by the provider's id.
func (e *Env) AsProvider(t testing.TB, provider string) context.Context {
	t.Helper()
	return e.token(t, ProviderUser(provider), []auth.Role{auth.ProviderUser}, provider)
}

// AsUser returns a context of subject holding roles and, for a provider
// user, acting for provider (empty otherwise): for the unusual callers, such
// as a provider user who also holds the approver role.
func (e *Env) AsUser(t testing.TB, subject, provider string, roles ...auth.Role) context.Context {
	t.Helper()
	return e.token(t, subject, roles, provider)
}

// ProviderUser is the subject AsProvider gives a user of provider.
func ProviderUser(provider string) string {
	return "user-of-" + strings.TrimPrefix(provider, "providers/")
}

func (e *Env) token(t testing.TB, subject string, roles []auth.Role, provider string) context.Context {
	t.Helper()
	tok, err := e.signer.Mint(subject, roles, provider, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+tok)
}
