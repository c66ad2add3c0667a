package exporter

import (
	"context"
	"fmt"
	"io"
	"os"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Batch is one batch of one signal: the field of its Signal is set.
type Batch struct {
	Signal  Signal
	Traces  ptrace.Traces
	Logs    plog.Logs
	Metrics pmetric.Metrics
}

// TracesBatch, LogsBatch and MetricsBatch wrap a pdata batch.
func TracesBatch(td ptrace.Traces) Batch    { return Batch{Signal: Traces, Traces: td} }
func LogsBatch(ld plog.Logs) Batch          { return Batch{Signal: Logs, Logs: ld} }
func MetricsBatch(md pmetric.Metrics) Batch { return Batch{Signal: Metrics, Metrics: md} }

// Items counts the batch's spans, log records or data points.
func (b Batch) Items() int {
	switch b.Signal {
	case Logs:
		return b.Logs.LogRecordCount()
	case Metrics:
		return b.Metrics.DataPointCount()
	}
	return b.Traces.SpanCount()
}

// Export hands b to e; a signal e does not carry is a no-op.
func Export(ctx context.Context, e Exporter, b Batch) error {
	if !Carries(e, b.Signal) {
		return nil
	}
	switch b.Signal {
	case Logs:
		return e.(LogsExporter).ExportLogs(ctx, b.Logs)
	case Metrics:
		return e.(MetricsExporter).ExportMetrics(ctx, b.Metrics)
	}
	return e.ExportTraces(ctx, b.Traces)
}

// Ref says where a batch is kept: one line of an OTLP JSON lines file (the
// store's spans.jsonl, logs.jsonl, metrics.jsonl, or an exporter's unsent
// file), without its newline.
type Ref struct {
	File   string `json:"file"`
	Offset int64  `json:"offset"`
	Length int64  `json:"length"`
	// Items counts what the line holds.
	Items int64 `json:"items"`
}

// Valid says whether r points at a line.
func (r Ref) Valid() bool { return r.File != "" }

// Journal keeps every batch it is given and says where: the local store
// is one. With a journal the pipeline need not hold what an exporter has
// not sent yet in memory: it reads it back from the journal, as a
// Collector's persistent sending queue reads its file storage.
type Journal interface {
	AppendTraces(td ptrace.Traces) (Ref, error)
	AppendLogs(ld plog.Logs) (Ref, error)
	AppendMetrics(md pmetric.Metrics) (Ref, error)
}

// Append writes b to j.
func Append(j Journal, b Batch) (Ref, error) {
	switch b.Signal {
	case Logs:
		return j.AppendLogs(b.Logs)
	case Metrics:
		return j.AppendMetrics(b.Metrics)
	}
	return j.AppendTraces(b.Traces)
}

// ReadRef reads the batch r points at from f (the file r names, opened).
func ReadRef(f io.ReaderAt, r Ref, s Signal) (Batch, error) {
	b := make([]byte, r.Length)
	if _, err := f.ReadAt(b, r.Offset); err != nil {
		return Batch{}, fmt.Errorf("read %s at %d: %w", r.File, r.Offset, err)
	}
	return DecodeLine(b, s)
}

// DecodeLine decodes one OTLP JSON line of signal s.
func DecodeLine(b []byte, s Signal) (Batch, error) {
	var err error
	out := Batch{Signal: s}
	switch s {
	case Logs:
		out.Logs, err = (&plog.JSONUnmarshaler{}).UnmarshalLogs(b)
	case Metrics:
		out.Metrics, err = (&pmetric.JSONUnmarshaler{}).UnmarshalMetrics(b)
	default:
		out.Traces, err = (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(b)
	}
	if err != nil {
		return Batch{}, fmt.Errorf("decode OTLP JSON %s: %w", s, err)
	}
	return out, nil
}

// SignalOfLine says which signal an OTLP JSON line holds, from its
// top-level key (resourceSpans, resourceLogs, resourceMetrics).
func SignalOfLine(b []byte) (Signal, bool) {
	for i := 0; i+3 < len(b) && i < 64; i++ {
		if b[i] != '"' {
			continue
		}
		switch {
		case hasPrefixAt(b, i+1, "resourceSpans"):
			return Traces, true
		case hasPrefixAt(b, i+1, "resourceLogs"):
			return Logs, true
		case hasPrefixAt(b, i+1, "resourceMetrics"):
			return Metrics, true
		}
		return 0, false
	}
	return 0, false
}

func hasPrefixAt(b []byte, i int, p string) bool {
	return len(b)-i >= len(p) && string(b[i:i+len(p)]) == p
}

// merge appends copies of parts into one new batch: the parts stay
// untouched, since the pipeline shares them.
func merge(s Signal, parts []Batch) Batch {
	if len(parts) == 1 {
		return parts[0]
	}
	out := Batch{Signal: s}
	switch s {
	case Logs:
		out.Logs = plog.NewLogs()
		for _, p := range parts {
			rls := p.Logs.ResourceLogs()
			for i := 0; i < rls.Len(); i++ {
				rls.At(i).CopyTo(out.Logs.ResourceLogs().AppendEmpty())
			}
		}
	case Metrics:
		out.Metrics = pmetric.NewMetrics()
		for _, p := range parts {
			rms := p.Metrics.ResourceMetrics()
			for i := 0; i < rms.Len(); i++ {
				rms.At(i).CopyTo(out.Metrics.ResourceMetrics().AppendEmpty())
			}
		}
	default:
		out.Traces = ptrace.NewTraces()
		for _, p := range parts {
			rss := p.Traces.ResourceSpans()
			for i := 0; i < rss.Len(); i++ {
				rss.At(i).CopyTo(out.Traces.ResourceSpans().AppendEmpty())
			}
		}
	}
	return out
}

// split cuts b into batches of at most n items, copying; b stays
// untouched. A batch within n is returned as it is.
func split(b Batch, n int) []Batch {
	if n <= 0 || b.Items() <= n {
		return []Batch{b}
	}
	switch b.Signal {
	case Logs:
		return splitLogs(b.Logs, n)
	case Metrics:
		return splitMetrics(b.Metrics, n)
	}
	return splitTraces(b.Traces, n)
}

// openFiles caches read handles of journal files.
type openFiles struct{ m map[string]*os.File }

func (o *openFiles) get(name string) (*os.File, error) {
	if f, ok := o.m[name]; ok {
		return f, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	if o.m == nil {
		o.m = map[string]*os.File{}
	}
	o.m[name] = f
	return f, nil
}

func (o *openFiles) close() {
	for _, f := range o.m {
		f.Close()
	}
	o.m = nil
}
