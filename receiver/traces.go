package receiver

import (
	"context"
	"fmt"
	"strconv"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/agentops-dev/agentops/events"
)

// Traces is a trace batch as received. An OTLP/HTTP protobuf request is
// kept as its bytes, read in place (events.WireTraces), and decoded into
// pdata only when a consumer asks for it (PData): a session that stores
// and exports nothing never builds pdata, which costs about as much as
// everything else it does with a span. A batch that arrived as JSON or
// over gRPC is the pdata it was decoded into.
//
// A Traces is valid only during the ConsumeTraceBatch call it is handed
// to (its bytes are the receiver's reused buffer); what PData returns and
// the events AppendEvents builds may be kept. It is not safe for
// concurrent use.
type Traces struct {
	wire *events.WireTraces
	body []byte
	td   ptrace.Traces
	// decoded says td holds the batch; err is why it could not.
	decoded bool
	err     error
}

// TracesOf is a batch of decoded spans.
func TracesOf(td ptrace.Traces) *Traces { return &Traces{td: td, decoded: true} }

// TracesSink is a Sink that takes trace batches as received, decoding
// them into pdata only if it needs to: the receiver hands it every trace
// batch by ConsumeTraceBatch in place of ConsumeTraces. NeedsPData says
// that it decodes every batch anyway (it hands them to consumers of
// pdata): then a request is decoded as it arrives, not read in place
// first, which would only add to the cost.
type TracesSink interface {
	Sink
	ConsumeTraceBatch(ctx context.Context, t *Traces) error
	NeedsPData() bool
}

// PData is the batch as pdata, decoded on the first call, without the
// spans the receiver rejects (an empty trace or span id). A request that
// pdata cannot decode is an error the receiver answers with 400, like any
// undecodable request; the wire reader has checked it as pdata does, so
// it does not happen.
func (t *Traces) PData() (ptrace.Traces, error) {
	if t.decoded || t.err != nil {
		return t.td, t.err
	}
	er := ptraceotlp.NewExportRequest()
	if err := er.UnmarshalProto(t.body); err != nil {
		t.err = fmt.Errorf("%w: traces: %w", errDecode, decodeError(err))
		return t.td, t.err
	}
	t.td, t.decoded = er.Traces(), true
	if t.wire.Invalid() > 0 {
		dropInvalidSpans(t.td)
	}
	return t.td, nil
}

// SpanCount is the number of spans of the batch.
func (t *Traces) SpanCount() int {
	if t.wire != nil {
		return t.wire.SpanCount()
	}
	return t.td.SpanCount()
}

// AppendEvents appends the events of every span of the batch to out, and
// each span to spans (see events.WireTraces.AppendEvents), by the same
// code either way: from pdata once the batch is decoded (reading decoded
// spans is the cheaper), read in place otherwise.
func (t *Traces) AppendEvents(out []events.Event, spans []events.BatchSpan) ([]events.Event, []events.BatchSpan) {
	if t.decoded {
		return events.AppendTracesEvents(t.td, out, spans)
	}
	return t.wire.AppendEvents(out, spans)
}

// ReadTraces reads an OTLP/HTTP protobuf trace request as the receiver
// does, for a TracesSink's tests and benchmarks: the batch holds views of
// body. The error is the receiver's answer to a request it refuses.
func ReadTraces(body []byte) (*Traces, error) {
	w, err := events.ReadTraces(body, MaxNesting)
	if err != nil {
		er := ptraceotlp.NewExportRequest()
		if err := er.UnmarshalProto(body); err != nil {
			return nil, fmt.Errorf("%w: traces: %w", errDecode, decodeError(err))
		}
		if err := tracesNesting(er.Traces()); err != nil {
			return nil, err
		}
		dropInvalidSpans(er.Traces())
		return TracesOf(er.Traces()), nil
	}
	return &Traces{wire: w, body: body}, nil
}

// httpTracesProto exports an OTLP/HTTP protobuf trace request. To a
// TracesSink that needs no pdata it goes undecoded: the wire reader checks
// it as pdata's decoder and the receiver's checks would (malformed, too
// deep, invalid spans), and the sink reads it in place. A request the wire
// reader refuses takes the pdata path, so that its answer is the one it
// always was.
func (r *Receiver) httpTracesProto(ctx context.Context, body []byte) (ptraceotlp.ExportResponse, error) {
	s, ok := r.sink.(TracesSink)
	if !ok || s.NeedsPData() {
		er := ptraceotlp.NewExportRequest()
		if err := er.UnmarshalProto(body); err != nil {
			return ptraceotlp.NewExportResponse(), fmt.Errorf("%w: traces: %w", errDecode, decodeError(err))
		}
		return r.exportTraces(ctx, er)
	}
	w, err := events.ReadTraces(body, MaxNesting)
	if err != nil {
		er := ptraceotlp.NewExportRequest()
		if err := er.UnmarshalProto(body); err != nil {
			return ptraceotlp.NewExportResponse(), fmt.Errorf("%w: traces: %w", errDecode, decodeError(err))
		}
		return r.exportTraces(ctx, er)
	}
	resp := ptraceotlp.NewExportResponse()
	if n := w.Invalid(); n > 0 {
		rejected(resp, n)
	}
	if w.Empty() {
		return resp, nil
	}
	return resp, r.consumeTraces(ctx, &Traces{wire: w, body: body})
}

// rejected reports n invalid spans in resp's partial_success.
func rejected(resp ptraceotlp.ExportResponse, n int) {
	ps := resp.PartialSuccess()
	ps.SetRejectedSpans(int64(n))
	ps.SetErrorMessage(strconv.Itoa(n) + " span(s) with an empty trace id or span id rejected")
}

// consumeTraces hands a batch to the sink: as it is to a TracesSink, as
// pdata to any other.
func (r *Receiver) consumeTraces(ctx context.Context, t *Traces) error {
	if s, ok := r.sink.(TracesSink); ok {
		return s.ConsumeTraceBatch(ctx, t)
	}
	td, err := t.PData()
	if err != nil {
		return err
	}
	return r.sink.ConsumeTraces(ctx, td)
}
