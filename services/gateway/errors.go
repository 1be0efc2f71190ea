package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/telemetry"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// internalMessage is what a caller learns of a failure in the gateway
// itself; the cause goes to the log. The services say the same.
const internalMessage = "internal error; the failure has been logged"

// guard refuses what must never reach grpc-gateway's decoding: a body over
// the limit (before a byte of it is decoded, so an anonymous caller cannot
// make the gateway hold more than the limit per request) and a URL that
// is not UTF-8 (which protobuf cannot carry, so it failed as INTERNAL).
func (g *gateway) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if msg := invalidURL(r); msg != "" {
			g.fail(w, r, http.StatusBadRequest, codes.InvalidArgument, msg)
			return
		}
		// A REST caller's Grpc-Timeout header is dropped: grpc-gateway
		// would make it the deadline of the proxied call, and its expiry
		// would then look like the service hanging (UNAVAILABLE naming it,
		// or 504). Every proxied call has kit/downstream's deadline instead,
		// and an HTTP client that stops waiting closes its request, which
		// cancels the call.
		if r.Header.Get("Grpc-Timeout") != "" {
			r = r.Clone(r.Context())
			r.Header.Del("Grpc-Timeout")
		}
		if r.ContentLength > g.maxBody {
			g.tooLarge(w, r)
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			body, err := readBody(http.MaxBytesReader(w, r.Body, g.maxBody), r.ContentLength)
			var tooLarge *http.MaxBytesError
			switch {
			case errors.As(err, &tooLarge):
				g.tooLarge(w, r)
				return
			case err != nil:
				g.fail(w, r, http.StatusBadRequest, codes.InvalidArgument, "the request body could not be read in full; send it again")
				return
			}
			r = r.WithContext(r.Context())
			r.Body = io.NopCloser(body)
		}
		next.ServeHTTP(w, r)
	})
}

func (g *gateway) tooLarge(w http.ResponseWriter, r *http.Request) {
	// The rest of the body stays unread, so an HTTP/1 connection cannot
	// carry another request (HTTP/2 resets just the stream).
	if r.ProtoMajor == 1 {
		w.Header().Set("Connection", "close")
	}
	// INVALID_ARGUMENT, not RESOURCE_EXHAUSTED (429): sent again, the same
	// request will never fit.
	g.fail(w, r, http.StatusRequestEntityTooLarge, codes.InvalidArgument, fmt.Sprintf(
		"the request body is larger than %d bytes, the most this server accepts; send fewer items per call", g.maxBody))
}

// readBody reads r, of declared length n (−1 when unknown), into chunks
// that grow from 4 KiB to 1 MiB and are never copied: what it holds is
// what the caller sent, not a doubling buffer's spare capacity.
func readBody(r io.Reader, n int64) (io.Reader, error) {
	var parts []io.Reader
	size := int64(4 << 10)
	for {
		c := size
		if n >= 0 {
			if n == 0 {
				break
			}
			c = min(c, n)
		}
		buf := make([]byte, c)
		k, err := io.ReadFull(r, buf)
		if k > 0 {
			parts = append(parts, bytes.NewReader(buf[:k]))
			if n >= 0 {
				n -= int64(k)
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			if n > 0 {
				return nil, io.ErrUnexpectedEOF
			}
			break
		}
		if err != nil {
			return nil, err
		}
		size = min(2*size, 1<<20)
	}
	return io.MultiReader(parts...), nil
}

// invalidURL says what is wrong with r's path or query, or "" when both
// are valid UTF-8.
func invalidURL(r *http.Request) string {
	if !utf8.ValidString(r.URL.Path) {
		return "the path is not valid UTF-8; percent-encode the UTF-8 bytes of each character"
	}
	for k, vs := range r.URL.Query() {
		if !utf8.ValidString(k) {
			return "a query parameter's name is not valid UTF-8; percent-encode the UTF-8 bytes of each character"
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return fmt.Sprintf("the query parameter %q is not valid UTF-8; percent-encode the UTF-8 bytes of each character", k)
			}
		}
	}
	return ""
}

// fail answers an error the gateway makes itself, through the mux's
// error handler so it has the shape (and the log line) of every other.
func (g *gateway) fail(w http.ResponseWriter, r *http.Request, httpStatus int, code codes.Code, msg string) {
	_, m := runtime.MarshalerForRequest(g.mux, r)
	g.handleError(r.Context(), g.mux, m, w, r, &runtime.HTTPStatusError{HTTPStatus: httpStatus, Err: ownError{status.New(code, msg)}})
}

// ownError is an answer of the gateway's own making: its message is the
// gateway's, never a caller's payload, so it may be logged.
type ownError struct{ st *status.Status }

func (e ownError) Error() string              { return e.st.Message() }
func (e ownError) GRPCStatus() *status.Status { return e.st }

// notFound answers a path the API does not have.
func (g *gateway) notFound(w http.ResponseWriter, r *http.Request) {
	g.fail(w, r, http.StatusNotFound, codes.NotFound, fmt.Sprintf("%s is not a path of this API; GET /openapi.json lists them", r.URL.Path))
}

