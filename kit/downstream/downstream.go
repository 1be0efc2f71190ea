// Package downstream dials the services a service calls. Calls carry the
// caller's token (so authorisation is the same wherever a request enters),
// the caller's request id, and a deadline; a dependency that is down or too
// slow becomes UNAVAILABLE naming it, never a hang or an INTERNAL.
package downstream

import (
	"context"
	"fmt"
	"time"

	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/grpcserver"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// DefaultTimeout bounds a downstream call when the caller set no earlier
// deadline.
const DefaultTimeout = 5 * time.Second

// Dial returns a connection to the service called name at addr. It does not
// block: a service that is down makes calls fail, not start-up. Dial once at
// start-up and share the connection.
func Dial(name, addr string) (*grpc.ClientConn, error) {
	conn, err := grpc.NewClient(addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		// With a `dns:///` address of a headless Service, calls spread over
		// every replica instead of sticking to the first one resolved.
		grpc.WithDefaultServiceConfig(`{"loadBalancingConfig": [{"round_robin": {}}]}`),
		grpc.WithChainUnaryInterceptor(forward(name)),
	)
	if err != nil {
		return nil, fmt.Errorf("dial %s at %s: %w", name, addr, err)
	}
	return conn, nil
}

// RequestIDKey is the metadata key of the correlation id.
const RequestIDKey = grpcserver.RequestIDHeader

func forward(name string) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
			defer cancel()
		}
		md, _ := metadata.FromIncomingContext(ctx)
		if p := auth.FromContext(ctx); p != nil && p.Token != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+p.Token)
		} else if v := md.Get("authorization"); len(v) > 0 {
			// The gateway's own view calls on behalf of an HTTP caller
			// whose token it has not verified itself: pass it on as is.
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", v[0])
		}
		// The server's id of the call, which it made when the caller sent
		// none, so the downstream log lines carry the same one.
		if id := grpcserver.RequestID(ctx); id != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, RequestIDKey, id)
		} else if ids := md.Get(RequestIDKey); len(ids) > 0 {
			ctx = metadata.AppendToOutgoingContext(ctx, RequestIDKey, ids[0])
		}
		err := invoker(ctx, method, req, reply, cc, opts...)
		switch status.Code(err) {
		case codes.Unavailable, codes.DeadlineExceeded:
			return apperr.UnavailableDependency(name, err)
		}
		return err
	}
}
