package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/receiver"
	"github.com/agentops-dev/agentops/record"
)

// collector is an upstream OTLP backend on loopback: our own receiver
// package, keeping every span it is sent.
type collector struct {
	*receiver.Receiver
	mu     sync.Mutex
	traces []ptrace.Traces
	// refuse makes the first batches fail, which the receiver answers with
	// HTTP 503 + Retry-After or gRPC UNAVAILABLE; attempts are the times
	// batches arrived.
	refuse   int
	attempts []time.Time
}

func (c *collector) ConsumeTraces(_ context.Context, td ptrace.Traces) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.attempts = append(c.attempts, time.Now())
	if c.refuse > 0 {
		c.refuse--
		return errors.New("busy")
	}
	cp := ptrace.NewTraces()
	td.CopyTo(cp)
	c.traces = append(c.traces, cp)
	return nil
}
func (c *collector) ConsumeLogs(context.Context, plog.Logs) error          { return nil }
func (c *collector) ConsumeMetrics(context.Context, pmetric.Metrics) error { return nil }

func startCollector(t *testing.T) *collector { return startCollectorAt(t, "") }

// startCollectorAt starts the collector on addr ("" for any port).
func startCollectorAt(t *testing.T, addr string) *collector {
	t.Helper()
	c := &collector{}
	c.Receiver = receiver.New(receiver.Config{Addr: addr}, c)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Shutdown(context.Background()) })
	return c
}

// span is one received span with its resource flattened, for assertions.
type span struct {
	traceID, spanID, parent, name string
	resource                      map[string]any
}

func (c *collector) spans() []span {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []span
	for _, td := range c.traces {
		out = append(out, flatten(td)...)
	}
	return out
}

func flatten(td ptrace.Traces) []span {
	var out []span
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		res := rss.At(i).Resource().Attributes().AsRaw()
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j).Spans()
			for k := 0; k < ss.Len(); k++ {
				s := ss.At(k)
				out = append(out, span{s.TraceID().String(), s.SpanID().String(), s.ParentSpanID().String(), s.Name(), res})
			}
		}
	}
	return out
}

// readSpanFile reads an OTLP JSON lines file (the file exporter's, or an
// unsent-spans file).
func readSpanFile(t *testing.T, path string) []span {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	var out []span
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(sc.Bytes())
		if err != nil {
			t.Fatalf("%s: not OTLP JSON lines: %v", path, err)
		}
		out = append(out, flatten(td)...)
	}
	return out
}

// export finds the outcome of the exporter with that target.
func export(t *testing.T, s *record.Session, name, targetPrefix string) record.Export {
	t.Helper()
	for _, e := range s.Exports {
		if e.Name == name && strings.HasPrefix(e.Target, targetPrefix) {
			return e
		}
	}
	t.Fatalf("no %s export to %s in %+v", name, targetPrefix, s.Exports)
	return record.Export{}
}

// testAgentChild runs testagent with 2 LLM calls and 1 tool call: 4 spans,
// plus the session span = 5 spans in all.
func testAgentChild(exit int) []string {
	return []string{testagentBin, "-llm", "2", "-tools", "1", "-model", "gpt-4o", "-exit", fmt.Sprint(exit)}
}

