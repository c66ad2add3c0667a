package session

import (
	"context"
	"testing"

	"github.com/agentops-dev/agentops/bench/spangen"
)

// BenchmarkSinkConsumeTraces is the session's share of every export: a
// realistic 512-span batch converted to events, counted and handed on.
func BenchmarkSinkConsumeTraces(b *testing.B) {
	td := spangen.Traces(512, 1, spangen.DefaultMix)
	k := newSink(nil, nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := k.ConsumeTraces(ctx, td); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*td.SpanCount())/b.Elapsed().Seconds(), "spans/s")
}
