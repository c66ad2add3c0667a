package pricing

import (
	"testing"

	"github.com/agentops-dev/agentops/events"
)

// BenchmarkPrice prices one LLM call as the session does for every call
// that reports no cost: after the first, answered from the lookup cache,
// with no allocation.
func BenchmarkPrice(b *testing.B) {
	for _, c := range []struct{ name, model, provider string }{
		{"known", "claude-sonnet-4-5-20250929", "anthropic"},
		{"bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "aws.bedrock"},
		{"unknown", "my-own-model-v2", "openai"},
	} {
		b.Run(c.name, func(b *testing.B) {
			t := Default()
			l := events.LLM{RequestModel: c.model, ResponseModel: c.model, Provider: c.provider,
				InputTokens: 250_000, CacheReadTokens: 1000, OutputTokens: 10, Time: day}
			t.Price(l)
			b.ReportAllocs()
			for b.Loop() {
				t.Price(l)
			}
		})
	}
}

// TestPriceAllocatesNothing: the benchmark's claim, as a test.
func TestPriceAllocatesNothing(t *testing.T) {
	tbl := Default()
	l := events.LLM{RequestModel: "gpt-5.2", Provider: "openai", InputTokens: 1000, CacheReadTokens: 10, OutputTokens: 10, Time: day}
	tbl.Price(l)
	if n := testing.AllocsPerRun(100, func() { tbl.Price(l) }); n != 0 {
		t.Errorf("Price allocates %v times a call", n)
	}
}

// BenchmarkDecode is what the first priced call (or the preload while
// the child runs) pays once: decoding the embedded table, its providers
// and the models of the provider asked for (first-call), and the whole
// table as a price file of the user's or a fetched feed is (whole).
func BenchmarkDecode(b *testing.B) {
	b.Run("first-call", func(b *testing.B) {
		l := events.LLM{RequestModel: "claude-sonnet-4-5-20250929", Provider: "anthropic", InputTokens: 1000, OutputTokens: 10, Time: day}
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := Default().Price(l); !ok {
				b.Fatal("no price")
			}
		}
	})
	b.Run("whole", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeFeed(embedded); err != nil {
				b.Fatal(err)
			}
		}
	})
}
