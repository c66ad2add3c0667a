package events_test

import (
	"fmt"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/pricing"
)

// A framework's LLM span wrapping the provider's: the call is counted once,
// and priced from the embedded table.
func ExampleFinish() {
	newSpan := func(id, parent byte, attrs map[string]any) ptrace.Span {
		s := ptrace.NewSpan()
		s.SetSpanID(pcommon.SpanID{7: id})
		if parent != 0 {
			s.SetParentSpanID(pcommon.SpanID{7: parent})
		}
		_ = s.Attributes().FromRaw(attrs)
		return s
	}
	usage := map[string]any{
		"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o",
		"llm.token_count.prompt": 1000, "llm.token_count.completion": 100,
	}
	// Children usually arrive before their parents.
	spans := []ptrace.Span{newSpan(2, 1, usage), newSpan(1, 0, usage)}

	var evs []events.Event
	var lin events.Lineage
	for _, s := range spans {
		evs = append(evs, events.FromSpan(s)...)
		lin.Add(s.SpanID(), s.ParentSpanID())
	}
	t := events.Finish(evs, &lin, pricing.Default())
	fmt.Printf("%d call (+%d wrapper), %d in / %d out, $%.4f\n",
		t.LLMCalls, t.WrapperLLMSpans, t.InputTokens, t.OutputTokens, t.CostUSD)
	// Output: 1 call (+1 wrapper), 1000 in / 100 out, $0.0035
}
