package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/downstream"
	"github.com/acme/bpo/kit/grpcserver"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog"
	"github.com/acme/bpo/services/contract"
	"github.com/acme/bpo/services/gateway"
	"github.com/acme/bpo/services/monitoring"
	"github.com/acme/bpo/services/transition"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc"
)

// service is one gRPC service the binary can run.
type service struct {
	name       string
	schema     string
	migrations fs.FS
	policy     auth.Policy
	register   func(s *grpc.Server, db *sqlstore.DB, up upstreams)
}

// upstreams are the connections to the services others call, dialled once
// at start-up (to the one local listener when everything runs together).
type upstreams struct {
	catalog, contract, transition, monitoring *grpc.ClientConn
}

var services = []service{
	{
		name: "catalog", schema: "catalog", policy: catalog.Policy,
		register: func(s *grpc.Server, db *sqlstore.DB, _ upstreams) {
			catalogv1.RegisterCatalogServiceServer(s, catalog.New(db))
		},
	},
	{
		name: "contract", schema: "contract", policy: contract.Policy,
		register: func(s *grpc.Server, db *sqlstore.DB, up upstreams) {
			contractv1.RegisterContractServiceServer(s, contract.New(db, catalogv1.NewCatalogServiceClient(up.catalog)))
		},
	},
	{
		name: "transition", schema: "transition", policy: transition.Policy,
		register: func(s *grpc.Server, db *sqlstore.DB, up upstreams) {
			transitionv1.RegisterTransitionServiceServer(s, transition.New(db, contractv1.NewContractServiceClient(up.contract)))
		},
	},
	{
		name: "monitoring", schema: "monitoring", migrations: monitoring.Migrations(), policy: monitoring.Policy,
		register: func(s *grpc.Server, db *sqlstore.DB, up upstreams) {
			monitoringv1.RegisterMonitoringServiceServer(s, monitoring.New(db, contractv1.NewContractServiceClient(up.contract)))
		},
	},
}

type serveConfig struct {
	service       string
	grpcAddr      string
	httpAddr      string
	dataDir       string
	db            string
	jwtSecretFile string
	jwksFile      string
	catalogAddr   string
	contractAddr  string
	transAddr     string
	monitorAddr   string
	logFormat     string
	metricsAddr   string
	drainTimeout  time.Duration
}

func parseServe(args []string) (*serveConfig, error) {
	c := &serveConfig{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&c.service, "service", "all", "what to run: all, catalog, contract, transition, monitoring or gateway")
	fs.StringVar(&c.grpcAddr, "grpc-addr", "localhost:9090", "gRPC listen address (all services share it)")
	fs.StringVar(&c.httpAddr, "http-addr", "localhost:8080", "REST gateway listen address (all or gateway)")
	fs.StringVar(&c.dataDir, "data-dir", "./data", "directory of the SQLite files and the local signing key")
	fs.StringVar(&c.db, "db", "", "database: a postgres:// URL (each service in its own schema) or empty for SQLite files in --data-dir")
	fs.StringVar(&c.jwtSecretFile, "jwt-secret-file", "", "file holding the hex HS256 secret (default: the local key in --data-dir, created on first run)")
	fs.StringVar(&c.jwksFile, "jwks-file", "", "JWKS file with the RS256/ES256 keys that sign tokens (instead of HS256)")
	fs.StringVar(&c.catalogAddr, "catalog-addr", "", "catalog's gRPC address when it runs in another process (default: --grpc-addr)")
	fs.StringVar(&c.contractAddr, "contract-addr", "", "contract's gRPC address when it runs in another process (default: --grpc-addr)")
	fs.StringVar(&c.transAddr, "transition-addr", "", "transition's gRPC address when it runs in another process (default: --grpc-addr)")
	fs.StringVar(&c.monitorAddr, "monitoring-addr", "", "monitoring's gRPC address when it runs in another process (default: --grpc-addr)")
	fs.StringVar(&c.logFormat, "log-format", "console", "log format: console (development) or json (production)")
	fs.StringVar(&c.metricsAddr, "metrics-addr", "", "serve Prometheus /metrics on this address (with the gateway it is also on --http-addr)")
	fs.DurationVar(&c.drainTimeout, "drain-timeout", 20*time.Second, "on SIGTERM, how long in-flight calls may finish")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if err := envDefaults(fs); err != nil {
		return nil, err
	}
	valid := []string{"all", "gateway"}
	for _, s := range services {
		valid = append(valid, s.name)
	}
	if !slices.Contains(valid, c.service) {
		return nil, fmt.Errorf("--service %q: want one of %s", c.service, strings.Join(valid, ", "))
	}
	// Anything else would be taken for a SQLite file name, shared by every
	// service of the process and logged with whatever password it holds.
	if c.db != "" && !strings.HasPrefix(c.db, "postgres://") && !strings.HasPrefix(c.db, "postgresql://") {
		return nil, errors.New("--db must be a postgres:// URL (leave it empty for SQLite files in --data-dir)")
	}
	for _, a := range []*string{&c.catalogAddr, &c.contractAddr, &c.transAddr, &c.monitorAddr} {
		if *a == "" {
			*a = c.grpcAddr
		}
	}
	return c, nil
}

