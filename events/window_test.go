package events

import (
	"reflect"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// tokenPricer prices every call at a micro-dollar a token.
type tokenPricer struct{}

func (tokenPricer) Price(l LLM) (float64, bool) {
	return float64(l.InputTokens+l.OutputTokens) * 1e-6, l.RequestModel != "unpriced"
}

type arrival struct {
	span, parent pcommon.SpanID
	evs          []Event
}

// agentTurns is a session of n agent turns, each span arriving as an SDK
// exports it (children first): a tool call (every third one failing, its
// error also logged and re-raised by the agent span), a leaf LLM call and
// the framework's wrapper LLM span around it, under an agent span. Turns
// whose number is divisible by 7 name a parent that never arrives.
func agentTurns(n int) []arrival {
	root := pcommon.SpanID{0xee, 1}
	var out []arrival
	span := func(id, parent pcommon.SpanID, name string, attrs map[string]any, errMsg string) {
		sp := ptrace.NewSpan()
		sp.SetTraceID(pcommon.TraceID{1})
		sp.SetSpanID(id)
		sp.SetParentSpanID(parent)
		sp.SetName(name)
		_ = sp.Attributes().FromRaw(attrs)
		if errMsg != "" {
			sp.Status().SetCode(ptrace.StatusCodeError)
			sp.Status().SetMessage(errMsg)
		}
		out = append(out, arrival{id, parent, FromSpan(sp)})
	}
	for i := 0; i < n; i++ {
		id := func(k byte) pcommon.SpanID { return pcommon.SpanID{k, byte(i >> 16), byte(i >> 8), byte(i)} }
		agentParent := root
		if i%7 == 0 {
			agentParent = id(9) // never sent
		}
		failed := i%3 == 0
		msg := ""
		if failed {
			msg = "tool failed"
		}
		model := "gpt-4o"
		if i%5 == 0 {
			model = "unpriced"
		}
		span(id(2), id(1), "execute_tool search", map[string]any{"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search"}, msg)
		if failed {
			out[len(out)-1].evs = append(out[len(out)-1].evs, Event{Kind: KindError, Name: "log", SpanID: id(2).String(), Error: &Error{Message: msg, Source: "log"}})
		}
		span(id(4), id(3), "chat "+model, map[string]any{"gen_ai.operation.name": "chat", "gen_ai.request.model": model, "gen_ai.usage.input_tokens": int64(100 + i), "gen_ai.usage.output_tokens": int64(10)}, "")
		span(id(3), id(1), "ChatOpenAI", map[string]any{"gen_ai.operation.name": "chat", "gen_ai.request.model": model, "gen_ai.usage.input_tokens": int64(100 + i), "gen_ai.usage.output_tokens": int64(10)}, "")
		span(id(1), agentParent, "invoke_agent", map[string]any{"gen_ai.operation.name": "invoke_agent"}, msg)
	}
	return out
}

func finishAll(arrs []arrival, known string) (Totals, []Event, int) {
	var lin Lineage
	var evs []Event
	for _, a := range arrs {
		lin.Add(a.span, a.parent)
		evs = append(evs, a.evs...)
	}
	return Finish(evs, &lin, tokenPricer{}), evs, lin.Missing(known)
}

func TestWindowMatchesFinish(t *testing.T) {
	root := pcommon.SpanID{0xee, 1}.String()
	for _, size := range []int{0, 64, 8} {
		want, wantEvs, wantMissing := finishAll(agentTurns(500), root)
		w := Window{Spans: size, Keep: -1, Pricer: tokenPricer{}}
		for _, a := range agentTurns(500) {
			w.AddSpan(a.span, a.parent)
			w.AddEvents(a.evs...)
		}
		got := w.Finish(root)
		if !reflect.DeepEqual(got.Totals, want) {
			t.Errorf("window of %d spans: totals\n got %+v\nwant %+v", size, got.Totals, want)
		}
		if !reflect.DeepEqual(got.Events, wantEvs) || got.Omitted != 0 {
			t.Errorf("window of %d spans: events differ from Finish's (%d vs %d, %d omitted)", size, len(got.Events), len(wantEvs), got.Omitted)
		}
		if got.MissingParents != wantMissing {
			t.Errorf("window of %d spans: missing parents = %d, want %d", size, got.MissingParents, wantMissing)
		}
	}
	// The scenario must exercise the rules, or the comparison proves nothing.
	want, _, missing := finishAll(agentTurns(500), root)
	if want.WrapperLLMSpans != 500 || want.Errors != 167 || want.UnpricedCalls != 100 || missing != 72 {
		t.Fatalf("scenario: %d wrappers, %d errors, %d unpriced, %d missing parents", want.WrapperLLMSpans, want.Errors, want.UnpricedCalls, missing)
	}
}

func TestWindowKeepsFirstEvents(t *testing.T) {
	w := Window{Spans: 16, Keep: 10}
	arrs := agentTurns(100)
	total := 0
	for _, a := range arrs {
		w.AddSpan(a.span, a.parent)
		w.AddEvents(a.evs...)
		total += len(a.evs)
	}
	got := w.Finish()
	if len(got.Events) != 10 || got.Omitted != total-10 {
		t.Fatalf("kept %d events and omitted %d, want 10 and %d", len(got.Events), got.Omitted, total-10)
	}
	if got.Totals.LLMCalls != 100 || got.Totals.ToolCalls != 100 {
		t.Fatalf("totals count %d LLM and %d tool calls, want every one of 100", got.Totals.LLMCalls, got.Totals.ToolCalls)
	}
}

// The window's memory must not grow with the session.
func TestWindowIsBounded(t *testing.T) {
	w := Window{Spans: 64, Keep: 10}
	for _, a := range agentTurns(5000) {
		w.AddSpan(a.span, a.parent)
		w.AddEvents(a.evs...)
		if len(w.ids) > 64 || len(w.evs) > 64 || w.lin.Len() > 64 {
			t.Fatalf("window holds %d spans, %d events, %d lineage entries", len(w.ids), len(w.evs), w.lin.Len())
		}
	}
	if n := len(w.awaiting); n > 1000 {
		t.Fatalf("%d parents awaited", n)
	}
}
