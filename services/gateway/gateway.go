// Package gateway serves the services as REST/JSON through grpc-gateway,
// and the OpenAPI document at /openapi.json. It also holds the lifecycle
// view, a gRPC service that composes the others' answers into one
// engagement's lifecycle; the gateway reaches it over a connection like
// any other service.
//
// Every answer the gateway makes itself (a body too large, a URL that is
// not UTF-8, an unknown path or method, a dependency that is down) has the
// same JSON shape as the services' errors, a google.rpc.Status, and is
// logged here, since no service ever sees the request.
package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	lifecyclev1 "github.com/acme/bpo/gen/go/bpo/lifecycle/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/gen/openapi"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
)

// Upstreams are the connections to the services the gateway exposes,
// dialled once at start-up. Lifecycle reaches the lifecycle view on the
// gRPC listener of the gateway's own process (`bpo serve`; on loopback
// when the gateway runs alone).
type Upstreams struct {
	Catalog, Contract, Transition, Monitoring, Lifecycle *grpc.ClientConn
}

// upstream is one service behind the gateway: its REST routes and the
// connection they call.
type upstream struct {
	name     string
	conn     *grpc.ClientConn
	register func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error
}

func (up Upstreams) all() []upstream {
	return []upstream{
		{"catalog", up.Catalog, catalogv1.RegisterCatalogServiceHandler},
		{"contract", up.Contract, contractv1.RegisterContractServiceHandler},
		{"transition", up.Transition, transitionv1.RegisterTransitionServiceHandler},
		{"monitoring", up.Monitoring, monitoringv1.RegisterMonitoringServiceHandler},
		{"lifecycle", up.Lifecycle, lifecyclev1.RegisterLifecycleServiceHandler},
	}
}

// DefaultMaxBodyBytes is the largest request body the gateway reads unless
// told otherwise. The largest call is a batchCreate of 10,000
// measurements: 1.2 MB of compact JSON with typical ids, 5.1 MB (6.0 MB
// indented) with every field at the longest the API allows, which is still
// under the services' 4 MiB gRPC limit once encoded as protobuf.
const DefaultMaxBodyBytes = 8 << 20

// Option configures the gateway.
type Option func(*options)

type options struct {
	log          *zap.Logger
	maxBodyBytes int64
	metrics      http.Handler
	registry     prometheus.Registerer
	console      func(api http.Handler) (http.Handler, error)
}

// WithLogger logs what the gateway answers by itself (see the package
// comment); without it those answers are not logged.
func WithLogger(log *zap.Logger) Option {
	return func(o *options) { o.log = log }
}

// WithMaxBodyBytes sets the largest request body the gateway reads
// (DefaultMaxBodyBytes when n ≤ 0); a larger one is answered 413.
func WithMaxBodyBytes(n int64) Option {
	return func(o *options) {
		if n > 0 {
			o.maxBodyBytes = n
		}
	}
}

// WithMetrics serves h at GET /metrics.
func WithMetrics(h http.Handler) Option {
	return func(o *options) { o.metrics = h }
}

// WithRegistry registers the gateway's HTTP metrics on reg
// (http_server_request_duration_seconds by method, route and code).
func WithRegistry(reg prometheus.Registerer) Option {
	return func(o *options) { o.registry = reg }
}

// WithConsole serves the web console (services/console) under /console/,
// and sends a browser's GET / there. newConsole gets the gateway's REST
// handler, without the console, which the console calls for everything
// it shows and does.
func WithConsole(newConsole func(api http.Handler) (http.Handler, error)) Option {
	return func(o *options) { o.console = newConsole }
}

