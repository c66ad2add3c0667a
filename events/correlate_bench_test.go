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
