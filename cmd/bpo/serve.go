package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/acme/bpo/kit/audit"
	"github.com/acme/bpo/kit/downstream"
	"github.com/acme/bpo/kit/grpcserver"
	"github.com/acme/bpo/kit/opsmetrics"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/kit/telemetry"
	"github.com/acme/bpo/services/console"
	"github.com/acme/bpo/services/gateway"
	"github.com/acme/bpo/services/platform"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc"
)

type serveConfig struct {
	stores
	tokens  tokenFlags
	tls     tlsFlags
	console consoleFlags

	grpcAddr     string
	httpAddr     string
	catalogAddr  string
	contractAddr string
	transAddr    string
	monitorAddr  string
	logFormat    string
	metricsAddr  string
	pprofAddr    string
	drainTimeout time.Duration
	maxBodyBytes int64
	auditKeyFile string
	auditEvery   time.Duration
}

func parseServe(args []string) (*serveConfig, error) {
	c := &serveConfig{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.stores.flags(fs, "run", "gateway")
	fs.StringVar(&c.grpcAddr, "grpc-addr", "localhost:9090", "gRPC listen address (all services share it; the gateway alone serves its lifecycle view on loopback instead)")
	fs.StringVar(&c.httpAddr, "http-addr", "localhost:8080", "REST gateway listen address (all or gateway)")
	c.tokens.flags(fs)
	c.tls.flags(fs)
	c.console.flags(fs)
	fs.StringVar(&c.catalogAddr, "catalog-addr", "", "catalog's gRPC address when it runs in another process (default: --grpc-addr)")
	fs.StringVar(&c.contractAddr, "contract-addr", "", "contract's gRPC address when it runs in another process (default: --grpc-addr)")
	fs.StringVar(&c.transAddr, "transition-addr", "", "transition's gRPC address when it runs in another process (default: --grpc-addr)")
	fs.StringVar(&c.monitorAddr, "monitoring-addr", "", "monitoring's gRPC address when it runs in another process (default: --grpc-addr)")
	fs.StringVar(&c.logFormat, "log-format", "console", "log format: console (development) or json (production)")
	fs.StringVar(&c.metricsAddr, "metrics-addr", "", "serve Prometheus /metrics on this address (with the gateway it is also on --http-addr)")
	fs.StringVar(&c.pprofAddr, "pprof-addr", "", "serve Go's profiles (/debug/pprof/) on this address, for performance work; off by default, never expose it")
	fs.DurationVar(&c.drainTimeout, "drain-timeout", 20*time.Second, "on SIGTERM, how long in-flight calls may finish")
	fs.StringVar(&c.auditKeyFile, "audit-key-file", "", "file holding the key of the audit logs' HMAC chain (default: audit-hmac.key in --data-dir, created on first run); replicas of one service share it")
	fs.DurationVar(&c.auditEvery, "audit-verify-every", 5*time.Minute, "how often each audit log is verified in the background (metrics bpo_audit_chain_*); 0 verifies once at start")
	fs.Int64Var(&c.maxBodyBytes, "max-body-bytes", gateway.DefaultMaxBodyBytes, "largest REST request body the gateway reads; a larger one is answered 413")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if err := envDefaults(fs); err != nil {
		return nil, err
	}
	if err := c.stores.check(); err != nil {
		return nil, err
	}
	if err := c.tokens.check(); err != nil {
		return nil, err
	}
	if err := c.tls.check(); err != nil {
		return nil, err
	}
	if err := c.console.check(); err != nil {
		return nil, err
	}
	peers := false
	for _, a := range []*string{&c.catalogAddr, &c.contractAddr, &c.transAddr, &c.monitorAddr} {
		if *a == "" {
			*a = c.grpcAddr
		}
		peers = peers || *a != c.grpcAddr
	}
	if err := c.tokens.checkShared(c.service, peers, c.db != "", c.dataDir); err != nil {
		return nil, err
	}
	return c, nil
}

func newLogger(format string) (*zap.Logger, error) {
	switch format {
	case "json":
		return zap.NewProduction()
	case "console":
		cfg := zap.NewDevelopmentConfig()
		cfg.EncoderConfig.EncodeLevel = levelEncoder(os.Stderr)
		cfg.DisableStacktrace = true
		return cfg.Build()
	}
	return nil, fmt.Errorf("--log-format %q: want console or json", format)
}

// levelEncoder colours levels only for a terminal: in a file or a pipe
// (CI logs, `| less`, a log shipper) escape codes are noise.
func levelEncoder(f *os.File) zapcore.LevelEncoder {
	if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		return zapcore.CapitalColorLevelEncoder
	}
	return zapcore.CapitalLevelEncoder
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
	if err := c.tls.load(log); err != nil {
		return err
	}
	tracing, err := telemetry.Setup(ctx, c.service, os.Getenv)
	if err != nil {
		return err
	}
	defer func() {
		// After everything has drained: the last spans are flushed.
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tracing.Shutdown(sctx); err != nil {
			log.Warn("trace export at exit failed", zap.Error(err))
		}
	}()
	if tracing.Exporter != "" {
		log.Info("exporting traces", zap.String("exporter", tracing.Exporter))
	}

	metrics := prometheus.NewRegistry()
	metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := opsmetrics.Register(metrics); err != nil {
		return err
	}
	metricsHandler := promhttp.HandlerFor(metrics, promhttp.HandlerOpts{Registry: metrics})
	clientMetrics, err := downstream.NewMetrics(metrics)
	if err != nil {
		return err
	}

	up, err := c.dial(clientMetrics)
	if err != nil {
		return err
	}
	defer func() { closeUpstreams(up) }() // also the lifecycle connection dialled below

	// Everything that can fail at start-up happens before anything serves.
	var srv *grpcserver.Server
	var chains []*audit.Chain
	var grpcLis net.Listener
	if run := c.selected(); len(run) > 0 {
		var closeDBs func()
		if srv, closeDBs, chains, err = c.grpcServer(ctx, log, run, up, metrics); err != nil {
			return err
		}
		defer closeDBs() // last: after both servers have drained
		addr := c.grpcAddr
		if c.service == "gateway" {
			// The gateway alone runs the lifecycle view for itself only:
			// on loopback, never on the --grpc-addr of the services.
			addr = "127.0.0.1:0"
		}
		if grpcLis, err = c.tls.listen(addr, "h2"); err != nil {
			return err
		}
		defer grpcLis.Close()
		log.Info("gRPC listening", zap.String("addr", grpcLis.Addr().String()), zap.Strings("services", serviceNames(run)))
	}
	var hs *http.Server
	var httpLis net.Listener
	if c.service == "all" || c.service == "gateway" {
		// The lifecycle view is a service of this process's own listener.
		if up.Lifecycle, err = downstream.DialTLS("lifecycle", grpcLis.Addr().String(), c.tls.dial(true), downstream.WithMetrics(clientMetrics)); err != nil {
			return err
		}
		if hs, err = c.httpServer(ctx, log, up, metricsHandler, metrics); err != nil {
			return err
		}
		if httpLis, err = c.tls.listen(c.httpAddr, "h2", "http/1.1"); err != nil {
			return err
		}
		defer httpLis.Close()
		log.Info("REST gateway listening", zap.String("addr", httpLis.Addr().String()))
	}
	var metricsLis net.Listener
	if c.metricsAddr != "" {
		if metricsLis, err = c.tls.listen(c.metricsAddr, "h2", "http/1.1"); err != nil {
			return err
		}
		defer metricsLis.Close()
		log.Info("metrics listening", zap.String("addr", metricsLis.Addr().String()))
	} else if hs == nil {
		log.Info("metrics not served: give --metrics-addr to serve this process's /metrics")
	}

	if c.pprofAddr != "" {
		stopPprof, err := servePprof(log, c.pprofAddr)
		if err != nil {
			return err
		}
		defer stopPprof()
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
	if len(chains) > 0 {
		am, err := audit.NewMetrics(metrics)
		if err != nil {
			return err
		}
		// Inside wg, so the stores close only after the last verification.
		for _, ch := range chains {
			wg.Go(func() { ch.Watch(ctx, c.auditEvery, log, am) })
		}
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

func serviceNames(ss []platform.Service) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Name)
	}
	return out
}

