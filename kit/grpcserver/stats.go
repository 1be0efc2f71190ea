package grpcserver

import (
	"context"
	"sync/atomic"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"
)

// unseenCalls logs and counts the calls that end before any interceptor
// runs. grpc-go itself refuses a request message over the size limit, a
// second message on a unary method or an unknown compression, and such a
// call would otherwise reach neither the log nor the metrics.
type unseenCalls struct {
	ic *interceptors
	// metered is the metrics interceptor, nil when the server has no
	// metrics: replaying a call's end through it is the only way in to its
	// counters (the latency histogram is a stats handler of its own).
	metered grpc.StreamServerInterceptor
}

func newUnseenCalls(ic *interceptors, metrics *grpcprom.ServerMetrics) *unseenCalls {
	h := &unseenCalls{ic: ic}
	if metrics != nil {
		h.metered = metrics.StreamServerInterceptor()
	}
	return h
}

// rpcTag follows one call from grpc-go's first word on it to its end.
type rpcTag struct {
	method                     string
	begin                      time.Time
	clientStream, serverStream bool
	reached                    atomic.Bool // an interceptor logs the call
}

type rpcTagKey struct{}

// markReached tells the stats handler that the interceptors log and count
// the call in ctx.
func markReached(ctx context.Context) {
	if t, ok := ctx.Value(rpcTagKey{}).(*rpcTag); ok {
		t.reached.Store(true)
	}
}

func (h *unseenCalls) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	return context.WithValue(ctx, rpcTagKey{}, &rpcTag{method: info.FullMethodName, begin: time.Now()})
}

func (h *unseenCalls) HandleRPC(ctx context.Context, s stats.RPCStats) {
	t, ok := ctx.Value(rpcTagKey{}).(*rpcTag)
	if !ok {
		return
	}
	switch s := s.(type) {
	case *stats.Begin:
		t.begin, t.clientStream, t.serverStream = s.BeginTime, s.IsClientStream, s.IsServerStream
	case *stats.End:
		if t.reached.Load() {
			return
		}
		_, c := startCall(ctx)
		h.ic.logCall(t.method, c, t.begin, s.Error)
		if h.metered != nil {
			info := &grpc.StreamServerInfo{FullMethod: t.method, IsClientStream: t.clientStream, IsServerStream: t.serverStream}
			_ = h.metered(nil, endedStream{ctx: ctx}, info, func(any, grpc.ServerStream) error { return s.Error })
		}
	}
}

func (h *unseenCalls) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }

func (h *unseenCalls) HandleConn(context.Context, stats.ConnStats) {}

// endedStream stands in for the stream of a call that is over; the metrics
// interceptor reads only its context.
type endedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s endedStream) Context() context.Context { return s.ctx }
