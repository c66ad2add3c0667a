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
	spans := []SpanRow{
		{Name: "root " + evil, SpanID: "00", Start: t0, End: t0.Add(time.Second), Kind: KindSession},
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

func TestSpanTreeOrder(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC)
	rows := treeOrder([]SpanRow{
		{Name: "b2", SpanID: "b2", ParentSpanID: "a", Start: t0.Add(3)},
		{Name: "a", SpanID: "a", ParentSpanID: "lost", Start: t0.Add(1)},
		{Name: "b1", SpanID: "b1", ParentSpanID: "a", Start: t0.Add(2)},
		{Name: "c", SpanID: "c", ParentSpanID: "b1", Start: t0.Add(2)},
		{Name: "x", SpanID: "x", ParentSpanID: "y", Start: t0},
		{Name: "y", SpanID: "y", ParentSpanID: "x", Start: t0},
	})
	var got []string
	for _, r := range rows {
		got = append(got, strings.Repeat(".", r.Depth)+r.Name)
	}
	// x and y only have each other as parents: listed, not lost.
	want := "a .b1 ..c .b2 x .y"
	if strings.Join(got, " ") != want {
		t.Errorf("tree = %q, want %q", strings.Join(got, " "), want)
	}
}
