package receiver

import (
	"context"
	"errors"
	"net/http"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/internal/otlpwire"
)

// Errors a request can end with. statusOf maps them, and a Sink's errors,
// to HTTP statuses and gRPC codes in one place.
var (
	// errDecode marks a body that could not be decoded: permanent.
	errDecode = errors.New("undecodable OTLP payload")
	// errTooLarge marks a body above the size limit after decompression.
	errTooLarge = errors.New("request body too large")
	// errUnauthenticated marks a request without the session's bearer token.
	errUnauthenticated = errors.New("missing or wrong bearer token")
)

// retryAfter is when a client refused for backpressure is asked to come
// back: HTTP's Retry-After, gRPC's RetryInfo.
const retryAfter = time.Second

// statusOf maps an export error to its OTLP/HTTP status and gRPC code.
// Anything not ours came from the Sink and is retryable (OTLP spec,
// "Failures": 503 / UNAVAILABLE). A gRPC status of its own (what grpc-go
// answers for a malformed RPC) keeps its code.
func statusOf(err error) (int, otlpwire.Code) {
	var rpcErr *otlpwire.Error
	switch {
	case errors.Is(err, errDecode), errors.Is(err, errTooDeep):
		return http.StatusBadRequest, otlpwire.InvalidArgument
	case errors.Is(err, errTooLarge):
		return http.StatusRequestEntityTooLarge, otlpwire.ResourceExhausted
	case errors.Is(err, errUnauthenticated):
		return http.StatusUnauthorized, otlpwire.Unauthenticated
	case errors.Is(err, errBusy):
		return http.StatusServiceUnavailable, otlpwire.Unavailable
	case errors.As(err, &rpcErr):
		return http.StatusInternalServerError, rpcErr.Status.Code
	}
	return http.StatusServiceUnavailable, otlpwire.Unavailable
}

// exportTraces rejects the spans no backend can store and hands the rest to
// the sink. A span whose trace id or span id is empty (all zero bytes) is
// invalid (OTLP spec, trace.proto: "all-zero ... is considered invalid"); it
// is dropped and reported in partial_success, so the client does not retry
// it, while the rest of the batch is kept. Ids of the wrong length never get
// this far: the decoder refuses the whole request with 400.
func (r *Receiver) exportTraces(ctx context.Context, td ptrace.Traces) (otlpwire.Partial, error) {
	var resp otlpwire.Partial
	if err := tracesNesting(td); err != nil {
		return resp, err
	}
	if n := dropInvalidSpans(td); n > 0 {
		resp = rejected(n)
	}
	if td.ResourceSpans().Len() == 0 {
		return resp, nil
	}
	if err := r.consumeTraces(ctx, td); err != nil {
		return resp, err
	}
	return resp, nil
}

// exportLogs hands log records to the sink. Log records need no trace
// context, so none is rejected.
func (r *Receiver) exportLogs(ctx context.Context, ld plog.Logs) (otlpwire.Partial, error) {
	if err := logsNesting(ld); err != nil {
		return otlpwire.Partial{}, err
	}
	return otlpwire.Partial{}, r.sink.ConsumeLogs(ctx, ld)
}

// exportMetrics hands metrics to the sink.
func (r *Receiver) exportMetrics(ctx context.Context, md pmetric.Metrics) (otlpwire.Partial, error) {
	if err := metricsNesting(md); err != nil {
		return otlpwire.Partial{}, err
	}
	return otlpwire.Partial{}, r.sink.ConsumeMetrics(ctx, md)
}

// dropInvalidSpans removes spans with an empty trace or span id and returns
// how many it removed. The common all-valid batch is only scanned, never
// rewritten.
func dropInvalidSpans(td ptrace.Traces) int {
	invalid := func(s ptrace.Span) bool { return s.TraceID().IsEmpty() || s.SpanID().IsEmpty() }
	bad := 0
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				if invalid(spans.At(k)) {
					bad++
				}
			}
		}
	}
	if bad == 0 {
		return 0
	}
	rss.RemoveIf(func(rs ptrace.ResourceSpans) bool {
		rs.ScopeSpans().RemoveIf(func(ss ptrace.ScopeSpans) bool {
			ss.Spans().RemoveIf(invalid)
			return ss.Spans().Len() == 0
		})
		return rs.ScopeSpans().Len() == 0
	})
	return bad
}
