package session

import (
	"context"
	"testing"

	"github.com/agentops-dev/agentops/bench/spangen"
	"github.com/agentops-dev/agentops/record"
)

// An SDK that retries an export the receiver had in fact accepted sends
// the batch again: the session counts its spans once, and says how many
// came twice.
func TestSinkCountsARetriedBatchOnce(t *testing.T) {
	td := spangen.Traces(512, 3, spangen.AllLLM)
	once := newSink(nil, nil)
	if err := once.ConsumeTraces(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	twice := newSink(nil, nil)
	for range 3 {
		if err := twice.ConsumeTraces(context.Background(), td); err != nil {
			t.Fatal(err)
		}
	}
	var a, b record.Session
	once.fill(&a)
	twice.fill(&b)
	if a.Totals.LLMCalls == 0 || b.Totals.LLMCalls != a.Totals.LLMCalls || b.Totals.InputTokens != a.Totals.InputTokens {
		t.Fatalf("sent three times: %d calls, %d input tokens; once: %d, %d",
			b.Totals.LLMCalls, b.Totals.InputTokens, a.Totals.LLMCalls, a.Totals.InputTokens)
	}
	if b.Totals.DuplicateSpans != 2*512 || b.SpansReceived != 3*512 {
		t.Fatalf("duplicates %d of %d received, want %d of %d", b.Totals.DuplicateSpans, b.SpansReceived, 2*512, 3*512)
	}
}
