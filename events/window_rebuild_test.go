package events

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// llmArrival is an LLM span (with or without usage) as it arrives.
func llmArrival(id, parent pcommon.SpanID, name string, usage int64) arrival {
	sp := ptrace.NewSpan()
	sp.SetTraceID(pcommon.TraceID{7})
	sp.SetSpanID(id)
	sp.SetParentSpanID(parent)
	sp.SetName(name)
	a := sp.Attributes()
	a.PutStr("gen_ai.operation.name", "chat")
	a.PutStr("gen_ai.request.model", "gpt-4o")
	if usage > 0 {
		a.PutInt("gen_ai.usage.input_tokens", usage)
		a.PutInt("gen_ai.usage.output_tokens", 10)
	}
	return arrival{id, parent, FromSpan(sp)}
}

// filler is a plain span: it moves the window on and makes no event.
func filler(n int) arrival {
	return arrival{span: pcommon.SpanID{0xf0, byte(n >> 16), byte(n >> 8), byte(n)}}
}

func windowOf(size int, arrs []arrival) Result {
	w := Window{Spans: size, Keep: -1, Pricer: tokenPricer{}}
	for _, a := range arrs {
		w.AddSpan(a.span, a.parent)
		w.AddEvents(a.evs...)
	}
	return w.Finish()
}

// Wrappers and leaves that arrive across window rebuilds are counted as
// Finish counts them: a leaf, a rebuild, its framework wrapper, another,
// the agent framework's wrapper above that; and a usage-less provider span
// whose usage-reporting parent arrives after a rebuild.
func TestWindowWrappersAcrossRebuilds(t *testing.T) {
	const size = 16 // rebuilds every 8 spans
	id := func(k byte) pcommon.SpanID { return pcommon.SpanID{0xa0, k} }
	var arrs []arrival
	fill := 0
	gap := func(n int) {
		for range n {
			arrs = append(arrs, filler(fill))
			fill++
		}
	}
	// The window rebuilds at 16 spans, then every 8: the leaf arrives at
	// 13, its wrappers at 19 and 25, a rebuild between each.
	gap(13)
	arrs = append(arrs, llmArrival(id(1), id(2), "openai.chat", 100))
	gap(5)
	arrs = append(arrs, llmArrival(id(2), id(3), "ChatOpenAI", 100))
	gap(5)
	arrs = append(arrs, llmArrival(id(3), pcommon.SpanID{}, "agent.llm", 0))
	gap(4)
	// The call whose usage only the wrapper reports, at 30 and 36.
	arrs = append(arrs, llmArrival(id(5), id(4), "anthropic.messages", 0))
	gap(5)
	arrs = append(arrs, llmArrival(id(4), pcommon.SpanID{}, "ChatAnthropic", 200))
	gap(2)
	// A call under a plain span (a retry helper's) under the wrapper, each
	// arriving after a rebuild: at 39, 45 and 51.
	arrs = append(arrs, llmArrival(id(6), id(7), "openai.chat", 300))
	gap(5)
	arrs = append(arrs, arrival{span: id(7), parent: id(8)})
	gap(5)
	arrs = append(arrs, llmArrival(id(8), pcommon.SpanID{}, "ChatOpenAI", 0))
	gap(20)

	want, wantEvs, _ := finishAll(arrs, "")
	if want.LLMCalls != 3 || want.WrapperLLMSpans != 4 {
		t.Fatalf("scenario: Finish counts %d calls and %d wrappers, want 3 and 4", want.LLMCalls, want.WrapperLLMSpans)
	}
	w := Window{Spans: size, Keep: -1, Pricer: tokenPricer{}}
	rebuilds, last := 0, 0
	for _, a := range arrs {
		w.AddSpan(a.span, a.parent)
		w.AddEvents(a.evs...)
		if len(w.ids) < last {
			rebuilds++
		}
		last = len(w.ids)
	}
	if rebuilds < 6 {
		t.Fatalf("only %d rebuilds: the scenario does not cross them", rebuilds)
	}
	got := w.Finish()
	if !reflect.DeepEqual(got.Totals, want) {
		t.Errorf("totals\n got %+v\nwant %+v", got.Totals, want)
	}
	if !reflect.DeepEqual(got.Events, wantEvs) {
		t.Errorf("events differ from Finish's:\n got %+v\nwant %+v", got.Events, wantEvs)
	}
}