// routingError replaces grpc-gateway's answers to a path it has no route
// for: 404, and 405 with Allow for a method a path does not take (501
// Unimplemented by default).
func (g *gateway) routingError(_ context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
	switch httpStatus {
	case http.StatusNotFound:
		g.notFound(w, r)
	case http.StatusMethodNotAllowed:
		g.methodNotAllowed(w, r, g.allowed(r))
	default:
		g.fail(w, r, http.StatusBadRequest, codes.InvalidArgument, "the request's path is malformed")
	}
}

func (g *gateway) methodNotAllowed(w http.ResponseWriter, r *http.Request, allow []string) {
	w.Header().Set("Allow", strings.Join(allow, ", "))
	g.fail(w, r, http.StatusMethodNotAllowed, codes.Unimplemented, fmt.Sprintf(
		"%s does not take %s; it takes %s", r.URL.Path, r.Method, strings.Join(allow, ", ")))
}

// allowed lists the methods the API routes at r's path.
func (g *gateway) allowed(r *http.Request) []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		p := r.WithContext(r.Context())
		p.Method = m
		var pw probeWriter
		g.probe.ServeHTTP(&pw, p)
		if pw.status == http.StatusOK {
			out = append(out, m)
		}
	}
	return out
}

type probeWriter struct {
	header http.Header
	status int
}

func (p *probeWriter) Header() http.Header {
	if p.header == nil {
		p.header = http.Header{}
	}
	return p.header
}
func (p *probeWriter) Write(b []byte) (int, error) { return len(b), nil }
func (p *probeWriter) WriteHeader(status int)      { p.status = status }

// get serves h for GET (and HEAD) only.
func (g *gateway) get(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			g.methodNotAllowed(w, r, []string{http.MethodGet, http.MethodHead})
			return
		}
		h(w, r)
	})
}

// handleError answers every error of the REST API. An error no service
// answered (none sent its request id) is the gateway's to log and to
// word: a deadline there is a dependency too slow to answer, which is
// UNAVAILABLE naming it (grpc-gateway would say 504), and anything else
// unexpected is INTERNAL without its cause, which goes to the log.
func (g *gateway) handleError(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	httpStatus := 0
	var hs *runtime.HTTPStatusError
	if errors.As(err, &hs) {
		httpStatus, err = hs.HTTPStatus, hs.Err
	}
	st := status.Convert(err)
	if !answeredByService(ctx) {
		switch st.Code() {
		case codes.DeadlineExceeded:
			rpc, _ := runtime.RPCMethod(ctx)
			st = status.New(codes.Unavailable, apperr.UnavailableDependency(serviceOf(rpc), nil).Message)
		case codes.Internal, codes.Unknown, codes.DataLoss:
			st = status.New(codes.Internal, internalMessage)
		}
		if httpStatus == 0 {
			httpStatus = runtime.HTTPStatusFromCode(st.Code())
		}
		g.logAnswer(ctx, r, httpStatus, st, err)
	}
	var out error = st.Err()
	if httpStatus != 0 {
		out = &runtime.HTTPStatusError{HTTPStatus: httpStatus, Err: out}
	}
	runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, out)
}

// answeredByService tells whether the error in ctx came from a service:
// every grpcserver answer carries a request id header.
func answeredByService(ctx context.Context) bool {
	md, ok := runtime.ServerMetadataFromContext(ctx)
	return ok && len(md.HeaderMD.Get("x-request-id")) > 0
}

// serviceOf is the short name of the service of an RPC,
// "/bpo.catalog.v1.CatalogService/GetProvider" → "catalog".
func serviceOf(rpc string) string {
	name, ok := strings.CutPrefix(rpc, "/bpo.")
	if i := strings.IndexByte(name, '.'); ok && i > 0 {
		return name[:i]
	}
	return "a service"
}

// logAnswer writes the line a service would have written had the request
// reached one. The message is logged when the gateway wrote it; others
// (decoding errors) may quote the payload, and a 5xx's cause is logged
// instead of the message the caller got.
func (g *gateway) logAnswer(ctx context.Context, r *http.Request, httpStatus int, st *status.Status, cause error) {
	fields := []zap.Field{
		zap.String("http_method", r.Method),
		zap.String("path", r.URL.EscapedPath()),
		zap.Int("status", httpStatus),
		zap.String("code", st.Code().String()),
	}
	if rpc, ok := runtime.RPCMethod(ctx); ok {
		fields = append(fields, zap.String("method", rpc))
	}
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 128 {
		fields = append(fields, zap.String("request_id", id))
	}
	fields = append(fields, telemetry.LogField(r.Context()))
	var own ownError
	switch {
	case errors.As(cause, &own):
		fields = append(fields, zap.String("message", own.st.Message()))
	case httpStatus >= 500:
		fields = append(fields, zap.String("cause", cause.Error()))
	}
	switch {
	case httpStatus >= 500 && httpStatus != http.StatusServiceUnavailable:
		g.log.Error("rest", fields...)
	case httpStatus >= 500:
		g.log.Warn("rest", fields...)
	default:
		g.log.Info("rest", fields...)
	}
}
