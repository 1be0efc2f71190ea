package grpcserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"runtime/debug"
	"strings"
	"time"

	"buf.build/go/protovalidate"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/telemetry"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// RequestIDHeader carries a caller's correlation id; the server makes one
// when there is none and returns it in the response header.
const RequestIDHeader = "x-request-id"

// call is what the logging interceptor learns about a call from the
// interceptors inside it.
type call struct {
	requestID string
	subject   string
	traceID   string // of the span the tracing stats handler started
}

type callKey struct{}

func callFrom(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

// RequestID returns the correlation id of the call in ctx.
func RequestID(ctx context.Context) string {
	if c := callFrom(ctx); c != nil {
		return c.requestID
	}
	return ""
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func startCall(ctx context.Context) (context.Context, *call) {
	markReached(ctx)
	c := &call{}
	// The one header, not a copy of them all (FromIncomingContext).
	if v := metadata.ValueFromIncomingContext(ctx, RequestIDHeader); len(v) > 0 && len(v[0]) <= 128 {
		c.requestID = v[0]
	}
	if c.requestID == "" {
		c.requestID = newRequestID()
	}
	c.traceID = telemetry.TraceID(ctx)
	return context.WithValue(ctx, callKey{}, c), c
}

// interceptors holds what every interceptor needs.
type interceptors struct {
	log       *zap.Logger
	verifier  *auth.Verifier
	policy    auth.Policy
	validator protovalidate.Validator
}

// logUnary writes one line per RPC: method, code, duration, request id and
// subject — never the token or the payload.
func (ic *interceptors) logUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	start := time.Now()
	ctx, c := startCall(ctx)
	_ = grpc.SetHeader(ctx, metadata.Pairs(RequestIDHeader, c.requestID))
	resp, err := handler(ctx, req)
	if err != nil { // the logger with the call's fields only when there is something to say
		err = toStatus(ctx, ic.log.With(zap.String("method", info.FullMethod), zap.String("request_id", c.requestID), telemetry.LogField(ctx)), err)
	}
	ic.logCall(info.FullMethod, c, start, err)
	return resp, err
}

func (ic *interceptors) logStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	start := time.Now()
	ctx, c := startCall(ss.Context())
	_ = ss.SetHeader(metadata.Pairs(RequestIDHeader, c.requestID))
	err := handler(srv, &wrappedStream{ServerStream: ss, ctx: ctx})
	if err != nil {
		err = toStatus(ctx, ic.log.With(zap.String("method", info.FullMethod), zap.String("request_id", c.requestID), telemetry.LogField(ctx)), err)
	}
	ic.logCall(info.FullMethod, c, start, err)
	return err
}

func (ic *interceptors) logCall(method string, c *call, start time.Time, err error) {
	code := status.Code(err)
	fields := []zap.Field{
		zap.String("method", method),
		zap.String("code", code.String()),
		zap.Duration("duration", time.Since(start)),
		zap.String("request_id", c.requestID),
		zap.String("subject", c.subject),
	}
	if c.traceID != "" {
		fields = append(fields, zap.String("trace_id", c.traceID))
	}
	switch {
	case code == codes.Internal || code == codes.Unknown || code == codes.DataLoss:
		ic.log.Error("rpc", fields...)
	case exempt(method) && code == codes.OK:
		// Probes call health every few seconds; keep them out of the way.
		ic.log.Debug("rpc", fields...)
	default:
		ic.log.Info("rpc", fields...)
	}
}

// recoverUnary turns a panic into INTERNAL; the stack goes to the log only.
func (ic *interceptors) recoverUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if r := recover(); r != nil {
			ic.log.Error("panic", zap.String("method", info.FullMethod), telemetry.LogField(ctx), zap.Any("panic", r), zap.ByteString("stack", debug.Stack()))
			err = status.Error(codes.Internal, internalMessage)
		}
	}()
	return handler(ctx, req)
}

