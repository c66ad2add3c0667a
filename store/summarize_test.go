package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestSummarizeIncomplete: a session whose agentops never finished is
// summarised from its spans read a line at a time, with the totals Load's
// full rebuild has.
func TestSummarizeIncomplete(t *testing.T) {
	s := Open(filepath.Join(t.TempDir(), "store"))
	start := time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC)
	w := begin(t, s, "22222222-bbbb", start)
	ctx := context.Background()
	for range 5 {
		_ = w.ConsumeTraces(ctx, batch(2, 3, start))
	}
	// No Finish: agentops was killed. Its pid is ours, alive: pretend not.
	list, err := s.List()
	if err != nil || len(list) != 1 {
		t.Fatalf("List = %v, %v", list, err)
	}
	e := list[0]
	e.Final = nil
	full, err := s.Load(e)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := s.Summarize(e)
	if err != nil {
		t.Fatal(err)
	}
	if got.SpansReceived != 15 || got.SpansReceived != full.Record.SpansReceived {
		t.Errorf("spans = %d, full rebuild %d; want 15", got.SpansReceived, full.Record.SpansReceived)
	}
	if got.Totals.LLMCalls != full.Record.Totals.LLMCalls || got.Totals.InputTokens != full.Record.Totals.InputTokens || got.Totals.CostUSD != full.Record.Totals.CostUSD {
		t.Errorf("totals %+v, full rebuild %+v", got.Totals, full.Record.Totals)
	}
	if got.EndState != full.Record.EndState || !got.End.Equal(full.Record.End) {
		t.Errorf("end %v %v, full rebuild %v %v", got.EndState, got.End, full.Record.EndState, full.Record.End)
	}
}
