package e2e

import (
	"strings"
	"testing"
)

// loopingAgent is a child that keeps calling its LLM until stopped: the
// test agent making a call every 20ms (its SDK exports every second, as
// agentops asks), with a sleeping sibling in its process group, under sh.
func loopingAgent(model string) []string {
	return sh(testagentBin + " -llm 1000000 -latency 20ms -tools 0 -input-tokens 1000 -output-tokens 100 -model " + model + " & sleep 1000 & wait")
}

func TestBudgetStopsTheAgent(t *testing.T) {
	tests := []struct {
		name   string
		flags  []string
		env    []string
		model  string
		budget string
		reason string
	}{
		{name: "llm calls", flags: []string{"--max-llm-calls", "10"}, budget: "llm_calls", reason: "LLM calls made, limit 10"},
		{name: "tokens", flags: []string{"--max-tokens", "20k"}, budget: "tokens", reason: "tokens spent, limit 20,000"},
		// gpt-4o-mini at $0.15/$0.60 per Mtok: $0.00021 a call.
		{name: "cost", flags: []string{"--max-cost", "0.002"}, budget: "cost", reason: "spent, limit $0.0020"},
		{name: "cost from the environment", env: []string{"AGENTOPS_MAX_COST=0.002"}, budget: "cost", reason: "spent, limit $0.0020"},
		{name: "duration", flags: []string{"--max-duration", "1500ms"}, budget: "duration", reason: "ran, limit 1.5s"},
		{name: "unpriced exceeds", flags: []string{"--max-cost", "5", "--unpriced-exceeds"}, model: "agentops-unpriced-model", budget: "cost", reason: "unpriced call"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			model := tt.model
			if model == "" {
				model = "gpt-4o-mini"
			}
			res := runAgentops(t, tt.env, append([]string{"--kill-after", "2s"}, tt.flags...), loopingAgent(model)...)
			s := res.session
			// sh dies of the SIGTERM sent to its group: the exit code is the
			// child's as it died.
			if res.exitCode != 143 || s.Signal != "terminated" {
				t.Errorf("exit code %d signal %q, want 143 terminated\n%s", res.exitCode, s.Signal, res.stderr)
			}
			b := s.Budget
			if b == nil || b.Exceeded == nil || !b.Stopped || b.Exceeded.Budget != tt.budget {
				t.Fatalf("budget record %+v, want %s exceeded and stopped", b, tt.budget)
			}
			if s.EndState != "Fail" || !strings.HasPrefix(s.EndReason, "budget: ") || !strings.Contains(s.EndReason, tt.reason) ||
				!strings.Contains(s.EndReason, "agentops stopped the agent") {
				t.Errorf("end %s: %q, want Fail with %q", s.EndState, s.EndReason, tt.reason)
			}
			if !strings.Contains(res.stderr, "stopping the agent (SIGTERM, SIGKILL after 2s)") {
				t.Errorf("no stop notice on stderr:\n%s", res.stderr)
			}
			if tt.budget == "llm_calls" && s.Totals.LLMCalls <= 10 {
				t.Errorf("%d LLM calls counted, want more than the limit of 10", s.Totals.LLMCalls)
			}
			waitGroupGone(t, s.PID)
		})
	}
}

func TestBudgetWarnLetsTheAgentFinish(t *testing.T) {
	res := runAgentops(t, nil, []string{"--max-llm-calls", "5", "--on-budget", "warn"},
		testagentBin, "-llm", "30", "-tools", "0")
	s := res.session
	if res.exitCode != 0 || s.Totals.LLMCalls != 30 {
		t.Fatalf("exit %d, %d calls: want the agent to finish its 30 calls", res.exitCode, s.Totals.LLMCalls)
	}
	if s.Budget == nil || s.Budget.Exceeded == nil || s.Budget.Stopped || s.Budget.OnExceed != "warn" {
		t.Fatalf("budget record %+v, want exceeded, not stopped", s.Budget)
	}
	if s.EndState != "Success" || !strings.Contains(s.EndReason, "budget: 30 LLM calls made, limit 5 (--on-budget warn: not stopped)") {
		t.Errorf("end %s %q", s.EndState, s.EndReason)
	}
}

func TestBudgetUnpricedWarns(t *testing.T) {
	res := runAgentops(t, nil, []string{"--max-cost", "5"}, testagentBin, "-llm", "3", "-tools", "0", "-model", "agentops-unpriced-model")
	s := res.session
	if res.exitCode != 0 || s.Budget == nil || s.Budget.Exceeded != nil || s.Budget.UnpricedCalls != 3 {
		t.Fatalf("exit %d budget %+v: want within budget with 3 unpriced calls", res.exitCode, s.Budget)
	}
	if n := strings.Count(res.stderr, "--max-cost cannot see the cost of"); n != 1 {
		t.Errorf("unpriced warning printed %d times, want once:\n%s", n, res.stderr)
	}
}

func TestBudgetBadFlags(t *testing.T) {
	for _, flags := range [][]string{
		{"--max-cost", "-1"}, {"--max-tokens", "lots"}, {"--max-duration", "0s"}, {"--on-budget", "panic"},
		{"--unpriced-exceeds"}, {"--max-llm-calls", "1.5"},
	} {
		_, stderr, code := agentops(t, append(append([]string{"run"}, flags...), "--", "true")...)
		if code != 2 || !strings.Contains(stderr, flags[0]) {
			t.Errorf("%v: exit %d, want 2 naming the flag:\n%s", flags, code, stderr)
		}
	}
}