func (ic *interceptors) recoverStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			ic.log.Error("panic", zap.String("method", info.FullMethod), telemetry.LogField(ss.Context()), zap.Any("panic", r), zap.ByteString("stack", debug.Stack()))
			err = status.Error(codes.Internal, internalMessage)
		}
	}()
	return handler(srv, ss)
}

// exempt are the services that answer without a token: health checks and
// reflection, so probes and grpcurl work out of the box.
func exempt(method string) bool {
	return strings.HasPrefix(method, "/grpc.health.v1.Health/") ||
		strings.HasPrefix(method, "/grpc.reflection.")
}

func (ic *interceptors) authenticate(ctx context.Context, method string) (context.Context, error) {
	if exempt(method) {
		return ctx, nil
	}
	raw := bearer(ctx)
	if raw == "" {
		return nil, status.Error(codes.Unauthenticated, "missing credentials: send 'Authorization: Bearer <token>'")
	}
	p, err := ic.verifier.Verify(raw)
	if err != nil {
		ic.log.Info("token refused", zap.String("method", method), telemetry.LogField(ctx), zap.Error(err))
		return nil, status.Error(codes.Unauthenticated, "the bearer token is not valid (expired, wrongly signed or malformed)")
	}
	if c := callFrom(ctx); c != nil {
		c.subject = p.Subject
	}
	if err := ic.policy.Allows(method, p); err != nil {
		return nil, status.Error(codes.PermissionDenied, "permission denied: "+err.Error())
	}
	return auth.WithPrincipal(ctx, p), nil
}

func bearer(ctx context.Context) string {
	for _, v := range metadata.ValueFromIncomingContext(ctx, "authorization") {
		if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
			return strings.TrimSpace(v[7:])
		}
	}
	return ""
}

func (ic *interceptors) authUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	ctx, err := ic.authenticate(ctx, info.FullMethod)
	if err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (ic *interceptors) authStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ctx, err := ic.authenticate(ss.Context(), info.FullMethod)
	if err != nil {
		return err
	}
	return handler(srv, &wrappedStream{ServerStream: ss, ctx: ctx})
}

// validate checks a request against the buf.validate rules of its proto and
// answers INVALID_ARGUMENT with one field violation per bad field.
func (ic *interceptors) validate(msg any) error {
	m, ok := msg.(proto.Message)
	if !ok {
		return nil
	}
	if err := undecodable(m); err != nil {
		return undecodableRequest(m, err)
	}
	err := ic.validator.Validate(m)
	if err == nil {
		return nil
	}
	var verr *protovalidate.ValidationError
	if !errors.As(err, &verr) {
		return err // a rule that does not compile is a bug
	}
	return violations(verr).Err()
}

// violations turns the validator's findings into one violation per bad
// field (conventions.md, "Errors"): a field that breaks several rules gets
// one violation saying all of them.
func violations(verr *protovalidate.ValidationError) apperr.Violations {
	var vs apperr.Violations
	at := map[string]int{}
	for _, v := range verr.Violations {
		field, msg := protovalidate.FieldPathString(v.Proto.GetField()), v.Proto.GetMessage()
		if i, ok := at[field]; ok {
			vs[i].Description += "; " + msg
			continue
		}
		at[field] = len(vs)
		vs.Add(field, "%s", msg)
	}
	return vs
}

func (ic *interceptors) validateUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := ic.validate(req); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (ic *interceptors) validateStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, &validatingStream{ServerStream: ss, ic: ic})
}

type wrappedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (w *wrappedStream) Context() context.Context { return w.ctx }

type validatingStream struct {
	grpc.ServerStream
	ic *interceptors
}

func (v *validatingStream) RecvMsg(m any) error {
	if err := v.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if err := v.ic.validate(m); err != nil {
		return toStatus(v.Context(), v.ic.log.With(telemetry.LogField(v.Context())), err)
	}
	return nil
}
