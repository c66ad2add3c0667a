package exporter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/receiver"
)

// backend is a loopback OTLP backend: our own receiver, keeping copies of
// what it is sent.
type backend struct {
	*receiver.Receiver
	mu      sync.Mutex
	traces  []ptrace.Traces
	logs    []plog.Logs
	metrics []pmetric.Metrics
	spanIDs map[pcommon.SpanID]int
}

func (b *backend) ConsumeTraces(_ context.Context, td ptrace.Traces) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	cp := ptrace.NewTraces()
	td.CopyTo(cp)
	b.traces = append(b.traces, cp)
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			for k := 0; k < sss.At(j).Spans().Len(); k++ {
				b.spanIDs[sss.At(j).Spans().At(k).SpanID()]++
			}
		}
	}
	return nil
}

func (b *backend) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	cp := plog.NewLogs()
	ld.CopyTo(cp)
	b.logs = append(b.logs, cp)
	return nil
}

func (b *backend) ConsumeMetrics(_ context.Context, md pmetric.Metrics) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	cp := pmetric.NewMetrics()
	md.CopyTo(cp)
	b.metrics = append(b.metrics, cp)
	return nil
}

func startBackend(t *testing.T) *backend {
	t.Helper()
	b := &backend{spanIDs: map[pcommon.SpanID]int{}}
	b.Receiver = receiver.New(receiver.Config{}, b)
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Shutdown(context.Background()) })
	return b
}

func sampleLogs() plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.SetSchemaUrl("https://opentelemetry.io/schemas/1.26.0")
	rl.Resource().Attributes().PutStr("service.name", "agent-a")
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("claude_code")
	for i := range 3 {
		r := sl.LogRecords().AppendEmpty()
		r.Body().SetStr(fmt.Sprint("event ", i))
		r.SetSeverityNumber(plog.SeverityNumberInfo)
		r.Attributes().PutStr("event.name", "claude_code.api_request")
		r.SetDroppedAttributesCount(2)
	}
	return ld
}

func sampleMetrics() pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "agent-a")
	sm := rm.ScopeMetrics().AppendEmpty()
	m := sm.Metrics().AppendEmpty()
	m.SetName("gen_ai.client.token.usage")
	sum := m.SetEmptySum()
	sum.SetIsMonotonic(true)
	for i := range 2 {
		dp := sum.DataPoints().AppendEmpty()
		dp.SetIntValue(int64(100 * (i + 1)))
		dp.Attributes().PutStr("type", []string{"input", "output"}[i])
	}
	return md
}

// spansWithIDs is a batch of n spans with distinct ids from first on.
func spansWithIDs(first, n int) ptrace.Traces {
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	for i := range n {
		s := ss.Spans().AppendEmpty()
		s.SetTraceID(pcommon.TraceID{1})
		id := first + i + 1
		s.SetSpanID(pcommon.SpanID{byte(id >> 24), byte(id >> 16), byte(id >> 8), byte(id), 1})
		s.SetName("step")
	}
	return td
}

