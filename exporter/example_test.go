package exporter_test

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/pdata/ptrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/agentops-dev/agentops/exporter"
)

// countExporter is a minimal pdata exporter: it counts spans.
type countExporter struct{ n *int }

func (c countExporter) ExportTraces(_ context.Context, td ptrace.Traces) error {
	*c.n += td.SpanCount()
	return nil
}
func (c countExporter) Shutdown(context.Context) error { return nil }

// Adding an exporter is implementing exporter.Exporter (ExportTraces, and
// ExportLogs or ExportMetrics for those signals) and registering a name;
// `agentops run -e count` then builds it.
func ExampleRegister() {
	var n int
	exporter.Register("count", exporter.Factory{
		Usage: "counts spans (an example)",
		New: func(context.Context, string, exporter.Settings) (exporter.Exporter, error) {
			return countExporter{&n}, nil
		},
	})
	spec, _ := exporter.ParseSpec("count")
	exp, _ := exporter.New(context.Background(), spec, exporter.Settings{})
	td := ptrace.NewTraces()
	td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty().SetName("step")
	_ = exp.ExportTraces(context.Background(), td)
	fmt.Println(n, "span exported")
	// Output: 1 span exported
}

// sdkCount is an OpenTelemetry SDK span exporter.
type sdkCount struct{ n *int }

func (c sdkCount) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	*c.n += len(spans)
	return nil
}
func (c sdkCount) Shutdown(context.Context) error { return nil }

// An SDK span exporter plugs in through FromSpanExporter.
func ExampleFromSpanExporter() {
	var n int
	exp := exporter.FromSpanExporter(sdkCount{&n})
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	spans.AppendEmpty().SetName("a")
	spans.AppendEmpty().SetName("b")
	_ = exp.ExportTraces(context.Background(), td)
	fmt.Println(n, "spans exported")
	// Output: 2 spans exported
}
