package exporter

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func init() {
	Register("otlp", Factory{
		Remote: true,
		Usage:  "OTLP/HTTP to URL (default http://localhost:4318); a URL without a path gets /v1/traces",
		New: func(ctx context.Context, target string, s Settings) (sdktrace.SpanExporter, error) {
			return newOTLPHTTP(ctx, target, s, nil)
		},
	})
	Register("otlpgrpc", Factory{
		Remote: true,
		Usage:  "OTLP/gRPC to URL (default http://localhost:4317); http:// means no TLS",
		New:    newOTLPGRPC,
	})
}

// tracesURL completes an OTLP/HTTP target: a bare host:port or a URL
// without a path gets the signal path /v1/traces, as
// OTEL_EXPORTER_OTLP_ENDPOINT does (OpenTelemetry exporter specification,
// "Endpoint URLs for OTLP/HTTP"); a URL with a path is used as it is, like
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT.
func tracesURL(target, def string) (string, error) {
	if target == "" {
		target = def
	}
	if !strings.Contains(target, "://") {
		target = "http://" + target
	}
	u, err := url.Parse(target)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("bad URL %q: use http://host:port or https://host/path", RedactURL(target))
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	return u.String(), nil
}

// newOTLPHTTP builds an OTLP/HTTP exporter configured only from target and
// s: every option is set explicitly so that our own OTEL_EXPORTER_OTLP_*
// variables (which may carry another session's token) never leak into it.
func newOTLPHTTP(ctx context.Context, target string, s Settings, client *http.Client) (sdktrace.SpanExporter, error) {
	endpoint, err := tracesURL(target, "http://localhost:4318")
	if err != nil {
		return nil, err
	}
	headers := s.Headers
	if headers == nil {
		headers = map[string]string{}
	}
	opts := []otlptracehttp.Option{
		otlptracehttp.WithEndpointURL(endpoint),
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

func newOTLPGRPC(ctx context.Context, target string, s Settings) (sdktrace.SpanExporter, error) {
	if target == "" {
		target = "http://localhost:4317"
	}
	if !strings.Contains(target, "://") {
		target = "http://" + target
	}
	if u, err := url.Parse(target); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("bad URL %q: use http://host:port (no TLS) or https://host:port", RedactURL(target))
	}
	headers := s.Headers
	if headers == nil {
		headers = map[string]string{}
	}
	opts := []otlptracegrpc.Option{
		otlptracegrpc.WithEndpointURL(target),
		otlptracegrpc.WithHeaders(headers),
		otlptracegrpc.WithTimeout(s.timeout()),
	}
	if s.Compression != "none" {
		opts = append(opts, otlptracegrpc.WithCompressor("gzip"))
	}
	r := s.Retry.orDefault()
	opts = append(opts, otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{
		Enabled:         !r.Disabled,
		InitialInterval: r.InitialInterval,
		MaxInterval:     r.MaxInterval,
		MaxElapsedTime:  r.MaxElapsedTime,
	}))
	return otlptracegrpc.New(ctx, opts...)
}