// New returns the gateway's HTTP handler. Every request is traced (otelhttp,
// otel's global tracer provider) and, with WithRegistry, measured.
func New(ctx context.Context, up Upstreams, opts ...Option) (http.Handler, error) {
	o := options{log: zap.NewNop(), maxBodyBytes: DefaultMaxBodyBytes}
	for _, opt := range opts {
		opt(&o)
	}
	g := &gateway{log: o.log, maxBody: o.maxBodyBytes}
	g.mux = runtime.NewServeMux(
		// Authorization is forwarded by grpc-gateway itself; X-Request-Id
		// carries the caller's correlation id through to the service logs.
		runtime.WithIncomingHeaderMatcher(incomingHeader),
		runtime.WithOutgoingHeaderMatcher(func(key string) (string, bool) {
			if key == "x-request-id" {
				return "X-Request-Id", true
			}
			return "", false
		}),
		// HTTPBodyMarshaler serves a google.api.HttpBody answer (transition's
		// ExportSchedule: CSV, SVG) as the file itself with its content
		// type; every other message is JSON as before.
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.HTTPBodyMarshaler{Marshaler: &runtime.JSONPb{
			MarshalOptions:   protojson.MarshalOptions{EmitUnpopulated: false},
			UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
		}}),
		runtime.WithErrorHandler(g.handleError),
		runtime.WithRoutingErrorHandler(g.routingError),
		// A form-encoded POST would otherwise be served by the GET route of
		// its path (and X-HTTP-Method-Override honoured): the API takes
		// JSON only, and a POST to a GET-only path is 405.
		runtime.WithDisablePathLengthFallback(),
		// The route template, for the metrics and the span's name.
		runtime.WithMiddlewares(matchedRoute),
	)
	// probe has the same routes as mux but calls nothing: it tells which
	// methods a path answers, for the Allow header of a 405.
	g.probe = runtime.NewServeMux(
		runtime.WithMiddlewares(func(runtime.HandlerFunc) runtime.HandlerFunc {
			return func(w http.ResponseWriter, _ *http.Request, _ map[string]string) { w.WriteHeader(http.StatusOK) }
		}),
		runtime.WithRoutingErrorHandler(func(_ context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, _ *http.Request, status int) {
			w.WriteHeader(status)
		}),
		runtime.WithDisablePathLengthFallback(),
	)
	for _, u := range up.all() {
		if err := u.register(ctx, g.mux, u.conn); err != nil {
			return nil, fmt.Errorf("%s routes: %w", u.name, err)
		}
		if err := u.register(ctx, g.probe, u.conn); err != nil {
			return nil, fmt.Errorf("%s routes: %w", u.name, err)
		}
	}
	if err := g.monitoringRoutes(up.Monitoring); err != nil { // monitoring.go: alert events, CSV, SVG
		return nil, err
	}
	root := http.NewServeMux()
	root.Handle("/v1/", g.mux)
	root.Handle("/openapi.json", g.get(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapi.Document)
	}))
	// Liveness: the gateway process answers.
	root.Handle("/healthz", g.get(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	}))
	// Readiness: which services behind the gateway serve (readiness.go).
	root.Handle("/readyz", g.get(readiness(up)))
	if o.metrics != nil {
		root.Handle("/metrics", g.get(o.metrics.ServeHTTP))
	}
	root.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if o.console != nil && r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead) && acceptsHTML(r) {
			http.Redirect(w, r, "/console/", http.StatusSeeOther)
			return
		}
		g.notFound(w, r)
	})
	var m *httpMetrics
	if o.registry != nil {
		var err error
		if m, err = newHTTPMetrics(o.registry); err != nil {
			return nil, fmt.Errorf("gateway metrics: %w", err)
		}
	}
	api := instrument(g.guard(root), m)
	if o.console == nil {
		return api, nil
	}
	console, err := o.console(api)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	console = instrument(consoleRoute(console), m)
	// A prefix test, not a ServeMux: a mux in front of otelhttp would set
	// the request's Pattern ("/"), which otelhttp then names the span by,
	// over the route template matchedRoute named it by.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/console/"):
			console.ServeHTTP(w, r)
		case r.URL.Path == "/console":
			http.Redirect(w, r, "/console/", http.StatusMovedPermanently)
		default:
			api.ServeHTTP(w, r)
		}
	}), nil
}

// consoleRoute labels the console's requests /console/ in the metrics
// (its pages are not API routes).
func consoleRoute(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := r.Context().Value(routeKey{}).(*string); ok {
			*p = "/console/"
		}
		h.ServeHTTP(w, r)
	})
}

// acceptsHTML reports whether r comes from a browser: one that asks for
// HTML.
func acceptsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// incomingHeader forwards X-Request-Id besides grpc-gateway's defaults.
func incomingHeader(key string) (string, bool) {
	if strings.EqualFold(key, "X-Request-Id") {
		return "x-request-id", true
	}
	return runtime.DefaultHeaderMatcher(key)
}

// gateway holds what the handlers around grpc-gateway's mux need.
type gateway struct {
	mux, probe *runtime.ServeMux
	log        *zap.Logger
	maxBody    int64
}
