package pricing

import (
	"fmt"
	"testing"

	"github.com/agentops-dev/agentops/events"
)

func TestPriceCachedAnswersLikeLookup(t *testing.T) {
	tab := Default()
	u := Usage{InputTokens: 1000, OutputTokens: 100}
	for i := 0; i < 2; i++ { // the second round is answered from the cache
		for _, model := range []string{"gpt-5.2", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "no-such-model"} {
			m, ok := tab.Lookup(model, "", "")
			want := 0.0
			if ok {
				ps := m.PricesAt(day)
				want, _ = ps.Cost(u)
			}
			got, gotOK := tab.Price(events.LLM{RequestModel: model, InputTokens: 1000, OutputTokens: 100, Time: day})
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