// cleanEnv keeps outside OTLP and AgentOps settings out of a test run.
var cleanEnv = []string{"OTEL_EXPORTER_OTLP_ENDPOINT=", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=", "AGENTOPS_API_KEY=", "TRACEPARENT=", "AGENTOPS_SESSION_ID="}

func withStore(t *testing.T, env ...string) []string {
	return append(append(append([]string{}, cleanEnv...), "AGENTOPS_STORE="+t.TempDir()), env...)
}

func TestExportToTwoBackendsAndFile(t *testing.T) {
	a, b := startCollector(t), startCollector(t)
	file := filepath.Join(t.TempDir(), "spans.jsonl")
	res := runAgentops(t, withStore(t), []string{
		"-e", "otlp=" + a.Endpoint(), "-e", "otlp=" + b.Endpoint(), "-e", "file=" + file,
		"--resource", "deployment.environment=ci", "--tag", "nightly",
	}, testAgentChild(0)...)
	if res.exitCode != 0 {
		t.Fatalf("exit %d\n%s", res.exitCode, res.stderr)
	}
	s := res.session
	for name, got := range map[string][]span{"backend A": a.spans(), "backend B": b.spans(), "file": readSpanFile(t, file)} {
		var desc []string
		for _, sp := range got {
			desc = append(desc, fmt.Sprintf("%s [service.name=%v]", sp.name, sp.resource["service.name"]))
		}
		t.Logf("%s: %d spans of trace %s: %s", name, len(got), s.TraceID, strings.Join(desc, ", "))
		if len(got) != 5 {
			t.Errorf("%s got %d spans, want 5 (session + 4 child)", name, len(got))
		}
		for _, sp := range got {
			if sp.traceID != s.TraceID {
				t.Errorf("%s: span %s in trace %s, want %s", name, sp.name, sp.traceID, s.TraceID)
			}
			if sp.resource["agentops.session.id"] != s.ID || sp.resource["deployment.environment"] != "ci" {
				t.Errorf("%s: span %s resource %v lacks the session id or --resource", name, sp.name, sp.resource)
			}
			switch {
			case sp.spanID == s.RootSpanID:
				if sp.resource["service.name"] != "agentops" {
					t.Errorf("%s: session span service.name = %v", name, sp.resource["service.name"])
				}
			case sp.resource["telemetry.sdk.language"] != "go" || sp.resource["agentops.tags"] != "nightly":
				// The child's own resource arrives intact, with our merged attributes.
				t.Errorf("%s: child span %s resource = %v, want the child's own", name, sp.name, sp.resource)
			}
		}
	}
	for _, e := range s.Exports {
		if e.Sent != 5 || e.Failed != 0 || e.Dropped != 0 || e.Error != "" {
			t.Errorf("export %+v, want 5 sent and nothing else", e)
		}
	}
	if len(s.Exports) != 3 || !strings.Contains(res.stderr, "5 spans sent → "+a.Endpoint()) {
		t.Errorf("summary does not report the exports:\n%s", res.stderr)
	}
}

func TestExportRetryAfterThenDelivered(t *testing.T) {
	up := startCollector(t)
	var mu sync.Mutex
	var attempts []time.Time
	var firstBody []byte
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		mu.Lock()
		// Attempts of the first request: the session's own span is
		// another request, sent on its own.
		first := firstBody == nil
		if first {
			firstBody = body
		}
		if bytes.Equal(body, firstBody) {
			attempts = append(attempts, time.Now())
		}
		mu.Unlock()
		if first {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		forward(t, w, r, up.Endpoint())
	}))
	defer proxy.Close()
	res := runAgentops(t, withStore(t), []string{"-e", "otlp=" + proxy.URL, "--otlp-compression", "none"}, testAgentChild(0)...)
	e := export(t, res.session, "otlp", proxy.URL)
	if e.Sent != 5 || e.Failed != 0 || len(up.spans()) != 5 {
		t.Errorf("export %+v, upstream got %d spans; want all 5 delivered after the retry", e, len(up.spans()))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(attempts) < 2 {
		t.Fatalf("%d attempts, want a retry", len(attempts))
	}
	gap := attempts[1].Sub(attempts[0])
	t.Logf("503 + Retry-After: 1 → retried after %v, delivered", gap)
	if gap < time.Second {
		t.Errorf("retried after %v: Retry-After: 1 not honoured", gap)
	}
}

// forward passes an OTLP request on to a backend.
func forward(t *testing.T, w http.ResponseWriter, r *http.Request, endpoint string) {
	req, _ := http.NewRequestWithContext(r.Context(), r.Method, endpoint+r.URL.Path, r.Body)
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("forward: %v", err)
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	_, _ = bufio.NewReader(resp.Body).WriteTo(w)
}

func TestExportBackendDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	down := "http://" + addr
	ln.Close() // nothing listens there any more
	env := withStore(t)
	res := runAgentops(t, env, []string{"-e", "otlp=" + down, "--export-timeout", "1s"}, testAgentChild(3)...)
	if res.exitCode != 3 {
		t.Errorf("exit code = %d, want the child's 3", res.exitCode)
	}
	e := export(t, res.session, "otlp", down)
	t.Logf("backend down: %+v", e)
	if e.Sent != 0 || e.Left != 5 || e.Failed != 0 || !strings.Contains(e.Error, "connection refused") {
		t.Errorf("export %+v, want 5 left unsent with connection refused", e)
	}
	if !strings.Contains(res.stderr, "5 unsent") || !strings.Contains(res.stderr, "--resume") {
		t.Errorf("summary does not report the failure:\n%s", res.stderr)
	}
	if e.Unsent == "" {
		t.Fatal("unsent spans not recorded")
	}
	if left, _, _ := readUnsent(t, e.Unsent); len(left) != 5 {
		t.Errorf("unsent record names %d spans, want 5", len(left))
	}
	// The backend is back (on the same port): export --resume sends what was left, once.
	up := startCollectorAt(t, addr)
	out := runExport(t, env, 0, "last", "--resume")
	if got := len(up.spans()); got != 5 {
		t.Errorf("backend got %d spans from export --resume, want 5:\n%s", got, out)
	}
	if _, err := os.Stat(e.Unsent); !os.IsNotExist(err) {
		t.Errorf("unsent record still there after everything was sent: %v", err)
	}
	// A second resume has nothing to send.
	out = runExport(t, env, 0, "last", "--resume")
	if got := len(up.spans()); got != 5 || !strings.Contains(out, "nothing unsent") {
		t.Errorf("second resume: backend has %d spans, want still 5:\n%s", got, out)
	}
}

