package e2e

import (
	"encoding/json"
	"io/fs"
	"math/big"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/internal/agentopsstandin"
)

// aoKey is a key the AgentOps stand-in accepts: the backend wants a UUID.
const aoKey = "6f1c3a52-9d0e-4b7a-8c21-5e4f3b2a1d09"

// TestAgentOpsSDKChildJoinsTheSession runs a child that behaves as the
// AgentOps Python SDK does under `agentops run` with AGENTOPS_API_KEY set:
// its key exchange is answered by the session, its spans arrive at the
// session (counted in the summary), the session sends one trace to
// AgentOps, and the SDK's log upload is forwarded there for that trace.
func TestAgentOpsSDKChildJoinsTheSession(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	standIn := &agentopsstandin.Server{Key: aoKey}
	srv := httptest.NewServer(standIn)
	defer srv.Close()
	store, out := t.TempDir(), t.TempDir()
	env := []string{childEnvVar + "=agentopssdk", "AGENTOPS_STORE=" + store,
		"AGENTOPS_API_KEY=" + aoKey,
		// The user's own endpoints (a self-hosted AgentOps, here the
		// stand-in): where the session sends; the child is pointed at
		// the session all the same.
		"AGENTOPS_API_ENDPOINT=" + srv.URL, "AGENTOPS_EXPORTER_ENDPOINT=" + srv.URL + "/v1/traces",
		"AGENTOPS_APP_URL=https://app.example"}
	res := runAgentops(t, env, []string{"--tag", "nightly", "-e", "file=" + filepath.Join(out, "spans.jsonl"), "--report", filepath.Join(out, "report.html")}, self)
	if res.exitCode != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", res.exitCode, res.stdout, res.stderr)
	}
	s := res.session
	if s.SpansReceived != 4 || s.Totals.LLMCalls != 1 || s.Totals.InputTokens != 1234 || s.Totals.OutputTokens != 567 || s.Totals.ToolCalls != 1 || s.Totals.Agents != 1 {
		t.Errorf("the SDK's spans are not in the summary: %d spans, totals %+v", s.SpansReceived, s.Totals)
	}
	sums := standIn.Sums(nil)
	if len(sums) != 1 || sums[0].TraceID != s.TraceID {
		t.Fatalf("AgentOps got %d traces (%+v), want one, the session's %s", len(sums), sums, s.TraceID)
	}
	got := sums[0]
	t.Logf("AgentOps: %d spans, %q, %d prompt / %d completion tokens, $%.6f; summary: %d in / %d out, $%.6f",
		got.Spans, got.Title, got.PromptTokens, got.CompletionTokens, got.Cost, s.Totals.InputTokens, s.Totals.OutputTokens, s.Totals.CostUSD)
	if got.Spans != 5 || got.Title != filepath.Base(self)+".session" || got.TitleStatus != ptrace.StatusCodeOk || got.Sessions != 1 {
		t.Errorf("AgentOps trace: %d spans, title %q, status %v, %d session spans; want 5, the session's, OK, 1", got.Spans, got.Title, got.TitleStatus, got.Sessions)
	}
	if got.PromptTokens != s.Totals.InputTokens || got.CompletionTokens != s.Totals.OutputTokens || got.Cost != s.Totals.CostUSD || s.Totals.CostUSD == 0 {
		t.Errorf("AgentOps shows %d/%d tokens and $%g, the summary %d/%d and $%g", got.PromptTokens, got.CompletionTokens, got.Cost, s.Totals.InputTokens, s.Totals.OutputTokens, s.Totals.CostUSD)
	}
	// The SDK's log upload, for the session's trace.
	var tid big.Int
	tid.SetString(s.TraceID, 16)
	logs := standIn.Logs()
	if body := logs[tid.String()]; len(logs) != 1 || !strings.Contains(body, "the weather in Paris is 18C") {
		t.Errorf("log uploads %q: want the child's output for trace %s", logs, tid.String())
	}
	// One key exchange at AgentOps: ours. The child's was answered by the
	// session, and everything that reached AgentOps carried a JWT.
	jwts := standIn.JWTs()
	exchanges := 0
	for _, r := range standIn.Requests() {
		if r.Path == "/v3/auth/token" {
			exchanges++
		} else if r.Authorization != "Bearer "+jwts[len(jwts)-1] || r.Status != 200 {
			t.Errorf("%s %s with %q answered %d", r.Method, r.Path, r.Authorization, r.Status)
		}
	}
	if exchanges != 1 || len(jwts) != 1 {
		t.Errorf("%d key exchanges at AgentOps, want ours only", exchanges)
	}
	// Neither the key nor the JWT in anything the session wrote or printed.
	secrets := append([]string{aoKey}, jwts...)
	record, _ := json.Marshal(s)
	checkNoSecrets(t, secrets, map[string]string{"stdout": res.stdout, "stderr": res.stderr, "session JSON": string(record)}, store, out)
}

// checkNoSecrets fails when a secret is in one of texts or in a file under
// one of dirs.
func checkNoSecrets(t *testing.T, secrets []string, texts map[string]string, dirs ...string) {
	t.Helper()
	files := 0
	for _, dir := range dirs {
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			b, _ := os.ReadFile(path)
			texts[path] = string(b)
			files++
			return nil
		})
	}
	if files == 0 {
		t.Fatal("no file written: the leak check proves nothing")
	}
	for where, text := range texts {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("a secret (%.8s…) is in %s", s, where)
			}
		}
	}
}
