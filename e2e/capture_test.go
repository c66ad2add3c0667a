package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/agentops-dev/agentops/internal/llmstandin"
	"github.com/agentops-dev/agentops/record"
)

// The keys the clients send; none may be found in anything agentops keeps.
const (
	testOpenAIKey    = "sk-proj-e2eCaptureKey0123456789abcdefghij"
	testAnthropicKey = "sk-ant-api03-e2eCaptureKey0123456789abcdef"
)

// startStandin serves the LLM stand-in, with its fault modes, on loopback.
func startStandin(t *testing.T) (*llmstandin.Server, string) {
	t.Helper()
	s, h := llmstandin.NewFaulty(llmstandin.Config{}, llmstandin.Faults{})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return s, srv.URL
}

// clientEnv points the clients at base, as a user pointing them at a
// gateway or a local server would: agentops forwards to these values.
func clientEnv(base string) []string {
	return []string{
		"OPENAI_BASE_URL=" + base + "/v1", "OPENAI_API_KEY=" + testOpenAIKey,
		"ANTHROPIC_BASE_URL=" + base, "ANTHROPIC_API_KEY=" + testAnthropicKey,
	}
}

// runDirect runs the child without agentops, with env added to ours.
func runDirect(t *testing.T, env []string, child ...string) (stdout string, code int) {
	t.Helper()
	cmd := exec.Command(child[0], child[1:]...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("run %v: %v", child, err)
	}
	if code != 0 {
		t.Logf("direct stderr:\n%s", errb.String())
	}
	return out.String(), code
}

func nodeScript(t *testing.T, script string, args ...string) []string {
	t.Helper()
	cmd := nodeAgent(t)
	return append([]string{cmd[0], filepath.Join("node", script)}, args...)
}

// sameRequests checks that the stand-in received through the proxy what
// it received directly: method, path, query, headers and body, but for
// the one change the proxy makes (an OpenAI chat stream asked for its
// usage, and so not compressed).
func sameRequests(t *testing.T, direct, proxied []llmstandin.Request) {
	t.Helper()
	if len(direct) != len(proxied) {
		t.Fatalf("the stand-in received %d requests directly, %d through the proxy", len(direct), len(proxied))
	}
	for i := range direct {
		d, p := direct[i], proxied[i]
		injected := d.API == llmstandin.OpenAIChat && d.Stream && !d.IncludeUsage
		if d.Method != p.Method || d.Path != p.Path || d.Query != p.Query {
			t.Errorf("request %d: %s %s?%s directly, %s %s?%s through the proxy", i, d.Method, d.Path, d.Query, p.Method, p.Path, p.Query)
		}
		body := p.Body
		if injected {
			if !p.IncludeUsage {
				t.Errorf("request %d: the chat stream was not asked for its usage", i)
			}
			body = bytes.Replace(body, []byte(`,"stream_options":{"include_usage":true}`), nil, 1)
		}
		if !bytes.Equal(d.Body, body) {
			t.Errorf("request %d body:\ndirect  %s\nproxied %s", i, d.Body, p.Body)
		}
		dh, ph := d.Header.Clone(), p.Header.Clone()
		// Hop-by-hop (RFC 9110 7.6.1): a proxy does not forward it, and
		// keep-alive is HTTP/1.1's default anyway.
		dh.Del("Connection")
		for _, h := range []string{"Idempotency-Key"} { // a new one per request
			if (dh.Get(h) == "") != (ph.Get(h) == "") {
				t.Errorf("request %d: %s sent directly %q, through the proxy %q", i, h, dh.Get(h), ph.Get(h))
			}
			dh.Del(h)
			ph.Del(h)
		}
		if injected {
			for _, h := range []string{"Content-Length", "Accept-Encoding"} {
				dh.Del(h)
				ph.Del(h)
			}
		}
		if !reflect.DeepEqual(dh, ph) {
			t.Errorf("request %d headers:\ndirect  %v\nproxied %v", i, dh, ph)
		}
	}
}

// noKeys checks that no key is in the session's store directory, its
// session JSON, or the file export.
func noKeys(t *testing.T, files ...string) {
	t.Helper()
	for _, f := range files {
		filepath.WalkDir(f, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, _ := os.ReadFile(path)
			for _, k := range []string{testOpenAIKey, testAnthropicKey, "e2eCaptureKey"} {
				if bytes.Contains(b, []byte(k)) {
					t.Errorf("%s holds the API key", path)
				}
			}
			return nil
		})
	}
}

// capturedSpans reads the captured calls' spans from the session's store:
// name → attributes, in order.
func capturedSpans(t *testing.T, s *record.Session) []map[string]any {
	t.Helper()
	f, err := os.Open(filepath.Join(s.Stored, "spans.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var req struct {
			ResourceSpans []struct {
				ScopeSpans []struct {
					Spans []struct {
						Name       string `json:"name"`
						Attributes []struct {
							Key   string                     `json:"key"`
							Value map[string]json.RawMessage `json:"value"`
						} `json:"attributes"`
					} `json:"spans"`
				} `json:"scopeSpans"`
			} `json:"resourceSpans"`
		}
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			t.Fatal(err)
		}
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, sp := range ss.Spans {
					m := map[string]any{"name": sp.Name}
					for _, a := range sp.Attributes {
						for _, v := range a.Value {
							var x any
							_ = json.Unmarshal(v, &x)
							m[a.Key] = x
						}
					}
					if m["agentops.capture"] == true {
						out = append(out, m)
					}
				}
			}
		}
	}
	return out
}

