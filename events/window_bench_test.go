package events_test

import (
	"runtime"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/bench/spangen"
	"github.com/agentops-dev/agentops/events"
)

// BenchmarkWindowMemory is what a session's counting holds at its fullest
// on the all-LLM load: 65,535 spans read from OTLP/HTTP requests in place
// (ReadTraces, as the receiver reads them), 512 a request with new ids
// each, counted by a Window of the default sizes through AddTraceSpan, as
// the sink counts them. 65,535 spans leave the window one span short of
// its next rebuild, holding 8,191 spans' events, with the 10,000 kept
// events and the remembered calls and spans of a long session. live-B is
// the heap the Window holds then (after a collection), ns/span the time
// the spans took, cpu-ns/span the process's CPU time (collections
// included), which depends less on what else the machine runs.
func BenchmarkWindowMemory(b *testing.B) {
	const spans = 1<<16 - 1
	td := spangen.Traces(512, 1, spangen.AllLLM)
	var bodies [][]byte
	for round := uint64(0); len(bodies)*512 < spans; round++ {
		spangen.Renumber(td, round)
		body, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
		if err != nil {
			b.Fatal(err)
		}
		bodies = append(bodies, body)
	}
	var evs []events.Event
	var batch []events.BatchSpan
	var ms runtime.MemStats
	live := 0.0
	b.ReportAllocs()
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		before := ms.HeapAlloc
		b.StartTimer()
		cpu0 := cpuTime()
		w := &events.Window{}
		n := 0
		for _, body := range bodies {
			var err error
			if evs, batch, _, err = events.ReadTraces(body, 30, evs[:0], batch[:0]); err != nil {
				b.Fatal(err)
			}
			from := 0
			for _, sp := range batch {
				if n == spans {
					break
				}
				n++
				if w.AddTraceSpan(sp.TraceID, sp.SpanID, sp.ParentSpanID) {
					w.AddEvents(evs[from:sp.End]...)
				}
				from = sp.End
			}
			clear(evs) // as the receiver's pooled buffers are
		}
		cpu += cpuTime() - cpu0
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		live = float64(ms.HeapAlloc) - float64(before)
		if res := w.Finish(); res.Totals.LLMCalls == 0 {
			b.Fatal("no calls counted")
		}
		b.StartTimer()
	}
	b.ReportMetric(live, "live-B")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*spans), "ns/span")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*spans), "cpu-ns/span")
}

// BenchmarkWindowSpend is a session with a budget: 65,536 all-LLM spans in
// 512-span batches through a Window with the price table's stand-in, its
// Spend read after every batch, as the budget watch reads it.
func BenchmarkWindowSpend(b *testing.B) {
	spans := spangen.Traces(1<<16, 1, spangen.AllLLM).ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	evs := make([][]events.Event, spans.Len())
	for i := range evs {
		evs[i] = events.FromSpan(spans.At(i))
	}
	b.ReportAllocs()
	for b.Loop() {
		w := events.Window{Pricer: flatPricer{}}
		for i := 0; i < spans.Len(); i++ {
			sp := spans.At(i)
			if w.AddTraceSpan(sp.TraceID(), sp.SpanID(), sp.ParentSpanID()) {
				w.AddEvents(evs[i]...)
			}
			if i%512 == 511 && w.Spend().LLMCalls == 0 {
				b.Fatal("no calls counted")
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*spans.Len()), "ns/span")
}

// flatPricer prices every call at a micro-dollar a token.
type flatPricer struct{}

func (flatPricer) Price(l events.LLM) (float64, bool) {
	return float64(l.InputTokens+l.OutputTokens) * 1e-6, true
}
