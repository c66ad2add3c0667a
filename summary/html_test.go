package summary

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/record"
)

// TestRenderHTMLEscapes: whatever the agent put in its spans is text in the
// report, in element content and in attributes alike.
func TestRenderHTMLEscapes(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC)
	evil := `</pre><script>alert(1)</script><img src=x onerror=alert(2)>"'`
	rec := &record.Session{
		ID: "s1", Command: []string{"agent", evil}, Start: t0, End: t0.Add(time.Second),
		Events: []events.Event{
			{Kind: events.KindLLM, Name: "chat " + evil, SpanID: "01", Start: t0, End: t0.Add(time.Millisecond),
				LLM: &events.LLM{RequestModel: "m", Prompt: evil, Completion: evil}},
			{Kind: events.KindTool, Name: "tool", SpanID: "02", Start: t0, End: t0,
				Tool: &events.Tool{Name: "t", Arguments: evil, Result: evil}},
		},
	}
	spans := []events.SpanRow{
		{Name: "root " + evil, SpanID: "00", Start: t0, End: t0.Add(time.Second), Kind: events.KindSession},
		{Depth: 1, Name: "chat " + evil, SpanID: "01", ParentSpanID: "00", Start: t0, End: t0.Add(time.Millisecond), Kind: events.KindLLM, Error: true, ErrorMessage: evil},
	}
	var b bytes.Buffer
	if err := RenderHTML(&b, Report{Session: rec, Spans: spans, State: "ok", OutputTail: evil}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, bad := range []string{"<script>alert", "<img src=x", "</pre><script>"} {
		if strings.Contains(out, bad) {
			t.Errorf("report contains raw %q", bad)
		}
	}
	if n := strings.Count(out, `class="wf-row`); n != 2 {
		t.Errorf("waterfall rows = %d, want 2", n)
	}
	if n := strings.Count(out, "<details>"); n != 4 {
		t.Errorf("collapsible sections = %d, want prompt, completion, arguments, result", n)
	}
	if !strings.Contains(out, `id="output-tail"`) {
		t.Error("no output tail")
	}
}
