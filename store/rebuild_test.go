package store

import (
	"bufio"
	"context"
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
			for _, line := range capturedLines(t, name, "spans") {
				td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(line)
				if err != nil {
					t.Fatal(err)
				}
				if err := w.ConsumeTraces(ctx, td); err != nil {
					t.Fatal(err)
				}
			}
			for _, line := range capturedLines(t, name, "logs") {
				ld, err := (&plog.JSONUnmarshaler{}).UnmarshalLogs(line)
				if err != nil {
					t.Fatal(err)
				}
				logs += ld.LogRecordCount()
				if err := w.ConsumeLogs(ctx, ld); err != nil {
					t.Fatal(err)
				}
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

// capturedLines reads ../events/testdata/captured/<name>.<signal>.jsonl:
// the CLIs' OTLP as this store wrote it, one export request a line.
func capturedLines(t *testing.T, name, signal string) [][]byte {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "events", "testdata", "captured", name+"."+signal+".jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}
