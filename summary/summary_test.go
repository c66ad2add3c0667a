package summary_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/pricing"
	"github.com/agentops-dev/agentops/record"
	"github.com/agentops-dev/agentops/summary"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// realistic is a session whose child mixed OpenTelemetry GenAI and
// OpenLLMetry spans: the events package's fixtures, through the same
// counting and pricing as a real run.
func realistic(t *testing.T) *record.Session {
	t.Helper()
	var evs []events.Event
	lin := &events.Lineage{}
	spans := 0
	for _, name := range []string{"gen_ai", "traceloop"} {
		b, err := os.ReadFile(filepath.Join("..", "events", "testdata", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(b)
		if err != nil {
			t.Fatal(err)
		}
		rss := td.ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			sss := rss.At(i).ScopeSpans()
			for j := 0; j < sss.Len(); j++ {
				for k := 0; k < sss.At(j).Spans().Len(); k++ {
					sp := sss.At(j).Spans().At(k)
					evs = append(evs, events.FromSpan(sp)...)
					lin.Add(sp.SpanID(), sp.ParentSpanID())
					spans++
				}
			}
		}
	}
	prices := pricing.Default()
	return &record.Session{
		SchemaVersion: record.SchemaVersion,
		ID:            "6f1c2e0a-4b7d-4c1e-9a55-0d3b2f9e8c71",
		TraceID:       "0af7651916cd43dd8448eb211c80319c",
		RootSpanID:    "b7ad6b7169203331",
		Command:       []string{"python", "trip_planner.py", "--city", "Paris"},
		Dir:           "/home/dev/agents",
		Start:         start,
		End:           start.Add(3*time.Second + 412*time.Millisecond),
		PID:           4242,
		EndState:      record.Success,
		EndReason:     "exit code 0, 1 error recorded",
		Endpoint:      "http://127.0.0.1:43817",
		InjectedEnv:   []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "TRACEPARENT"},
		SpansReceived: int64(spans),
		LogsReceived:  3,
		Prices:        prices.Source(),
		Stored:        "~/.local/share/agentops/sessions/6f1c2e0a",
		Totals:        events.Finish(evs, lin, prices),
		Events:        evs,
	}
}

func zeroSpans() *record.Session {
	return &record.Session{
		SchemaVersion: record.SchemaVersion,
		ID:            "0b9d6c1e-7f2a-4e3b-8c4d-5a6b7c8d9e0f",
		TraceID:       "4bf92f3577b34da6a3ce929d0e0e4736",
		RootSpanID:    "00f067aa0ba902b7",
		Command:       []string{"python", "agent.py"},
		Start:         start,
		End:           start.Add(812 * time.Millisecond),
		EndState:      record.Success,
		EndReason:     "exit code 0",
		Endpoint:      "http://127.0.0.1:43817",
		InjectedEnv: []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_HEADERS",
			"OTEL_TRACES_EXPORTER", "TRACEPARENT", "OTEL_RESOURCE_ATTRIBUTES", "AGENTOPS_SESSION_ID"},
		Events: []events.Event{},
	}
}

func failed(t *testing.T) *record.Session {
	s := realistic(t)
	s.ExitCode = 3
	s.EndState = record.Fail
	s.EndReason = "exit code 3; last error: TimeoutError: search backend timed out (in execute_tool search)"
	s.Stored = ""
	s.Exported = []string{"otlp https://otel.example.com:4318", "agentops https://otlp.agentops.ai"}
	s.Exports = []record.Export{
		{Name: "otlp", Target: "https://otel.example.com:4318", ExportCounts: record.ExportCounts{Sent: 17}},
		{Name: "agentops", Target: "https://otlp.agentops.ai", ExportCounts: record.ExportCounts{Sent: 10, Failed: 7}, Error: "503 Service Unavailable", Unsent: "/tmp/agentops-unsent.jsonl"},
	}
	return s
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name    string
		session func(*testing.T) *record.Session
		opts    summary.Options
	}{
		{"realistic.terminal80", realistic, summary.Options{Format: summary.FormatTerminal, Width: 80}},
		{"realistic.terminal60", realistic, summary.Options{Format: summary.FormatTerminal, Width: 60}},
		{"realistic.terminal200", realistic, summary.Options{Format: summary.FormatTerminal, Width: 200}},
		{"realistic.plain", realistic, summary.Options{Format: summary.FormatPlain}},
		{"realistic.md", realistic, summary.Options{Format: summary.FormatMarkdown}},
		{"realistic.json", realistic, summary.Options{Format: summary.FormatJSON}},
		{"failed.plain", failed, summary.Options{}},
		{"failed.terminal80", failed, summary.Options{Color: true, Width: 80}},
		{"zero_spans.terminal80", func(*testing.T) *record.Session { return zeroSpans() }, summary.Options{Color: true}},
		{"zero_spans.plain", func(*testing.T) *record.Session { return zeroSpans() }, summary.Options{}},
		{"zero_spans.md", func(*testing.T) *record.Session { return zeroSpans() }, summary.Options{Format: summary.FormatMarkdown}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := summary.Render(&b, tt.session(t), tt.opts); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, b.Bytes())
		})
	}
}