// randomSession is n traces of random LLM, tool and error spans under an
// agent span, each trace's spans arriving children first, as SDKs export
// them, the traces interleaved at most two at a time.
func randomSession(rnd *rand.Rand, n int) []arrival {
	var out []arrival
	var pending [][]arrival
	next := 0
	newID := func() pcommon.SpanID {
		next++
		return pcommon.SpanID{0xb0, byte(next >> 24), byte(next >> 16), byte(next >> 8), byte(next)}
	}
	for t := 0; t < n; t++ {
		root := newID()
		type node struct {
			id, parent pcommon.SpanID
			depth      int
		}
		nodes := []node{{root, pcommon.SpanID{}, 0}}
		for len(nodes) < 2+rnd.IntN(8) {
			p := nodes[rnd.IntN(len(nodes))]
			if p.depth >= 4 {
				continue
			}
			nodes = append(nodes, node{newID(), p.id, p.depth + 1})
		}
		var trace []arrival
		// Deepest first: children end, and are exported, before parents.
		for d := 4; d >= 0; d-- {
			for _, nd := range nodes {
				if nd.depth != d {
					continue
				}
				sp := ptrace.NewSpan()
				sp.SetTraceID(pcommon.TraceID{byte(t), 1})
				sp.SetSpanID(nd.id)
				sp.SetParentSpanID(nd.parent)
				// Traces a second apart, spans nested in time: calls of
				// different traces never overlap (see markRepeats).
				at := time.Date(2026, 12, 1, 0, 0, t, 0, time.UTC)
				sp.SetStartTimestamp(pcommon.NewTimestampFromTime(at.Add(time.Duration(nd.depth) * time.Millisecond)))
				sp.SetEndTimestamp(pcommon.NewTimestampFromTime(at.Add(time.Duration(100-nd.depth) * time.Millisecond)))
				a := sp.Attributes()
				switch r := rnd.IntN(10); {
				case nd.depth == 0:
					sp.SetName("invoke_agent")
					a.PutStr("gen_ai.operation.name", "invoke_agent")
				case r < 6:
					sp.SetName(fmt.Sprintf("chat %d", rnd.IntN(3)))
					a.PutStr("gen_ai.operation.name", "chat")
					a.PutStr("gen_ai.request.model", "gpt-4o")
					if rnd.IntN(3) > 0 {
						a.PutInt("gen_ai.usage.input_tokens", int64(1+rnd.IntN(50)))
						a.PutInt("gen_ai.usage.output_tokens", int64(1+rnd.IntN(9)))
					}
				case r < 8:
					sp.SetName("execute_tool")
					a.PutStr("gen_ai.operation.name", "execute_tool")
					a.PutStr("gen_ai.tool.name", "search")
				default:
					sp.SetName("step")
				}
				if rnd.IntN(6) == 0 {
					sp.Status().SetCode(ptrace.StatusCodeError)
					sp.Status().SetMessage([]string{"boom", "timeout"}[rnd.IntN(2)])
				}
				trace = append(trace, arrival{nd.id, nd.parent, FromSpan(sp)})
			}
		}
		pending = append(pending, trace)
		// Two traces at a time, their spans interleaved.
		for len(pending) > 1 || (t == n-1 && len(pending) > 0) {
			i := rnd.IntN(len(pending))
			out = append(out, pending[i][0])
			if pending[i] = pending[i][1:]; len(pending[i]) == 0 {
				pending = append(pending[:i], pending[i+1:]...)
			}
		}
	}
	return out
}