func TestExportHangingBackendCutAtTimeout(t *testing.T) {
	release := make(chan struct{})
	// fwd, once set, makes the backend answer: it forwards to a collector.
	var fwd atomic.Value
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if to, _ := fwd.Load().(string); to != "" {
			forward(t, w, r, to)
			return
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(release)
	ok := startCollector(t)
	start := time.Now()
	env := withStore(t)
	res := runAgentops(t, env, []string{"-e", "otlp=" + hang.URL, "-e", "otlp=" + ok.Endpoint(), "--export-timeout", "1s", "--otlp-timeout", "1m"}, testAgentChild(0)...)
	elapsed := time.Since(start)
	if res.exitCode != 0 {
		t.Errorf("exit code = %d, want 0", res.exitCode)
	}
	e := export(t, res.session, "otlp", hang.URL)
	t.Logf("hanging backend, --export-timeout 1s: agentops took %v in all; export %+v", elapsed, e)
	// The request was written and never answered: the backend may have
	// kept it, so it is in doubt, not failed.
	if e.Sent != 0 || e.InDoubt != 5 || e.Failed != 0 || !strings.Contains(e.Error, "no answer") {
		t.Errorf("export %+v, want 5 in doubt", e)
	}
	if !strings.Contains(res.stderr, "5 in doubt") {
		t.Errorf("summary does not say in doubt:\n%s", res.stderr)
	}
	if _, _, doubt := readUnsent(t, e.Unsent); len(doubt) != 5 {
		t.Errorf("unsent record names %d spans in doubt, want 5", len(doubt))
	}
	// The hanging backend did not keep the healthy one from its spans.
	if good := export(t, res.session, "otlp", ok.Endpoint()); good.Sent != 5 {
		t.Errorf("healthy backend: %+v, want 5 sent", good)
	}
	// export --resume leaves what is in doubt alone and says what resending risks.
	out := runExport(t, env, 0, "last", "--resume")
	if !strings.Contains(out, "5 item(s) in doubt not sent") || !strings.Contains(out, "--in-doubt") {
		t.Errorf("export --resume output:\n%s", out)
	}
	// The backend answers again: --resume --in-doubt sends them, warning of duplicates.
	later := startCollector(t)
	fwd.Store(later.Endpoint())
	out = runExport(t, env, 0, "last", "--resume", "--in-doubt")
	if got := len(later.spans()); got != 5 || !strings.Contains(out, "sent again") {
		t.Errorf("export --resume --in-doubt delivered %d spans, want 5:\n%s", got, out)
	}
	if _, err := os.Stat(e.Unsent); !os.IsNotExist(err) {
		t.Errorf("unsent record kept after everything was sent: %v", err)
	}
}

func TestNestedRunsMakeOneTrace(t *testing.T) {
	file := filepath.Join(t.TempDir(), "outer.jsonl")
	child := append([]string{agentopsBin, "run", "--"}, testAgentChild(0)...)
	res := runAgentops(t, withStore(t), []string{"-e", "file=" + file}, child...)
	if res.exitCode != 0 {
		t.Fatalf("exit %d\n%s", res.exitCode, res.stderr)
	}
	outer := res.session
	spans := readSpanFile(t, file)
	// outer session span + inner session span + 4 child spans
	if len(spans) != 6 {
		t.Fatalf("outer exported %d spans, want 6", len(spans))
	}
	var inner span
	for _, sp := range spans {
		if sp.traceID != outer.TraceID {
			t.Errorf("span %s in trace %s, want the outer's %s", sp.name, sp.traceID, outer.TraceID)
		}
		if strings.HasPrefix(sp.name, "agentops.session ") && sp.spanID != outer.RootSpanID {
			inner = sp
		}
	}
	if inner.parent != outer.RootSpanID {
		t.Fatalf("inner session span parent = %q, want the outer session span %s", inner.parent, outer.RootSpanID)
	}
	for _, sp := range spans {
		if sp.name == "invoke_agent testagent" && sp.parent != inner.spanID {
			t.Errorf("agent span parent = %s, want the inner session span %s", sp.parent, inner.spanID)
		}
	}
	if outer.SpansReceived != 5 {
		t.Errorf("outer received %d spans, want 5 (inner session + 4)", outer.SpansReceived)
	}
}

func TestSampleRatioZeroKeepsLocal(t *testing.T) {
	up := startCollector(t)
	file := filepath.Join(t.TempDir(), "spans.jsonl")
	res := runAgentops(t, withStore(t), []string{"-e", "otlp=" + up.Endpoint(), "-e", "file=" + file, "--sample-ratio", "0"}, testAgentChild(0)...)
	if e := export(t, res.session, "otlp", up.Endpoint()); !strings.Contains(e.Skipped, "not sampled") {
		t.Errorf("remote export %+v, want skipped", e)
	}
	if n := len(up.spans()); n != 0 {
		t.Errorf("unsampled session reached the remote backend: %d spans", n)
	}
	if n := len(readSpanFile(t, file)); n != 5 || res.session.SpansReceived != 4 {
		t.Errorf("local file %d spans, record %d received; want everything local", n, res.session.SpansReceived)
	}
}

func TestEnvUpstreamAndInheritedTraceparent(t *testing.T) {
	// A CI job's collector that wants its own token, and the job's span.
	up := &collector{}
	up.Receiver = receiver.New(receiver.Config{Token: "ci-token"}, up)
	if err := up.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer up.Shutdown(context.Background())
	const jobTrace, jobSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	env := withStore(t,
		"OTEL_EXPORTER_OTLP_ENDPOINT="+up.Endpoint(),
		"OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20ci-token",
		// Not sampled by the job: the session still records everything and
		// hands the child a sampled TRACEPARENT, or its parent-based
		// sampler would drop every span.
		"TRACEPARENT=00-"+jobTrace+"-"+jobSpan+"-00",
	)
	res := runAgentops(t, env, nil, testAgentChild(0)...)
	s := res.session
	if s.TraceID != jobTrace || s.ParentSpanID != jobSpan {
		t.Errorf("session trace %s parent %s, want the job's %s / %s", s.TraceID, s.ParentSpanID, jobTrace, jobSpan)
	}
	e := export(t, s, "otlp", up.Endpoint())
	if e.Source != "OTEL_EXPORTER_OTLP_ENDPOINT" || e.Sent != 5 {
		t.Errorf("upstream export %+v, want 5 sent because of OTEL_EXPORTER_OTLP_ENDPOINT", e)
	}
	spans := up.spans()
	if len(spans) != 5 {
		t.Fatalf("job collector got %d spans, want 5", len(spans))
	}
	for _, sp := range spans {
		if sp.traceID != jobTrace {
			t.Errorf("span %s in trace %s, want the job's", sp.name, sp.traceID)
		}
		if sp.spanID == s.RootSpanID && sp.parent != jobSpan {
			t.Errorf("session span parent = %s, want the job's span", sp.parent)
		}
	}

	// --no-upstream opts out.
	res = runAgentops(t, env, []string{"--no-upstream"}, testAgentChild(0)...)
	if len(res.session.Exports) != 0 || len(up.spans()) != 5 {
		t.Errorf("--no-upstream still exported: %+v", res.session.Exports)
	}
}

func TestExportOTLPGRPCRetriesUnavailable(t *testing.T) {
	// Our receiver serves OTLP/gRPC on the same port; its first batch is
	// answered UNAVAILABLE.
	up := startCollector(t)
	up.mu.Lock()
	up.refuse = 1
	up.mu.Unlock()
	res := runAgentops(t, withStore(t), []string{"-e", "otlpgrpc=" + up.Endpoint()}, testAgentChild(0)...)
	if e := export(t, res.session, "otlpgrpc", up.Endpoint()); e.Sent != 5 || e.Failed != 0 {
		t.Errorf("otlpgrpc export %+v, want 5 sent", e)
	}
	if n := len(up.spans()); n != 5 {
		t.Errorf("gRPC backend got %d spans, want 5", n)
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	if len(up.attempts) < 2 {
		t.Fatalf("%d attempts, want a retry after UNAVAILABLE", len(up.attempts))
	}
	t.Logf("gRPC UNAVAILABLE → retried after %v, delivered", up.attempts[1].Sub(up.attempts[0]))
}

func TestBatchSize(t *testing.T) {
	tests := []struct {
		name  string
		env   []string
		flags []string
		max   int
	}{
		{name: "--batch-size 2", flags: []string{"--batch-size", "2"}, max: 2},
		{name: "OTEL_BSP_MAX_EXPORT_BATCH_SIZE=1", env: []string{"OTEL_BSP_MAX_EXPORT_BATCH_SIZE=1"}, max: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "spans.jsonl")
			runAgentops(t, withStore(t, tt.env...), append([]string{"-e", "file=" + file}, tt.flags...), testAgentChild(0)...)
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			total := 0
			for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces([]byte(line))
				if err != nil {
					t.Fatal(err)
				}
				if n := td.SpanCount(); n > tt.max {
					t.Errorf("an export request carried %d spans, want at most %d", n, tt.max)
				}
				total += td.SpanCount()
			}
			if total != 5 {
				t.Errorf("%d spans in all, want 5", total)
			}
		})
	}
}

func TestServiceNameReachesChildResource(t *testing.T) {
	file := filepath.Join(t.TempDir(), "spans.jsonl")
	res := runAgentops(t, withStore(t), []string{"-e", "file=" + file, "--service-name", "nightly-agent"}, testAgentChild(0)...)
	spans := readSpanFile(t, file)
	if len(spans) != 5 {
		t.Fatalf("%d spans, want 5", len(spans))
	}
	for _, sp := range spans {
		if sp.resource["service.name"] != "nightly-agent" {
			t.Errorf("span %s service.name = %v, want nightly-agent (session %s)", sp.name, sp.resource["service.name"], res.session.ID)
		}
	}
}
