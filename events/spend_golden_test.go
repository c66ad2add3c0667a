package events_test

import (
	"math"
	"testing"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/pricing"
)

// TestSpendMatchesTotals: for every convention fixture, the running spend
// of a window holding the whole session equals the totals Finish counts
// (wrappers, duplicates and repeats from other sources not counted).
func TestSpendMatchesTotals(t *testing.T) {
	var names []string
	for name := range conventionTests {
		names = append(names, name)
	}
	for name := range sourceTests {
		names = append(names, name)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			spans := fixtureSpans(t, name)
			evs, _, lin := run(spans)
			w := events.Window{Pricer: pricing.Default()}
			for _, s := range spans {
				w.AddSpan(s.SpanID(), s.ParentSpanID())
				w.AddEvents(events.FromSpan(s)...)
			}
			for _, lr := range fixtureLogs(t, name) {
				logEvs := events.FromLogRecord(lr)
				evs = append(evs, logEvs...)
				w.AddEvents(logEvs...)
			}
			tot := events.Finish(evs, lin, pricing.Default())
			got := w.Spend()
			if got.LLMCalls != tot.LLMCalls || got.InputTokens != tot.InputTokens || got.OutputTokens != tot.OutputTokens ||
				got.UnpricedCalls != tot.UnpricedCalls || math.Abs(got.CostUSD-tot.CostUSD) > 1e-12 {
				t.Errorf("spend %+v, totals %d calls %d/%d tokens $%g %d unpriced", got, tot.LLMCalls, tot.InputTokens, tot.OutputTokens, tot.CostUSD, tot.UnpricedCalls)
			}
		})
	}
}
