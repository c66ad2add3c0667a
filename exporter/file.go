package exporter

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

func init() {
	Register("file", Factory{
		Usage: "OTLP JSON lines appended to PATH, one export request per line, traces, logs and metrics in one stream (the Collector file exporter's format: a line's resourceSpans, resourceLogs or resourceMetrics key says which)",
		New: func(_ context.Context, target string, _ Settings) (Exporter, error) {
			if target == "" {
				return nil, errors.New("no path: use file=PATH, for example -e file=session.jsonl")
			}
			return NewFile(target)
		},
	})
}

// File writes every exported batch as one line of OTLP JSON (an
// ExportTraceServiceRequest, ExportLogsServiceRequest or
// ExportMetricsServiceRequest), all signals in one file: the format of the
// OpenTelemetry Collector's file exporter, whose top-level key
// (resourceSpans, resourceLogs, resourceMetrics) says what a line holds, so
// the Collector's otlpjsonfile receiver and other tools can read it back.
type File struct {
	mu     sync.Mutex
	f      *os.File
	w      *bufio.Writer
	size   int64
	closed bool
}

// NewFile opens (creating or appending to) path.
func NewFile(path string) (*File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &File{f: f, w: bufio.NewWriterSize(f, 64<<10), size: st.Size()}, nil
}

// Name is the file's path.
func (x *File) Name() string { return x.f.Name() }

// ExportTraces appends td as one line.
func (x *File) ExportTraces(_ context.Context, td ptrace.Traces) error {
	_, err := x.WriteTraces(td)
	return err
}

// ExportLogs appends ld as one line.
func (x *File) ExportLogs(_ context.Context, ld plog.Logs) error {
	_, err := x.WriteLogs(ld)
	return err
}

// ExportMetrics appends md as one line.
func (x *File) ExportMetrics(_ context.Context, md pmetric.Metrics) error {
	_, err := x.WriteMetrics(md)
	return err
}

// WriteTraces appends td as one line and says where it is.
func (x *File) WriteTraces(td ptrace.Traces) (Ref, error) {
	b, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	return x.writeLine(b, err, td.SpanCount())
}

// WriteLogs appends ld as one line and says where it is.
func (x *File) WriteLogs(ld plog.Logs) (Ref, error) {
	b, err := (&plog.JSONMarshaler{}).MarshalLogs(ld)
	return x.writeLine(b, err, ld.LogRecordCount())
}

// WriteMetrics appends md as one line and says where it is.
func (x *File) WriteMetrics(md pmetric.Metrics) (Ref, error) {
	b, err := (&pmetric.JSONMarshaler{}).MarshalMetrics(md)
	return x.writeLine(b, err, md.DataPointCount())
}

// WriteLine appends b, one OTLP JSON request without its newline.
func (x *File) WriteLine(b []byte, items int) (Ref, error) { return x.writeLine(b, nil, items) }

func (x *File) writeLine(b []byte, encErr error, items int) (Ref, error) {
	if encErr != nil {
		return Ref{}, fmt.Errorf("encode OTLP JSON: %w", encErr)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return Ref{}, errors.New("file exporter is shut down")
	}
	ref := Ref{File: x.f.Name(), Offset: x.size, Length: int64(len(b)), Items: int64(items)}
	if _, err := x.w.Write(b); err != nil {
		return Ref{}, err
	}
	if err := x.w.WriteByte('\n'); err != nil {
		return Ref{}, err
	}
	// Flushed per line: a line written is a line kept, and readable at
	// once by whoever reads the file back.
	if err := x.w.Flush(); err != nil {
		return Ref{}, err
	}
	x.size += int64(len(b)) + 1
	return ref, nil
}

// Shutdown closes the file.
func (x *File) Shutdown(context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return nil
	}
	x.closed = true
	return errors.Join(x.w.Flush(), x.f.Close())
}
