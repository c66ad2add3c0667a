package events

import "testing"

// TestWindowSpend checks the running spend against Finish over what has
// arrived, after every agent turn, across several window slides.
func TestWindowSpend(t *testing.T) {
	arrs := agentTurns(200) // 4 arrivals a turn
	w := Window{Spans: 64, Pricer: tokenPricer{}}
	for i, a := range arrs {
		w.AddSpan(a.span, a.parent)
		w.AddEvents(a.evs...)
		if (i+1)%4 != 0 {
			continue
		}
		want, _, _ := finishAll(arrs[:i+1], "")
		got := w.Spend()
		if got.LLMCalls != want.LLMCalls || got.Tokens() != want.InputTokens+want.OutputTokens ||
			got.UnpricedCalls != want.UnpricedCalls || !closeTo(got.CostUSD, want.CostUSD) {
			t.Fatalf("after %d turns: spend %+v, Finish %d calls %d tokens $%g %d unpriced",
				(i+1)/4, got, want.LLMCalls, want.InputTokens+want.OutputTokens, want.CostUSD, want.UnpricedCalls)
		}
	}
	// Spend changes nothing the end counts.
	res := w.Finish()
	want, _, _ := finishAll(arrs, "")
	if res.Totals.LLMCalls != want.LLMCalls || !closeTo(res.Totals.CostUSD, want.CostUSD) {
		t.Fatalf("Finish after Spend: %d calls $%g, want %d $%g", res.Totals.LLMCalls, res.Totals.CostUSD, want.LLMCalls, want.CostUSD)
	}
	for _, e := range res.Events {
		if e.LLM != nil && e.LLM.Wrapper && e.LLM.CostUSD != nil {
			t.Fatalf("a wrapper got a price: %+v", e.LLM)
		}
	}
}

func closeTo(a, b float64) bool {
	d := a - b
	return d < 1e-12 && d > -1e-12
}
