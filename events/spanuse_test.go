package events

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// The spans the window decided are counted carry, added up, exactly the
// session's totals, however small the window: what an exporter needs to
// make a backend that sums over spans show the summary's numbers.
func TestSpanUsesAddUpToTotals(t *testing.T) {
	for _, size := range []int{0, 8} {
		var uses SpanUses
		w := Window{Spans: size, Pricer: tokenPricer{}, Decided: uses.Note}
		arrs := agentTurns(200)
		for _, a := range arrs {
			w.AddSpan(a.span, a.parent)
			w.AddEvents(a.evs...)
		}
		totals := w.Finish().Totals
		var calls, wrappers int
		var in, out int64
		var cost float64
		kinds := map[Kind]int{}
		for _, a := range arrs {
			use, ok := uses.Use(a.span)
			if !ok {
				continue
			}
			kinds[use.Kind]++
			if use.Kind != KindLLM {
				continue
			}
			if use.LLM == nil {
				wrappers++
				continue
			}
			calls++
			in += use.LLM.InputTokens
			out += use.LLM.OutputTokens
			if use.LLM.CostUSD != nil {
				cost += *use.LLM.CostUSD
			}
		}
		if calls != totals.LLMCalls || wrappers != totals.WrapperLLMSpans || in != totals.InputTokens || out != totals.OutputTokens || cost != totals.CostUSD {
			t.Errorf("window %d: counted spans add up to %d calls, %d wrappers, %d/%d tokens, $%g; totals %d, %d, %d/%d, $%g",
				size, calls, wrappers, in, out, cost, totals.LLMCalls, totals.WrapperLLMSpans, totals.InputTokens, totals.OutputTokens, totals.CostUSD)
		}
		if kinds[KindTool] != 200 || kinds[KindAgent] != 200 || totals.WrapperLLMSpans != 200 {
			t.Errorf("window %d: kinds %v, %d wrappers: the scenario must have tools, agents and wrappers", size, kinds, totals.WrapperLLMSpans)
		}
		if _, ok := uses.Use(pcommon.SpanID{0xee, 1}); ok {
			t.Errorf("window %d: the root span made no event but has a use", size)
		}
	}
}

func TestSpanUsesNoContent(t *testing.T) {
	var uses SpanUses
	id := pcommon.SpanID{1, 2, 3}
	uses.Note(Event{Kind: KindLLM, SpanID: id.String(), LLM: &LLM{InputTokens: 3, Prompt: "secret prompt", Completion: "answer"}})
	use, ok := uses.Use(id)
	if !ok || use.LLM == nil || use.LLM.InputTokens != 3 || use.LLM.Prompt != "" || use.LLM.Completion != "" {
		t.Errorf("use = %+v, %v: want the counted usage without content", use, ok)
	}
	uses.Note(Event{Kind: KindError, SpanID: id.String(), Error: &Error{Message: "x"}})
	if use, _ := uses.Use(id); use.Kind != KindLLM {
		t.Errorf("an error event replaced the span's kind: %+v", use)
	}
}
