package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/receiver"
)

// upstream is a loopback OTLP backend of ours (our receiver) standing in
// for the user's collector: it counts every span by id, every log record
// and data point, with the service.name of their resource, and can take
// its time over each request, like a busy collector.
type upstream struct {
	*receiver.Receiver
	// delay is how long each request takes to be accepted.
	delay time.Duration

	mu       sync.Mutex
	spans    map[pcommon.SpanID]int
	services map[string]int // service.name → items of any signal
	logs     int
	points   int
	requests int
}

func (u *upstream) ConsumeTraces(_ context.Context, td ptrace.Traces) error {
	u.slow()
	u.mu.Lock()
	defer u.mu.Unlock()
	u.requests++
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		svc := serviceOf(rss.At(i).Resource())
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				u.spans[spans.At(k).SpanID()]++
				u.services[svc]++
			}
		}
	}
	return nil
}

func (u *upstream) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	u.slow()
	u.mu.Lock()
	defer u.mu.Unlock()
	u.requests++
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		n := 0
		for j := 0; j < rls.At(i).ScopeLogs().Len(); j++ {
			n += rls.At(i).ScopeLogs().At(j).LogRecords().Len()
		}
		u.logs += n
		u.services[serviceOf(rls.At(i).Resource())] += n
	}
	return nil
}

func (u *upstream) ConsumeMetrics(_ context.Context, md pmetric.Metrics) error {
	u.slow()
	u.mu.Lock()
	defer u.mu.Unlock()
	u.requests++
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		one := pmetric.NewMetrics()
		rms.At(i).CopyTo(one.ResourceMetrics().AppendEmpty())
		n := one.DataPointCount()
		u.points += n
		u.services[serviceOf(rms.At(i).Resource())] += n
	}
	return nil
}

// slow is the upstream's work per request: a collector that takes its
// time (the behaviour under test, not a wait of the test's).
func (u *upstream) slow() {
	if u.delay > 0 {
		time.Sleep(u.delay)
	}
}

func serviceOf(r pcommon.Resource) string {
	v, _ := r.Attributes().Get("service.name")
	return v.AsString()
}

// startUpstream starts an upstream on addr ("" for any loopback port).
func startUpstream(t *testing.T, addr string, delay time.Duration) *upstream {
	t.Helper()
	u := &upstream{delay: delay, spans: map[pcommon.SpanID]int{}, services: map[string]int{}}
	u.Receiver = receiver.New(receiver.Config{Addr: addr}, u)
	if err := u.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = u.Shutdown(context.Background()) })
	return u
}

// tally says how many distinct spans arrived and how many arrived more
// than once.
func (u *upstream) tally() (distinct, duplicated int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, n := range u.spans {
		if n > 1 {
			duplicated += n - 1
		}
	}
	return len(u.spans), duplicated
}

// freeAddr is a loopback address nothing listens on (yet).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

var hwmRE = regexp.MustCompile(`parent_hwm_kib=(\d+)`)

// loadgenRSS reads agentops' peak RSS (MiB) from loadgen's report line.
func loadgenRSS(t *testing.T, stdout string) float64 {
	t.Helper()
	m := hwmRE.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no parent_hwm_kib in loadgen's output %q", stdout)
	}
	kib, _ := strconv.Atoi(m[1])
	return float64(kib) / 1024
}

// maxRSSMiB bounds agentops' peak RSS while it forwards 200k spans to an
// upstream slower than the child: the queue holds at most --queue-size
// spans in memory, the rest waits in the store.
const maxRSSMiB = 200

// TestForwardSlowUpstreamEveryspanOnce: a child sends 200k spans as fast
// as it can (bench/loadgen, every span an LLM call with its own id) while
// the upstream of our environment takes 20ms over each request: every
// span arrives exactly once and agentops' memory stays bounded.
func TestForwardSlowUpstreamEverySpanOnce(t *testing.T) {
	up := startUpstream(t, "", 20*time.Millisecond)
	env := withStore(t, "OTEL_EXPORTER_OTLP_ENDPOINT="+up.Endpoint())
	const n = 391 * 512 // 200k spans, in whole batches of 512
	start := time.Now()
	res := runAgentops(t, env, []string{"--export-timeout", "5m"}, loadgenBin, "-spans", strconv.Itoa(n), "-mix", "llm", "-unique")
	elapsed := time.Since(start)
	if res.exitCode != 0 {
		t.Fatalf("exit %d\n%s", res.exitCode, res.stderr)
	}
	distinct, dups := up.tally()
	rss := loadgenRSS(t, res.stdout)
	e := export(t, res.session, "otlp", up.Endpoint())
	t.Logf("slow upstream (20ms a request): %d distinct spans arrived, %d duplicates, in %d requests; agentops peak RSS %.0f MiB; %v in all; export %+v",
		distinct, dups, up.requests, rss, elapsed.Round(time.Millisecond), e.ExportCounts)
	if distinct != n+1 || dups != 0 {
		t.Errorf("upstream got %d distinct spans (%d duplicates), want %d once each (the child's and the session's)", distinct, dups, n+1)
	}
	if e.Sent != n+1 || e.Undelivered() {
		t.Errorf("export %+v, want %d sent", e.ExportCounts, n+1)
	}
	if rss > maxRSSMiB {
		t.Errorf("agentops peak RSS %.0f MiB, want at most %d", rss, maxRSSMiB)
	}
}

