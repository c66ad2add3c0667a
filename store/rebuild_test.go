package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/pricing"
	"github.com/agentops-dev/agentops/record"
)

// TestRebuildCountsLogOnlyCalls: a session of a real coding CLI whose
// agentops was killed is rebuilt from its spans and its log records, with
// the counting rules of a live session: Codex reports its call only in a
// log, Claude Code and Gemini CLI in a span and a log each, and every one
// of them made exactly one call (events/testdata/captured, as the store
// wrote it).
func TestRebuildCountsLogOnlyCalls(t *testing.T) {
	for name, want := range map[string]struct {
		in, out int64
		model   string
	}{
		"claude": {120, 9, "claude-opus-5-5"},
		"codex":  {300, 12, "gpt-6.2-sol"},
		"gemini": {200, 11, "gemini-2.5-flash"},
	} {
		t.Run(name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "store")
			s := Open(root)
			// A price table fetched by `agentops prices update` into
			// this store's state directory: the rebuild uses it, as a
			// run started now would.
			table, err := os.ReadFile(filepath.Join("..", "pricing", "data", "genai-prices.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(pricing.UpdateDir(root), 0o755); err != nil {
				t.Fatal(err)
			}
			const fetched = "genai-prices-20991201T000000Z.json"
			if err := os.WriteFile(filepath.Join(pricing.UpdateDir(root), fetched), table, 0o644); err != nil {
				t.Fatal(err)
			}
			start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
			w := begin(t, s, "33333333-"+name, start)
			ctx := context.Background()
			logs := 0
			// Read with the store's own readers of the format.
			captured := filepath.Join("..", "events", "testdata", "captured", name)
			var errs []error
			problems, err := EachBatch(captured+".spans.jsonl", func(td ptrace.Traces) {
				errs = append(errs, w.ConsumeTraces(ctx, td))
			})
			if err != nil || len(problems) > 0 {
				t.Fatalf("reading the captured spans: %v %v", err, problems)
			}
			problems, err = EachLogBatch(captured+".logs.jsonl", func(ld plog.Logs) {
				logs += ld.LogRecordCount()
				errs = append(errs, w.ConsumeLogs(ctx, ld))
			})
			if err != nil || len(problems) > 0 || logs == 0 {
				t.Fatalf("reading the captured logs: %v %v (%d records)", err, problems, logs)
			}
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			// No Finish: agentops was killed.
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
			listed, _, err := s.Summarize(e)
			if err != nil {
				t.Fatal(err)
			}
			for how, rec := range map[string]*record.Session{"Load": full.Record, "Summarize": listed} {
				tot := rec.Totals
				if tot.LLMCalls != 1 || tot.InputTokens != want.in || tot.OutputTokens != want.out || rec.LogsReceived != int64(logs) {
					t.Errorf("%s: %d calls %d/%d from %d log records; want 1 call %d/%d from %d", how, tot.LLMCalls, tot.InputTokens, tot.OutputTokens, rec.LogsReceived, want.in, want.out, logs)
				}
				if !strings.Contains(rec.Prices, "2099-12-01 00:00Z update") {
					t.Errorf("%s: priced with %q, want the fetched %s", how, rec.Prices, fetched)
				}
				if len(tot.Models) != 1 || tot.Models[0].Model != want.model {
					t.Errorf("%s: models %+v, want %s", how, tot.Models, want.model)
				}
			}
		})
	}
}
