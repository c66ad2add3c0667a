package exporter

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"os"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// decodeOTLP reads an OTLP/HTTP protobuf request body, gzip or not.
func decodeOTLP(t *testing.T, r *http.Request) ptraceotlp.ExportRequest {
	t.Helper()
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			t.Errorf("gzip: %v", err)
			return ptraceotlp.NewExportRequest()
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Errorf("read body: %v", err)
	}
	req := ptraceotlp.NewExportRequest()
	if err := req.UnmarshalProto(b); err != nil {
		t.Errorf("decode OTLP: %v", err)
	}
	return req
}

// sdkSpans returns n spans made by a real SDK TracerProvider.
func sdkSpans(t *testing.T, n int) []sdktrace.ReadOnlySpan {
	t.Helper()
	rec := &recorder{}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(rec))
	for i := 0; i < n; i++ {
		_, s := tp.Tracer("test").Start(context.Background(), "step")
		s.End()
	}
	_ = tp.Shutdown(context.Background())
	return rec.spans
}

type recorder struct{ spans []sdktrace.ReadOnlySpan }

func (r *recorder) ExportSpans(_ context.Context, s []sdktrace.ReadOnlySpan) error {
	r.spans = append(r.spans, s...)
	return nil
}
func (r *recorder) Shutdown(context.Context) error { return nil }

// readTraces reads an OTLP JSON lines file.
func readTraces(t *testing.T, path string) []ptrace.Traces {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []ptrace.Traces
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(line)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, td)
	}
	return out
}
