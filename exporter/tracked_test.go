package exporter

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// blockingExporter hangs until its context ends, like a backend that never answers.
type blockingExporter struct{ started chan struct{} }

func (b *blockingExporter) ExportSpans(ctx context.Context, _ []sdktrace.ReadOnlySpan) error {
	close(b.started)
	<-ctx.Done()
	return ctx.Err()
}
func (b *blockingExporter) Shutdown(context.Context) error { return nil }

func TestTrackedCutFailsAndKeepsSpans(t *testing.T) {
	unsent := filepath.Join(t.TempDir(), "sub", "unsent.jsonl")
	inner := &blockingExporter{started: make(chan struct{})}
	tr := NewTracked(Spec{Name: "otlp", Target: "http://x"}, "otlp", inner, "")
	tr.SetUnsentPath(unsent)
	spans := sdkSpans(t, 4)
	tr.Enqueued(len(spans) + 1) // one more than ever reaches the exporter
	errc := make(chan error)
	go func() { errc <- tr.ExportSpans(context.Background(), spans) }()
	<-inner.started
	tr.Cut()
	if err := <-errc; !errors.Is(err, ErrCut) {
		t.Fatalf("export error = %v, want ErrCut", err)
	}
	// After the cut, exports fail at once without reaching the backend.
	if err := tr.ExportSpans(context.Background(), spans[:1]); !errors.Is(err, ErrCut) {
		t.Fatalf("export after cut = %v, want ErrCut", err)
	}
	_ = tr.Shutdown(context.Background())
	<-tr.Done()
	o := tr.Outcome()
	if o.Sent != 0 || o.Failed != 5 || o.Dropped != 0 || o.Unsent != unsent {
		t.Errorf("outcome = %+v, want 5 failed kept in %s", o, unsent)
	}
	if kept := readLines(t, unsent); kept != 5 {
		t.Errorf("kept %d spans, want 5", kept)
	}
}

func TestTrackedCountsSentAndDropped(t *testing.T) {
	tr := NewTracked(Spec{Name: "console"}, "console", NewConsole(nil), "")
	tr.Enqueued(3)
	if err := tr.ExportSpans(context.Background(), sdkSpans(t, 2)); err != nil {
		t.Fatal(err)
	}
	if o := tr.Outcome(); o.Sent != 2 || o.Failed != 0 || o.Dropped != 1 || o.Err != nil {
		t.Errorf("outcome = %+v, want 2 sent, 1 dropped", o)
	}
}

func readLines(t *testing.T, path string) int {
	t.Helper()
	n := 0
	for _, td := range readTraces(t, path) {
		n += td.SpanCount()
	}
	return n
}
