package catalog_test

// The plumbing of the catalog's service tests: the catalog alone, served
// by services/testenv as `bpo serve --service catalog` serves it, on a
// fresh database of each dialect; tokens minted for any role; assertions
// on status codes and field violations.

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"github.com/acme/bpo/services/testenv"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// env is one catalog server on a fresh database and a client of it.
type env struct {
	conn   *grpc.ClientConn
	client catalogv1.CatalogServiceClient
	signer *auth.Signer
}

// forEachDialect runs test once per dialect sqltest offers (SQLite, and
// PostgreSQL when BPO_TEST_POSTGRES_DSN is set), each on a fresh server.
func forEachDialect(t *testing.T, test func(t *testing.T, e *env)) {
	t.Helper()
	for _, dialect := range sqltest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) { test(t, startServer(t, dialect)) })
	}
}

// startServer serves the catalog alone on 127.0.0.1:0 until the test ends.
func startServer(t *testing.T, dialect string, opts ...testenv.Option) *env {
	t.Helper()
	e := testenv.Start(t, dialect, append([]testenv.Option{testenv.Only("catalog")}, opts...)...)
	return &env{conn: e.Conn, client: e.Catalog, signer: e.Signer}
}

// as returns a context whose calls carry a token with the roles; the
// subject names the roles, so audit records say who acted.
func (e *env) as(t *testing.T, roles ...auth.Role) context.Context {
	t.Helper()
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return e.withToken(t, strings.Join(names, "+"), roles, "")
}

// asProvider returns a context of a user of the provider named provider.
func (e *env) asProvider(t *testing.T, provider string) context.Context {
	t.Helper()
	return e.withToken(t, "user-of-"+provider, []auth.Role{auth.ProviderUser}, provider)
}

func (e *env) withToken(t *testing.T, subject string, roles []auth.Role, provider string) context.Context {
	t.Helper()
	tok, err := e.signer.Mint(subject, roles, provider, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return bearer(t.Context(), tok)
}

// bearer returns ctx with tok as its Authorization header.
func bearer(ctx context.Context, tok string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
}

// wantCode fails the test unless err is a status with code want.
func wantCode(t *testing.T, err error, want codes.Code) *status.Status {
	t.Helper()
	st, ok := status.FromError(err)
	if !ok || st.Code() != want {
		t.Fatalf("got %v, want %v", err, want)
	}
	return st
}

// wantViolations fails the test unless err is INVALID_ARGUMENT whose
// google.rpc.BadRequest names exactly the fields, in any order.
func wantViolations(t *testing.T, err error, fields ...string) {
	t.Helper()
	st := wantCode(t, err, codes.InvalidArgument)
	var got []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				got = append(got, v.GetField())
			}
		}
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(fields))
	if !slices.Equal(got, want) {
		t.Fatalf("field violations on %v, want %v (%v)", got, want, err)
	}
}
