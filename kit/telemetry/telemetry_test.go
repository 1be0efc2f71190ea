package telemetry

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
)

func TestChooseExporterFromTheEnvironment(t *testing.T) {
	tests := []struct {
		name               string
		env                map[string]string
		exporter, protocol string
		wantErr            bool
	}{
		{"nothing set: no export", nil, "", "", false},
		{"an endpoint: OTLP over the spec's default protocol", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, "otlp", "http/protobuf", false},
		{"a traces endpoint, gRPC", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "otlp", "grpc", false},
		{"the traces protocol wins", map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf"}, "otlp", "http/protobuf", false},
		{"none wins over an endpoint", map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, "", "", false},
		{"an exporter we do not have", map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, "", "", true},
		{"a protocol we do not have", map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp, proto, err := choose(func(k string) string { return tt.env[k] })
			if (err != nil) != tt.wantErr || exp != tt.exporter || proto != tt.protocol {
				t.Errorf("choose = %q, %q, %v; want %q, %q, error %v", exp, proto, err, tt.exporter, tt.protocol, tt.wantErr)
			}
		})
	}
}

// Without export, a new trace is neither recorded nor sampled but has an
// id, and a caller's traceparent is continued: its trace id is what the
// logs carry (and its sampled flag goes on, for processes that export).
func TestWithoutExportTraceIDsStillFlow(t *testing.T) {
	tr, err := Setup(context.Background(), "catalog", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Shutdown(context.Background())
	if tr.Exporter != "" {
		t.Fatalf("exporter %q; want none", tr.Exporter)
	}
	const id = "4bf92f3577b34da6a3ce929d0e0e4736"
	carrier := propagation.MapCarrier{"traceparent": "00-" + id + "-00f067aa0ba902b7-01"}
	ctx := otel.GetTextMapPropagator().Extract(context.Background(), carrier)
	ctx, span := otel.Tracer("test").Start(ctx, "call")
	defer span.End()
	if got := TraceID(ctx); got != id {
		t.Errorf("trace id %q; want the caller's %s", got, id)
	}
	root, rootSpan := otel.Tracer("test").Start(context.Background(), "root")
	defer rootSpan.End()
	if TraceID(root) == "" || rootSpan.IsRecording() || rootSpan.SpanContext().IsSampled() {
		t.Errorf("a new trace: id %q, recording %v, sampled %v; want an id, neither recorded nor sampled",
			TraceID(root), rootSpan.IsRecording(), rootSpan.SpanContext().IsSampled())
	}
}
