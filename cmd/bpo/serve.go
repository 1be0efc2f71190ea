package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/downstream"
	"github.com/acme/bpo/kit/grpcserver"
	"github.com/acme/bpo/kit/sqlstore"
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
	grpcAddr      string
	httpAddr      string
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
	c.stores.flags(fs, "run", "gateway")
	fs.StringVar(&c.grpcAddr, "grpc-addr", "localhost:9090", "gRPC listen address (all services share it; the gateway alone serves its lifecycle view on loopback instead)")
	fs.StringVar(&c.httpAddr, "http-addr", "localhost:8080", "REST gateway listen address (all or gateway)")
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
	if err := c.stores.check(); err != nil {
		return nil, err
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
	defer func() { closeUpstreams(up) }() // also the lifecycle connection dialled below

	// Everything that can fail at start-up happens before anything serves.
	var srv *grpcserver.Server
	var grpcLis net.Listener
	if run := c.selected(); len(run) > 0 {
		var closeDBs func()
		if srv, closeDBs, err = c.grpcServer(ctx, log, run, up, metrics); err != nil {
			return err
		}
		defer closeDBs() // last: after both servers have drained
		addr := c.grpcAddr
		if c.service == "gateway" {
			// The gateway alone runs the lifecycle view for itself only:
			// on loopback, never on the --grpc-addr of the services.
			addr = "127.0.0.1:0"
		}
		if grpcLis, err = net.Listen("tcp", addr); err != nil {
			return err
		}
		defer grpcLis.Close()
		log.Info("gRPC listening", zap.String("addr", grpcLis.Addr().String()), zap.Strings("services", serviceNames(run)))
	}
	var hs *http.Server
	var httpLis net.Listener
	if c.service == "all" || c.service == "gateway" {
		// The lifecycle view is a service of this process's own listener.
		if up.Lifecycle, err = downstream.Dial("lifecycle", grpcLis.Addr().String()); err != nil {
			return err
		}
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

func serviceNames(ss []platform.Service) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Name)
	}
	return out
}

// grpcServer builds the one gRPC server of the services in run, each on
// its store opened and prepared (platform.Service.Open).
func (c *serveConfig) grpcServer(ctx context.Context, log *zap.Logger, run []platform.Service, up platform.Upstreams, metrics prometheus.Registerer) (*grpcserver.Server, func(), error) {
	v, err := c.verifier()
	if err != nil {
		return nil, nil, err
	}
	srv, err := grpcserver.New(grpcserver.Config{Log: log, Verifier: v, Policy: platform.Policy(run), Metrics: metrics})
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
		var db *sqlstore.DB
		if s.Stored() {
			dsn := c.dsn(s.Name)
			if db, err = s.Open(ctx, dsn); err != nil {
				closeAll()
				return nil, nil, err
			}
			dbs = append(dbs, db)
			log.Info("store ready", zap.String("service", s.Name), zap.String("db", sqlstore.Redact(dsn)), zap.Stringer("dialect", db.Dialect))
		}
		s.Register(srv.Server, db, up, platform.Options{})
	}
	return srv, closeAll, nil
}

func (c *serveConfig) httpServer(ctx context.Context, up platform.Upstreams, metrics http.Handler) (*http.Server, error) {
	h, err := gateway.New(ctx, up)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.Handle("GET /metrics", metrics)
	return &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, nil
}

// dial connects to the services the selected ones call, once at start-up
// (to this process's own listener when everything runs together).
func (c *serveConfig) dial() (platform.Upstreams, error) {
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
		conn, err := downstream.Dial(d.name, d.addr)
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
