package grpcserver_test

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/grpcserver"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// rawCodec sends and receives bytes as they are, so a test can put on the
// wire what no generated client would.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(v.([]byte))}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	*v.(*[]byte) = data.Materialize()
	return nil
}

type meteredEnv struct {
	*env
	registry *prometheus.Registry
}

// startMetered is start with metrics.
func startMetered(t *testing.T) meteredEnv {
	t.Helper()
	key := []byte(strings.Repeat("k", 32))
	v, err := auth.NewHMACVerifier(key)
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	reg := prometheus.NewRegistry()
	srv, err := grpcserver.New(grpcserver.Config{Log: zap.New(core), Verifier: v, Policy: policy, Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	fake := &catalogFake{release: make(chan struct{}), started: make(chan struct{})}
	catalogv1.RegisterCatalogServiceServer(srv.Server, fake)
	monitoringv1.RegisterMonitoringServiceServer(srv.Server, monitoringFake{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, lis, 5*time.Second) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		stop()
		<-served
	})
	return meteredEnv{
		env: &env{
			catalog: catalogv1.NewCatalogServiceClient(conn), monitoring: monitoringv1.NewMonitoringServiceClient(conn),
			conn: conn, fake: fake, logs: logs, signer: auth.NewSigner(key), stop: stop, served: served,
		},
		registry: reg,
	}
}

// handled is grpc_server_handled_total of a method of CatalogService or
// MonitoringService with a code.
func (e meteredEnv) handled(t *testing.T, fullMethod string, code codes.Code) float64 {
	t.Helper()
	service, method, _ := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
	families, err := e.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "grpc_server_handled_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["grpc_service"] == service && labels["grpc_method"] == method && labels["grpc_code"] == code.String() {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func loggedCodes(logs *observer.ObservedLogs, method string) []string {
	var out []string
	for _, l := range rpcLines(logs, method) {
		out = append(out, l.ContextMap()["code"].(string))
	}
	return out
}

func TestARequestThatDoesNotDecodeIsInvalidArgumentLoggedAndCounted(t *testing.T) {
	e := startMetered(t)
	getProvider := catalogv1.CatalogService_GetProvider_FullMethodName
	garbage := []struct {
		name, bytes, says string
	}{
		// Field 1 (name) is a string of three bytes that are not UTF-8.
		{"invalid UTF-8 in a string", "\x0a\x03\xff\xfe\xfd", "invalid UTF-8"},
		{"a length beyond the end", "\x0a\x05ab", "cannot parse invalid wire-format data"},
		{"a varint of eleven bytes", "\x08" + strings.Repeat("\xff", 10) + "\x01", "cannot parse invalid wire-format data"},
		{"a field number of zero", "\x00\x00\x00", "cannot parse invalid wire-format data"},
		{"groups 20,000 deep", strings.Repeat("\x13", 20_000), ""},
	}
	ctx := e.as(t, "ana", auth.SourcingManager)
	for _, g := range garbage {
		var reply []byte
		err := e.conn.Invoke(ctx, getProvider, []byte(g.bytes), &reply, grpc.ForceCodecV2(rawCodec{}))
		st := wantStatus(t, err, codes.InvalidArgument)
		if !strings.HasPrefix(st.Message(), "the request is not a valid bpo.catalog.v1.GetProviderRequest message (") || !strings.Contains(st.Message(), g.says) {
			t.Errorf("%s: message %q, want one naming the message and saying %q", g.name, st.Message(), g.says)
		}
	}
	if e.fake.calls != 0 {
		t.Fatalf("the handler ran %d times on requests that do not decode", e.fake.calls)
	}
	n := len(garbage)
	if got := e.handled(t, getProvider, codes.InvalidArgument); got != float64(n) {
		t.Errorf("grpc_server_handled_total{GetProvider, InvalidArgument} = %v, want %d", got, n)
	}
	if got := e.handled(t, getProvider, codes.Internal); got != 0 {
		t.Errorf("grpc_server_handled_total{GetProvider, Internal} = %v, want 0", got)
	}
	lines := rpcLines(e.logs, getProvider)
	if len(lines) != n {
		t.Fatalf("%d log lines for %d calls", len(lines), n)
	}
	for _, l := range lines {
		if m := l.ContextMap(); m["code"] != "InvalidArgument" || m["subject"] != "ana" || l.Level != zapcore.InfoLevel {
			t.Errorf("log line %v at %v, want InvalidArgument for ana at info: a client's mistake, not an error of the server", m, l.Level)
		}
	}

	t.Run("an anonymous caller learns only that it needs a token", func(t *testing.T) {
		var reply []byte
		err := e.conn.Invoke(t.Context(), getProvider, []byte("\x0a\x03\xff\xfe\xfd"), &reply, grpc.ForceCodecV2(rawCodec{}))
		wantStatus(t, err, codes.Unauthenticated)
	})

	t.Run("a stream message that does not decode ends the stream with INVALID_ARGUMENT", func(t *testing.T) {
		ingest := monitoringv1.MonitoringService_IngestMeasurements_FullMethodName
		stream, err := e.conn.NewStream(e.as(t, "pat", auth.ProviderUser), &grpc.StreamDesc{ClientStreams: true}, ingest, grpc.ForceCodecV2(rawCodec{}))
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.SendMsg([]byte("\x0a\x05ab")); err != nil {
			t.Fatal(err)
		}
		_ = stream.CloseSend()
		var reply []byte
		wantStatus(t, stream.RecvMsg(&reply), codes.InvalidArgument)
		if got := loggedCodes(e.logs, ingest); len(got) != 1 || got[0] != "InvalidArgument" {
			t.Errorf("logged codes %v, want [InvalidArgument]", got)
		}
		if got := e.handled(t, ingest, codes.InvalidArgument); got != 1 {
			t.Errorf("grpc_server_handled_total{IngestMeasurements, InvalidArgument} = %v, want 1", got)
		}
	})

	t.Run("a request carrying the mark's field number is an ordinary request", func(t *testing.T) {
		req, err := proto.Marshal(&catalogv1.GetProviderRequest{Name: "providers/p1"})
		if err != nil {
			t.Fatal(err)
		}
		req = protowire.AppendTag(req, protowire.MaxValidNumber, protowire.BytesType)
		req = protowire.AppendBytes(req, bytes.Repeat([]byte{0}, 16))
		var reply []byte
		if err := e.conn.Invoke(ctx, getProvider, req, &reply, grpc.ForceCodecV2(rawCodec{})); err != nil {
			t.Fatalf("got %v, want the provider", err)
		}
		got := &catalogv1.Provider{}
		if err := proto.Unmarshal(reply, got); err != nil || got.GetName() != "providers/p1" {
			t.Fatalf("reply %v (%v), want providers/p1", got, err)
		}
	})
}

func TestACallThatGRPCRefusesBeforeTheInterceptorsIsLoggedAndCounted(t *testing.T) {
	e := startMetered(t)
	getProvider := catalogv1.CatalogService_GetProvider_FullMethodName
	// One byte over grpc-go's default 4 MiB limit on a received message.
	big := make([]byte, 4<<20+1)
	var reply []byte
	err := e.conn.Invoke(e.as(t, "ana", auth.SourcingManager), getProvider, big, &reply, grpc.ForceCodecV2(rawCodec{}))
	wantStatus(t, err, codes.ResourceExhausted)
	if got := loggedCodes(e.logs, getProvider); len(got) != 1 || got[0] != "ResourceExhausted" {
		t.Errorf("logged codes %v, want [ResourceExhausted]", got)
	}
	if got := e.handled(t, getProvider, codes.ResourceExhausted); got != 1 {
		t.Errorf("grpc_server_handled_total{GetProvider, ResourceExhausted} = %v, want 1", got)
	}

	// A call the interceptors see is logged and counted once, not again
	// by the stats handler.
	if _, err := e.catalog.GetProvider(e.as(t, "ana", auth.SourcingManager), &catalogv1.GetProviderRequest{Name: "providers/p1"}); err != nil {
		t.Fatal(err)
	}
	if got := loggedCodes(e.logs, getProvider); len(got) != 2 || got[1] != "OK" {
		t.Errorf("logged codes %v, want [ResourceExhausted OK]", got)
	}
	if got := e.handled(t, getProvider, codes.OK); got != 1 {
		t.Errorf("grpc_server_handled_total{GetProvider, OK} = %v, want 1", got)
	}
}
