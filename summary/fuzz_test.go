package summary

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/record"
)

// The fuzz targets below cover every text path that prints telemetry: the
// summary renderers (terminal, plain, Markdown, the event list) and the
// waterfall. Seeds are the hostile child's cases (issue 18); the corpus is
// in testdata/fuzz/. Each checks that nothing the child sent reaches the
// terminal as a control character and that the terminal output keeps its
// width.

// hostileSeeds are the texts the hostile child sends.
var hostileSeeds = []string{
	"",
	"read_file",
	"\x1b[2J\x1b[31mred\x07",
	"boom\x1b]0;title\x07\r\x1b[Kgone",
	"line1\nline2\ttab",
	"a \"b c\" 'd'",
	"\u202eevil\u202c",
	"日本語のツール名🙂",
	"\xff\xfe invalid utf-8",
	strings.Repeat("x", 120_000),
	strings.Repeat("é", 5000),
}

// noControl fails t when s, with our own styling stripped, holds a control
// character other than a newline.
func noControl(t *testing.T, what, s string) {
	t.Helper()
	for _, r := range ansi.Strip(s) {
		if r != '\n' && isControl(r) {
			t.Fatalf("%s holds control character %U:\n%q", what, r, s)
		}
	}
}

func fuzzSession(name, msg, arg string) *record.Session {
	start := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	return &record.Session{
		ID: "3f2a", Command: []string{"agent", arg, name}, Start: start, End: start.Add(time.Second),
		EndState: record.Fail, EndReason: msg, ExitCode: 3, SpansReceived: 2, Stored: "/tmp/" + name,
		Totals: events.Totals{
			LLMCalls: 1, ToolCalls: 1, Errors: 1,
			Models:       []events.ModelTotals{{Model: name, Calls: 1, InputTokens: 10, OutputTokens: 2}},
			Tools:        []events.ToolTotals{{Name: name, Calls: 1, Errors: 1}},
			ErrorSamples: []events.ErrorSample{{Where: name, Type: arg, Message: msg}},
		},
		Events: []events.Event{
			{Kind: events.KindTool, Name: name, Start: start, End: start, Tool: &events.Tool{Name: name, Arguments: arg}},
			{Kind: events.KindError, Name: name, Start: start, End: start, Error: &events.Error{Message: msg}},
		},
	}
}

func FuzzSummary(f *testing.F) {
	for i, s := range hostileSeeds {
		f.Add(s, hostileSeeds[(i+2)%len(hostileSeeds)], hostileSeeds[(i+5)%len(hostileSeeds)], 80)
	}
	f.Fuzz(func(t *testing.T, name, msg, arg string, width int) {
		width = 40 + abs(width)%200
		s := fuzzSession(name, msg, arg)
		panel := Terminal(s, width)
		noControl(t, "terminal panel", panel)
		want := min(width, MaxPanelWidth)
		for _, l := range strings.Split(strings.TrimSuffix(panel, "\n"), "\n") {
			if w := lipgloss.Width(l); w != want {
				t.Fatalf("panel line %d cells wide, want %d:\n%s", w, want, panel)
			}
		}
		for what, out := range map[string]string{"plain": Plain(s), "markdown": Markdown(s)} {
			noControl(t, what, out)
			if !utf8.ValidString(out) {
				t.Fatalf("%s summary is not valid UTF-8", what)
			}
		}
		var b strings.Builder
		if err := RenderEvents(&b, s, Options{Width: width, Color: true}); err != nil {
			t.Fatal(err)
		}
		noControl(t, "event list", b.String())
		for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
			if w := lipgloss.Width(l); w > width {
				t.Fatalf("event line %d cells wide, want at most %d: %q", w, width, l)
			}
		}
	})
}

func FuzzWaterfall(f *testing.F) {
	for i, s := range hostileSeeds {
		f.Add(s, hostileSeeds[(i+3)%len(hostileSeeds)], i*7, int64(i)*1e6, 100)
	}
	f.Add("deep", "", 1_000_000, int64(5), 80)
	f.Fuzz(func(t *testing.T, name, msg string, depth int, durNS int64, width int) {
		width = 60 + abs(width)%200
		depth = abs(depth) % 2_000_000
		start := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
		rows := []events.SpanRow{
			{Depth: 0, Name: "agentops.session", Start: start, End: start.Add(time.Second), Kind: events.KindSession},
			{Depth: depth, Name: name, Start: start.Add(time.Duration(abs64(durNS) % 1e9)), End: start.Add(time.Second), Kind: events.KindTool, Error: msg != "", ErrorMessage: msg},
		}
		for _, color := range []bool{false, true} {
			out := waterfall(rows, Options{Width: width, Color: color})
			noControl(t, "waterfall", out)
			for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n")[1:] {
				if w := lipgloss.Width(l); w > width {
					t.Fatalf("waterfall line %d cells wide, want at most %d: %q", w, width, l)
				}
			}
		}
	})
}

func FuzzTruncate(f *testing.F) {
	for i, s := range hostileSeeds {
		f.Add(s, i*3)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		n = abs(n) % 500
		got := truncate(clean(s), n)
		if w := lipgloss.Width(got); w > n {
			t.Fatalf("truncate(%q, %d) is %d cells: %q", s, n, w, got)
		}
		if c := clean(s); lipgloss.Width(c) <= n && got != c {
			t.Fatalf("truncate cut %q, which fits in %d cells, to %q", c, n, got)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -(n + 1)
	}
	return n
}

func abs64(n int64) int64 {
	if n < 0 {
		return -(n + 1)
	}
	return n
}
