package main

import (
	"context"
	"strings"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/auth"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
)

func TestReindexCountsTheDocumentsOfEachService(t *testing.T) {
	dir := t.TempDir()
	// Documents written by a running platform: two providers.
	grpcAddr := freeAddr(t)
	ctx, stop := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() {
		served <- serve(ctx, []string{"--data-dir", dir, "--db", "", "--jwt-secret-file", "", "--jwks-file", "",
			"--grpc-addr", grpcAddr, "--http-addr", freeAddr(t), "--drain-timeout", "5s"})
	}()
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	waitServing(t, conn, served)
	key, err := auth.LoadOrCreateLocalKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := auth.NewSigner(key).Mint("sam", []auth.Role{auth.SourcingManager}, "", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	sm := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+tok)
	for _, country := range []string{"PH", "CO"} {
		_, err := catalogv1.NewCatalogServiceClient(conn).CreateProvider(sm, &catalogv1.CreateProviderRequest{Provider: &catalogv1.Provider{
			DisplayName: "BPO " + country, LegalName: "BPO " + country + " Ltd.", HqCountry: country, BillingCurrency: "USD",
		}})
		if err != nil {
			t.Fatalf("CreateProvider: %v", err)
		}
	}
	stop()
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}

	var out strings.Builder
	if err := reindex(t.Context(), []string{"--data-dir", dir, "--db", ""}, &out); err != nil {
		t.Fatalf("reindex: %v", err)
	}
	for _, want := range []string{"catalog     2 documents reindexed", "contract    0 documents reindexed", "transition  0 documents reindexed", "monitoring  0 documents reindexed"} {
		if !strings.Contains(out.String(), want+"\n") {
			t.Errorf("reindex printed\n%s\nwant a line %q", out.String(), want)
		}
	}

	out.Reset()
	if err := reindex(t.Context(), []string{"--data-dir", dir, "--db", "", "--service", "catalog"}, &out); err != nil {
		t.Fatalf("reindex --service catalog: %v", err)
	}
	if got := out.String(); got != "catalog     2 documents reindexed\n" {
		t.Errorf("reindex --service catalog printed %q; want the catalog's line alone", got)
	}
	if err := reindex(t.Context(), []string{"--data-dir", dir, "--service", "gateway"}, &out); err == nil || !strings.Contains(err.Error(), `--service "gateway"`) {
		t.Errorf("reindex --service gateway: %v; want a refusal, the gateway stores nothing", err)
	}
}

// waitServing waits until the server behind conn reports SERVING, failing
// if serve returns first.
func waitServing(t *testing.T, conn *grpc.ClientConn, served <-chan error) {
	t.Helper()
	for range 200 {
		select {
		case err := <-served:
			t.Fatalf("serve returned before serving: %v", err)
		default:
		}
		resp, err := healthpb.NewHealthClient(conn).Check(t.Context(), &healthpb.HealthCheckRequest{})
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatal("the server did not start")
}
