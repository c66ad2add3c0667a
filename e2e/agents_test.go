package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/agentops-dev/agentops/internal/llmstandin"
	"github.com/agentops-dev/agentops/record"
)

// The real coding CLIs from npm (e2e/agents, installed by
// scripts/agent-clis.sh), each pointed at the LLM stand-in by its usual
// settings and run under agentops with no agentops flag at all.

// agentCLI is the path of a CLI of e2e/agents, skipping the test when it
// is not installed, except in CI, where .ci/run installs it.
func agentCLI(t *testing.T, name string) string {
	t.Helper()
	bin, err := filepath.Abs(filepath.Join("agents", "node_modules", ".bin", name))
	if err == nil {
		_, err = os.Stat(bin)
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not installed (%v): .ci/run should have run scripts/agent-clis.sh", name, err)
		}
		t.Skipf("%s not installed (%v): run scripts/agent-clis.sh", name, err)
	}
	return bin
}

// agentCase is one CLI: its command line, the environment pointing it at
// the stand-in (url), and the configuration files it is given in its
// temporary home, which must be byte-identical afterwards.
type agentCase struct {
	name    string
	command func(bin string) []string
	env     func(url, home string) []string
	config  map[string]func(url string) string // path under home → content
	api     llmstandin.API
	in, out int64
}

var agentCases = []agentCase{
	{
		name:    "claude",
		command: func(bin string) []string { return []string{bin, "-p", "say hello"} },
		env: func(url, home string) []string {
			return []string{"ANTHROPIC_BASE_URL=" + url, "ANTHROPIC_API_KEY=sk-ant-standin"}
		},
		config: map[string]func(string) string{
			".claude/settings.json": func(string) string { return `{"cleanupPeriodDays": 30}` + "\n" },
		},
		api: llmstandin.AnthropicMessages, in: 120, out: 9,
	},
	{
		name:    "gemini",
		command: func(bin string) []string { return []string{bin, "-p", "say hello"} },
		env: func(url, home string) []string {
			// GOOGLE_GEMINI_BASE_URL alone makes Gemini CLI pick its
			// "gateway" auth, which -p refuses ("Invalid auth method
			// selected"): settings.json selects the API key. A model
			// chosen spares the routing classifier's extra call.
			return []string{"GOOGLE_GEMINI_BASE_URL=" + url, "GEMINI_API_KEY=gemini-standin",
				"GEMINI_MODEL=gemini-2.5-flash", "GEMINI_CLI_TRUST_WORKSPACE=true"}
		},
		config: map[string]func(string) string{
			".gemini/settings.json": func(string) string {
				return `{"security": {"auth": {"selectedType": "gemini-api-key"}}}` + "\n"
			},
		},
		api: llmstandin.GeminiStream, in: 200, out: 11,
	},
	{
		name: "codex",
		command: func(bin string) []string {
			return []string{bin, "exec", "--skip-git-repo-check", "say hello"}
		},
		env: func(url, home string) []string {
			return []string{"CODEX_HOME=" + filepath.Join(home, ".codex"), "OPENAI_API_KEY=sk-standin"}
		},
		config: map[string]func(string) string{
			// A provider of its own: the built-in one ignores
			// OPENAI_BASE_URL and tries a WebSocket first.
			".codex/config.toml": func(url string) string {
				return `model_provider = "standin"

[model_providers.standin]
name = "LLM stand-in"
base_url = "` + url + `/v1"
env_key = "OPENAI_API_KEY"
wire_api = "responses"
supports_websockets = false
`
			},
		},
		api: llmstandin.OpenAIResponses, in: 300, out: 12,
	},
}

// agentRun is one run of a CLI.
type agentRun struct {
	stdout, stderr string
	exitCode       int
}

func runCLI(t *testing.T, env []string, dir string, argv ...string) agentRun {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env, cmd.Dir = env, dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := agentRun{stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		r.exitCode = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("run %s: %v", argv[0], err)
	}
	return r
}

// cliEnv is a clean environment for a CLI: PATH, a temporary HOME, no
// variable of ours or of the provider.
func cliEnv(home string, extra []string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "AGENTOPS_STORE=" + os.Getenv("AGENTOPS_STORE"), "CI=" + os.Getenv("CI")}
	return append(env, extra...)
}

var storedLine = regexp.MustCompile(`(?m)^\s*stored\s+(\S+)\s*$`)

// storedSession reads the session record the plain summary says was stored.
func storedSession(t *testing.T, summary string) *record.Session {
	t.Helper()
	m := storedLine.FindStringSubmatch(summary)
	if m == nil {
		t.Fatalf("the summary names no stored session:\n%s", summary)
	}
	b, err := os.ReadFile(filepath.Join(m[1], "session.json"))
	if err != nil {
		t.Fatalf("stored session: %v", err)
	}
	var rec record.Session
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatalf("stored session: %v", err)
	}
	return &rec
}

