package main

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/bench/spangen"
	"github.com/agentops-dev/agentops/receiver"
)

type countSink struct {
	mu    sync.Mutex
	spans int
	llm   int
	ids   map[[24]byte]bool
	resp  map[string]bool
}

func (s *countSink) ConsumeTraces(_ context.Context, td ptrace.Traces) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spans += td.SpanCount()
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	if s.ids == nil {
		s.ids, s.resp = map[[24]byte]bool{}, map[string]bool{}
	}
	for i := 0; i < spans.Len(); i++ {
		var id [24]byte
		tid, sid := spans.At(i).TraceID(), spans.At(i).SpanID()
		copy(id[:16], tid[:])
		copy(id[16:], sid[:])
		s.ids[id] = true
		if v, ok := spans.At(i).Attributes().Get("gen_ai.response.id"); ok {
			s.resp[v.Str()] = true
		}
		if _, ok := spans.At(i).Attributes().Get("gen_ai.request.model"); ok {
			s.llm++
		}
	}
	return nil
}
func (s *countSink) ConsumeLogs(context.Context, plog.Logs) error          { return nil }
func (s *countSink) ConsumeMetrics(context.Context, pmetric.Metrics) error { return nil }

// The load generator must deliver every span it claims to have sent, with
// the session's token, over each protocol the receiver speaks.
func TestLoadgenDeliversEverySpan(t *testing.T) {
	for _, protocol := range []string{"http/protobuf", "http/json", "grpc"} {
		t.Run(strings.ReplaceAll(protocol, "/", "-"), func(t *testing.T) {
			sink := deliver(t, config{spans: 3000, batch: 256, clients: 3, variants: 2, protocol: protocol, mix: spangen.DefaultMix})
			// 12 batches from 2 encoded ones, and still 3072 distinct
			// spans: a session would count a span sent again once.
			if len(sink.ids) != 3072 {
				t.Fatalf("%d distinct (trace id, span id) among 3072 spans, want all distinct", len(sink.ids))
			}
			if sink.llm < 3072/20 || sink.llm > 3072/2 {
				t.Fatalf("%d of the spans are LLM calls: the batches are not realistic", sink.llm)
			}
		})
	}
}

// The all-LLM load is what it says: every span an LLM call.
func TestLoadgenAllLLM(t *testing.T) {
	sink := deliver(t, config{spans: 3000, batch: 256, clients: 3, variants: 2, protocol: "http/protobuf", mix: spangen.Mixes["llm"]})
	if sink.llm != 3072 {
		t.Fatalf("%d of 3072 spans are LLM calls, want all", sink.llm)
	}
	// Every call its own: a session counts a response id twice once.
	if len(sink.resp) != 3072 {
		t.Fatalf("%d distinct response ids among 3072 calls, want all distinct", len(sink.resp))
	}
}

// deliver runs the load generator against a receiver and checks that every
// span it claims to have sent arrived.
func deliver(t *testing.T, cfg config) *countSink {
	t.Helper()
	sink := &countSink{}
	r := receiver.New(receiver.Config{Token: "s3cret"}, sink)
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = r.Shutdown(ctx)
	}()
	cfg.endpoint = r.Endpoint()
	cfg.headers = parseHeaders("Authorization=Bearer%20s3cret")
	if err := run(cfg); err != nil {
		t.Fatal(err)
	}
	// 3000 spans round up to 12 batches of 256.
	if sink.spans != 3072 {
		t.Fatalf("receiver got %d spans, want 3072", sink.spans)
	}
	return sink
}

func TestLoadgenRefusedWithoutToken(t *testing.T) {
	r := receiver.New(receiver.Config{Token: "s3cret"}, &countSink{})
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Shutdown(context.Background()) }()
	err := run(config{spans: 10, batch: 10, clients: 1, variants: 1, protocol: "http/protobuf", endpoint: r.Endpoint()})
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("run without the token = %v, want a 401", err)
	}
}

// idSink counts span ids and refuses the first batches it gets, as a
// session answering 503 while its exporters catch up.
type idSink struct {
	mu     sync.Mutex
	ids    map[string]int
	refuse int
}

func (s *idSink) ConsumeTraces(_ context.Context, td ptrace.Traces) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuse > 0 {
		s.refuse--
		return errors.New("busy")
	}
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for i := 0; i < spans.Len(); i++ {
		s.ids[spans.At(i).SpanID().String()]++
	}
	return nil
}
func (s *idSink) ConsumeLogs(context.Context, plog.Logs) error          { return nil }
func (s *idSink) ConsumeMetrics(context.Context, pmetric.Metrics) error { return nil }

// -unique gives every span sent an id of its own, over both protobuf
// transports, and a refused batch (503 / UNAVAILABLE) is sent again.
func TestLoadgenUniqueIDsAndRetries(t *testing.T) {
	for _, protocol := range []string{"http/protobuf", "grpc"} {
		t.Run(strings.ReplaceAll(protocol, "/", "-"), func(t *testing.T) {
			sink := &idSink{ids: map[string]int{}, refuse: 1}
			r := receiver.New(receiver.Config{}, sink)
			if err := r.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = r.Shutdown(context.Background()) }()
			cfg := config{spans: 3000, batch: 256, clients: 3, variants: 2, protocol: protocol, mix: spangen.Mixes["llm"], unique: true, endpoint: r.Endpoint()}
			if err := run(cfg); err != nil {
				t.Fatal(err)
			}
			sink.mu.Lock()
			defer sink.mu.Unlock()
			for id, n := range sink.ids {
				if n != 1 {
					t.Errorf("span %s arrived %d times", id, n)
				}
			}
			if len(sink.ids) != 3072 {
				t.Errorf("%d distinct span ids, want 3072", len(sink.ids))
			}
		})
	}
}
