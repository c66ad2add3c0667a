package exporter

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"go.opentelemetry.io/collector/pdata/ptrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func init() {
	Register("file", Factory{
		Usage: "OTLP JSON lines appended to PATH, one export request per line (the Collector file exporter's format)",
		New: func(_ context.Context, target string, _ Settings) (sdktrace.SpanExporter, error) {
			if target == "" {
				return nil, errors.New("no path: use file=PATH, for example -e file=spans.jsonl")
			}
			return NewFile(target)
		},
	})
}

// File writes every exported batch as one line of OTLP JSON (an
// ExportTraceServiceRequest), the format of the OpenTelemetry Collector's
// file exporter, so the Collector's otlpjsonfile receiver and other tools
// can read it back.
type File struct {
	mu     sync.Mutex
	f      *os.File
	closed bool
}

// NewFile opens (creating or appending to) path.
func NewFile(path string) (*File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &File{f: f}, nil
}

// ExportSpans appends spans as one line.
func (x *File) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	if len(spans) == 0 {
		return nil
	}
	return x.WriteTraces(TracesFromSpans(spans))
}

// WriteTraces appends td as one line.
func (x *File) WriteTraces(td ptrace.Traces) error {
	b, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	if err != nil {
		return fmt.Errorf("encode OTLP JSON: %w", err)
	}
	b = append(b, '\n')
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return errors.New("file exporter is shut down")
	}
	_, err = x.f.Write(b)
	return err
}

// Shutdown closes the file.
func (x *File) Shutdown(context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return nil
	}
	x.closed = true
	return x.f.Close()
}
