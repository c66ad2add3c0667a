package e2e

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/receiver"
)

// spanSink collects the span ids a receiver is sent.
type spanSink struct {
	mu    sync.Mutex
	ids   map[string]string // span id → name
	count int
}

func (s *spanSink) ConsumeTraces(_ context.Context, td ptrace.Traces) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				s.ids[spans.At(k).SpanID().String()] = spans.At(k).Name()
				s.count++
			}
		}
	}
	return nil
}
func (s *spanSink) ConsumeLogs(context.Context, plog.Logs) error          { return nil }
func (s *spanSink) ConsumeMetrics(context.Context, pmetric.Metrics) error { return nil }

// TestStoreReExport: a session run through the real binary, then its
// backend "comes back": `agentops export` sends every stored span, the
// session's own included, to a loopback OTLP receiver (our own).
func TestStoreReExport(t *testing.T) {
	dir := t.TempDir()
	_, errOut, code := agentops(t, "run", "--store", dir, "--", testagentBin, "-llm", "3", "-tools", "2", "-spans", "600")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, errOut)
	}
	want := storedSpans(t, dir, "last")
	if want != 1+1+3+2+600 {
		t.Fatalf("stored spans = %d", want)
	}

	sink := &spanSink{ids: map[string]string{}}
	rcv := receiver.New(receiver.Config{Addr: "127.0.0.1:0"}, sink)
	if err := rcv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = rcv.Shutdown(ctx)
	}()

	rows := listSessions(t, dir)
	_, errOut, code = agentops(t, "export", rows[0].ID[:8], "--store", dir, "-e", "otlp="+rcv.Endpoint(), "--otlp-compression", "none")
	if code != 0 {
		t.Fatalf("export: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "sent 607 of 607 spans") {
		t.Errorf("export says:\n%s", errOut)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if sink.count != want || len(sink.ids) != want {
		t.Errorf("receiver got %d spans (%d distinct), want %d", sink.count, len(sink.ids), want)
	}
	root := false
	for _, name := range sink.ids {
		root = root || strings.HasPrefix(name, "agentops.session ")
	}
	if !root {
		t.Error("the session's own span was not re-exported")
	}

	// A backend that is down: the command says so and exits 1.
	_, errOut, code = agentops(t, "export", "last", "--store", dir, "-e", "otlp=http://127.0.0.1:1", "--otlp-timeout", "1s", "--export-timeout", "2s")
	if code != 1 || !strings.Contains(errOut, "✗ otlp=http://127.0.0.1:1") {
		t.Errorf("export to a closed port: exit %d\n%s", code, errOut)
	}
}
