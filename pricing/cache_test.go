package pricing

import (
	"fmt"
	"testing"

	"github.com/agentops-dev/agentops/events"
)

func TestPriceCachedAnswersLikeLookup(t *testing.T) {
	tab := Default()
	for i := 0; i < 2; i++ { // the second round is answered from the cache
		for _, model := range []string{"gpt-4o-2024-08-06", "us.anthropic.claude-3-5-sonnet-20241022-v2:0", "no-such-model"} {
			_, p, ok := tab.Lookup(model, "")
			want := 0.0
			if ok {
				want = p.Cost(Usage{InputTokens: 1000, OutputTokens: 100})
			}
			got, gotOK := tab.Price(events.LLM{RequestModel: model, InputTokens: 1000, OutputTokens: 100})
			if got != want || gotOK != ok {
				t.Errorf("round %d: Price(%s) = %v, %v; Lookup says %v, %v", i, model, got, gotOK, want, ok)
			}
		}
	}
}

func TestPriceCacheIsBounded(t *testing.T) {
	tab := Default()
	for i := 0; i < maxCachedLookups+100; i++ {
		tab.Price(events.LLM{RequestModel: fmt.Sprintf("invented-%d", i)})
	}
	if n := len(tab.lookups.m); n > maxCachedLookups {
		t.Fatalf("cache holds %d lookups", n)
	}
}
