package catalog

import (
	"context"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/auth"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// ClockSubject is the subject the audit log records for what the clock
// does by itself (an event closing at its deadline).
const ClockSubject = "system:deadline"

// clockContext is ctx acting as the clock: its audit records name
// ClockSubject (no roles) and CloseSourcingEvent, whoever's call noticed
// the deadline had passed.
func clockContext(ctx context.Context) context.Context {
	ctx = auth.WithPrincipal(ctx, &auth.Principal{Subject: ClockSubject})
	return grpc.NewContextWithServerTransportStream(ctx, methodStream(catalogv1.CatalogService_CloseSourcingEvent_FullMethodName))
}

// methodStream is a grpc.ServerTransportStream that only names a method.
type methodStream string

func (m methodStream) Method() string             { return string(m) }
func (methodStream) SetHeader(metadata.MD) error  { return nil }
func (methodStream) SendHeader(metadata.MD) error { return nil }
func (methodStream) SetTrailer(metadata.MD) error { return nil }
