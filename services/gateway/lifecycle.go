package gateway

import (
	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	lifecyclev1 "github.com/acme/bpo/gen/go/bpo/lifecycle/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	transitionv1 "github.com/acme/bpo/gen/go/bpo/transition/v1"
)

// lifecycle composes an engagement's lifecycle from the four services,
// asking each with the caller's token.
type lifecycle struct {
	lifecyclev1.UnimplementedLifecycleServiceServer
	catalog    catalogv1.CatalogServiceClient
	contract   contractv1.ContractServiceClient
	transition transitionv1.TransitionServiceClient
	monitoring monitoringv1.MonitoringServiceClient
}