// TestAgentCLIsZeroFlags runs each real CLI once on its own and once under
// agentops with no flag: the stand-in sees one LLM call each time, the
// session counts it once with the stand-in's exact tokens, the CLI's
// stdout is the same, and its configuration files are untouched.
func TestAgentCLIsZeroFlags(t *testing.T) {
	for _, tc := range agentCases {
		t.Run(tc.name, func(t *testing.T) {
			bin := agentCLI(t, tc.name)
			standin, hs := llmstandin.NewServer(llmstandin.Config{})
			defer hs.Close()
			home, work := t.TempDir(), t.TempDir()
			for path, content := range tc.config {
				p := filepath.Join(home, path)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content(hs.URL)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			env := cliEnv(home, tc.env(hs.URL, home))

			plain := runCLI(t, env, work, tc.command(bin)...)
			if plain.exitCode != 0 || len(standin.Calls()) != 1 {
				t.Fatalf("%s on its own: exit %d, %d LLM calls\nstderr:\n%s", tc.name, plain.exitCode, len(standin.Calls()), plain.stderr)
			}
			standin.Reset()

			wrapped := runCLI(t, env, work, append([]string{agentopsBin, "run", "--"}, tc.command(bin)...)...)
			t.Logf("agentops run -- %s: summary as printed:\n%s", tc.name, wrapped.stderr)
			if wrapped.exitCode != 0 {
				t.Fatalf("exit %d", wrapped.exitCode)
			}
			calls := standin.Calls()
			if len(calls) != 1 || calls[0].API != tc.api {
				t.Fatalf("the stand-in got %d LLM calls (%+v), want one %s", len(calls), calls, tc.api)
			}
			if wrapped.stdout != plain.stdout {
				t.Errorf("stdout under agentops %q, on its own %q", wrapped.stdout, plain.stdout)
			}
			for path, content := range tc.config {
				got, err := os.ReadFile(filepath.Join(home, path))
				if err != nil || string(got) != content(hs.URL) {
					t.Errorf("%s changed (err %v):\n%s", path, err, got)
				}
			}

			rec := storedSession(t, wrapped.stderr)
			if len(rec.ReceiverRefused) != 0 {
				t.Errorf("the receiver refused requests (the session token?): %v", rec.ReceiverRefused)
			}
			if rec.SpansReceived+rec.LogsReceived == 0 {
				t.Errorf("no telemetry of %s arrived: its switches were not set", tc.name)
			}
			tot := rec.Totals
			if tot.LLMCalls != 1 || tot.InputTokens != tc.in || tot.OutputTokens != tc.out {
				t.Errorf("counted %d LLM calls, %d in / %d out; want 1 call, %d / %d", tot.LLMCalls, tot.InputTokens, tot.OutputTokens, tc.in, tc.out)
			}
		})
	}
}

// TestAgentToolSubprocessEnvironment: what a shell command Claude Code
// runs as a tool inherits of the session's environment (README, "Tool
// subprocesses"). Measured with 2.1.332: Claude Code removes every OTEL_*
// variable from its tools' environment and sets TRACEPARENT to its own tool
// span; the rest of ours (AGENTOPS_SESSION_ID, the agents' switches) is
// inherited. An instrumented program it runs therefore does not reach the
// session on its own. When this test fails, Claude Code changed: update
// the README.
func TestAgentToolSubprocessEnvironment(t *testing.T) {
	bin := agentCLI(t, "claude")
	home, work := t.TempDir(), t.TempDir()
	envFile := filepath.Join(work, "tool-env.txt")
	standin, hs := llmstandin.NewServer(llmstandin.Config{Replies: []llmstandin.Reply{
		{Text: "I will run it.", Usage: llmstandin.Usage{Input: 100, Output: 20},
			ToolCalls: []llmstandin.ToolCall{{Name: "Bash", Input: map[string]any{
				"command": "env > " + envFile, "description": "Save the environment"}}}},
		{Text: "Done.", Usage: llmstandin.Usage{Input: 150, Output: 3}},
	}})
	defer hs.Close()
	env := cliEnv(home, []string{"ANTHROPIC_BASE_URL=" + hs.URL, "ANTHROPIC_API_KEY=sk-ant-standin"})
	r := runCLI(t, env, work, agentopsBin, "run", "--", bin, "-p", "save the environment", "--allowedTools", "Bash")
	if r.exitCode != 0 {
		t.Fatalf("exit %d\n%s", r.exitCode, r.stderr)
	}
	b, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatalf("the Bash tool did not run (%v); stand-in calls %d\n%s", err, len(standin.Calls()), r.stderr)
	}
	got := envMapOf(string(b))
	rec := storedSession(t, r.stderr)
	if got["AGENTOPS_SESSION_ID"] != rec.ID || got["CLAUDE_CODE_ENABLE_TELEMETRY"] != "1" {
		t.Errorf("the tool did not inherit our other variables: AGENTOPS_SESSION_ID=%q (session %s), CLAUDE_CODE_ENABLE_TELEMETRY=%q",
			got["AGENTOPS_SESSION_ID"], rec.ID, got["CLAUDE_CODE_ENABLE_TELEMETRY"])
	}
	for k := range got {
		if len(k) > 5 && k[:5] == "OTEL_" {
			t.Errorf("Claude Code now passes %s to its tools: the README says it removes every OTEL_* variable", k)
		}
	}
	if tp := got["TRACEPARENT"]; tp == "" || tp[3:35] != rec.TraceID {
		t.Errorf("the tool's TRACEPARENT %q is not in the session's trace %s", tp, rec.TraceID)
	}
	if tot := rec.Totals; tot.LLMCalls != 2 || tot.InputTokens != 250 || tot.OutputTokens != 23 || len(tot.Tools) != 1 {
		t.Errorf("counted %d calls %d/%d and tools %+v; want 2 calls, 250/23, one tool", tot.LLMCalls, tot.InputTokens, tot.OutputTokens, tot.Tools)
	}
}

func envMapOf(s string) map[string]string {
	m := map[string]string{}
	for _, line := range regexp.MustCompile(`\r?\n`).Split(s, -1) {
		if k, v, ok := cut(line, "="); ok {
			m[k] = v
		}
	}
	return m
}

func cut(s, sep string) (string, string, bool) {
	for i := 0; i+len(sep) <= len(s); i++ {
		if s[i:i+len(sep)] == sep {
			return s[:i], s[i+len(sep):], true
		}
	}
	return s, "", false
}
