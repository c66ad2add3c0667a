package events

import (
	"fmt"
	"reflect"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// packedTurns is a session of n agent turns of spans only (no log event,
// every call with a response id: the rules read the packed events, see
// Window.mark): a tool call (every third one failing, its error re-raised
// by the agent span), a leaf LLM call under the framework's wrapper LLM
// span; every fourth turn a second instrumentation's span of the leaf call
// (the same response id, another name), every sixth a provider span below
// the leaf that missed its usage, every seventh an error event made by
// hand (re-raised by the agent), every tenth the call of forty turns
// before reported again (a repeat of a call the window may have counted
// already), and tool calls sharing the id of the turn before's every
// fifth turn.
func packedTurns(n int) []arrival {
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
	call := func(model string, in int64, resp string) map[string]any {
		return map[string]any{"gen_ai.operation.name": "chat", "gen_ai.request.model": model,
			"gen_ai.usage.input_tokens": in, "gen_ai.usage.output_tokens": int64(10), "gen_ai.response.id": resp}
	}
	for i := 0; i < n; i++ {
		id := func(k byte) pcommon.SpanID { return pcommon.SpanID{k, byte(i >> 16), byte(i >> 8), byte(i)} }
		msg := ""
		if i%3 == 0 {
			msg = "tool failed"
		}
		model := "gpt-4o"
		if i%5 == 0 {
			model = "unpriced"
		}
		toolCall := fmt.Sprintf("call_%d", i-i%5/4) // every fifth turn, the id of the one before
		span(id(2), id(1), "execute_tool search", map[string]any{"gen_ai.operation.name": "execute_tool",
			"gen_ai.tool.name": "search", "gen_ai.tool.call.id": toolCall}, msg)
		agentMsg := msg
		if i%7 == 3 {
			// An error event made by hand, its span named by SpanID alone,
			// re-raised by the agent.
			span(id(8), id(1), "step", nil, "")
			out[len(out)-1].evs = append(out[len(out)-1].evs, Event{Kind: KindError, Name: "step",
				SpanID: id(8).String(), Error: &Error{Message: "step failed", Source: "span"}})
			agentMsg = "step failed"
		}
		resp := fmt.Sprintf("resp-%d", i)
		if i%6 == 0 {
			span(id(6), id(4), "openai.chat", map[string]any{"gen_ai.operation.name": "chat", "gen_ai.request.model": model}, "")
		}
		span(id(4), id(3), "chat "+model, call(model, int64(100+i), resp), "")
		if i%4 == 0 {
			span(id(5), id(3), "openai.chat.completions", call(model, int64(100+i), resp), "")
		}
		if i%10 == 0 && i >= 40 {
			span(id(7), id(3), "openai.chat.completions", call(model, int64(100+i-40), fmt.Sprintf("resp-%d", i-40)), "")
		}
		span(id(3), id(1), "ChatOpenAI", call(model, int64(100+i), fmt.Sprintf("wrap-%d", i)), "")
		span(id(1), root, "invoke_agent", map[string]any{"gen_ai.operation.name": "invoke_agent"}, agentMsg)
	}
	return out
}

// The rules applied to the packed events (Window.mark) decide as Finish's
// rules applied to the same events unpacked: wrappers, duplicates, errors
// re-raised, repeats in the window and of calls counted before it, for
// windows that hold all of the session, some turns, and a few spans.
func TestWindowPackedRules(t *testing.T) {
	root := pcommon.SpanID{0xee, 1}.String()
	run := func(size int, unpacked bool) Result {
		w := Window{Spans: size, Keep: -1, Pricer: tokenPricer{}, unpackAll: unpacked}
		for _, a := range packedTurns(400) {
			w.AddSpan(a.span, a.parent)
			w.AddEvents(a.evs...)
			if w.readsMore() {
				t.Fatal("the scenario reads more than the packed events: it tests nothing")
			}
		}
		return w.Finish(root)
	}
	for _, size := range []int{0, 64, 8} {
		got, want := run(size, false), run(size, true)
		if !reflect.DeepEqual(got.Totals, want.Totals) {
			t.Errorf("window of %d spans: totals\n got %+v\nwant %+v", size, got.Totals, want.Totals)
		}
		if !reflect.DeepEqual(got.Events, want.Events) {
			for i := range min(len(got.Events), len(want.Events)) {
				if !reflect.DeepEqual(got.Events[i], want.Events[i]) {
					t.Errorf("window of %d spans: event %d\n got %+v %+v\nwant %+v %+v", size, i, got.Events[i], got.Events[i].LLM, want.Events[i], want.Events[i].LLM)
					break
				}
			}
			t.Errorf("window of %d spans: %d events, unpacked %d", size, len(got.Events), len(want.Events))
		}
		// The scenario must exercise the rules, or the comparison proves nothing.
		duplicates := 0
		for _, e := range got.Events {
			if e.LLM != nil && e.LLM.Duplicate {
				duplicates++
			}
		}
		// 134 tools' errors and 57 steps', each re-raised by its agent span
		// (a window of 8 spans sees only some of those).
		errors := 134 + 57
		if size == 8 {
			errors = 218
		}
		if tt := got.Totals; tt.WrapperLLMSpans != 400+67 || tt.RepeatedEvents != 100+36+80 || tt.Errors != errors || duplicates != 67 {
			t.Errorf("window of %d spans, scenario: %d wrappers, %d repeats, %d errors, %d duplicates", size, tt.WrapperLLMSpans, tt.RepeatedEvents, tt.Errors, duplicates)
		}
	}
}
