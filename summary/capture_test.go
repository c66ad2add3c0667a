package summary_test

import (
	"strings"
	"testing"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/record"
	"github.com/agentops-dev/agentops/summary"
)

// TestCaptureSaysWhatWasSeen: the summary counts the calls the capture
// proxy recorded, and the no-spans hint says what was and was not seen.
func TestCaptureSaysWhatWasSeen(t *testing.T) {
	tests := []struct {
		name    string
		capture *record.Capture
		totals  events.Totals
		want    []string
		notWant []string
	}{
		{
			name:    "calls captured, no spans",
			capture: &record.Capture{Vars: []string{"OPENAI_BASE_URL"}, Calls: 3},
			totals: events.Totals{LLMCalls: 3, InputTokens: 10, NoUsageCalls: 1,
				Models: []events.ModelTotals{{Model: "gpt-4o", Calls: 3, InputTokens: 10}}},
			want: []string{"3 LLM calls captured by the proxy", "went through the capture proxy (OPENAI_BASE_URL)",
				"1 LLM call without usage", "not zero"},
			notWant: []string{"No spans arrived. agentops pointed"},
		},
		{
			name:    "nothing captured, nothing received",
			capture: &record.Capture{Vars: []string{"OPENAI_BASE_URL", "ANTHROPIC_BASE_URL"}},
			want:    []string{"no LLM call went through the capture proxy (OPENAI_BASE_URL, ANTHROPIC_BASE_URL pointed at it)", "--capture-var"},
			notWant: []string{"captured by the proxy"},
		},
		{
			name:    "capture off",
			want:    []string{"No spans arrived. agentops pointed"},
			notWant: []string{"capture proxy"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &record.Session{Command: []string{"node", "agent.js"}, Endpoint: "http://127.0.0.1:1",
				EndState: record.Success, Capture: tt.capture, Totals: tt.totals}
			out := summary.Plain(s)
			flat := strings.Join(strings.Fields(out), " ")
			for _, w := range tt.want {
				if !strings.Contains(flat, w) {
					t.Errorf("summary lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(flat, w) {
					t.Errorf("summary has %q:\n%s", w, out)
				}
			}
		})
	}
}