func newLogger(format string) (*zap.Logger, error) {
	switch format {
	case "json":
		return zap.NewProduction()
	case "console":
		cfg := zap.NewDevelopmentConfig()
		cfg.EncoderConfig.EncodeLevel = zapcore.CapitalColorLevelEncoder
		cfg.DisableStacktrace = true
		return cfg.Build()
	}
	return nil, fmt.Errorf("--log-format %q: want console or json", format)
}

func (c *serveConfig) verifier() (*auth.Verifier, error) {
	switch {
	case c.jwksFile != "":
		b, err := os.ReadFile(c.jwksFile)
		if err != nil {
			return nil, err
		}
		return auth.NewJWKSVerifier(b)
	case c.jwtSecretFile != "":
		b, err := os.ReadFile(c.jwtSecretFile)
		if err != nil {
			return nil, err
		}
		key, err := decodeHex(strings.TrimSpace(string(b)))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.jwtSecretFile, err)
		}
		return auth.NewHMACVerifier(key)
	default:
		key, err := auth.LoadOrCreateLocalKey(c.dataDir)
		if err != nil {
			return nil, fmt.Errorf("local key: %w", err)
		}
		return auth.NewHMACVerifier(key)
	}
}

func (c *serveConfig) dsn(svc string) string {
	if c.db != "" {
		return c.db
	}
	return filepath.Join(c.dataDir, svc+".db")
}

func serve(ctx context.Context, args []string) error {
	c, err := parseServe(args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	log, err := newLogger(c.logFormat)
	if err != nil {
		return err
	}
	defer log.Sync() //nolint:errcheck // stderr sync fails on terminals

	metrics := prometheus.NewRegistry()
	metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metricsHandler := promhttp.HandlerFor(metrics, promhttp.HandlerOpts{Registry: metrics})

	up, err := c.dial()
	if err != nil {
		return err
	}
	defer up.close()

	var run []service
	for _, s := range services {
		if c.service == "all" || c.service == s.name {
			run = append(run, s)
		}
	}

	// Everything that can fail at start-up happens before anything serves.
	var srv *grpcserver.Server
	var grpcLis net.Listener
	if len(run) > 0 {
		var closeDBs func()
		if srv, closeDBs, err = c.grpcServer(ctx, log, run, up, metrics); err != nil {
			return err
		}
		defer closeDBs() // last: after both servers have drained
		if grpcLis, err = net.Listen("tcp", c.grpcAddr); err != nil {
			return err
		}
		defer grpcLis.Close()
		log.Info("gRPC listening", zap.String("addr", grpcLis.Addr().String()), zap.Strings("services", names(run)))
	}
	var hs *http.Server
	var httpLis net.Listener
	if c.service == "all" || c.service == "gateway" {
		if hs, err = c.httpServer(ctx, up, metricsHandler); err != nil {
			return err
		}
		if httpLis, err = net.Listen("tcp", c.httpAddr); err != nil {
			return err
		}
		defer httpLis.Close()
		log.Info("REST gateway listening", zap.String("addr", httpLis.Addr().String()))
	}
	var metricsLis net.Listener
	if c.metricsAddr != "" {
		if metricsLis, err = net.Listen("tcp", c.metricsAddr); err != nil {
			return err
		}
		defer metricsLis.Close()
		log.Info("metrics listening", zap.String("addr", metricsLis.Addr().String()))
	}

	// Shutdown order (conventions.md, "Running"): on SIGTERM, or when one
	// server fails, the gateway stops accepting and drains its requests
	// first, since they still need the gRPC services; then gRPC stops
	// accepting and drains; the stores close last.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var first error
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = err
		}
		cancel()
	}
	var wg sync.WaitGroup
	gatewayDrained := make(chan struct{})
	if hs != nil {
		wg.Go(func() {
			// Serve returns as soon as Shutdown starts; the drain is below.
			if err := hs.Serve(httpLis); !errors.Is(err, http.ErrServerClosed) {
				fail(fmt.Errorf("REST gateway: %w", err))
			}
		})
		wg.Go(func() {
			defer close(gatewayDrained)
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), c.drainTimeout)
			defer cancel()
			if err := hs.Shutdown(sctx); err != nil {
				log.Warn("gateway drain timed out; closing", zap.Duration("timeout", c.drainTimeout))
				_ = hs.Close()
			}
		})
	} else {
		close(gatewayDrained)
	}
	if srv != nil {
		grpcCtx, stopGRPC := context.WithCancel(context.Background())
		go func() {
			<-ctx.Done()
			<-gatewayDrained
			stopGRPC()
		}()
		wg.Go(func() {
			if err := srv.Serve(grpcCtx, grpcLis, c.drainTimeout); err != nil {
				fail(fmt.Errorf("gRPC server: %w", err))
			}
		})
	}
	if metricsLis != nil {
		ms := &http.Server{Handler: metricsHandler, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = ms.Serve(metricsLis) }()
		go func() { <-ctx.Done(); _ = ms.Close() }()
	}
	wg.Wait()
	log.Info("stopped")
	return first
}