// TestForwardUpstreamDownFirstHalf: the upstream is down (nothing listens)
// while the child sends the first half of 200k spans; it comes up, the
// child sends the rest: every span arrives exactly once.
func TestForwardUpstreamDownFirstHalf(t *testing.T) {
	addr := freeAddr(t)
	env := withStore(t, "OTEL_EXPORTER_OTLP_ENDPOINT=http://"+addr)
	const n = 391 * 512 // 200k spans, in whole batches of 512
	jsonPath := filepath.Join(t.TempDir(), "session.json")
	cmd := exec.Command(agentopsBin, "run", "--json", jsonPath, "--export-timeout", "5m", "--",
		loadgenBin, "-spans", strconv.Itoa(n), "-mix", "llm", "-unique", "-pause-after", strconv.Itoa(n/2))
	cmd.Env = append(os.Environ(), env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out := bufio.NewReader(stdout)
	line, err := out.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "loadgen: paused") {
		_ = cmd.Process.Kill()
		t.Fatalf("loadgen did not pause: %q, %v\n%s", line, err, stderr.String())
	}
	// Half sent, none delivered: now the upstream comes up.
	up := startUpstream(t, addr, 0)
	if _, err := io.WriteString(stdin, "go\n"); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(out)
	err = cmd.Wait()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatal(err)
	}
	if cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("exit %d\n%s", cmd.ProcessState.ExitCode(), stderr.String())
	}
	distinct, dups := up.tally()
	t.Logf("upstream down for the first %d spans: %d distinct arrived, %d duplicates; agentops peak RSS %.0f MiB",
		n/2, distinct, dups, loadgenRSS(t, string(rest)))
	if distinct != n+1 || dups != 0 {
		t.Errorf("upstream got %d distinct spans (%d duplicates), want %d once each", distinct, dups, n+1)
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), fmt.Sprintf(`"sent": %d`, n+1)) {
		t.Errorf("session record does not say %d sent:\n%s", n+1, exportsOf(b))
	}
}

// exportsOf is the "exports" part of a session JSON, for messages.
func exportsOf(b []byte) string {
	s := string(b)
	if i := strings.Index(s, `"exports"`); i >= 0 {
		return s[i:min(len(s), i+800)]
	}
	return s[:min(len(s), 800)]
}

var retriesRE = regexp.MustCompile(`retries=(\d+)`)

// TestForwardNoStoreBackpressure: without the store, an exporter that
// falls behind spills to a bounded file; once that is full the session
// answers 503 + Retry-After and the child sends again later. Nothing is
// lost and nothing arrives twice.
func TestForwardNoStoreBackpressure(t *testing.T) {
	up := startUpstream(t, "", 50*time.Millisecond)
	env := append(append([]string{}, cleanEnv...), "OTEL_EXPORTER_OTLP_ENDPOINT="+up.Endpoint())
	const n = 24 * 512
	res := runAgentops(t, env, []string{"--no-store", "--queue-size", "512", "--spill-mib", "1", "--export-consumers", "1", "--export-timeout", "5m"},
		loadgenBin, "-spans", strconv.Itoa(n), "-mix", "llm", "-unique")
	if res.exitCode != 0 {
		t.Fatalf("exit %d\n%s", res.exitCode, res.stderr)
	}
	distinct, dups := up.tally()
	m := retriesRE.FindStringSubmatch(res.stdout)
	if m == nil {
		t.Fatalf("no retries= in loadgen's output %q", res.stdout)
	}
	t.Logf("no store, 1 MiB spill, upstream 50ms a request: the child was refused and retried %s times; %d distinct spans arrived, %d duplicates; session received %d, refused %v",
		m[1], distinct, dups, res.session.SpansReceived, res.session.ReceiverRefused)
	if m[1] == "0" {
		t.Error("the child was never asked to slow down")
	}
	if distinct != n+1 || dups != 0 || res.session.SpansReceived != n {
		t.Errorf("upstream got %d distinct spans (%d duplicates), session counted %d; want %d once each", distinct, dups, res.session.SpansReceived, n+1)
	}
}
