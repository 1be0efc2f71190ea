package console

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// client calls the public REST API through the gateway's own handler, in
// process: the same routes, authentication, validation and error bodies as
// any client over the network, without a socket. Every read and every
// action of the console is one of these calls, with the signed-in user's
// token as its Bearer token.
type client struct{ api http.Handler }

// apiError is an answer of the API other than 2xx, as the API words it.
type apiError struct {
	// HTTPStatus is the HTTP status the API answered.
	HTTPStatus int
	// Code is the gRPC code of the google.rpc.Status body.
	Code codes.Code
	// Message is the status's message, verbatim.
	Message string
	// Violations are the field violations of a google.rpc.BadRequest
	// detail, "field: description".
	Violations []string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.HTTPStatus, codeName(e.Code), e.Message)
}

// codeName is the gRPC code as the API's documentation spells it
// (PERMISSION_DENIED).
func codeName(c codes.Code) string {
	switch c {
	case codes.OK:
		return "OK"
	case codes.Canceled:
		return "CANCELLED"
	}
	var b strings.Builder
	for i, r := range c.String() {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

// decode is how the console reads the API's JSON: into the generated
// messages, tolerating fields a newer server adds.
var decode = protojson.UnmarshalOptions{DiscardUnknown: true}

// get reads path (an API path, "/v1/…") as the holder of token and
// decodes the answer into out. A non-2xx answer is an *apiError.
func (c client) get(ctx context.Context, token, path string, query url.Values, out proto.Message) error {
	return c.call(ctx, token, http.MethodGet, path, query, nil, out)
}

// post sends body (a message, sent as JSON) to path and decodes the answer
// into out (nil to ignore it).
func (c client) post(ctx context.Context, token, path string, body proto.Message, out proto.Message) error {
	return c.call(ctx, token, http.MethodPost, path, nil, body, out)
}

func (c client) call(ctx context.Context, token, method, path string, query url.Values, body, out proto.Message) error {
	var b []byte
	if body != nil {
		var err error
		if b, err = protojson.Marshal(body); err != nil {
			return fmt.Errorf("%s %s: encode: %w", method, path, err)
		}
	}
	rec := c.do(ctx, token, method, path, query, b, nil)
	if err := rec.err(); err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := decode.Unmarshal(rec.body.Bytes(), out); err != nil {
		return fmt.Errorf("%s %s: decode the answer: %w", method, path, err)
	}
	return nil
}

// file reads path as it comes (a CSV, an SVG): its content type, its
// Content-Disposition and its bytes.
func (c client) file(ctx context.Context, token, path string, query url.Values) (*recorder, error) {
	rec := c.do(ctx, token, http.MethodGet, path, query, nil, nil)
	return rec, rec.err()
}

// do serves one request to the API handler and records the answer.
func (c client) do(ctx context.Context, token, method, path string, query url.Values, body []byte, header http.Header) *recorder {
	req := c.request(ctx, token, method, path, query, body, header)
	rec := &recorder{header: http.Header{}}
	c.api.ServeHTTP(rec, req)
	return rec
}

// request is the API request the console makes for its user. The path is
// built by the console from resource ids it has checked, never copied
// from the browser's URL.
func (c client) request(ctx context.Context, token, method, path string, query url.Values, body []byte, header http.Header) *http.Request {
	target := &url.URL{Path: path, RawQuery: query.Encode()}
	var rd io.Reader = http.NoBody
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, _ := http.NewRequestWithContext(ctx, method, target.String(), rd) // a path and a query: cannot fail
	req.RequestURI = target.RequestURI()
	req.RemoteAddr = "console"
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		req.ContentLength = int64(len(body))
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

// recorder is the answer of one in-process API call.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

// err is the answer as an *apiError, or nil for a 2xx.
func (r *recorder) err() error {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if r.status/100 == 2 {
		return nil
	}
	return parseError(r.status, r.body.Bytes())
}

// parseError reads a google.rpc.Status body (the API's every error).
func parseError(httpStatus int, body []byte) *apiError {
	var st struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Details []struct {
			Type            string `json:"@type"`
			FieldViolations []struct {
				Field       string `json:"field"`
				Description string `json:"description"`
			} `json:"fieldViolations"`
		} `json:"details"`
	}
	e := &apiError{HTTPStatus: httpStatus}
	if err := json.Unmarshal(body, &st); err != nil || st.Message == "" {
		// Not a status (a proxy's page, say): the text as it came.
		e.Code, e.Message = codes.Unknown, strings.TrimSpace(string(body))
		if e.Message == "" {
			e.Message = http.StatusText(httpStatus)
		}
		return e
	}
	e.Code, e.Message = codes.Code(st.Code), st.Message
	for _, d := range st.Details {
		for _, v := range d.FieldViolations {
			e.Violations = append(e.Violations, v.Field+": "+v.Description)
		}
	}
	return e
}
