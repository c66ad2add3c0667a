package receiver

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// retainSink keeps every batch, as a store or an export queue may.
type retainSink struct {
	mu     sync.Mutex
	traces []ptrace.Traces
}

func (s *retainSink) ConsumeTraces(_ context.Context, td ptrace.Traces) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.traces = append(s.traces, td)
	return nil
}
func (s *retainSink) ConsumeLogs(context.Context, plog.Logs) error          { return nil }
func (s *retainSink) ConsumeMetrics(context.Context, pmetric.Metrics) error { return nil }

// The receiver reuses its body buffers; a batch a Sink keeps must not
// change when later requests overwrite them (the decoders copy).
func TestKeptBatchesSurviveBufferReuse(t *testing.T) {
	for _, ct := range []string{contentTypeProto, contentTypeJSON} {
		t.Run(ct, func(t *testing.T) {
			sink := &retainSink{}
			r := New(Config{}, sink)
			if err := r.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			defer r.Shutdown(context.Background())
			for i := 0; i < 20; i++ {
				td := testTraces(1, 0)
				s := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
				s.SetName(fmt.Sprintf("name-%02d-%s", i, strings.Repeat("x", 100)))
				s.Attributes().PutStr("k", fmt.Sprintf("value-%02d", i))
				req := ptraceotlp.NewExportRequestFromTraces(td)
				var body []byte
				if ct == contentTypeJSON {
					body = must(t)(req.MarshalJSON())
				} else {
					body = must(t)(req.MarshalProto())
				}
				if resp := post(t, "POST", r.Endpoint()+PathTraces, body, "Content-Type: "+ct); resp.status != 200 {
					t.Fatalf("status %d", resp.status)
				}
			}
			for i, td := range sink.traces {
				s := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
				v, _ := s.Attributes().Get("k")
				if want := fmt.Sprintf("name-%02d-", i); !strings.HasPrefix(s.Name(), want) || v.Str() != fmt.Sprintf("value-%02d", i) {
					t.Fatalf("kept batch %d changed: name %q, k %q", i, s.Name(), v.Str())
				}
			}
		})
	}
}
