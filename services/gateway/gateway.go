// Package gateway serves the services as REST/JSON through grpc-gateway, and
// the OpenAPI document at /openapi.json.
package gateway

import (
	"context"
	"net/http"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	lifecyclev1 "github.com/acme/bpo/gen/go/bpo/lifecycle/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
	"github.com/acme/bpo/gen/openapi"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
)

// Upstreams are the connections to the services the gateway exposes.
type Upstreams struct {
	Catalog, Contract, Transition, Monitoring *grpc.ClientConn
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
	for _, register := range []func() error{
		func() error { return catalogv1.RegisterCatalogServiceHandler(ctx, mux, up.Catalog) },
		func() error { return contractv1.RegisterContractServiceHandler(ctx, mux, up.Contract) },
		func() error { return transitionv1.RegisterTransitionServiceHandler(ctx, mux, up.Transition) },
		func() error { return monitoringv1.RegisterMonitoringServiceHandler(ctx, mux, up.Monitoring) },
		func() error {
			// The lifecycle view runs in the gateway itself: no gRPC hop.
			return lifecyclev1.RegisterLifecycleServiceHandlerServer(ctx, mux, &lifecycle{
				catalog:    catalogv1.NewCatalogServiceClient(up.Catalog),
				contract:   contractv1.NewContractServiceClient(up.Contract),
				transition: transitionv1.NewTransitionServiceClient(up.Transition),
				monitoring: monitoringv1.NewMonitoringServiceClient(up.Monitoring),
			})
		},
	} {
		if err := register(); err != nil {
			return nil, err
		}
	}
	root := http.NewServeMux()
	root.Handle("/v1/", mux)
	root.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapi.Document)
	})
	root.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	return root, nil
}