// The window gives Finish's result on random sessions, for window sizes
// from much larger than a trace to just twice the span distance (two traces
// of up to 10 spans interleaved) within which it promises to.
func TestWindowRandomSessionsMatchFinish(t *testing.T) {
	for seed := range uint64(40) {
		rnd := rand.New(rand.NewPCG(seed, 7))
		arrs := randomSession(rnd, 60)
		want, wantEvs, wantMissing := finishAll(arrs, "")
		for _, size := range []int{0, 256, 64, 40} {
			got := windowOf(size, arrs)
			if !reflect.DeepEqual(got.Totals, want) {
				t.Fatalf("seed %d, window %d: totals\n got %+v\nwant %+v", seed, size, got.Totals, want)
			}
			if !reflect.DeepEqual(got.Events, wantEvs) {
				t.Fatalf("seed %d, window %d: events differ from Finish's", seed, size)
			}
			if got.MissingParents != wantMissing {
				t.Fatalf("seed %d, window %d: missing %d, want %d", seed, size, got.MissingParents, wantMissing)
			}
		}
	}
	// The sessions must exercise the rules.
	var all Totals
	for seed := range uint64(40) {
		want, _, _ := finishAll(randomSession(rand.New(rand.NewPCG(seed, 7)), 60), "")
		all.WrapperLLMSpans += want.WrapperLLMSpans
		all.LLMCalls += want.LLMCalls
		all.Errors += want.Errors
	}
	if all.WrapperLLMSpans < 100 || all.LLMCalls < 500 || all.Errors < 100 {
		t.Fatalf("the random sessions hardly exercise the rules: %d wrappers, %d calls, %d errors", all.WrapperLLMSpans, all.LLMCalls, all.Errors)
	}
}

// A batch sent again (an SDK's retry of an export that had arrived) after
// the window rebuilt several times is still counted once: the spans it
// repeats left the window but not the set of recent spans.
func TestWindowRetryAcrossRebuilds(t *testing.T) {
	for seed := range uint64(10) {
		rnd := rand.New(rand.NewPCG(seed, 11))
		arrs := randomSession(rnd, 60)
		want := windowOf(40, arrs)
		w := Window{Spans: 40, Keep: -1, Pricer: tokenPricer{}}
		add := func(a arrival) bool {
			if !w.AddTraceSpan(pcommon.TraceID{9}, a.span, a.parent) {
				return false
			}
			w.AddEvents(a.evs...)
			return true
		}
		resent, rebuilds := 0, 0
		for i, a := range arrs {
			last := len(w.ids)
			if !add(a) {
				t.Fatalf("seed %d: span %d counted as a repeat the first time", seed, i)
			}
			if len(w.ids) < last {
				rebuilds++
			}
			// Every tenth span's batch, the 8 spans before it, again.
			if i%10 == 9 && i >= 100 {
				for _, b := range arrs[i-100 : i-92] {
					if add(b) {
						t.Fatalf("seed %d: a span sent again 100 spans later was counted again", seed)
					}
					resent++
				}
			}
		}
		got := w.Finish()
		if rebuilds < 10 || resent == 0 {
			t.Fatalf("seed %d: %d rebuilds, %d spans sent again: the scenario does not cross rebuilds", seed, rebuilds, resent)
		}
		if got.Totals.DuplicateSpans != resent {
			t.Errorf("seed %d: %d duplicate spans, want %d", seed, got.Totals.DuplicateSpans, resent)
		}
		got.Totals.DuplicateSpans = 0
		if !reflect.DeepEqual(got.Totals, want.Totals) || !reflect.DeepEqual(got.Events, want.Events) {
			t.Errorf("seed %d: a session with retries counts differently:\n got %+v\nwant %+v", seed, got.Totals, want.Totals)
		}
	}
}