// auditKey is the key of the audit chains: a given file (a mounted
// secret, shared by replicas), or the local one in the data directory.
func (c *serveConfig) auditKey() (*audit.Key, error) {
	if c.auditKeyFile != "" {
		return audit.ReadKeyFile(c.auditKeyFile)
	}
	return audit.LoadOrCreateKey(c.dataDir)
}

// grpcServer builds the one gRPC server of the services in run, each on
// its store opened and prepared (platform.Service.Open).
func (c *serveConfig) grpcServer(ctx context.Context, log *zap.Logger, run []platform.Service, up platform.Upstreams, metrics prometheus.Registerer) (*grpcserver.Server, func(), []*audit.Chain, error) {
	v, err := c.tokens.verifier(ctx, log, c.dataDir, c.tls.jwksClient())
	if err != nil {
		return nil, nil, nil, err
	}
	srv, err := grpcserver.New(grpcserver.Config{Log: log, Verifier: v, Policy: platform.Policy(run), Metrics: metrics})
	if err != nil {
		return nil, nil, nil, err
	}
	var dbs []*sqlstore.DB
	var chains []*audit.Chain
	closeAll := func() {
		for _, db := range dbs {
			_ = db.Close()
		}
	}
	var key *audit.Key
	for _, s := range run {
		var db *sqlstore.DB
		if s.Stored() {
			if key == nil {
				if key, err = c.auditKey(); err != nil {
					return nil, nil, nil, fmt.Errorf("audit key: %w", err)
				}
			}
			dsn := c.dsn(s.Name)
			var chain *audit.Chain
			if db, chain, err = s.Open(ctx, dsn, key); err != nil {
				closeAll()
				return nil, nil, nil, err
			}
			dbs = append(dbs, db)
			chains = append(chains, chain)
			log.Info("store ready", zap.String("service", s.Name), zap.String("db", sqlstore.Redact(dsn)), zap.Stringer("dialect", db.Dialect))
			// go_sql_* of each connection pool, db_name="catalog_write" …
			for role, pool := range db.Pools() {
				if err := metrics.Register(collectors.NewDBStatsCollector(pool, s.Name+"_"+role)); err != nil {
					closeAll()
					return nil, nil, nil, err
				}
			}
		}
		s.Register(srv.Server, db, up, platform.Options{})
	}
	return srv, closeAll, chains, nil
}

