package events_test

import (
	"testing"

	"github.com/agentops-dev/agentops/bench/spangen"
	"github.com/agentops-dev/agentops/events"
)

// BenchmarkWindowAllLLM counts a session of LLM spans only through a
// Window, as the sink does: the cost of the session-wide rules (wrappers,
// errors, repeats across sources) per span.
func BenchmarkWindowAllLLM(b *testing.B) {
	spans := spangen.Traces(1<<14, 1, spangen.Mix{LLM: 1}).ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	var evs [][]events.Event
	for i := 0; i < spans.Len(); i++ {
		evs = append(evs, events.FromSpan(spans.At(i)))
	}
	b.ReportAllocs()
	for b.Loop() {
		w := events.Window{Spans: 1 << 12}
		for i := 0; i < spans.Len(); i++ {
			w.AddSpan(spans.At(i).SpanID(), spans.At(i).ParentSpanID())
			w.AddEvents(evs[i]...)
		}
		_ = w.Finish()
	}
	b.ReportMetric(float64(b.N*spans.Len())/b.Elapsed().Seconds(), "spans/s")
}

// BenchmarkWindowSession is a session of 64k spans of the all-LLM load
// (spangen.AllLLM: a wrapper over each trace's calls, one span in a hundred
// failed) counted by a Window of the default sizes through AddTraceSpan, as
// the sink does: eight windows' worth, so that its rebuilds, the kept
// events and the remembered calls are those of a long session.
func BenchmarkWindowSession(b *testing.B) {
	spans := spangen.Traces(1<<16, 1, spangen.AllLLM).ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	evs := make([][]events.Event, spans.Len())
	for i := range evs {
		evs[i] = events.FromSpan(spans.At(i))
	}
	b.ReportAllocs()
	for b.Loop() {
		var w events.Window
		for i := 0; i < spans.Len(); i++ {
			sp := spans.At(i)
			if w.AddTraceSpan(sp.TraceID(), sp.SpanID(), sp.ParentSpanID()) {
				w.AddEvents(evs[i]...)
			}
		}
		if res := w.Finish(); res.Totals.LLMCalls == 0 || res.Totals.RepeatedEvents != 0 {
			b.Fatalf("%d calls, %d repeats: not a session of distinct calls", res.Totals.LLMCalls, res.Totals.RepeatedEvents)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*spans.Len()), "ns/span")
}