func names(ss []service) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.name)
	}
	return out
}

func (c *serveConfig) grpcServer(ctx context.Context, log *zap.Logger, run []service, up upstreams, metrics prometheus.Registerer) (*grpcserver.Server, func(), error) {
	v, err := c.verifier()
	if err != nil {
		return nil, nil, err
	}
	var policies []auth.Policy
	for _, s := range run {
		policies = append(policies, s.policy)
	}
	srv, err := grpcserver.New(grpcserver.Config{Log: log, Verifier: v, Policy: auth.Merge(policies...), Metrics: metrics})
	if err != nil {
		return nil, nil, err
	}
	var dbs []*sqlstore.DB
	closeAll := func() {
		for _, db := range dbs {
			_ = db.Close()
		}
	}
	for _, s := range run {
		dsn := c.dsn(s.name)
		db, err := sqlstore.Open(ctx, dsn, s.schema)
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("%s store: %w", s.name, err)
		}
		dbs = append(dbs, db)
		if err := db.Migrate(ctx, s.migrations); err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("%s store: %w", s.name, err)
		}
		log.Info("store ready", zap.String("service", s.name), zap.String("db", sqlstore.Redact(dsn)), zap.Stringer("dialect", db.Dialect))
		s.register(srv.Server, db, up)
	}
	return srv, closeAll, nil
}

func (c *serveConfig) httpServer(ctx context.Context, up upstreams, metrics http.Handler) (*http.Server, error) {
	h, err := gateway.New(ctx, gateway.Upstreams{
		Catalog: up.catalog, Contract: up.contract, Transition: up.transition, Monitoring: up.monitoring,
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.Handle("GET /metrics", metrics)
	return &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, nil
}

func (c *serveConfig) dial() (upstreams, error) {
	var up upstreams
	for _, d := range []struct {
		name, addr string
		conn       **grpc.ClientConn
	}{
		{"catalog", c.catalogAddr, &up.catalog},
		{"contract", c.contractAddr, &up.contract},
		{"transition", c.transAddr, &up.transition},
		{"monitoring", c.monitorAddr, &up.monitoring},
	} {
		conn, err := downstream.Dial(d.name, d.addr)
		if err != nil {
			up.close()
			return upstreams{}, err
		}
		*d.conn = conn
	}
	return up, nil
}

func (up upstreams) close() {
	for _, c := range []*grpc.ClientConn{up.catalog, up.contract, up.transition, up.monitoring} {
		if c != nil {
			_ = c.Close()
		}
	}
}
