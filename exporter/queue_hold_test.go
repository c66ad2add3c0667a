package exporter

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// holdProbe records, for every export, whether the sender had been
// released by then.
type holdProbe struct {
	released atomic.Bool
	mu       sync.Mutex
	early    int
	spans    int
	// block, when set, holds every export until closed.
	block chan struct{}
}

func (p *holdProbe) ExportTraces(_ context.Context, td ptrace.Traces) error {
	if p.block != nil {
		<-p.block
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.released.Load() {
		p.early++
	}
	p.spans += td.SpanCount()
	return nil
}

func (p *holdProbe) Shutdown(context.Context) error { return nil }

func TestSenderHoldsUntilRelease(t *testing.T) {
	p := &holdProbe{}
	s := NewSender(Spec{Name: "agentops"}, "agentops", p, QueueConfig{Consumers: 4, BatchSize: 2})
	s.Hold()
	for i := range 5 {
		s.Offer(TracesBatch(spansWithIDs(i*2, 2)), Ref{}, false)
	}
	// Give the consumers every chance to send too early.
	for range 1000 {
		runtime.Gosched()
	}
	p.released.Store(true)
	s.Release()
	o := s.Shutdown(context.Background())
	if p.early != 0 || p.spans != 10 || o.Signals[Traces].Sent != 10 {
		t.Errorf("%d exports before Release, %d spans exported, outcome %+v: want none early, all 10 after", p.early, p.spans, o.Signals[Traces])
	}
}

// A sender still held at Shutdown (the session never counted) sends what
// it holds rather than leaving it.
func TestSenderHeldSendsAtShutdown(t *testing.T) {
	p := &holdProbe{}
	s := NewSender(Spec{Name: "agentops"}, "agentops", p, QueueConfig{})
	s.Hold()
	s.Offer(TracesBatch(spansWithIDs(0, 3)), Ref{}, false)
	if o := s.Shutdown(context.Background()); p.spans != 3 || o.Signals[Traces].Sent != 3 {
		t.Errorf("%d spans exported, outcome %+v", p.spans, o.Signals[Traces])
	}
}

// A held sender never refuses a batch: it cannot catch up before the
// session ends, and refusing would make the child's SDK wait all along.
func TestSenderHeldNeverRefuses(t *testing.T) {
	p := &holdProbe{block: make(chan struct{})}
	p.released.Store(true)
	s := NewSender(Spec{Name: "agentops"}, "agentops", p, QueueConfig{QueueSize: 2, BatchSize: 2, Consumers: 1})
	// The one consumer blocks on the first batch; the second fills memory.
	s.Offer(TracesBatch(spansWithIDs(0, 2)), Ref{}, false)
	s.Offer(TracesBatch(spansWithIDs(2, 2)), Ref{}, false)
	if s.CanTake(Traces, 5, false) {
		t.Fatal("a full sender without spill or journal takes more: the scenario proves nothing")
	}
	s.Hold()
	if !s.CanTake(Traces, 5, false) {
		t.Error("a held sender refused a batch")
	}
	s.Release()
	close(p.block)
	if o := s.Shutdown(context.Background()); o.Signals[Traces].Sent != 4 {
		t.Errorf("outcome %+v", o.Signals[Traces])
	}
}
