// Package gateway serves the services as REST/JSON through grpc-gateway,
// and the OpenAPI document at /openapi.json. It also holds the lifecycle
// view, a gRPC service that composes the others' answers into one
// engagement's lifecycle; the gateway reaches it over a connection like
// any other service.
package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	lifecyclev1 "github.com/acme/bpo/gen/go/bpo/lifecycle/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/gen/openapi"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
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

// New returns the gateway's HTTP handler.
func New(ctx context.Context, up Upstreams) (http.Handler, error) {
	mux := runtime.NewServeMux(
		// Authorization is forwarded by grpc-gateway itself; X-Request-Id
		// carries the caller's correlation id through to the service logs.
		runtime.WithIncomingHeaderMatcher(func(key string) (string, bool) {
			if strings.EqualFold(key, "X-Request-Id") {
				return "x-request-id", true
			}
			return runtime.DefaultHeaderMatcher(key)
		}),
		runtime.WithOutgoingHeaderMatcher(func(key string) (string, bool) {
			if key == "x-request-id" {
				return "X-Request-Id", true
			}
			return "", false
		}),
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.JSONPb{
			MarshalOptions:   protojson.MarshalOptions{EmitUnpopulated: false},
			UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
		}),
	)
	for _, u := range up.all() {
		if err := u.register(ctx, mux, u.conn); err != nil {
			return nil, fmt.Errorf("%s routes: %w", u.name, err)
		}
	}
	root := http.NewServeMux()
	root.Handle("/v1/", mux)
	root.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapi.Document)
	})
	// Liveness: the gateway process answers.
	root.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	// Readiness: every service behind the gateway reports SERVING.
	root.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		var down []string
		for _, u := range up.all() {
			resp, err := healthpb.NewHealthClient(u.conn).Check(ctx, &healthpb.HealthCheckRequest{})
			if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				down = append(down, u.name)
			}
		}
		if len(down) > 0 {
			http.Error(w, "not serving: "+strings.Join(down, ", "), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	return root, nil
}
