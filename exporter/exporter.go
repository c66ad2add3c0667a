package exporter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Exporter is the pipeline's plug-in point: it sends batches of OTLP data
// as the pipeline holds them, in pdata, so an exporter that speaks OTLP
// forwards what the child sent field for field (no conversion to SDK spans
// and back). Every exporter carries traces; one that also implements
// LogsExporter or MetricsExporter carries those signals too.
//
// The batch belongs to the pipeline and may be shared with other exporters
// and the session's own bookkeeping at the same time: an exporter only
// reads it. One that must change it (a transform) works on a copy
// (td.CopyTo). Methods are called from several goroutines at once (the
// pipeline's concurrent senders).
//
// An export makes one attempt: the pipeline retries. Errors say whether a
// retry may succeed: Permanent ones are not retried, RetryAfter ones are
// retried after the wait the backend asked for, and any other error is
// retried with backoff. InDoubt marks an attempt whose request reached the
// backend without an answer: it may have been kept, so it is not resent.
type Exporter interface {
	ExportTraces(ctx context.Context, td ptrace.Traces) error
	// Shutdown releases the exporter once the pipeline is done with it,
	// within ctx.
	Shutdown(ctx context.Context) error
}

// LogsExporter is an Exporter that carries log records.
type LogsExporter interface {
	ExportLogs(ctx context.Context, ld plog.Logs) error
}

// MetricsExporter is an Exporter that carries metrics.
type MetricsExporter interface {
	ExportMetrics(ctx context.Context, md pmetric.Metrics) error
}

// Signal is one kind of OTLP data.
type Signal int

// The signals, in the order the pipeline keeps them.
const (
	Traces Signal = iota
	Logs
	Metrics
)

// Signals lists every signal.
var Signals = []Signal{Traces, Logs, Metrics}

// String is the signal's name in OTLP paths (/v1/traces, ...).
func (s Signal) String() string {
	switch s {
	case Logs:
		return "logs"
	case Metrics:
		return "metrics"
	}
	return "traces"
}

// Items names what a signal counts: spans, log records, data points.
func (s Signal) Items() string {
	switch s {
	case Logs:
		return "log records"
	case Metrics:
		return "data points"
	}
	return "spans"
}

// Carries says whether e exports signal s: it implements the signal's
// interface and, when it has a Carries(Signal) method (an OTLP exporter
// configured for some signals only), that method agrees.
func Carries(e Exporter, s Signal) bool {
	if c, ok := e.(interface{ Carries(Signal) bool }); ok && !c.Carries(s) {
		return false
	}
	switch s {
	case Logs:
		_, ok := e.(LogsExporter)
		return ok
	case Metrics:
		_, ok := e.(MetricsExporter)
		return ok
	}
	return true
}

// permanentError marks a failure no retry can fix.
type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// Permanent marks err as not retryable: the backend refused the data
// itself (HTTP 400, 401, 403, ...; gRPC INVALID_ARGUMENT, ...).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent says whether err, or an error it wraps, was marked Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// throttleError carries the wait a backend asked for (Retry-After, gRPC
// RetryInfo).
type throttleError struct {
	err   error
	after time.Duration
}

func (t throttleError) Error() string { return t.err.Error() }
func (t throttleError) Unwrap() error { return t.err }

// RetryAfter marks err as retryable after d.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return throttleError{err, d}
}

// retryAfterOf returns the wait err asks for, if any.
func retryAfterOf(err error) (time.Duration, bool) {
	var t throttleError
	if errors.As(err, &t) {
		return t.after, true
	}
	return 0, false
}

// ErrInDoubt marks an attempt whose request was sent but not answered
// (cut by a timeout): the backend may have kept it, so resending it may
// duplicate it.
var ErrInDoubt = errors.New("sent, no answer: the backend may have kept it")

// inDoubt wraps err with ErrInDoubt.
func inDoubt(err error) error { return fmt.Errorf("%w: %w", ErrInDoubt, err) }

// FromSpanExporter adapts an OpenTelemetry SDK span exporter: each batch is
// converted to SDK read-only spans (keeping resource and scope per span)
// and handed to it. It carries traces only. Its errors are retried unless
// marked Permanent; an SDK exporter usually retries on its own first.
func FromSpanExporter(se sdktrace.SpanExporter) Exporter { return &spanAdapter{se} }

type spanAdapter struct{ se sdktrace.SpanExporter }

func (a *spanAdapter) ExportTraces(ctx context.Context, td ptrace.Traces) error {
	return a.se.ExportSpans(ctx, SpansFromTraces(td))
}

func (a *spanAdapter) Shutdown(ctx context.Context) error { return a.se.Shutdown(ctx) }

// Unwrap is the adapted span exporter.
func (a *spanAdapter) Unwrap() sdktrace.SpanExporter { return a.se }

// Unwrap returns what e adapts, when e is an adapter (FromSpanExporter),
// else e itself: for optional interfaces of the inner exporter, such as
// the AgentOps exporter's ReplayURL.
func Unwrap(e Exporter) any {
	if u, ok := e.(interface{ Unwrap() sdktrace.SpanExporter }); ok {
		return u.Unwrap()
	}
	return e
}
