package e2e

import (
	"strings"
	"testing"

	"github.com/agentops-dev/agentops/internal/llmstandin"
)

// TestBudgetRefusesCallsThroughTheProxy: an agent with no telemetry calls
// its LLM through the capture proxy in a loop; once the budget is spent,
// its next request is answered by the proxy with the provider's own error
// (HTTP 429), which the agent's error handling sees, and the provider never
// gets it. The agent ignores the SIGTERM of the stop, so the refusal is what
// ends it.
func TestBudgetRefusesCallsThroughTheProxy(t *testing.T) {
	st, srv := llmstandin.NewServer(llmstandin.Config{})
	defer srv.Close()
	res := runAgentops(t, []string{"OPENAI_BASE_URL=" + srv.URL + "/v1", "OPENAI_API_KEY=sk-agentops-test"},
		[]string{"--max-llm-calls", "3", "--kill-after", "20s"},
		testagentBin, "-openai-calls", "1000", "-ignore-term", "-model", "gpt-4o-mini")
	s := res.session
	if res.exitCode != 3 || !strings.Contains(res.stderr, "HTTP 429 agentops_limit_reached: refused by agentops: the session is over its budget: ") {
		t.Fatalf("exit %d: want the agent to exit 3 on the proxy's 429\n%s", res.exitCode, res.stderr)
	}
	calls := st.Calls()
	if len(calls) <= 3 || int64(len(calls)) != s.Capture.Calls || s.Totals.LLMCalls != len(calls) {
		t.Errorf("the stand-in answered %d calls, the proxy captured %d, the session counted %d: want the same, over the limit of 3",
			len(calls), s.Capture.Calls, s.Totals.LLMCalls)
	}
	if len(st.Requests()) != len(calls) {
		t.Errorf("the stand-in received %d requests for %d calls: a refused request reached it", len(st.Requests()), len(calls))
	}
	if b := s.Budget; b == nil || b.Exceeded == nil || b.Exceeded.Budget != "llm_calls" || !b.Stopped {
		t.Errorf("budget record %+v", s.Budget)
	}
	if s.Totals.Errors != 1 || !strings.Contains(s.Totals.LastError.Message, "refused by agentops") {
		t.Errorf("errors %d, last %+v: want the refusal recorded once", s.Totals.Errors, s.Totals.LastError)
	}
}
