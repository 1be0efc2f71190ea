// Package platform is the one table of the services the bpo binary runs:
// what each needs (its database schema and migrations, its access policy,
// the collections it stores) and how it registers on a gRPC server, with
// the one way a service's store is opened. `bpo serve` and services/testenv
// both build from it, so the tests run the services as the binary does.
package platform

import (
	"context"
	"fmt"
	"io/fs"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	lifecyclev1 "github.com/acme/bpo/gen/go/bpo/lifecycle/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog"
	"github.com/acme/bpo/services/contract"
	"github.com/acme/bpo/services/gateway"
	"github.com/acme/bpo/services/monitoring"
	"github.com/acme/bpo/services/transition"
	"google.golang.org/grpc"
)

// Upstreams are the connections to the services, dialled once at start-up
// and shared: by the services that call one another and by the gateway.
type Upstreams = gateway.Upstreams

// Options are what a service may be given besides its store and upstreams.
type Options struct {
	// Now is the clock of the catalog (proposal deadlines), of contract
	// (ACTIVE, renewals and EXPIRED as dates pass), of monitoring (period
	// closes, alerts) and of the lifecycle view (which period is the
	// latest); nil means time.Now. Tests that move time set it; the
	// other services read the wall clock.
	Now func() time.Time
}

func (o Options) clock() func() time.Time {
	if o.Now != nil {
		return o.Now
	}
	return time.Now
}

// Service is one gRPC service of the platform.
type Service struct {
	Name string
	// Schema is the service's PostgreSQL schema; "" for a service that
	// keeps no store of its own.
	Schema string
	// Migrations are the service's own, run after the kit's; nil for none.
	Migrations fs.FS
	Policy     auth.Policy
	// Collections are the kinds of document the service stores, which
	// Open prepares and `bpo reindex` reindexes.
	Collections []docstore.Preparer
	// InGateway says the service belongs to the REST gateway: it runs
	// wherever the gateway runs, and never alone.
	InGateway bool
	// Register puts the service on s, over its store (nil when it keeps
	// none) and the connections to the services it calls.
	Register func(s *grpc.Server, db *sqlstore.DB, up Upstreams, o Options)
}

// Services are every service of the platform.
var Services = []Service{
	{
		Name: "catalog", Schema: "catalog", Policy: catalog.Policy, Collections: catalog.Collections,
		Register: func(s *grpc.Server, db *sqlstore.DB, _ Upstreams, o Options) {
			catalogv1.RegisterCatalogServiceServer(s, catalog.NewWithClock(db, o.clock()))
		},
	},
	{
		Name: "contract", Schema: "contract", Policy: contract.Policy, Collections: contract.Collections,
		Register: func(s *grpc.Server, db *sqlstore.DB, up Upstreams, o Options) {
			contractv1.RegisterContractServiceServer(s, contract.NewWithClock(db, catalogv1.NewCatalogServiceClient(up.Catalog), o.clock()))
		},
	},
	{
		Name: "transition", Schema: "transition", Policy: transition.Policy, Collections: transition.Collections,
		Register: func(s *grpc.Server, db *sqlstore.DB, up Upstreams, _ Options) {
			transitionv1.RegisterTransitionServiceServer(s, transition.New(db, contractv1.NewContractServiceClient(up.Contract), catalogv1.NewCatalogServiceClient(up.Catalog)))
		},
	},
	{
		Name: "monitoring", Schema: "monitoring", Migrations: monitoring.Migrations(), Policy: monitoring.Policy, Collections: monitoring.Collections,
		Register: func(s *grpc.Server, db *sqlstore.DB, up Upstreams, o Options) {
			monitoringv1.RegisterMonitoringServiceServer(s, monitoring.New(db,
				contractv1.NewContractServiceClient(up.Contract), catalogv1.NewCatalogServiceClient(up.Catalog), o.clock()))
		},
	},
	{
		// The lifecycle view composes the four services' answers; served
		// through the same gRPC stack, it has their authentication, logs,
		// metrics and error mapping.
		Name: "lifecycle", Policy: gateway.LifecyclePolicy, InGateway: true,
		Register: func(s *grpc.Server, _ *sqlstore.DB, up Upstreams, o Options) {
			lifecyclev1.RegisterLifecycleServiceServer(s, gateway.NewLifecycle(up, o.clock()))
		},
	},
}

// Stored reports whether s keeps a store of its own.
func (s Service) Stored() bool { return s.Schema != "" }

// Open opens the store of s at dsn (a SQLite file or a postgres:// URL)
// ready for this build: migrated, and its documents prepared
// (docstore.Prepare: old encodings rewritten, facets rebuilt where the
// filter schema changed), with its audit log keyed by auditKey
// (audit.Attach; the chain it returns is what the server watches). The
// caller closes it.
func (s Service) Open(ctx context.Context, dsn string, auditKey *audit.Key) (*sqlstore.DB, *audit.Chain, error) {
	db, err := s.migrated(ctx, dsn)
	if err != nil {
		return nil, nil, err
	}
	if err := docstore.Prepare(ctx, db, s.Collections...); err != nil {
		_ = db.Close()
		return nil, nil, fmt.Errorf("%s store: %w", s.Name, err)
	}
	// Before anything writes: every audit record from here on is keyed.
	chain, err := audit.Attach(ctx, db, s.Name, auditKey)
	if err != nil {
		_ = db.Close()
		return nil, nil, fmt.Errorf("%s store: %w", s.Name, err)
	}
	return db, chain, nil
}

// Reindex rebuilds the facets of every document of s in the store at dsn,
// and returns how many documents it indexed.
func (s Service) Reindex(ctx context.Context, dsn string) (int, error) {
	db, err := s.migrated(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	n, err := docstore.Reindex(ctx, db, s.Collections...)
	if err != nil {
		return n, fmt.Errorf("%s store: %w", s.Name, err)
	}
	return n, nil
}

func (s Service) migrated(ctx context.Context, dsn string) (*sqlstore.DB, error) {
	db, err := sqlstore.Open(ctx, dsn, s.Schema)
	if err != nil {
		return nil, fmt.Errorf("%s store: %w", s.Name, err)
	}
	if err := db.Migrate(ctx, s.Migrations); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("%s store: %w", s.Name, err)
	}
	return db, nil
}

// Policy is the merged access policy of ss, for the one server they share.
func Policy(ss []Service) auth.Policy {
	var ps []auth.Policy
	for _, s := range ss {
		ps = append(ps, s.Policy)
	}
	return auth.Merge(ps...)
}
