package events_test

import (
	"bufio"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/events"
)

// capturedTests are the CLIs' OTLP as agentops' receiver stored it
// (testdata/captured, one export request a line; see its README): each run
// made exactly one LLM call, reported by a span, log events and metrics.
var capturedTests = map[string]struct {
	in, out int64
	model   string
}{
	"claude": {120, 9, "claude-opus-5-5"},
	"codex":  {300, 12, "gpt-6.2-sol"},
	"gemini": {200, 11, "gemini-2.5-flash"},
}

// capturedLines decodes testdata/captured/<name>.<signal>.jsonl.
func capturedLines(t *testing.T, name, signal string) [][]byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "captured", name+"."+signal+".jsonl"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
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

// TestCaptured feeds each capture to a Window as the session's sink does,
// spans first and logs first: one call, with its tokens, whatever the
// order; the metric points (which repeat the logs) make no events.
func TestCaptured(t *testing.T) {
	for name, w := range capturedTests {
		t.Run(name, func(t *testing.T) {
			var spans []ptrace.Span
			for _, b := range capturedLines(t, name, "spans") {
				td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(b)
				if err != nil {
					t.Fatal(err)
				}
				events.EachSpan(td, func(s ptrace.Span) { spans = append(spans, s) })
			}
			var logs []plog.LogRecord
			for _, b := range capturedLines(t, name, "logs") {
				ld, err := (&plog.JSONUnmarshaler{}).UnmarshalLogs(b)
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < ld.ResourceLogs().Len(); i++ {
					sls := ld.ResourceLogs().At(i).ScopeLogs()
					for j := 0; j < sls.Len(); j++ {
						for k := 0; k < sls.At(j).LogRecords().Len(); k++ {
							logs = append(logs, sls.At(j).LogRecords().At(k))
						}
					}
				}
			}
			if len(spans) == 0 || len(logs) == 0 {
				t.Fatalf("%d spans, %d log records: the capture is missing", len(spans), len(logs))
			}
			for _, logsFirst := range []bool{false, true} {
				res := runWindow(spans, logs, logsFirst)
				tot := res.Totals
				if tot.LLMCalls != 1 || tot.InputTokens != w.in || tot.OutputTokens != w.out || tot.RepeatedEvents == 0 {
					t.Errorf("logs first %v: %d calls %d/%d (%d repeated), want 1 call %d/%d, its repeats not counted",
						logsFirst, tot.LLMCalls, tot.InputTokens, tot.OutputTokens, tot.RepeatedEvents, w.in, w.out)
				}
				if len(tot.Models) != 1 || tot.Models[0].Model != w.model {
					t.Errorf("models %+v, want %s", tot.Models, w.model)
				}
				if !logsFirst {
					golden(t, "captured_"+name, map[string]any{"events": res.Events, "totals": tot})
				}
			}
		})
	}
}
