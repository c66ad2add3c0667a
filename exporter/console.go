package exporter

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
)

func init() {
	Register("console", Factory{
		Usage: "human-readable spans on stderr, for debugging",
		New: func(_ context.Context, _ string, s Settings) (Exporter, error) {
			// An SDK span exporter, plugged in through the adapter.
			return FromSpanExporter(NewConsole(s.Console)), nil
		},
	})
}

// Console writes one readable line per span, followed by its attributes.
type Console struct {
	mu sync.Mutex
	w  io.Writer
}

// NewConsole writes to w; nil means io.Discard.
func NewConsole(w io.Writer) *Console {
	if w == nil {
		w = io.Discard
	}
	return &Console{w: w}
}

// ExportSpans prints spans.
func (c *Console) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	var b strings.Builder
	for _, s := range spans {
		service := ""
		for _, kv := range s.Resource().Attributes() {
			if kv.Key == semconv.ServiceNameKey {
				service = kv.Value.Emit()
			}
		}
		status := ""
		if st := s.Status(); st.Code == codes.Error {
			status = " ERROR"
			if st.Description != "" {
				status += " " + st.Description
			}
		}
		parent := "root"
		if s.Parent().IsValid() {
			parent = "parent " + s.Parent().SpanID().String()
		}
		fmt.Fprintf(&b, "[span] %s %s %s (%s, %s) trace %s span %s %s%s\n",
			service, s.Name(), s.EndTime().Sub(s.StartTime()), s.SpanKind(), s.InstrumentationScope().Name,
			s.SpanContext().TraceID(), s.SpanContext().SpanID(), parent, status)
		for _, kv := range s.Attributes() {
			fmt.Fprintf(&b, "         %s=%s\n", kv.Key, kv.Value.Emit())
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := io.WriteString(c.w, b.String())
	return err
}

// Shutdown does nothing: the writer belongs to the caller.
func (c *Console) Shutdown(context.Context) error { return nil }
