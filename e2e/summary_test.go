package e2e

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentops-dev/agentops/record"
)

// TestRunMixedConventions runs a child whose spans mix the OpenTelemetry
// GenAI, OpenInference and OpenLLMetry conventions, with framework wrapper
// spans that repeat their child's usage, and checks the exact counts.
func TestRunMixedConventions(t *testing.T) {
	stepSummary := filepath.Join(t.TempDir(), "step-summary.md")
	res := runAgentops(t, []string{"GITHUB_STEP_SUMMARY=" + stepSummary}, []string{"--summary", "plain"},
		testagentBin, "-model", "gpt-4o-mini", "-input-tokens", "100", "-output-tokens", "20",
		"-llm", "2", "-tools", "1", "-oi-llm", "3", "-tl-tools", "2")
	s := res.session
	if res.exitCode != 0 {
		t.Fatalf("exit code %d\n%s", res.exitCode, res.stderr)
	}
	// 1 agent + 2 GenAI LLM + 1 GenAI tool + 3 × (wrapper + leaf) + 2 Traceloop tools.
	if s.SpansReceived != 12 {
		t.Errorf("spans received = %d, want 12", s.SpansReceived)
	}
	tot := s.Totals
	if tot.LLMCalls != 5 || tot.WrapperLLMSpans != 3 {
		t.Errorf("LLM calls = %d (+%d wrappers), want 5 (+3): wrappers must not count twice", tot.LLMCalls, tot.WrapperLLMSpans)
	}
	if tot.InputTokens != 500 || tot.OutputTokens != 100 {
		t.Errorf("tokens = %d in / %d out, want 500 / 100", tot.InputTokens, tot.OutputTokens)
	}
	// gpt-4o-mini: $0.15 / $0.60 per million tokens in the embedded table.
	if want := 5 * (100*1.5e-7 + 20*6e-7); math.Abs(tot.CostUSD-want) > 1e-12 || tot.UnpricedCalls != 0 {
		t.Errorf("cost = %v (%d unpriced), want %v", tot.CostUSD, tot.UnpricedCalls, want)
	}
	if tot.ToolCalls != 3 || len(tot.Tools) != 2 {
		t.Errorf("tools = %d calls %+v, want 3 calls of search and get_weather", tot.ToolCalls, tot.Tools)
	}
	if len(tot.Models) != 1 || tot.Models[0].Model != "gpt-4o-mini" || tot.Models[0].Calls != 5 {
		t.Errorf("models = %+v, want gpt-4o-mini × 5", tot.Models)
	}
	conventions := map[string]int{}
	for _, e := range s.Events {
		conventions[e.Convention]++
	}
	if conventions["gen_ai"] != 4 || conventions["openinference"] != 6 || conventions["traceloop"] != 2 {
		t.Errorf("events by convention = %v, want gen_ai 4, openinference 6, traceloop 2", conventions)
	}
	if s.EndState != record.Success || s.SchemaVersion != record.SchemaVersion {
		t.Errorf("end state %q (%s), schema %d", s.EndState, s.EndReason, s.SchemaVersion)
	}
	for _, want := range []string{"agentops session: ✔ Success", "gpt-4o-mini", "3 wrapper LLM spans", "get_weather"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("plain summary lacks %q:\n%s", want, res.stderr)
		}
	}
	if strings.Contains(res.stderr, "\x1b") {
		t.Errorf("plain summary has escape codes:\n%s", res.stderr)
	}
	md, err := os.ReadFile(stepSummary)
	if err != nil || !strings.Contains(string(md), "### agentops session: ✅ Success") || !strings.Contains(string(md), "| gpt-4o-mini | 5 | 500 | 100 |") {
		t.Errorf("GITHUB_STEP_SUMMARY not appended (%v):\n%s", err, md)
	}
}

func TestRunEndStates(t *testing.T) {
	tests := []struct {
		name   string
		flags  []string
		child  []string
		state  record.EndState
		reason string
	}{
		{"exit 0", nil, []string{"-fail-tool"}, record.Success, "exit code 0, 1 error recorded"},
		{"exit 0 with errors as failure", []string{"--fail-on-errors"}, []string{"-fail-tool"}, record.Fail, "exit code 0 but 1 error; last: "},
		{"exit 3", nil, []string{"-fail-tool", "-exit", "3"}, record.Fail, "exit code 3; last error: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runAgentops(t, nil, tt.flags, append([]string{testagentBin}, tt.child...)...)
			s := res.session
			if s.EndState != tt.state || !strings.HasPrefix(s.EndReason, tt.reason) {
				t.Errorf("end = %s (%s), want %s (%s...)", s.EndState, s.EndReason, tt.state, tt.reason)
			}
			if tt.state == record.Fail && !strings.Contains(s.EndReason, "search backend timed out (in execute_tool search)") {
				t.Errorf("reason %q does not name the last error and where it was raised", s.EndReason)
			}
		})
	}
}

func TestRunSummaryJSONAndQuiet(t *testing.T) {
	res := runAgentops(t, nil, []string{"--summary", "json"}, testagentBin, "-llm", "1", "-tools", "0")
	var s record.Session
	if err := json.Unmarshal([]byte(res.stderr), &s); err != nil {
		t.Fatalf("--summary json did not write the session JSON on stderr: %v\n%s", err, res.stderr)
	}
	if s.SchemaVersion != record.SchemaVersion || s.Totals.LLMCalls != 1 || s.ID != res.session.ID {
		t.Errorf("stderr JSON = schema %d, %d LLM calls, id %s", s.SchemaVersion, s.Totals.LLMCalls, s.ID)
	}
	quiet := runAgentops(t, nil, []string{"--quiet"}, testagentBin, "-llm", "1", "-exit", "5")
	if quiet.stderr != "" || quiet.exitCode != 5 {
		t.Errorf("--quiet: exit %d, stderr %q; want 5 and nothing", quiet.exitCode, quiet.stderr)
	}
}