// TestCapturePlainNodeAgent: the real openai and @anthropic-ai/sdk
// clients, no OpenTelemetry: every call shape is counted with its exact
// tokens, the agent's stdout is the same with and without agentops, and
// the stand-in receives what the client sent.
func TestCapturePlainNodeAgent(t *testing.T) {
	child := nodeScript(t, "plain-agent.js")
	s, base := startStandin(t)
	env := clientEnv(base)
	direct, code := runDirect(t, env, child...)
	if code != 0 {
		t.Fatalf("direct run exit %d", code)
	}
	directReqs := s.Requests()
	s.Reset()
	export := filepath.Join(t.TempDir(), "spans.jsonl")
	res := runAgentops(t, env, []string{"-e", "file=" + export, "--summary", "plain"}, child...)
	if res.exitCode != 0 {
		t.Fatalf("exit %d\n%s", res.exitCode, res.stderr)
	}
	if res.stdout != direct {
		t.Errorf("stdout through agentops:\n%s\ndirect:\n%s", res.stdout, direct)
	}
	sameRequests(t, directReqs, s.Requests())
	rec := res.session
	tot := rec.Totals
	// 5 OpenAI calls (300 in, 12 out each) and 2 Anthropic (120, 9).
	if rec.Capture == nil || rec.Capture.Calls != 7 || tot.LLMCalls != 7 || tot.InputTokens != 5*300+2*120 || tot.OutputTokens != 5*12+2*9 {
		t.Errorf("capture %+v, totals: %d calls, %d in, %d out; want 7 calls, 1740 in, 78 out", rec.Capture, tot.LLMCalls, tot.InputTokens, tot.OutputTokens)
	}
	if tot.UnpricedCalls != 0 || tot.CostUSD <= 0 || tot.NoUsageCalls != 0 {
		t.Errorf("cost %v, %d unpriced, %d without usage", tot.CostUSD, tot.UnpricedCalls, tot.NoUsageCalls)
	}
	if !strings.Contains(res.stderr, "7 LLM calls captured by the proxy") {
		t.Errorf("summary:\n%s", res.stderr)
	}
	t.Logf("summary:\n%s", res.stderr)
	sessionJSON, _ := json.Marshal(rec)
	tmp := filepath.Join(t.TempDir(), "session.json")
	_ = os.WriteFile(tmp, sessionJSON, 0o600)
	noKeys(t, rec.Stored, export, tmp)
}

// TestCaptureOpenAIGoClient: the official Go client, no OpenTelemetry.
func TestCaptureOpenAIGoClient(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	s, base := startStandin(t)
	env := append(clientEnv(base), childEnvVar+"=openaigo")
	direct, code := runDirect(t, env, self)
	if code != 0 {
		t.Fatalf("direct run exit %d", code)
	}
	directReqs := s.Requests()
	s.Reset()
	res := runAgentops(t, env, nil, self)
	if res.exitCode != 0 {
		t.Fatalf("exit %d\n%s", res.exitCode, res.stderr)
	}
	if res.stdout != direct {
		t.Errorf("stdout through agentops:\n%s\ndirect:\n%s", res.stdout, direct)
	}
	sameRequests(t, directReqs, s.Requests())
	tot := res.session.Totals
	if tot.LLMCalls != 4 || tot.InputTokens != 4*300 || tot.OutputTokens != 4*12 || res.session.Capture.Calls != 4 {
		t.Errorf("totals: %d calls, %d in, %d out; want 4, 1200, 48", tot.LLMCalls, tot.InputTokens, tot.OutputTokens)
	}
	noKeys(t, res.session.Stored)
}

// TestCaptureInstrumentedClientCountsOnce: an agent whose OpenAI client
// is instrumented (OpenTelemetry JS SDK, instrumentation-openai) reports
// the call itself; through the proxy it is still one call.
func TestCaptureInstrumentedClientCountsOnce(t *testing.T) {
	for _, stream := range []bool{false, true} {
		name := map[bool]string{false: "chat", true: "chat stream"}[stream]
		t.Run(name, func(t *testing.T) {
			args := []string{}
			if stream {
				args = append(args, "--stream")
			}
			child := nodeScript(t, "instrumented-agent.js", args...)
			_, base := startStandin(t)
			res := runAgentops(t, clientEnv(base), nil, child...)
			if res.exitCode != 0 {
				t.Fatalf("exit %d\n%s", res.exitCode, res.stderr)
			}
			rec := res.session
			tot := rec.Totals
			t.Logf("%d spans received, %d captured; %d LLM calls, %d wrapper spans, %d repeated", rec.SpansReceived, rec.Capture.Calls, tot.LLMCalls, tot.WrapperLLMSpans, tot.RepeatedEvents)
			if rec.SpansReceived == 0 || rec.Capture.Calls != 1 {
				t.Fatalf("spans received %d, captured %d: want the SDK's and the proxy's", rec.SpansReceived, rec.Capture.Calls)
			}
			if tot.LLMCalls != 1 || tot.InputTokens != 300 || tot.OutputTokens != 12 {
				t.Errorf("%d LLM calls, %d in, %d out: want 1 call, 300 in, 12 out", tot.LLMCalls, tot.InputTokens, tot.OutputTokens)
			}
		})
	}
}

// freePort is a loopback address nothing listens on.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
