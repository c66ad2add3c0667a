package exporter_test

import (
	"context"
	"fmt"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/agentops-dev/agentops/exporter"
)

// countExporter is a minimal exporter: it counts spans.
type countExporter struct{ n *int }

func (c countExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	*c.n += len(spans)
	return nil
}
func (c countExporter) Shutdown(context.Context) error { return nil }

// Adding an exporter is implementing sdktrace.SpanExporter and registering
// a name; `agentops run -e count` then builds it.
func ExampleRegister() {
	var n int
	exporter.Register("count", exporter.Factory{
		Usage: "counts spans (an example)",
		New: func(context.Context, string, exporter.Settings) (sdktrace.SpanExporter, error) {
			return countExporter{&n}, nil
		},
	})
	spec, _ := exporter.ParseSpec("count")
	exp, _ := exporter.New(context.Background(), spec, exporter.Settings{})
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	_, span := tp.Tracer("example").Start(context.Background(), "step")
	span.End()
	_ = tp.Shutdown(context.Background())
	fmt.Println(n, "span exported")
	// Output: 1 span exported
}
