package receiver

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/internal/otlpwire"
)

// Traces is a trace batch as received. An OTLP/HTTP protobuf request is
// read in place (events.ReadTraces: checked, and its events built, in one
// pass) and decoded into pdata only when a consumer asks for it (PData): a
// session that stores and exports nothing never builds pdata, which costs
// about as much as everything else it does with a span. A batch that
// arrived as JSON is the pdata it was decoded into. An OTLP/gRPC message
// is read as an OTLP/HTTP protobuf body is.
//
// A Traces is valid only during the ConsumeTraceBatch call it is handed
// to: its bytes and its events' slices are the receiver's, reused; what
// PData returns, and the events' values, may be kept. It is not safe for
// concurrent use.
type Traces struct {
	body    []byte // the request, read in place
	invalid int    // its spans with an empty id, not read
	td      ptrace.Traces
	// decoded says td holds the batch; err is why it could not.
	decoded bool
	err     error
	// evs and spans are the batch's events, once built (haveEvents),
	// into buf when the receiver lends one.
	evs        []events.Event
	spans      []events.BatchSpan
	haveEvents bool
	buf        *eventBuf
}

// TracesOf is a batch of decoded spans.
func TracesOf(td ptrace.Traces) *Traces { return &Traces{td: td, decoded: true} }

// eventBuf holds one batch's events and spans while a sink counts them.
type eventBuf struct {
	evs   []events.Event
	spans []events.BatchSpan
}

var eventBufs = sync.Pool{New: func() any { return new(eventBuf) }}

// maxPooledEvents bounds the buffers kept for the next batch: a few
// thousand-span batches' worth.
const maxPooledEvents = 8192

// Release gives back the buffers of a batch from ReadTraces, once its
// events are no longer needed (the receiver does so for the batches it
// hands to a sink).
func (t *Traces) Release() { t.release() }

// release gives t's buffer back, emptied (what its events point to is
// the sink's now, or garbage), unless one huge batch made it too large to
// keep.
func (t *Traces) release() {
	b := t.buf
	if b == nil {
		return
	}
	t.buf, t.evs, t.spans, t.haveEvents = nil, nil, nil, false
	if cap(b.evs) > maxPooledEvents {
		return
	}
	clear(b.evs[:cap(b.evs)])
	b.evs, b.spans = b.evs[:0], b.spans[:0]
	eventBufs.Put(b)
}

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
	td, err := unmarshalTracesProto(t.body)
	if err != nil {
		t.err = fmt.Errorf("%w: traces: %w", errDecode, decodeError(err))
		return t.td, t.err
	}
	t.td, t.decoded = td, true
	if t.invalid > 0 {
		dropInvalidSpans(t.td)
	}
	return t.td, nil
}

// Request is the batch's OTLP/HTTP protobuf request (or OTLP/gRPC
// message, the same ExportTraceServiceRequest) as received, when the
// batch is that whole request read in place (no span of it rejected);
// ok is false otherwise. The bytes are the receiver's reused buffer:
// valid only during the ConsumeTraceBatch call.
func (t *Traces) Request() (body []byte, ok bool) {
	if t.body == nil || t.invalid > 0 {
		return nil, false
	}
	return t.body, true
}

// SpanCount is the number of spans of the batch.
func (t *Traces) SpanCount() int {
	if t.decoded {
		return t.td.SpanCount()
	}
	return len(t.spans)
}

// Events are the events of every span of the batch, and each span (see
// events.ReadTraces), by the same code however it arrived: read in place
// with the request, or from pdata, built on the first call. The slices are
// the receiver's: the sink may keep their values, not them, and the
// strings of events read in place are views of the request (see
// events.ReadTracesInPlace), right only during the ConsumeTraceBatch
// call: the sink copies what it keeps of them (events.Window does).
func (t *Traces) Events() ([]events.Event, []events.BatchSpan) {
	if !t.haveEvents {
		var evs []events.Event
		var spans []events.BatchSpan
		if t.buf != nil {
			evs, spans = t.buf.evs[:0], t.buf.spans[:0]
		}
		t.evs, t.spans = events.AppendTracesEvents(t.td, evs, spans)
		t.haveEvents = true
		if t.buf != nil {
			t.buf.evs, t.buf.spans = t.evs, t.spans
		}
	}
	return t.evs, t.spans
}

// ReadTraces reads an OTLP/HTTP protobuf trace request as the receiver
// does for a TracesSink that needs no pdata, for its tests and benchmarks:
// the batch holds views of body; Release it when done. The error is the
// receiver's answer to a request it refuses.
func ReadTraces(body []byte) (*Traces, error) {
	buf := eventBufs.Get().(*eventBuf)
	if t, _, ok := readTraces(body, buf); ok {
		return t, nil
	}
	eventBufs.Put(buf)
	td, err := unmarshalTracesProto(body)
	if err != nil {
		return nil, fmt.Errorf("%w: traces: %w", errDecode, decodeError(err))
	}
	if err := tracesNesting(td); err != nil {
		return nil, err
	}
	dropInvalidSpans(td)
	return TracesOf(td), nil
}

// readTraces reads a request in place, its events into buf; ok is false
// when the wire reader refuses it.
func readTraces(body []byte, buf *eventBuf) (*Traces, events.ReadInfo, bool) {
	evs, spans, info, err := events.ReadTracesInPlace(body, MaxNesting, buf.evs[:0], buf.spans[:0])
	if err != nil {
		return nil, info, false
	}
	buf.evs, buf.spans = evs, spans
	return &Traces{body: body, invalid: info.Invalid(), evs: evs, spans: spans, haveEvents: true, buf: buf}, info, true
}

// tracesProto exports a protobuf trace request, OTLP/HTTP's body or
// OTLP/gRPC's message. To a TracesSink that needs no pdata it goes
// undecoded: the wire reader checks it as pdata's decoder and the
// receiver's checks would (malformed, too deep, invalid spans) and builds
// its events, and the sink takes them. A request the wire reader refuses
// takes the pdata path, so that its answer is the one it always was:
// undecodable is the protocol's error for what pdata cannot decode.
func (r *Receiver) tracesProto(ctx context.Context, body []byte, undecodable func(error) error) (otlpwire.Partial, error) {
	if s, ok := r.sink.(TracesSink); ok && !s.NeedsPData() {
		buf := eventBufs.Get().(*eventBuf)
		if t, info, ok := readTraces(body, buf); ok {
			defer t.release()
			var resp otlpwire.Partial
			if n := info.Invalid(); n > 0 {
				resp = rejected(n)
			}
			if info.Empty() {
				return resp, nil
			}
			return resp, s.ConsumeTraceBatch(ctx, t)
		}
		eventBufs.Put(buf)
	}
	td, err := unmarshalTracesProto(body)
	if err != nil {
		return otlpwire.Partial{}, undecodable(err)
	}
	return r.exportTraces(ctx, td)
}

// rejected is the partial_success reporting n invalid spans.
func rejected(n int) otlpwire.Partial {
	return otlpwire.Partial{Rejected: int64(n), Message: strconv.Itoa(n) + " span(s) with an empty trace id or span id rejected"}
}

// consumeTraces hands a decoded batch to the sink, as a Traces to a
// TracesSink.
func (r *Receiver) consumeTraces(ctx context.Context, td ptrace.Traces) error {
	s, ok := r.sink.(TracesSink)
	if !ok {
		return r.sink.ConsumeTraces(ctx, td)
	}
	t := TracesOf(td)
	t.buf = eventBufs.Get().(*eventBuf)
	defer t.release()
	return s.ConsumeTraceBatch(ctx, t)
}
