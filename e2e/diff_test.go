package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDiffGatesACostRegression: a CI job keeps the main branch's session
// JSON; a later run that costs more fails its gate, through
// 'agentops diff' and through 'run --baseline'.
func TestDiffGatesACostRegression(t *testing.T) {
	store := t.TempDir()
	base := filepath.Join(t.TempDir(), "main-session.json")
	_, stderr, code := agentops(t, "run", "-q", "--store", store, "--json", base, "--", testagentBin, "-llm", "4", "-model", "gpt-4o")
	if code != 0 {
		t.Fatalf("baseline run: exit %d\n%s", code, stderr)
	}
	// The same agent, 50% more calls.
	_, stderr, code = agentops(t, "run", "-q", "--store", store, "--", testagentBin, "-llm", "6", "-model", "gpt-4o")
	if code != 0 {
		t.Fatalf("second run: exit %d\n%s", code, stderr)
	}
	out, stderr, code := agentops(t, "diff", "--store", store, base, "last", "--fail-if", "cost>+10%", "--fail-if", "errors>0")
	if code != 1 || !strings.Contains(out, "✘ cost>+10%") || !strings.Contains(out, "✔ errors>0") || !strings.Contains(stderr, "gate tripped: cost>+10%") {
		t.Errorf("diff: exit %d\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(out, "llm calls             4        6        +2 (+50%)") {
		t.Errorf("diff totals wrong:\n%s", out)
	}
	// The stored pair, by position, passes a looser gate.
	if out, stderr, code := agentops(t, "diff", "--store", store, "last~1", "--fail-if", "cost>+60%,llm_calls>+2"); code != 0 {
		t.Errorf("diff last~1: exit %d\n%s\n%s", code, out, stderr)
	}
	// run --baseline: the summary, the diff and exit 1 on the agent's exit 0.
	jsonPath := filepath.Join(t.TempDir(), "s.json")
	_, stderr, code = agentops(t, "run", "--summary", "plain", "--store", store, "--json", jsonPath, "--baseline", base, "--fail-if", "cost>+10%",
		"--", testagentBin, "-llm", "8", "-model", "gpt-4o")
	if code != 1 || !strings.Contains(stderr, "agentops diff: baseline") || !strings.Contains(stderr, "✘ cost>+10%") {
		t.Errorf("run --baseline: exit %d\n%s", code, stderr)
	}
	var rec struct {
		Baseline struct {
			Tripped bool `json:"tripped"`
			Gates   []struct {
				Gate    string `json:"gate"`
				Tripped bool   `json:"tripped"`
			} `json:"gates"`
		} `json:"baseline"`
	}
	b, _ := os.ReadFile(jsonPath)
	if err := json.Unmarshal(b, &rec); err != nil || !rec.Baseline.Tripped || len(rec.Baseline.Gates) != 1 {
		t.Errorf("session JSON baseline: %+v %v", rec.Baseline, err)
	}
	// Within the gate: exit 0.
	if _, stderr, code := agentops(t, "run", "-q", "--store", store, "--baseline", base, "--fail-if", "cost>+10%", "--", testagentBin, "-llm", "4", "-model", "gpt-4o"); code != 0 {
		t.Errorf("run --baseline within the gate: exit %d\n%s", code, stderr)
	}
	// A missing baseline stops before the agent runs.
	if out, stderr, code := agentops(t, "run", "--store", t.TempDir(), "--baseline", "last", "--", "sh", "-c", "echo ran"); code != 2 || out != "" {
		t.Errorf("run --baseline in an empty store: exit %d, stdout %q\n%s", code, out, stderr)
	}
}
