package e2e

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// jaegerBin is the Jaeger binary e2e/jaeger/build.sh builds (and .ci/run
// runs): it skips the test when missing, except in CI.
func jaegerBin(t *testing.T) string {
	t.Helper()
	cache := os.Getenv("AGENTOPS_E2E_CACHE")
	if cache == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			home, _ := os.UserHomeDir()
			base = filepath.Join(home, ".cache")
		}
		cache = filepath.Join(base, "agentops-e2e")
	}
	bin := filepath.Join(cache, "jaeger")
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Jaeger not built (%v): .ci/run should have run e2e/jaeger/build.sh", err)
		}
		t.Skipf("Jaeger not built (%v): run 'bash e2e/jaeger/build.sh' (several minutes, once)", err)
	}
	return bin
}

// jaeger is a Jaeger started on loopback ports of its own.
type jaeger struct {
	otlpHTTP, otlpGRPC, query string
}

// startJaeger starts Jaeger with e2e/jaeger/config.yaml and waits until it
// says it is ready.
func startJaeger(t *testing.T) *jaeger {
	t.Helper()
	bin := jaegerBin(t)
	j := &jaeger{otlpHTTP: freeAddr(t), otlpGRPC: freeAddr(t), query: freeAddr(t)}
	cmd := exec.Command(bin, "--config", "file:"+filepath.Join("jaeger", "config.yaml"))
	cmd.Env = append(os.Environ(),
		"JAEGER_OTLP_HTTP="+j.otlpHTTP, "JAEGER_OTLP_GRPC="+j.otlpGRPC,
		"JAEGER_QUERY_HTTP="+j.query, "JAEGER_QUERY_GRPC="+freeAddr(t))
	logs, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	// The Collector core logs this line once every component has started.
	var seen strings.Builder
	sc := bufio.NewScanner(logs)
	for sc.Scan() {
		seen.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "Everything is ready") {
			go func() { _, _ = io.Copy(io.Discard, logs) }()
			return j
		}
	}
	t.Fatalf("Jaeger exited before it was ready:\n%s", seen.String())
	return nil
}

// trace fetches one trace through Jaeger's query API (api/v3: the trace
// as OTLP JSON, each span under its own resource).
func (j *jaeger) trace(t *testing.T, traceID string) ptrace.Traces {
	t.Helper()
	resp, err := http.Get("http://" + j.query + "/api/v3/traces/" + traceID)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Jaeger query: %s: %s", resp.Status, b)
	}
	var wrapper struct {
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(b, &wrapper); err != nil {
		t.Fatalf("Jaeger query answer: %v: %.300s", err, b)
	}
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(wrapper.Result)
	if err != nil {
		t.Fatalf("Jaeger query answer is not OTLP JSON: %v: %.300s", err, wrapper.Result)
	}
	return td
}

// TestJaegerShowsTheSessionTrace: a real Jaeger on loopback is the
// session's upstream (our environment's OTEL_EXPORTER_OTLP_TRACES_ENDPOINT:
// Jaeger takes traces only). Its query API then has the whole trace: the
// session span, the child's spans under it, each with its own resource.
func TestJaegerShowsTheSessionTrace(t *testing.T) {
	j := startJaeger(t)
	env := withStore(t, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://"+j.otlpHTTP+"/v1/traces", "OTEL_SERVICE_NAME=jaeger-e2e-agent")
	res := runAgentops(t, env, nil, testagentBin, "-llm", "3", "-tools", "2", "-spans", "40")
	if res.exitCode != 0 {
		t.Fatalf("exit %d\n%s", res.exitCode, res.stderr)
	}
	s := res.session
	e := export(t, s, "otlp", "http://"+j.otlpHTTP)
	if e.Sent != s.SpansReceived+1 || e.Undelivered() {
		t.Fatalf("export %+v, want %d spans sent\n%s", e.ExportCounts, s.SpansReceived+1, res.stderr)
	}
	td := j.trace(t, s.TraceID)
	spans := flatten(td)
	t.Logf("Jaeger has %d spans in trace %s (session received %d, plus its own)", len(spans), s.TraceID, s.SpansReceived)
	if len(spans) != int(s.SpansReceived)+1 {
		t.Fatalf("Jaeger has %d spans of the trace, want %d", len(spans), s.SpansReceived+1)
	}
	parent := map[string]string{}
	var root *span
	for i, sp := range spans {
		parent[sp.spanID] = sp.parent
		if sp.spanID == s.RootSpanID {
			root = &spans[i]
		}
	}
	if root == nil || !strings.HasPrefix(root.name, "agentops.session ") || root.resource["service.name"] != "agentops" {
		t.Fatalf("session span %s not in Jaeger with its own resource: %+v", s.RootSpanID, root)
	}
	for _, sp := range spans {
		if sp.spanID == s.RootSpanID {
			continue
		}
		if sp.resource["service.name"] != "jaeger-e2e-agent" || sp.resource["agentops.session.id"] != s.ID {
			t.Errorf("child span %q has resource %v, want the child's (service.name jaeger-e2e-agent, agentops.session.id %s)", sp.name, sp.resource, s.ID)
		}
		// Every child span hangs, through its parents, under the session span.
		at, hops := sp.spanID, 0
		for at != s.RootSpanID && hops < 100 {
			at, hops = parent[at], hops+1
		}
		if at != s.RootSpanID {
			t.Errorf("child span %q is not under the session span", sp.name)
		}
	}
}

// TestJaegerOverOTLPGRPC: the otlpgrpc exporter (our own gRPC over net/http's
// HTTP/2, gzip) delivers the whole session trace to Jaeger's OTLP/gRPC
// receiver (the Collector's, on grpc-go).
func TestJaegerOverOTLPGRPC(t *testing.T) {
	j := startJaeger(t)
	target := "http://" + j.otlpGRPC
	res := runAgentops(t, withStore(t, "OTEL_SERVICE_NAME=jaeger-e2e-agent"), []string{"-e", "otlpgrpc=" + target}, testagentBin, "-llm", "3", "-tools", "2", "-spans", "40")
	if res.exitCode != 0 {
		t.Fatalf("exit %d\n%s", res.exitCode, res.stderr)
	}
	s := res.session
	e := export(t, s, "otlpgrpc", target)
	if e.Sent != s.SpansReceived+1 || e.Undelivered() {
		t.Fatalf("export %+v, want %d spans sent\n%s", e.ExportCounts, s.SpansReceived+1, res.stderr)
	}
	spans := flatten(j.trace(t, s.TraceID))
	t.Logf("Jaeger has %d spans in trace %s over OTLP/gRPC (session received %d, plus its own)", len(spans), s.TraceID, s.SpansReceived)
	if len(spans) != int(s.SpansReceived)+1 {
		t.Fatalf("Jaeger has %d spans of the trace, want %d", len(spans), s.SpansReceived+1)
	}
}
