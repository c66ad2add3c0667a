package exporter

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// newOTLPHTTP builds the OpenTelemetry SDK's OTLP/HTTP span exporter,
// configured only from target and s: every option is set explicitly so
// that our own OTEL_EXPORTER_OTLP_* variables (which may carry another
// session's token) never leak into it. The AgentOps exporter, an SDK span
// exporter behind FromSpanExporter, sends with it; the `otlp` exporter
// forwards pdata itself (OTLP).
func newOTLPHTTP(ctx context.Context, target string, s Settings, client *http.Client) (sdktrace.SpanExporter, error) {
	u, err := httpURL(target, "http://localhost:4318")
	if err != nil {
		return nil, err
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	headers := s.Headers
	if headers == nil {
		headers = map[string]string{}
	}
	opts := []otlptracehttp.Option{
		otlptracehttp.WithEndpointURL(u.String()),
		otlptracehttp.WithHeaders(headers),
		otlptracehttp.WithTimeout(s.timeout()),
		otlptracehttp.WithCompression(otlptracehttp.NoCompression),
	}
	if s.Compression != "none" {
		opts = append(opts, otlptracehttp.WithCompression(otlptracehttp.GzipCompression))
	}
	if s.Protocol == "http/json" {
		opts = append(opts, otlptracehttp.WithEncoding(otlptracehttp.EncodingJSON))
	} else {
		opts = append(opts, otlptracehttp.WithEncoding(otlptracehttp.EncodingProtobuf))
	}
	if client != nil {
		opts = append(opts, otlptracehttp.WithHTTPClient(client))
	}
	r := s.Retry.orDefault()
	opts = append(opts, otlptracehttp.WithRetry(otlptracehttp.RetryConfig{
		Enabled:         !r.Disabled,
		InitialInterval: r.InitialInterval,
		MaxInterval:     r.MaxInterval,
		MaxElapsedTime:  r.MaxElapsedTime,
	}))
	return otlptracehttp.New(ctx, opts...)
}
