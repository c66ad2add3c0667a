package session

import (
	"context"
	"testing"

	"github.com/agentops-dev/agentops/bench/spangen"
)

// BenchmarkSinkConsumeTraces is the session's share of every export: a
// 512-span batch converted to events, counted and handed on, for the
// realistic mix and the all-LLM load. Every batch has new span ids, so the
// counting window fills and rebuilds as in a long session.
func BenchmarkSinkConsumeTraces(b *testing.B) {
	for _, mix := range []string{"realistic", "llm"} {
		b.Run(mix, func(b *testing.B) {
			td := spangen.Traces(512, 1, spangen.Mixes[mix])
			k := newSink(nil, nil)
			ctx := context.Background()
			b.ReportAllocs()
			round := uint64(0)
			for b.Loop() {
				spangen.Renumber(td, round)
				round++
				if err := k.ConsumeTraces(ctx, td); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*512)/b.Elapsed().Seconds(), "spans/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*512), "ns/span")
		})
	}
}
