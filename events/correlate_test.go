package events

import (
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// TestSameUsageRule checks the no-id rule's guards one by one: each case
// changes one thing about a pair that is one call.
func TestSameUsageRule(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	call := func(name, span string, start, end int) Event {
		return Event{Kind: KindLLM, Name: name, SpanID: span,
			Start: t0.Add(time.Duration(start) * time.Millisecond), End: t0.Add(time.Duration(end) * time.Millisecond),
			LLM: &LLM{RequestModel: "gpt-4o-mini", InputTokens: 60, OutputTokens: 7}}
	}
	tests := []struct {
		name   string
		change func(a, b *Event, lin *Lineage)
		one    bool
	}{
		{"overlapping siblings of two instrumentations", func(a, b *Event, lin *Lineage) {}, true},
		{"one after the other", func(a, b *Event, lin *Lineage) {
			b.Start, b.End = a.End.Add(time.Millisecond), a.End.Add(9*time.Millisecond)
		}, false},
		{"same name: one instrumentation's concurrent calls", func(a, b *Event, lin *Lineage) { b.Name = a.Name }, false},
		{"other model", func(a, b *Event, lin *Lineage) { b.LLM.RequestModel = "gpt-4o" }, false},
		{"one names no model", func(a, b *Event, lin *Lineage) { b.LLM.RequestModel = "" }, true},
		{"other usage", func(a, b *Event, lin *Lineage) { b.LLM.OutputTokens = 8 }, false},
		{"response ids differ", func(a, b *Event, lin *Lineage) { a.ResponseID, b.ResponseID = "r1", "r2" }, false},
		{"no usage", func(a, b *Event, lin *Lineage) {
			a.LLM.InputTokens, a.LLM.OutputTokens, b.LLM.InputTokens, b.LLM.OutputTokens = 0, 0, 0, 0
		}, false},
		{"one below the other: a wrapper's rule", func(a, b *Event, lin *Lineage) {
			lin.Add(pcommon.SpanID{0, 0, 0, 0, 0, 0, 0, 2}, pcommon.SpanID{0, 0, 0, 0, 0, 0, 0, 1})
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := []Event{call("ChatOpenAI", "0000000000000001", 0, 80), call("OpenAI Chat Completions", "0000000000000002", 30, 70)}
			lin := &Lineage{}
			tt.change(&evs[0], &evs[1], lin)
			tot := Finish(evs, lin, nil)
			// A pair one below the other is a wrapper and its call: one
			// call, by markWrappers, never a repeat.
			if got := tot.RepeatedEvents == 1; got != tt.one || tot.LLMCalls+tot.RepeatedEvents+tot.WrapperLLMSpans != 2 {
				t.Errorf("LLM calls = %d (%d repeated, %d wrappers), want a repeat: %v", tot.LLMCalls, tot.RepeatedEvents, tot.WrapperLLMSpans, tt.one)
			}
		})
	}
}

// TestRepeatTakesWhatTheCountedLacks checks the counted span takes the
// reported cost and model of the log event that repeats it.
func TestRepeatTakesWhatTheCountedLacks(t *testing.T) {
	cost := 0.0042
	evs := []Event{
		{Kind: KindLLM, Name: "completed", SpanID: "00000000000000a1", LLM: &LLM{InputTokens: 300, OutputTokens: 12}},
		{Kind: KindLLM, Name: "codex.sse_event", SpanID: "00000000000000a1", Source: "log",
			LLM: &LLM{RequestModel: "gpt-5-codex", InputTokens: 300, OutputTokens: 12, CostUSD: &cost, CostSource: "log"}},
	}
	tot := Finish(evs, &Lineage{}, nil)
	if tot.LLMCalls != 1 || tot.RepeatedEvents != 1 || tot.CostUSD != cost || tot.Models[0].Model != "gpt-5-codex" {
		t.Errorf("got %+v", tot)
	}
	if evs[0].SameAs != "" || evs[1].SameAs != "span 00000000000000a1" {
		t.Errorf("same_as = %q, %q", evs[0].SameAs, evs[1].SameAs)
	}
}