func (c *serveConfig) httpServer(ctx context.Context, log *zap.Logger, up platform.Upstreams, metrics http.Handler, reg prometheus.Registerer) (*http.Server, error) {
	consoleOpts, err := c.console.options(ctx, log, c.tokens.rolesClaim, c.tls.jwksClient())
	if err != nil {
		return nil, err
	}
	h, err := gateway.New(ctx, up, gateway.WithLogger(log), gateway.WithMaxBodyBytes(c.maxBodyBytes), gateway.WithMetrics(metrics), gateway.WithRegistry(reg),
		gateway.WithConsole(func(api http.Handler) (http.Handler, error) { return console.New(api, consoleOpts...) }))
	if err != nil {
		return nil, err
	}
	return &http.Server{
		Handler: h,
		// A client gets this long for its headers, and for headers and
		// body together (the default --max-body-bytes at 2.2 Mbit/s), so a
		// slow sender cannot hold a connection and its buffered body.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// Above the 60 s idle timeout of common load balancers, which must
		// close an idle connection before the server does.
		IdleTimeout: 2 * time.Minute,
		// Over TLS, HTTP/2 multiplexes requests on one connection: each
		// may buffer a body, so one client gets at most this many at once.
		HTTP2: &http.HTTP2Config{MaxConcurrentStreams: 100},
	}, nil
}

// dial connects to the services the selected ones call, once at start-up
// (to this process's own listener when everything runs together).
func (c *serveConfig) dial(m *downstream.Metrics) (platform.Upstreams, error) {
	var up platform.Upstreams
	for _, d := range []struct {
		name, addr string
		conn       **grpc.ClientConn
	}{
		{"catalog", c.catalogAddr, &up.Catalog},
		{"contract", c.contractAddr, &up.Contract},
		{"transition", c.transAddr, &up.Transition},
		{"monitoring", c.monitorAddr, &up.Monitoring},
	} {
		// At --grpc-addr is this process's own listener, unless it is the
		// gateway alone, whose --grpc-addr is the services'.
		own := c.service != "gateway" && d.addr == c.grpcAddr
		conn, err := downstream.DialTLS(d.name, d.addr, c.tls.dial(own), downstream.WithMetrics(m))
		if err != nil {
			closeUpstreams(up)
			return platform.Upstreams{}, err
		}
		*d.conn = conn
	}
	return up, nil
}

func closeUpstreams(up platform.Upstreams) {
	for _, c := range []*grpc.ClientConn{up.Catalog, up.Contract, up.Transition, up.Monitoring, up.Lifecycle} {
		if c != nil {
			_ = c.Close()
		}
	}
}
