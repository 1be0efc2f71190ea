package walk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/acme/bpo/kit/auth"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// User is someone the walk acts as: a subject with roles, and for a
// provider user its provider.
type User struct {
	Subject  string
	Roles    []auth.Role
	Provider string // providers/{id}, for the provider role only
	// Title says who the user is in the walk's lines, e.g. "approver".
	Title string
}

// Client calls the REST gateway as any user, with tokens signed by the
// local key (the one `bpo serve` verifies on the embedded default).
type Client struct {
	base   string
	http   *http.Client
	signer *auth.Signer

	mu     sync.Mutex
	tokens map[string]string
}

// NewClient returns a client of the gateway at baseURL (e.g.
// http://localhost:8080) that signs tokens with key.
func NewClient(baseURL string, key []byte) *Client {
	return &Client{
		base:   strings.TrimRight(baseURL, "/"),
		http:   &http.Client{Timeout: 30 * time.Second},
		signer: auth.NewSigner(key),
		tokens: map[string]string{},
	}
}

// Token returns a token for u, minted once.
func (c *Client) Token(u User) (string, error) {
	key := u.Subject + "|" + u.Provider
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.tokens[key]; ok {
		return t, nil
	}
	t, err := c.signer.Mint(u.Subject, u.Roles, u.Provider, 2*time.Hour)
	if err != nil {
		return "", err
	}
	c.tokens[key] = t
	return t, nil
}

// APIError is an answer of the gateway other than 2xx: the HTTP status and
// the google.rpc.Status it carries.
type APIError struct {
	Method, Path string
	HTTPStatus   int
	Code         codes.Code
	Message      string
	Body         string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d, %s: %s", e.Method, e.Path, e.HTTPStatus, e.Code, e.Message)
}

var unmarshal = protojson.UnmarshalOptions{DiscardUnknown: true}

// Do sends method path as u with body (a proto message as JSON, or nil)
// and decodes a 2xx answer into out (or ignores it when out is nil). Any
// other answer is an *APIError. query may be nil.
func (c *Client) Do(ctx context.Context, u User, method, path string, query url.Values, body, out proto.Message) error {
	var rd io.Reader
	if body != nil {
		b, err := protojson.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s %s: encode: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	target := c.base + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if u.Subject != "" {
		tok, err := c.Token(u)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		e := &APIError{Method: method, Path: path, HTTPStatus: resp.StatusCode, Body: string(raw)}
		var st struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		}
		if json.Unmarshal(raw, &st) == nil {
			e.Code, e.Message = codes.Code(st.Code), st.Message
		} else {
			e.Code, e.Message = codes.Unknown, strings.TrimSpace(string(raw))
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := unmarshal.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}
