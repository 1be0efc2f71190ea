// Package testenv runs the platform's services in process for tests: one
// gRPC server on 127.0.0.1:0 built by kit/grpcserver as `bpo serve` builds
// it (authentication, the merged policy, validation, error mapping), the
// services of the one table, services/platform, each on a fresh database
// opened as `bpo serve` opens it (migrated, documents prepared), calling one
// another through connections dialled with kit/downstream. No service is
// mocked. spec: conventions.md, "Tests".
//
// By default every service runs; options run one service alone, give the
// services a clock the test moves, or make an upstream unreachable.
//
// Tests get typed clients, tokens for any role, and stage helpers that walk
// an engagement through the real API up to a given step
// (AwardedEngagement, SignedContract; other services add theirs in their
// own file of this package).
package testenv

import (
	"context"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	lifecyclev1 "github.com/acme/bpo/gen/go/bpo/lifecycle/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/downstream"
	"github.com/acme/bpo/kit/grpcserver"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"github.com/acme/bpo/services/platform"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// key signs the tests' tokens and is the server's HS256 secret.
var key = []byte("bpo-testenv-hs256-key-32-bytes!!")

// Key returns the server's HS256 secret, for clients that sign their own
// tokens with a key (the demo's walk, internal/walk); others use Signer.
func Key() []byte { return slices.Clone(key) }

// auditKey keys the services' audit chains, as the data directory's
// audit-hmac.key does for bpo serve.
var auditKey = func() *audit.Key {
	k, err := audit.NewKey([]byte("bpo-testenv-audit-hmac-key-32by!"))
	if err != nil {
		panic(err)
	}
	return k
}()

// Env is the services serving on one loopback listener.
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
	Lifecycle  lifecyclev1.LifecycleServiceClient

	// DB holds each running service's database by name ("catalog",
	// "contract", "transition", "monitoring"), for tests that must look
	// underneath the API (rarely: prefer the API).
	DB map[string]*sqlstore.DB

	// Signer mints tokens the server accepts, for the tokens the As…
	// helpers do not make (an expired one, say).
	Signer *auth.Signer

	// Upstreams are the connections the services call each other over
	// (kit/downstream: the caller's token forwarded), for a gateway a test
	// puts in front of them.
	Upstreams platform.Upstreams
}

// Option changes what Start runs.
type Option func(*config)

type config struct {
	only   []string
	down   []string
	beside string
	opts   platform.Options
	quiet  bool
}

// Only runs the named services alone (the catalog's own tests); a service
// they call is then reached at this environment's own address, as in
// `bpo serve --service X`, unless Beside or Down says otherwise.
func Only(services ...string) Option {
	return func(c *config) { c.only = append(c.only, services...) }
}

// Down makes the connections to the named services lead to an address
// where nothing listens: calls to them answer UNAVAILABLE naming them.
func Down(services ...string) Option {
	return func(c *config) { c.down = append(c.down, services...) }
}

// Beside reaches the services this environment does not run at other's
// address: a second environment over the first one's services (the
// lifecycle view alone, with one of its upstreams Down).
func Beside(other *Env) Option {
	return func(c *config) { c.beside = other.Addr }
}

// WithClock runs the services on the clock now (platform.Options.Now);
// tokens keep real time.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.opts.Now = now }
}

// ProductionLog logs as `bpo serve` does — a JSON line per call at info
// level — to nowhere, instead of to the test's log: for benchmarks, whose
// figures and output the test logger would distort.
func ProductionLog() Option {
	return func(c *config) { c.quiet = true }
}

// ForEachDialect runs test on a fresh environment once per dialect
// sqltest offers: SQLite, and PostgreSQL when BPO_TEST_POSTGRES_DSN is set.
func ForEachDialect(t *testing.T, test func(t *testing.T, e *Env), opts ...Option) {
	t.Helper()
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) { test(t, Start(t, dialect, opts...)) })
	}
}

// Start serves the services on 127.0.0.1:0, each on a fresh database of
// dialect, until the test ends.
func Start(t testing.TB, dialect string, opts ...Option) *Env {
	t.Helper()
	var c config
	for _, o := range opts {
		o(&c)
	}
	var run []platform.Service
	for _, s := range platform.Services {
		if len(c.only) == 0 || slices.Contains(c.only, s.Name) {
			run = append(run, s)
		}
	}

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	up := c.dial(t, addr, run)

	verifier, err := auth.NewHMACVerifier(key)
	if err != nil {
		t.Fatal(err)
	}
	log := zaptest.NewLogger(t)
	if c.quiet {
		log = zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zap.InfoLevel))
	}
	srv, err := grpcserver.New(grpcserver.Config{Log: log, Verifier: verifier, Policy: platform.Policy(run)})
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{Addr: addr, DB: map[string]*sqlstore.DB{}, Signer: auth.NewSigner(key), Upstreams: up}
	for _, s := range run {
		var db *sqlstore.DB
		if s.Stored() {
			db = open(t, dialect, s)
			e.DB[s.Name] = db
		}
		s.Register(srv.Server, db, up, c.opts)
	}

	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, lis, 5*time.Second) }()

	e.Conn, err = grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last-registered first: this one runs before the
	// databases close, so no call outlives them.
	t.Cleanup(func() {
		e.Conn.Close()
		stop()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	e.Catalog = catalogv1.NewCatalogServiceClient(e.Conn)
	e.Contract = contractv1.NewContractServiceClient(e.Conn)
	e.Transition = transitionv1.NewTransitionServiceClient(e.Conn)
	e.Monitoring = monitoringv1.NewMonitoringServiceClient(e.Conn)
	e.Lifecycle = lifecyclev1.NewLifecycleServiceClient(e.Conn)
	return e
}

// open opens the store of s as `bpo serve` does, on a fresh database.
func open(t testing.TB, dialect string, s platform.Service) *sqlstore.DB {
	t.Helper()
	db, _, err := s.Open(context.Background(), sqltest.DSN(t, dialect), auditKey)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close %s store: %v", s.Name, err)
		}
	})
	return db
}

// dial returns the services' upstream connections, dialled by name as
// `bpo serve` dials them (the caller's token forwarded, a deadline,
// UNAVAILABLE naming the service when it is down): to addr, the
// environment's own listener, for the services in run; to the Beside
// environment, when there is one, for the others; nowhere for those Down.
func (c *config) dial(t testing.TB, addr string, run []platform.Service) platform.Upstreams {
	t.Helper()
	var dead string
	conn := func(name string) *grpc.ClientConn {
		at := addr
		switch {
		case slices.Contains(c.down, name):
			if dead == "" {
				dead = deadAddr(t)
			}
			at = dead
		case c.beside != "" && !slices.ContainsFunc(run, func(s platform.Service) bool { return s.Name == name }):
			at = c.beside
		}
		cc, err := downstream.Dial(name, at)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cc.Close() })
		return cc
	}
	return platform.Upstreams{
		Catalog: conn("catalog"), Contract: conn("contract"), Transition: conn("transition"),
		Monitoring: conn("monitoring"), Lifecycle: conn("lifecycle"),
	}
}

// deadAddr is a loopback address nothing listens on.
func deadAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
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
	var n catalogv1.ProviderResourceName
	if err := n.UnmarshalString(provider); err != nil {
		return "user-of-" + provider
	}
	return "user-of-" + n.Provider
}

func (e *Env) token(t testing.TB, subject string, roles []auth.Role, provider string) context.Context {
	t.Helper()
	tok, err := e.Signer.Mint(subject, roles, provider, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+tok)
}