// TestTerminalFits checks the panel's promise: every line exactly the
// width asked for (bounded), whatever the content.
func TestTerminalFits(t *testing.T) {
	s := realistic(t)
	s.Command = append(s.Command, strings.Repeat("--very-long-argument ", 20))
	s.Totals.Models[0].Model = strings.Repeat("a-model-name-longer-than-any-terminal-", 5)
	s.Totals.Models[1].InputTokens, s.Totals.Models[1].CostUSD = 123_456_789_012, 98765.43
	s.Totals.Tools[0].Name = strings.Repeat("tool", 30)
	for _, width := range []int{0, 40, 61, 80, 99, 100, 300} {
		want := width
		switch {
		case width == 0:
			want = 80
		case width > summary.MaxPanelWidth:
			want = summary.MaxPanelWidth
		}
		lines := strings.Split(strings.TrimSuffix(summary.Terminal(s, width), "\n"), "\n")
		// Every fact and table row is one line at any width: a line that
		// does not fit is cut, never wrapped onto a second one.
		if wide := strings.Count(summary.Terminal(s, 100), "\n"); len(lines) != wide {
			t.Errorf("width %d: %d lines, want %d as at width 100: something wrapped", width, len(lines), wide)
		}
		for i, line := range lines {
			if w := lipgloss.Width(line); w != want {
				t.Errorf("width %d: line %d is %d cells, want %d: %q", width, i, w, want, line)
			}
		}
	}
}

func TestPlainHasNoEscapes(t *testing.T) {
	for _, s := range []*record.Session{realistic(t), zeroSpans(), failed(t)} {
		for _, out := range []string{summary.Plain(s), summary.Markdown(s)} {
			if strings.Contains(out, "\x1b") {
				t.Errorf("escape code in plain output:\n%s", out)
			}
		}
	}
}

func TestUnpricedIsNeverZero(t *testing.T) {
	s := realistic(t)
	s.Totals.Models = []events.ModelTotals{{Model: "my-local-model", Calls: 2, InputTokens: 10, UnpricedCalls: 2}}
	s.Totals.LLMCalls, s.Totals.UnpricedCalls, s.Totals.CostUSD = 2, 2, 0
	for _, out := range []string{summary.Plain(s), summary.Markdown(s), summary.Terminal(s, 80)} {
		if !strings.Contains(out, "unpriced") || strings.Contains(out, "$0.00") {
			t.Errorf("an unpriced model must read unpriced, never $0:\n%s", out)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	s := realistic(t)
	var b bytes.Buffer
	if err := summary.JSON(&b, s); err != nil {
		t.Fatal(err)
	}
	var back record.Session
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.SchemaVersion != record.SchemaVersion || back.Totals.LLMCalls != s.Totals.LLMCalls ||
		len(back.Events) != len(s.Events) || back.EndState != s.EndState {
		t.Errorf("round trip lost data: %+v", back.Totals)
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./summary -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test ./summary -update, then review the diff):\n%s", path, got)
	}
}

// The session list and the panel must say the same of a session's cost:
// never "?" or "$0" for calls without a price.
func TestTotalsCostSpeaksLikeThePanel(t *testing.T) {
	tests := []struct {
		name string
		t    events.Totals
		want string
	}{
		{"no calls", events.Totals{}, "-"},
		{"priced", events.Totals{LLMCalls: 2, CostUSD: 0.0123}, "$0.0123"},
		{"all unpriced", events.Totals{LLMCalls: 2, UnpricedCalls: 2}, "unpriced"},
		{"some unpriced", events.Totals{LLMCalls: 3, UnpricedCalls: 1, CostUSD: 0.5}, "$0.5000+"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summary.TotalsCost(tt.t); got != tt.want {
				t.Errorf("TotalsCost = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRenderSessionList(t *testing.T) {
	rows := []summary.ListRow{
		{ID: "aaaa1111", State: "ok", StateGood: true, Command: "agent --task " + strings.Repeat("x", 100)},
		{ID: "bbbb2222", State: "failed", Command: "agent"},
		{ID: "cccc3333", State: "incomplete", StateWarn: true, Command: "agent"},
	}
	var plain bytes.Buffer
	if err := summary.RenderSessionList(&plain, rows, false, 80); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(plain.String(), "\n"), "\n")
	if len(lines) != 4 || strings.Contains(plain.String(), "\x1b[") {
		t.Fatalf("plain list:\n%s", plain.String())
	}
	if w := lipgloss.Width(lines[1]); w != 80 || !strings.HasSuffix(lines[1], "…") {
		t.Errorf("long command not cut to 80 columns (%d):\n%s", w, lines[1])
	}
	var color bytes.Buffer
	if err := summary.RenderSessionList(&color, rows, true, 200); err != nil {
		t.Fatal(err)
	}
	// Each state in its own colour: good, warn and bad differ.
	var codes []string
	for _, state := range []string{"ok", "incomplete", "failed"} {
		i := strings.Index(color.String(), state+"\x1b[0m")
		j := strings.LastIndex(color.String()[:max(i, 0)], "\x1b[")
		if i < 0 || j < 0 {
			t.Fatalf("state %q not coloured:\n%q", state, color.String())
		}
		codes = append(codes, color.String()[j:i])
	}
	if codes[0] == codes[1] || codes[1] == codes[2] || codes[0] == codes[2] {
		t.Errorf("states share colours: %q", codes)
	}
}

// A fast tool's time reads in microseconds, as in the event list, not "0s".
func TestToolTimeBelowAMillisecond(t *testing.T) {
	rec := &record.Session{ID: "s", Command: []string{"agent"}, EndState: record.Success, SpansReceived: 1,
		Totals: events.Totals{ToolCalls: 2, Tools: []events.ToolTotals{{Name: "search", Calls: 2, Time: 250 * time.Microsecond}}}}
	out := summary.Plain(rec)
	if !strings.Contains(out, "250µs") {
		t.Errorf("tool time not in µs:\n%s", out)
	}
}
