package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/agentops-dev/agentops/internal/llmstandin"
)

// TestCaptureFaults is the fault matrix: for each fault the client (the
// real openai or Anthropic SDK, retries off) prints what it saw, and
// must see the same through agentops as directly; nothing hangs past the
// child's exit; the session records each call's outcome.
func TestCaptureFaults(t *testing.T) {
	standinURL := startStandinProcess(t)
	down := "http://" + freePort(t)

	tests := []struct {
		name string
		base string // the user's base URL; empty: the stand-in
		args []string
		// outcomes of the captured calls, in order; the session's errors
		outcomes []string
		errors   int
		// same says the output must be byte-identical (not for a child
		// that exits in the middle of a stream: it prints before).
		noCompare bool
	}{
		{name: "upstream down", base: down, args: []string{"--only", "chat"}, outcomes: []string{"unreachable"}, errors: 1},
		{name: "429 with a body", args: []string{"--only", "chat,messages", "--model", llmstandin.FaultRateLimit}, outcomes: []string{"http_error", "http_error"}, errors: 2},
		{name: "500 with a body, streaming", args: []string{"--only", "chat-stream,messages-stream", "--model", llmstandin.FaultServerError}, outcomes: []string{"http_error", "http_error"}, errors: 2},
		{name: "stream cut in the middle", args: []string{"--only", "chat-stream,responses-stream,messages-stream", "--model", llmstandin.FaultCut}, outcomes: []string{"stream_cut", "stream_cut", "stream_cut"}, errors: 3},
		{name: "body cut in the middle", args: []string{"--only", "chat", "--model", llmstandin.FaultCut}, outcomes: []string{"stream_cut"}, errors: 1},
		{name: "client cancels a stream", args: []string{"--only", "chat-stream", "--model", llmstandin.FaultSlow, "--abort-after", "1"}, outcomes: []string{"cancelled"}},
		{name: "child exits in the middle of a stream", args: []string{"--only", "chat-stream", "--model", llmstandin.FaultSlow, "--exit-after", "1"}, outcomes: []string{"cancelled"}},
		{name: "request body of 20 MB", args: []string{"--only", "chat", "--big-bytes", "20971520"}, outcomes: []string{"ok"}},
		{name: "response body of 8 MB", args: []string{"--only", "chat,messages", "--model", llmstandin.FaultHuge}, outcomes: []string{"ok", "ok"}},
		{name: "50 concurrent streams", args: []string{"--concurrent", "50"}, outcomes: repeat("ok", 50)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := tt.base
			if base == "" {
				base = standinURL
			}
			env := clientEnv(base)
			child := nodeScript(t, "plain-agent.js", tt.args...)
			direct, directCode := runDirect(t, env, child...)
			res := runAgentops(t, env, nil, child...)
			t.Logf("the client saw: %.300s", strings.TrimSpace(res.stdout))
			if res.exitCode != directCode || res.stdout != direct {
				t.Errorf("through agentops: exit %d, stdout\n%s\ndirect: exit %d, stdout\n%s", res.exitCode, res.stdout, directCode, direct)
			}
			spans := capturedSpans(t, res.session)
			var got []string
			for _, sp := range spans {
				got = append(got, sp["agentops.capture.outcome"].(string))
			}
			if strings.Join(sortedCopy(got), ",") != strings.Join(sortedCopy(tt.outcomes), ",") {
				t.Errorf("outcomes %v, want %v", got, tt.outcomes)
			}
			tot := res.session.Totals
			if tot.LLMCalls != len(tt.outcomes) || tot.Errors != tt.errors {
				t.Errorf("%d LLM calls, %d errors; want %d, %d", tot.LLMCalls, tot.Errors, len(tt.outcomes), tt.errors)
			}
			for _, sp := range spans {
				if sp["agentops.capture.outcome"] != "ok" && sp["agentops.capture.usage_missing"] == nil && sp["gen_ai.usage.input_tokens"] == nil {
					t.Errorf("%s: %s without usage, not marked: %v", sp["name"], sp["agentops.capture.outcome"], sp)
				}
			}
			for _, e := range tot.ErrorSamples {
				t.Logf("error recorded: %s: %s", e.Where, e.Message)
			}
		})
	}
}

// startStandinProcess runs the stand-in, with its fault modes, in a
// process of its own (this test binary as a child): the 20 MB requests
// and 8 MB answers stay out of the test process, whose memory the
// children's peak RSS would otherwise report (Linux counts the parent's
// high-water mark in a child started by vfork and exec). Slow streams
// send two events and then wait for their client to leave, so that a
// stream is surely in flight when the client cancels or exits. The child
// ends when its stdin closes.
func startStandinProcess(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), childEnvVar+"=standin")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("the stand-in did not start: %v", err)
	}
	return strings.TrimSpace(line)
}

// standinChild serves the stand-in with its fault modes on loopback,
// prints its URL and serves until its stdin closes.
func standinChild() int {
	_, h := llmstandin.NewFaulty(llmstandin.Config{}, llmstandin.Faults{SlowPause: time.Hour})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	fmt.Println("http://" + ln.Addr().String())
	_ = http.Serve(ln, h)
	return 1
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
