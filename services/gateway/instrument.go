package gateway

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/felixge/httpsnoop"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/trace"
)

// httpMetrics are the gateway's HTTP server metrics, by method, route
// (the API's path template, such as /v1/{name=providers/*}, never the
// raw path) and status code.
type httpMetrics struct {
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

func newHTTPMetrics(reg prometheus.Registerer) (*httpMetrics, error) {
	m := &httpMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_server_request_duration_seconds",
			Help:    "Time the REST gateway took to answer a request, by method, route template and status code (its _count is the request count).",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route", "code"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "http_server_requests_in_flight",
			Help: "Requests the REST gateway is answering now.",
		}),
	}
	for _, c := range []prometheus.Collector{m.duration, m.inFlight} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// routeKey holds, in a request's context, where the API mux writes the
// route template it matched.
type routeKey struct{}

// matchedRoute is the grpc-gateway middleware recording the route template
// the request matched, for the metrics and the span's name.
func matchedRoute(next runtime.HandlerFunc) runtime.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, params map[string]string) {
		// The mux has matched the route (HTTPPathPattern is set only later,
		// inside the generated handler).
		if pat, ok := runtime.HTTPPattern(r.Context()); ok {
			pattern := pat.String()
			if p, ok := r.Context().Value(routeKey{}).(*string); ok {
				*p = pattern
			}
			trace.SpanFromContext(r.Context()).SetName(r.Method + " " + pattern)
		}
		next(w, r, params)
	}
}

// instrument wraps the gateway: a server span per request continuing the
// caller's W3C trace context (otelhttp; otel's global tracer provider),
// and the request in the metrics (m may be nil).
func instrument(h http.Handler, m *httpMetrics) http.Handler {
	measured := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m == nil {
			h.ServeHTTP(w, r)
			return
		}
		route := ""
		r = r.WithContext(context.WithValue(r.Context(), routeKey{}, &route))
		m.inFlight.Inc()
		defer m.inFlight.Dec()
		got := httpsnoop.CaptureMetrics(h, w, r)
		if route == "" {
			route = ownRoute(r.URL.Path)
		}
		m.duration.WithLabelValues(methodLabel(r.Method), route, strconv.Itoa(got.Code)).Observe(got.Duration.Seconds())
	})
	return otelhttp.NewHandler(measured, "gateway",
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }),
		// Probes and scrapes would fill the traces.
		otelhttp.WithFilter(func(r *http.Request) bool {
			return ownRoute(r.URL.Path) == "other" || strings.HasPrefix(r.URL.Path, "/openapi")
		}),
	)
}

// ownRoute is the route label of a path the API mux did not match: the
// gateway's own endpoints by name, anything else (404s) "other".
func ownRoute(path string) string {
	switch path {
	case "/openapi.json", "/healthz", "/readyz", "/metrics":
		return path
	}
	return "other"
}

func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}
