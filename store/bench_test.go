package store

import (
	"context"
	"testing"
	"time"

	"github.com/agentops-dev/agentops/bench/spangen"
)

// BenchmarkWriterConsumeTraces is the store's share of every export: a
// 512-span batch appended to spans.jsonl, for the realistic mix and the
// all-LLM load.
func BenchmarkWriterConsumeTraces(b *testing.B) {
	for _, mix := range []string{"realistic", "llm"} {
		b.Run(mix, func(b *testing.B) {
			td := spangen.Traces(512, 1, spangen.Mixes[mix])
			w := Open(b.TempDir()).NewWriter()
			if err := w.Begin(Meta{ID: "bench", Start: time.Now()}); err != nil {
				b.Fatal(err)
			}
			defer func() { _ = w.Discard() }()
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := w.ConsumeTraces(ctx, td); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*td.SpanCount())/b.Elapsed().Seconds(), "spans/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*td.SpanCount()), "ns/span")
		})
	}
}
