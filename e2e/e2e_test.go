// Package e2e runs the real agentops binary around real OpenTelemetry SDK
// clients and checks what the session saw.
package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentops-dev/agentops/record"
)

// Binaries built once for the whole package.
var (
	agentopsBin  string
	testagentBin string
	hostileBin   string
	loadgenBin   string
)

func TestMain(m *testing.M) {
	switch os.Getenv(childEnvVar) {
	case "badinput":
		os.Exit(badInputChild())
	case "gosdk":
		os.Exit(goSDKChild())
	case "openaigo":
		os.Exit(openAIGoChild())
	case "standin":
		os.Exit(standinChild())
	case "agentopssdk":
		os.Exit(agentOpsSDKChild())
	case "aoconvention":
		os.Exit(aoConventionChild())
	}
	dir, err := os.MkdirTemp("", "agentops-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Every session these tests run is stored here, never in the real home.
	os.Setenv("AGENTOPS_STORE", filepath.Join(dir, "store"))
	agentopsBin = filepath.Join(dir, "agentops")
	testagentBin = filepath.Join(dir, "testagent")
	hostileBin = filepath.Join(dir, "hostile")
	loadgenBin = filepath.Join(dir, "loadgen")
	for bin, pkg := range map[string]string{agentopsBin: "..", testagentBin: "../internal/testagent", hostileBin: "../internal/hostile", loadgenBin: "../bench/loadgen"} {
		out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "go build %s: %v\n%s", pkg, err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runResult is what one `agentops run` produced.
type runResult struct {
	exitCode int
	stdout   string
	stderr   string
	session  *record.Session
}

// runAgentops runs `agentops run --json FILE <flags> -- <child...>` with env
// added to ours, and decodes the session JSON.
func runAgentops(t *testing.T, env []string, flags []string, child ...string) runResult {
	t.Helper()
	jsonPath := filepath.Join(t.TempDir(), "session.json")
	args := append([]string{"run", "--json", jsonPath}, flags...)
	args = append(args, "--")
	args = append(args, child...)
	cmd := exec.Command(agentopsBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := runResult{stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		res.exitCode = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("run agentops: %v", err)
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatalf("session JSON not written: %v\nstderr:\n%s", err, res.stderr)
	}
	res.session = &record.Session{}
	if err := json.Unmarshal(b, res.session); err != nil {
		t.Fatalf("decode session JSON: %v", err)
	}
	return res
}

func TestRunCarriesGoSDKSpans(t *testing.T) {
	tests := []struct {
		name     string
		env      []string
		flags    []string
		exit     int
		failTool bool
	}{
		{name: "http/protobuf exit 0"},
		{name: "http/protobuf exit 3 with failing tool", exit: 3, failTool: true},
		{name: "http/json", flags: []string{"--protocol", "http/json"}},
		{name: "http/protobuf gzip", env: []string{"OTEL_EXPORTER_OTLP_COMPRESSION=gzip"}, exit: 1},
		{name: "http/json gzip", env: []string{"OTEL_EXPORTER_OTLP_COMPRESSION=gzip"}, flags: []string{"--protocol", "http/json"}},
		// The Go SDK's gRPC exporter on the same port: the http:// endpoint
		// alone makes it connect without TLS.
		{name: "grpc", flags: []string{"--protocol", "grpc"}},
		{name: "grpc gzip exit 2", env: []string{"OTEL_EXPORTER_OTLP_COMPRESSION=gzip"}, flags: []string{"--protocol", "grpc"}, exit: 2},
		{name: "no-auth", flags: []string{"--no-auth"}},
		// The user's upstream headers are replaced by the session token, the
		// per-signal ones too (they would win over ours in the SDK).
		{name: "upstream headers replaced", env: []string{"OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer upstream", "OTEL_EXPORTER_OTLP_TRACES_HEADERS=Authorization=Bearer upstream"}},
		{name: "grpc upstream headers replaced", env: []string{"OTEL_EXPORTER_OTLP_TRACES_HEADERS=Authorization=Bearer upstream"}, flags: []string{"--protocol", "grpc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			child := []string{testagentBin, "-llm", "4", "-input-tokens", "120", "-output-tokens", "30", "-tools", "3", "-exit", fmt.Sprint(tt.exit)}
			if tt.failTool {
				child = append(child, "-fail-tool")
			}
			res := runAgentops(t, tt.env, tt.flags, child...)
			s := res.session
			if res.exitCode != tt.exit || s.ExitCode != tt.exit {
				t.Errorf("exit code = %d (record %d), want %d", res.exitCode, s.ExitCode, tt.exit)
			}
			if res.stdout != "testagent done\n" {
				t.Errorf("child stdout = %q, want it passed through untouched", res.stdout)
			}
			if !strings.Contains(res.stderr, "LLM calls") {
				t.Errorf("no summary on stderr:\n%s", res.stderr)
			}
			// 1 agent span + 4 LLM + 3 tool spans.
			if s.SpansReceived != 8 {
				t.Errorf("spans received = %d, want 8", s.SpansReceived)
			}
			if s.Totals.LLMCalls != 4 || s.Totals.InputTokens != 480 || s.Totals.OutputTokens != 120 {
				t.Errorf("LLM totals = %+v, want 4 calls, 480 in, 120 out", s.Totals)
			}
			if s.Totals.ToolCalls != 3 {
				t.Errorf("tool calls = %d, want 3", s.Totals.ToolCalls)
			}
			wantErrors := 0
			if tt.failTool {
				wantErrors = 1
			}
			if s.Totals.Errors != wantErrors {
				t.Errorf("errors = %d, want %d", s.Totals.Errors, wantErrors)
			}
			agentSpan := ""
			for _, e := range s.Events {
				if e.TraceID != s.TraceID {
					t.Errorf("event %s has trace %s, want the session's %s", e.Name, e.TraceID, s.TraceID)
				}
				if e.Kind == "agent" {
					agentSpan = e.SpanID
					if e.ParentSpanID != s.RootSpanID {
						t.Errorf("agent span parent = %s, want session root span %s", e.ParentSpanID, s.RootSpanID)
					}
				}
			}
			for _, e := range s.Events {
				// The child's failure is an event of the session span itself.
				if e.Kind != "agent" && e.SpanID != s.RootSpanID && e.ParentSpanID != agentSpan {
					t.Errorf("%s event %s parent = %s, want agent span %s", e.Kind, e.Name, e.ParentSpanID, agentSpan)
				}
			}
			if agentSpan == "" {
				t.Error("no agent event: the child's invoke_agent span did not arrive")
			}
		})
	}
}

func TestRunZeroSpansHint(t *testing.T) {
	res := runAgentops(t, nil, nil, "sh", "-c", "echo plain")
	if res.exitCode != 0 || res.stdout != "plain\n" {
		t.Fatalf("exit %d stdout %q", res.exitCode, res.stdout)
	}
	if res.session.SpansReceived != 0 {
		t.Fatalf("spans = %d, want 0", res.session.SpansReceived)
	}
	if !strings.Contains(res.stderr, "No spans arrived") || !strings.Contains(res.stderr, "OTEL_EXPORTER_OTLP_ENDPOINT") {
		t.Errorf("zero-span hint missing from summary:\n%s", res.stderr)
	}
}

func TestRunMissingCommand(t *testing.T) {
	res := runAgentops(t, nil, nil, "agentops-no-such-command")
	if res.exitCode != 127 {
		t.Errorf("exit code = %d, want 127", res.exitCode)
	}
	if !strings.Contains(res.stderr, "command not found") {
		t.Errorf("stderr does not say the command was not found:\n%s", res.stderr)
	}
}