// TestOTLPForwardsEveryFieldOfEverySignal: over OTLP/HTTP (gzip and JSON)
// and OTLP/gRPC, what arrives is what was queued, field for field.
func TestOTLPForwardsEveryFieldOfEverySignal(t *testing.T) {
	for _, tc := range []struct {
		name string
		new  func(url string) (Exporter, error)
	}{
		{"otlp gzip", func(u string) (Exporter, error) { return NewOTLPHTTP(u, Settings{Compression: "gzip"}, nil) }},
		{"otlp json", func(u string) (Exporter, error) {
			return NewOTLPHTTP(u, Settings{Compression: "none", Protocol: "http/json"}, nil)
		}},
		{"otlpgrpc", func(u string) (Exporter, error) { return NewOTLPGRPC(u, Settings{Compression: "gzip"}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			be := startBackend(t)
			exp, err := tc.new(be.Endpoint())
			if err != nil {
				t.Fatal(err)
			}
			s := NewSender(Spec{Name: "otlp", Target: be.Endpoint()}, "otlp", exp, QueueConfig{})
			td, ld, md := sampleTraces(), sampleLogs(), sampleMetrics()
			s.Offer(TracesBatch(td), Ref{}, false)
			s.Offer(LogsBatch(ld), Ref{}, false)
			s.Offer(MetricsBatch(md), Ref{}, false)
			o := s.Shutdown(context.Background())
			for _, sg := range Signals {
				if c := o.Signals[sg]; c.Sent != c.Enqueued || c.Enqueued == 0 {
					t.Errorf("%s: %+v, want all sent (%v)", sg, c, o.Err)
				}
			}
			be.mu.Lock()
			defer be.mu.Unlock()
			if len(be.traces) != 1 || len(be.logs) != 1 || len(be.metrics) != 1 {
				t.Fatalf("backend got %d/%d/%d batches", len(be.traces), len(be.logs), len(be.metrics))
			}
			if !ptraceEqual(be.traces[0], td) || !plogEqual(be.logs[0], ld) || !pmetricEqual(be.metrics[0], md) {
				t.Error("what arrived differs from what was sent")
			}
		})
	}
}

func ptraceEqual(a, b ptrace.Traces) bool {
	x, _ := (&ptrace.ProtoMarshaler{}).MarshalTraces(a)
	y, _ := (&ptrace.ProtoMarshaler{}).MarshalTraces(b)
	return string(x) == string(y)
}

func plogEqual(a, b plog.Logs) bool {
	x, _ := (&plog.ProtoMarshaler{}).MarshalLogs(a)
	y, _ := (&plog.ProtoMarshaler{}).MarshalLogs(b)
	return string(x) == string(y)
}

func pmetricEqual(a, b pmetric.Metrics) bool {
	x, _ := (&pmetric.ProtoMarshaler{}).MarshalMetrics(a)
	y, _ := (&pmetric.ProtoMarshaler{}).MarshalMetrics(b)
	return string(x) == string(y)
}

// gate is an exporter that holds every export until released, then
// passes it on.
type gate struct {
	next    Exporter
	release chan struct{}
}

func (g *gate) ExportTraces(ctx context.Context, td ptrace.Traces) error {
	select {
	case <-g.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return g.next.ExportTraces(ctx, td)
}
func (g *gate) Shutdown(ctx context.Context) error { return g.next.Shutdown(ctx) }

// TestSenderReadsTheJournalBack: with memory for one batch and a backend
// that is not taking anything yet, the rest waits in the journal and is
// read back from it: every span arrives exactly once.
func TestSenderReadsTheJournalBack(t *testing.T) {
	be := startBackend(t)
	otlp, err := NewOTLPHTTP(be.Endpoint(), Settings{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{next: otlp, release: make(chan struct{})}
	journal, err := NewFile(filepath.Join(t.TempDir(), "spans.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	s := NewSender(Spec{Name: "otlp"}, "otlp", g, QueueConfig{QueueSize: 100, BatchSize: 100, Consumers: 2})
	const batches, per = 50, 100
	for i := range batches {
		td := spansWithIDs(i*per, per)
		ref, err := journal.WriteTraces(td)
		if err != nil {
			t.Fatal(err)
		}
		if !s.CanTake(Traces, per, true) {
			t.Fatal("a journalled batch refused")
		}
		s.Offer(TracesBatch(td), ref, false)
	}
	s.mu.Lock()
	inMem, onDisk := len(s.q[Traces].mem), len(s.q[Traces].disk)
	s.mu.Unlock()
	if onDisk < batches-4 {
		t.Errorf("%d batches in memory, %d in the journal: want nearly all in the journal", inMem, onDisk)
	}
	close(g.release)
	o := s.Shutdown(context.Background())
	if c := o.Signals[Traces]; c.Sent != batches*per || c.Enqueued != batches*per {
		t.Errorf("outcome %+v, want %d sent", c, batches*per)
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	if len(be.spanIDs) != batches*per {
		t.Errorf("backend has %d distinct spans, want %d", len(be.spanIDs), batches*per)
	}
	for id, n := range be.spanIDs {
		if n != 1 {
			t.Errorf("span %s arrived %d times", id, n)
		}
	}
}

// TestSenderWithoutJournalRefusesWhenFull: no journal and no spill file:
// once memory is full, CanTake says no (the pipeline's backpressure).
func TestSenderWithoutJournalRefusesWhenFull(t *testing.T) {
	g := &gate{next: FromSpanExporter(NewConsole(nil)), release: make(chan struct{})}
	s := NewSender(Spec{Name: "console"}, "console", g, QueueConfig{QueueSize: 10, BatchSize: 5, Consumers: 1})
	// One batch goes to the consumer, which waits at the gate; two fill
	// the memory queue.
	for i := range 3 {
		s.Offer(TracesBatch(spansWithIDs(i*5, 5)), Ref{}, false)
	}
	waitFor(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.inFlight == 1 && s.q[Traces].memItems == 10
	})
	if s.CanTake(Traces, 5, false) {
		t.Error("full queue without journal or spill still takes batches")
	}
	if !s.CanTake(Traces, 5, true) {
		t.Error("a journalled batch refused")
	}
	close(g.release)
	o := s.Shutdown(context.Background())
	if c := o.Signals[Traces]; c.Sent != 15 {
		t.Errorf("outcome %+v, want 15 sent", c)
	}
}

// TestSenderSpillsWithoutJournal: no journal, memory full: batches go to
// the spill file and are sent from there; the file is removed once all
// was sent.
func TestSenderSpillsWithoutJournal(t *testing.T) {
	be := startBackend(t)
	otlp, _ := NewOTLPHTTP(be.Endpoint(), Settings{}, nil)
	g := &gate{next: otlp, release: make(chan struct{})}
	dir := t.TempDir()
	s := NewSender(Spec{Name: "otlp"}, "otlp", g, QueueConfig{QueueSize: 10, BatchSize: 5, Consumers: 1})
	s.SetUnsent(filepath.Join(dir, "unsent-0-otlp.json"), filepath.Join(dir, "unsent-0-otlp.jsonl"), true, 1<<20)
	for i := range 20 {
		if !s.CanTake(Traces, 5, false) {
			t.Fatalf("batch %d refused with spill room", i)
		}
		s.Offer(TracesBatch(spansWithIDs(i*5, 5)), Ref{}, false)
	}
	s.mu.Lock()
	onDisk := len(s.q[Traces].disk)
	s.mu.Unlock()
	if onDisk == 0 {
		t.Error("nothing spilled")
	}
	close(g.release)
	o := s.Shutdown(context.Background())
	if c := o.Signals[Traces]; c.Sent != 100 {
		t.Errorf("outcome %+v, want 100 sent", c)
	}
	path, err := s.WriteUnsent()
	if err != nil || path != "" {
		t.Errorf("unsent record %q, %v: want none", path, err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*")); len(m) != 0 {
		t.Errorf("left behind: %v", m)
	}
	if len(be.spanIDs) != 100 {
		t.Errorf("backend has %d spans, want 100", len(be.spanIDs))
	}
}

// TestSenderCutInFlightIsInDoubt: a request written and never answered
// when the sender is cut is in doubt; queued ones are left; both are in
// the unsent record, apart.
func TestSenderCutInFlightIsInDoubt(t *testing.T) {
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer hang.Close()
	defer close(release)
	exp, _ := NewOTLPHTTP(hang.URL, Settings{Timeout: time.Minute}, nil)
	dir := t.TempDir()
	s := NewSender(Spec{Name: "otlp", Target: hang.URL}, "otlp", exp, QueueConfig{Consumers: 1, BatchSize: 5})
	s.SetUnsent(filepath.Join(dir, "unsent-0-otlp.json"), filepath.Join(dir, "unsent-0-otlp.jsonl"), false, 0)
	s.Offer(TracesBatch(spansWithIDs(0, 5)), Ref{}, false)
	s.Offer(TracesBatch(spansWithIDs(5, 5)), Ref{}, false)
	<-arrived
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o := s.Shutdown(ctx)
	c := o.Signals[Traces]
	if c.InDoubt != 5 || c.Left != 5 || c.Sent != 0 || c.Failed != 0 || !errors.Is(o.Err, ErrCut) && !errors.Is(o.Err, ErrInDoubt) {
		t.Errorf("outcome %+v (%v), want 5 in doubt, 5 left", c, o.Err)
	}
	path, err := s.WriteUnsent()
	if err != nil {
		t.Fatal(err)
	}
	rec, err := ReadUnsent(path)
	if err != nil {
		t.Fatal(err)
	}
	if Count(rec.InDoubt) != 5 || Count(rec.Left) != 5 || len(rec.Failed) != 0 {
		t.Errorf("record %+v, want 5 in doubt and 5 left, apart", rec)
	}
}

// TestSenderPermanentFailureNotRetried: a 400 is failed at once, kept.
func TestSenderPermanentFailureNotRetried(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		http.Error(w, "bad payload", http.StatusBadRequest)
	}))
	defer bad.Close()
	exp, _ := NewOTLPHTTP(bad.URL, Settings{}, nil)
	s := NewSender(Spec{Name: "otlp"}, "otlp", exp, QueueConfig{})
	s.SetUnsent(filepath.Join(t.TempDir(), "u.json"), filepath.Join(t.TempDir(), "u.jsonl"), false, 0)
	s.Offer(LogsBatch(sampleLogs()), Ref{}, false)
	o := s.Shutdown(context.Background())
	if c := o.Signals[Logs]; c.Failed != 3 || calls != 1 || !IsPermanent(o.Err) {
		t.Errorf("logs %+v after %d calls (%v), want 3 failed after 1", c, calls, o.Err)
	}
	path, _ := s.WriteUnsent()
	if rec, err := ReadUnsent(path); err != nil || Count(rec.Failed) != 3 {
		t.Errorf("record %+v, %v: want 3 failed log records", rec, err)
	}
}

// TestSplitAndMergeKeepEveryItem: split batches hold at most n items each,
// with their resource and scope; merged ones hold all.
func TestSplitAndMergeKeepEveryItem(t *testing.T) {
	td := sampleTraces()
	parts := split(TracesBatch(td), 4)
	if len(parts) != 2 || parts[0].Items() != 4 || parts[1].Items() != 2 {
		t.Fatalf("split 6 spans by 4: %d parts", len(parts))
	}
	back := merge(Traces, parts)
	if back.Items() != 6 || back.Traces.ResourceSpans().At(0).SchemaUrl() == "" {
		t.Errorf("merged %d spans", back.Items())
	}
	if got := split(MetricsBatch(sampleMetrics()), 1); len(got) != 1 {
		t.Errorf("a metric was cut into %d", len(got))
	}
	if got := split(LogsBatch(sampleLogs()), 2); len(got) != 2 || got[1].Items() != 1 {
		t.Errorf("logs split into %d", len(got))
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for !cond() {
		runtime.Gosched()
	}
}

// TestTakeUpToUncounted: lines offered by reference with no count (export
// of a stored session) are sent one request each, never all read back into
// one; counted items are still taken together up to the batch size.
func TestTakeUpToUncounted(t *testing.T) {
	q := []item{{ref: Ref{Offset: 0}}, {ref: Ref{Offset: 10}}, {ref: Ref{Offset: 20}}}
	for want := int64(0); len(q) > 0; want += 10 {
		var work []item
		work, q = takeUpTo(q, 512)
		if len(work) != 1 || work[0].ref.Offset != want {
			t.Fatalf("took %+v, want the line at %d alone", work, want)
		}
	}
	counted := []item{{items: 200}, {items: 200}, {items: 200}}
	work, rest := takeUpTo(counted, 512)
	if len(work) != 2 || len(rest) != 1 {
		t.Errorf("took %d counted items, left %d; want 2 and 1", len(work), len(rest))
	}
}
