package downstream_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/downstream"
	"github.com/acme/bpo/kit/grpcserver"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// upstream records what reached it.
type upstream struct {
	catalogv1.UnimplementedCatalogServiceServer
	md       metadata.MD
	deadline time.Duration
}

func (u *upstream) GetProvider(ctx context.Context, req *catalogv1.GetProviderRequest) (*catalogv1.Provider, error) {
	u.md, _ = metadata.FromIncomingContext(ctx)
	if d, ok := ctx.Deadline(); ok {
		u.deadline = time.Until(d)
	}
	return &catalogv1.Provider{Name: req.GetName()}, nil
}

// front is a service whose GetProvider asks the upstream one, as contract
// asks catalog.
type front struct {
	catalogv1.UnimplementedCatalogServiceServer
	up catalogv1.CatalogServiceClient
}

func (f *front) GetProvider(ctx context.Context, req *catalogv1.GetProviderRequest) (*catalogv1.Provider, error) {
	return f.up.GetProvider(ctx, req)
}

func listen(t *testing.T, s *grpc.Server) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

func TestCallsCarryTheCallersTokenRequestIDAndADeadline(t *testing.T) {
	up := &upstream{}
	us := grpc.NewServer()
	healthpb.RegisterHealthServer(us, health.NewServer())
	catalogv1.RegisterCatalogServiceServer(us, up)
	upAddr := listen(t, us)

	// A closed port: the dependency is down.
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close()

	key := []byte(strings.Repeat("k", 32))
	v, _ := auth.NewHMACVerifier(key)
	tok, err := auth.NewSigner(key).Mint("ana", []auth.Role{auth.SourcingManager}, "", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	client := func(t *testing.T, dependency string) catalogv1.CatalogServiceClient {
		conn, err := downstream.Dial("catalog", dependency)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		srv, err := grpcserver.New(grpcserver.Config{Log: zap.NewNop(), Verifier: v, Policy: auth.Policy{
			catalogv1.CatalogService_GetProvider_FullMethodName: {auth.SourcingManager},
		}})
		if err != nil {
			t.Fatal(err)
		}
		catalogv1.RegisterCatalogServiceServer(srv.Server, &front{up: catalogv1.NewCatalogServiceClient(conn)})
		cc, err := grpc.NewClient(listen(t, srv.Server), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cc.Close() })
		return catalogv1.NewCatalogServiceClient(cc)
	}
	req := &catalogv1.GetProviderRequest{Name: "providers/p1"}
	asAna := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+tok)

	t.Run("the token and the caller's request id reach the upstream, with a deadline", func(t *testing.T) {
		ctx := metadata.AppendToOutgoingContext(asAna, downstream.RequestIDKey, "req-7")
		if _, err := client(t, upAddr).GetProvider(ctx, req); err != nil {
			t.Fatal(err)
		}
		if got := up.md.Get("authorization"); len(got) != 1 || got[0] != "Bearer "+tok {
			t.Errorf("upstream saw authorization %v, want the caller's token", got)
		}
		if got := up.md.Get(downstream.RequestIDKey); len(got) != 1 || got[0] != "req-7" {
			t.Errorf("upstream saw request id %v, want req-7", got)
		}
		if up.deadline <= 0 || up.deadline > downstream.DefaultTimeout {
			t.Errorf("upstream deadline in %v, want within %v", up.deadline, downstream.DefaultTimeout)
		}
	})
	t.Run("a request id the server made reaches the upstream", func(t *testing.T) {
		var header metadata.MD
		if _, err := client(t, upAddr).GetProvider(asAna, req, grpc.Header(&header)); err != nil {
			t.Fatal(err)
		}
		made := header.Get(downstream.RequestIDKey)
		if got := up.md.Get(downstream.RequestIDKey); len(made) != 1 || len(got) != 1 || got[0] != made[0] {
			t.Errorf("upstream saw request id %v, the caller was told %v", got, made)
		}
	})
	t.Run("a dependency that is down is UNAVAILABLE naming it", func(t *testing.T) {
		_, err := client(t, deadAddr).GetProvider(asAna, req)
		st, _ := status.FromError(err)
		if st.Code() != codes.Unavailable || st.Message() != "catalog is unavailable; try again later" {
			t.Fatalf("got %v, want UNAVAILABLE naming catalog", err)
		}
	})
}

// wantUnavailableNamingCatalog checks an error as a service maps it (the
// apperr kind) and as grpc-gateway shows it (the status).
func wantUnavailableNamingCatalog(t *testing.T, err error, addr string) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != codes.Unavailable || st.Message() != "catalog is unavailable; try again later" || apperr.KindOf(err) != apperr.Unavailable {
		t.Fatalf("got %v (status %v, kind %v), want UNAVAILABLE saying only that catalog is unavailable", err, st, apperr.KindOf(err))
	}
	_, port, _ := net.SplitHostPort(addr)
	if strings.Contains(st.Message(), port) || len(st.Details()) != 0 {
		t.Fatalf("status %v shows more than the service", st)
	}
}

// grpc-gateway reads the error's status; a service reads its apperr, often
// wrapped.
func TestADownDependencyIsUnavailableToTheGatewayAndToServices(t *testing.T) {
	conn, err := downstream.Dial("catalog", "127.0.0.1:1") // nothing listens on port 1
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = catalogv1.NewCatalogServiceClient(conn).GetProvider(t.Context(), &catalogv1.GetProviderRequest{Name: "providers/p1"})
	wantUnavailableNamingCatalog(t, err, "127.0.0.1:1")
	var ae *apperr.Error
	if wrapped := fmt.Errorf("ask catalog: %w", err); !errors.As(wrapped, &ae) || ae.Message != "catalog is unavailable; try again later" {
		t.Fatalf("wrapped: %v, want the apperr inside", wrapped)
	}
}

// transitionDown is a service that is up but whose own dependency is not.
type transitionDown struct {
	catalogv1.UnimplementedCatalogServiceServer
}

func (transitionDown) GetProvider(context.Context, *catalogv1.GetProviderRequest) (*catalogv1.Provider, error) {
	return nil, apperr.UnavailableDependency("transition", errors.New("dial tcp 10.1.2.3:9090: connect: connection refused"))
}

func TestAnUnavailableTheDependencyAnswersItselfNamesTheServiceThatIsDown(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	v, _ := auth.NewHMACVerifier(key)
	tok, err := auth.NewSigner(key).Mint("ana", []auth.Role{auth.SourcingManager}, "", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := grpcserver.New(grpcserver.Config{Log: zap.NewNop(), Verifier: v, Policy: auth.Policy{
		catalogv1.CatalogService_GetProvider_FullMethodName: {auth.SourcingManager},
	}})
	if err != nil {
		t.Fatal(err)
	}
	catalogv1.RegisterCatalogServiceServer(srv.Server, transitionDown{})
	conn, err := downstream.Dial("lifecycle", listen(t, srv.Server))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+tok)
	_, err = catalogv1.NewCatalogServiceClient(conn).GetProvider(ctx, &catalogv1.GetProviderRequest{Name: "providers/p1"})
	st := status.Convert(err)
	if st.Code() != codes.Unavailable || st.Message() != "transition is unavailable; try again later" || apperr.KindOf(err) != apperr.Unavailable {
		t.Fatalf("got %v (kind %v), want UNAVAILABLE naming transition, the service that is down", st, apperr.KindOf(err))
	}
}
