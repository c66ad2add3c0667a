package events_test

import (
	"testing"

	"github.com/agentops-dev/agentops/bench/spangen"
	"github.com/agentops-dev/agentops/events"
)

// BenchmarkFromSpan converts one span of each kind into events.
func BenchmarkFromSpan(b *testing.B) {
	cases := []struct {
		name string
		mix  spangen.Mix
	}{
		{"plain", spangen.Mix{}},
		{"llm", spangen.Mix{LLM: 1}},
		{"tool", spangen.Mix{Tool: 1}},
		{"error", spangen.Mix{Error: 1}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			span := spangen.Traces(1, 1, c.mix).ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
			b.ReportAllocs()
			for b.Loop() {
				_ = events.FromSpan(span)
			}
		})
	}
}

// BenchmarkFromSpanBatch converts and tallies a realistic 512-span batch
// (spangen.DefaultMix), as the session does for every export.
func BenchmarkFromSpanBatch(b *testing.B) {
	spans := spangen.Traces(512, 1, spangen.DefaultMix).ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	b.ReportAllocs()
	for b.Loop() {
		var t events.Totals
		for i := 0; i < spans.Len(); i++ {
			for _, e := range events.FromSpan(spans.At(i)) {
				t.Add(e)
			}
		}
	}
	b.ReportMetric(float64(b.N*spans.Len())/b.Elapsed().Seconds(), "spans/s")
}
