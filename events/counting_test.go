package events

import (
	"math"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// An SDK that retries an export the server had accepted sends the same
// spans again: each is counted once, however often it comes.
func TestWindowCountsASpanSentAgainOnce(t *testing.T) {
	w := Window{Keep: -1, Pricer: tokenPricer{}}
	call := llmArrival(pcommon.SpanID{1}, pcommon.SpanID{}, "chat", 100)
	trace := pcommon.TraceID{9}
	for range 1000 {
		if w.AddTraceSpan(trace, call.span, call.parent) {
			w.AddEvents(call.evs...)
		}
	}
	// The same span id in another trace is another span.
	if !w.AddTraceSpan(pcommon.TraceID{8}, call.span, call.parent) {
		t.Fatal("a span of another trace with the same span id was taken for a copy")
	}
	got := w.Finish().Totals
	if got.LLMCalls != 1 || got.InputTokens != 100 || got.DuplicateSpans != 999 {
		t.Fatalf("1000 copies of one call: %d calls, %d input tokens, %d duplicates; want 1, 100, 999",
			got.LLMCalls, got.InputTokens, got.DuplicateSpans)
	}
}

// The window remembers the last DedupeSpans spans, and no more.
func TestWindowDedupeIsBounded(t *testing.T) {
	var w Window
	span := func(i int) pcommon.SpanID {
		return pcommon.SpanID{0xd0, byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)}
	}
	for i := range DedupeSpans + 10 {
		w.AddTraceSpan(pcommon.TraceID{1}, span(i), pcommon.SpanID{})
	}
	held := 0
	for _, s := range w.seen.slots {
		if s != 0 {
			held++
		}
	}
	if held != DedupeSpans || w.seen.count() != DedupeSpans {
		t.Fatalf("remembers %d/%d spans, want %d", held, w.seen.count(), DedupeSpans)
	}
	if w.AddTraceSpan(pcommon.TraceID{1}, span(DedupeSpans+5), pcommon.SpanID{}) {
		t.Fatal("a recent span sent again was counted again")
	}
}

// LLM spans whose parents form a cycle are no wrappers of each other: each
// is counted, as a leaf (they all vanished from the totals before).
func TestCycleSpansCountedAsLeaves(t *testing.T) {
	a, b, c := pcommon.SpanID{0xc1}, pcommon.SpanID{0xc2}, pcommon.SpanID{0xc3}
	arrs := []arrival{
		llmArrival(a, b, "chat a", 100),
		llmArrival(b, c, "chat b", 200),
		llmArrival(c, a, "chat c", 300),
	}
	want, _, _ := finishAll(arrs, "")
	got := windowOf(0, arrs)
	for name, tot := range map[string]Totals{"Finish": want, "Window": got.Totals} {
		if tot.LLMCalls != 3 || tot.WrapperLLMSpans != 0 || tot.InputTokens != 600 || tot.CycleSpans != 3 {
			t.Errorf("%s: %d calls, %d wrappers, %d input tokens, %d cycle spans; want 3, 0, 600, 3",
				name, tot.LLMCalls, tot.WrapperLLMSpans, tot.InputTokens, tot.CycleSpans)
		}
	}
	// An error re-raised around a cycle is still counted.
	sp := ptrace.NewSpan()
	sp.SetSpanID(a)
	sp.SetParentSpanID(a)
	sp.Status().SetCode(ptrace.StatusCodeError)
	sp.Status().SetMessage("boom")
	res := windowOf(0, []arrival{{a, a, FromSpan(sp)}})
	if res.Totals.Errors != 1 {
		t.Errorf("an error on a span that is its own parent: %d errors, want 1", res.Totals.Errors)
	}
}

// Token counts and costs that cannot be true are read as absent and
// counted as invalid; the sums saturate.
func TestInvalidNumbersAreDropped(t *testing.T) {
	cases := []struct {
		name        string
		attr        string
		value       any
		wantInvalid int
	}{
		{"MaxInt64 input", "gen_ai.usage.input_tokens", int64(math.MaxInt64), 1},
		{"negative input", "gen_ai.usage.input_tokens", int64(-1_000_000), 1},
		{"1e300 output", "gen_ai.usage.output_tokens", 1e300, 1},
		{"NaN output", "gen_ai.usage.output_tokens", math.NaN(), 1},
		{"infinite cost", "gen_ai.usage.cost", math.Inf(1), 1},
		{"negative cost", "gen_ai.usage.cost", -5.0, 1},
		{"absurd cost", "gen_ai.usage.cost", 1e12, 1},
		{"string cost", "gen_ai.usage.cost", "-1e308", 1},
		{"fine", "gen_ai.usage.output_tokens", int64(7), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sp := ptrace.NewSpan()
			sp.SetSpanID(pcommon.SpanID{0xe1})
			a := sp.Attributes()
			a.PutStr("gen_ai.operation.name", "chat")
			a.PutStr("gen_ai.request.model", "gpt-4o")
			a.PutInt("gen_ai.usage.input_tokens", 10)
			switch v := c.value.(type) {
			case int64:
				a.PutInt(c.attr, v)
			case float64:
				a.PutDouble(c.attr, v)
			case string:
				a.PutStr(c.attr, v)
			}
			var w Window
			w.AddSpan(sp.SpanID(), sp.ParentSpanID())
			w.AddEvents(FromSpan(sp)...)
			got := w.Finish().Totals
			if got.InvalidValues != c.wantInvalid {
				t.Errorf("InvalidValues = %d, want %d", got.InvalidValues, c.wantInvalid)
			}
			if got.InputTokens < 0 || got.InputTokens > MaxTokens || got.OutputTokens < 0 || got.OutputTokens > MaxTokens ||
				got.CostUSD < 0 || got.CostUSD > MaxCostUSD || math.IsNaN(got.CostUSD) {
				t.Errorf("totals out of bounds: %+v", got)
			}
			if got.LLMCalls != 1 {
				t.Errorf("the call itself is still counted: %d calls", got.LLMCalls)
			}
		})
	}
}

func TestSumsSaturate(t *testing.T) {
	var tot Totals
	for range 20 {
		tot.Add(Event{Kind: KindLLM, LLM: &LLM{InputTokens: MaxTokens, OutputTokens: 1}})
	}
	tot.InputTokens = math.MaxInt64 - 5
	tot.Add(Event{Kind: KindLLM, LLM: &LLM{InputTokens: MaxTokens}})
	if tot.InputTokens != math.MaxInt64 {
		t.Fatalf("input tokens = %d, want saturated at MaxInt64", tot.InputTokens)
	}
	if got := satAddUSD(math.MaxFloat64, math.MaxFloat64); got != math.MaxFloat64 {
		t.Fatalf("cost sum = %v, want saturated", got)
	}
}
