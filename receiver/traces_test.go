package receiver

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/agentops-dev/agentops/events"
)

// batchSink is a TracesSink that records how each batch arrived, its
// events, and (when decode is set) its spans as pdata. The tests read no
// string of the events after the request: those read in place are views
// of the receiver's buffers.
type batchSink struct {
	countSink
	decode bool

	mu      sync.Mutex
	wire    []bool // whether each batch arrived undecoded
	events  []events.Event
	decoded []ptrace.Traces
}

func (s *batchSink) NeedsPData() bool { return false }

func (s *batchSink) ConsumeTraceBatch(_ context.Context, t *Traces) error {
	evs, _ := t.Events()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wire = append(s.wire, !t.decoded)
	s.events = append(s.events, evs...)
	if s.decode {
		td, err := t.PData()
		if err != nil {
			return err
		}
		again, _ := t.PData()
		if again != td {
			panic("PData decoded twice")
		}
		s.decoded = append(s.decoded, td)
	}
	return nil
}

// An OTLP/HTTP protobuf request reaches a TracesSink undecoded, with its
// events; a JSON one as pdata. Both read the same events, and the pdata a
// consumer asks for has no invalid span.
func TestTracesSinkGetsProtobufUndecoded(t *testing.T) {
	td := testTraces(3, 2)
	span := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	span.Attributes().PutStr("gen_ai.operation.name", "chat")
	span.Attributes().PutStr("gen_ai.request.model", "gpt-4o")
	span.Attributes().PutInt("gen_ai.usage.input_tokens", 12)
	for _, c := range []struct {
		contentType string
		body        []byte
		wire        bool
	}{
		{contentTypeProto, must(t)(ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()), true},
		{contentTypeJSON, must(t)(ptraceotlp.NewExportRequestFromTraces(td).MarshalJSON()), false},
	} {
		t.Run(c.contentType, func(t *testing.T) {
			sink := &batchSink{decode: true}
			r := New(Config{}, sink)
			if err := r.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			defer r.Shutdown(context.Background())
			resp := post(t, http.MethodPost, r.Endpoint()+PathTraces, c.body, "Content-Type: "+c.contentType)
			if resp.status != http.StatusOK {
				t.Fatalf("status %d: %s", resp.status, resp.body)
			}
			if len(sink.wire) != 1 || sink.wire[0] != c.wire {
				t.Fatalf("batches arrived undecoded: %v, want [%v]", sink.wire, c.wire)
			}
			if len(sink.events) != 1 || sink.events[0].LLM == nil || sink.events[0].LLM.InputTokens != 12 {
				t.Fatalf("events %+v, want the one LLM call", sink.events)
			}
			if got := sink.decoded[0].SpanCount(); got != 3 {
				t.Errorf("pdata of the batch: %d spans, want the 3 valid ones", got)
			}
			if sink.spans != 0 {
				t.Errorf("ConsumeTraces was called too")
			}
		})
	}
}

// A batch no consumer decodes is never decoded, and a Sink that is no
// TracesSink gets pdata.
func TestTracesDecodedOnlyWhenAsked(t *testing.T) {
	body := must(t)(ptraceotlp.NewExportRequestFromTraces(testTraces(4, 0)).MarshalProto())
	sink := &batchSink{}
	r := New(Config{}, sink)
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	if resp := post(t, http.MethodPost, r.Endpoint()+PathTraces, body, "Content-Type: "+contentTypeProto); resp.status != http.StatusOK {
		t.Fatalf("status %d", resp.status)
	}
	if len(sink.wire) != 1 || !sink.wire[0] {
		t.Errorf("the batch was decoded with no consumer asking: %v", sink.wire)
	}

	plain, counts := startReceiver(t, Config{})
	if resp := post(t, http.MethodPost, plain.Endpoint()+PathTraces, body, "Content-Type: "+contentTypeProto); resp.status != http.StatusOK {
		t.Fatalf("status %d", resp.status)
	}
	if spans, _, _ := counts.counts(); spans != 4 {
		t.Errorf("a plain Sink got %d spans, want 4", spans)
	}
}
