package pricing

import (
	"testing"

	"github.com/agentops-dev/agentops/events"
)

// BenchmarkPrice prices one LLM call of a known and of an unknown model, as
// the session does for every call that reports no cost.
func BenchmarkPrice(b *testing.B) {
	for _, c := range []struct{ name, model string }{{"known", "gpt-4o-2024-08-06"}, {"unknown", "my-own-model-v2"}} {
		b.Run(c.name, func(b *testing.B) {
			t := Default()
			l := events.LLM{RequestModel: c.model, ResponseModel: c.model, Provider: "openai", InputTokens: 100, OutputTokens: 10}
			b.ReportAllocs()
			for b.Loop() {
				t.Price(l)
			}
		})
	}
}
