package exporter

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// FuzzSpansFromTraces feeds whatever OTLP JSON decodes through both
// conversions: nothing a child sends may panic the pipeline or lose a span.
func FuzzSpansFromTraces(f *testing.F) {
	seed, err := (&ptrace.JSONMarshaler{}).MarshalTraces(sampleTraces())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"01","attributes":[{"key":"a","value":{"arrayValue":{"values":[{"kvlistValue":{}}]}}}]}]}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(b)
		if err != nil {
			return
		}
		spans := SpansFromTraces(td)
		if len(spans) != td.SpanCount() {
			t.Fatalf("%d spans from a batch of %d", len(spans), td.SpanCount())
		}
		if out := TracesFromSpans(spans); out.SpanCount() != td.SpanCount() {
			t.Fatalf("round trip: %d spans, want %d", out.SpanCount(), td.SpanCount())
		}
	})
}
