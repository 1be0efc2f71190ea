// Package telemetry sets up a process's OpenTelemetry tracing: a tracer
// provider and the W3C trace-context propagator, installed as otel's
// globals, which the gRPC stats handlers (kit/grpcserver, kit/downstream)
// and the gateway's HTTP handler use.
//
// Export is off unless the standard environment variables ask for it
// (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/):
//
//   - OTEL_TRACES_EXPORTER=otlp, or an OTEL_EXPORTER_OTLP_ENDPOINT /
//     OTEL_EXPORTER_OTLP_TRACES_ENDPOINT with OTEL_TRACES_EXPORTER unset,
//     exports spans by OTLP; OTEL_TRACES_EXPORTER=none (or unset, with no
//     endpoint) exports nothing; OTEL_SDK_DISABLED=true turns tracing off.
//   - OTEL_EXPORTER_OTLP_PROTOCOL / OTEL_EXPORTER_OTLP_TRACES_PROTOCOL:
//     http/protobuf (the specification's default, port 4318) or grpc
//     (port 4317); the exporters read the other OTEL_EXPORTER_OTLP_*
//     variables (headers, timeout, certificates, insecure) themselves.
//   - OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES name the process
//     (default service.name: bpo-<service>); OTEL_TRACES_SAMPLER and
//     OTEL_TRACES_SAMPLER_ARG choose the sampler (default
//     parentbased_always_on); OTEL_BSP_* tune the batching.
//
// Without export, trace ids are still made and propagated (spans are not
// recorded), so every log line of one request carries the same trace_id
// in every process it crosses.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
)

// Tracing is the process's tracing as Setup installed it.
type Tracing struct {
	// Exporter is "otlp (grpc)", "otlp (http/protobuf)" or "" (no export).
	Exporter string
	provider *sdktrace.TracerProvider
}

// Shutdown flushes the spans not yet exported and stops the exporter.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil || t.provider == nil {
		return nil
	}
	return t.provider.Shutdown(ctx)
}

// Setup installs the tracer provider and the propagator as otel's globals
// for a process running service (catalog, gateway, all …), as the
// environment says (see the package doc); getenv is os.Getenv in
// production. Call Shutdown at exit.
func Setup(ctx context.Context, service string, getenv func(string) string) (*Tracing, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return &Tracing{}, nil
	}
	exporter, protocol, err := choose(getenv)
	if err != nil {
		return nil, err
	}
	res, err := resource.Merge(
		resource.NewSchemaless(attribute.String("service.name", "bpo-"+service), attribute.String("service.namespace", "bpo")),
		// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win.
		envResource(ctx),
	)
	if err != nil {
		return nil, fmt.Errorf("tracing resource: %w", err)
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	t := &Tracing{}
	if exporter == "" {
		// Ids without recording: a request's trace id reaches every log
		// line; a caller's sampled flag is kept for the services after us.
		opts = append(opts, sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.NeverSample())))
	} else {
		var exp sdktrace.SpanExporter
		switch protocol {
		case "grpc":
			exp, err = otlptracegrpc.New(ctx)
		default:
			exp, err = otlptracehttp.New(ctx)
		}
		if err != nil {
			return nil, fmt.Errorf("OTLP trace exporter: %w", err)
		}
		// The sampler is OTEL_TRACES_SAMPLER's (default parentbased_always_on).
		opts = append(opts, sdktrace.WithBatcher(exp))
		t.Exporter = "otlp (" + protocol + ")"
	}
	t.provider = sdktrace.NewTracerProvider(opts...)
	otel.SetTracerProvider(t.provider)
	return t, nil
}

func envResource(ctx context.Context) *resource.Resource {
	r, err := resource.New(ctx, resource.WithFromEnv())
	if err != nil {
		return resource.Empty()
	}
	return r
}

// choose reads the exporter and its protocol from the environment: "" when
// spans are not exported.
func choose(getenv func(string) string) (exporter, protocol string, err error) {
	names := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER"))
	endpoint := getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") + getenv("OTEL_EXPORTER_OTLP_ENDPOINT")
	switch {
	case names == "" && endpoint == "", names == "none":
		return "", "", nil
	case names == "" || names == "otlp":
		exporter = "otlp"
	default:
		return "", "", fmt.Errorf("OTEL_TRACES_EXPORTER=%q: want otlp or none", names)
	}
	protocol = strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"))
	if protocol == "" {
		protocol = strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_PROTOCOL"))
	}
	switch protocol {
	case "":
		protocol = "http/protobuf"
	case "grpc", "http/protobuf":
	default:
		return "", "", errors.New("OTEL_EXPORTER_OTLP_PROTOCOL=" + protocol + ": want grpc or http/protobuf")
	}
	return exporter, protocol, nil
}

// TraceID is the trace id of the span in ctx, "" when there is none.
func TraceID(ctx context.Context) string {
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		return sc.TraceID().String()
	}
	return ""
}

// LogField is the trace id of ctx as a log field (zap.Skip when none).
func LogField(ctx context.Context) zap.Field {
	if id := TraceID(ctx); id != "" {
		return zap.String("trace_id", id)
	}
	return zap.Skip()
}
