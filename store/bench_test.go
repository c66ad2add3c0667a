package store

import (
	"context"
	"testing"
	"time"

	"github.com/agentops-dev/agentops/bench/spangen"
)

// BenchmarkWriterConsumeTraces is the store's share of every export: a
// realistic 512-span batch appended to spans.jsonl.
func BenchmarkWriterConsumeTraces(b *testing.B) {
	td := spangen.Traces(512, 1, spangen.DefaultMix)
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
}
