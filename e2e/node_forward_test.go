package e2e

import (
	"encoding/json"
	"testing"
)

// TestNodeSDKAllSignalsToUpstream: the real Node.js SDK exports spans,
// log records and metrics to the session; our own environment's
// OTEL_EXPORTER_OTLP_ENDPOINT points at a loopback backend: every span,
// log record and data point the session received arrives there once,
// with the child's resource.
func TestNodeSDKAllSignalsToUpstream(t *testing.T) {
	for _, protocol := range []string{"http/protobuf", "grpc"} {
		t.Run(protocol, func(t *testing.T) {
			up := startUpstream(t, "", 0)
			env := withStore(t, "OTEL_EXPORTER_OTLP_ENDPOINT="+up.Endpoint(), "OTEL_EXPORTER_OTLP_PROTOCOL="+protocol)
			res := runAgentops(t, env, nil, nodeAgent(t, "--llm", "600", "--tools", "100", "--logs", "700", "--error-logs", "1")...)
			if res.exitCode != 0 {
				t.Fatalf("exit %d\n%s", res.exitCode, res.stderr)
			}
			var sent nodeSent
			if err := json.Unmarshal([]byte(res.stdout), &sent); err != nil {
				t.Fatalf("agent stdout %q: %v", res.stdout, err)
			}
			s := res.session
			distinct, dups := up.tally()
			up.mu.Lock()
			logs, points, node := up.logs, up.points, up.services["node-agent"]
			up.mu.Unlock()
			t.Logf("%s: session received %d spans, %d log records, %d points; upstream got %d spans (%d duplicates), %d log records, %d points, %d items from node-agent",
				protocol, s.SpansReceived, s.LogsReceived, s.MetricsReceived, distinct, dups, logs, points, node)
			if sent.Spans != 701 || s.SpansReceived != sent.Spans || s.LogsReceived != sent.Logs {
				t.Fatalf("the session did not receive what the agent sent: %+v, spans %d, logs %d", sent, s.SpansReceived, s.LogsReceived)
			}
			if s.MetricsReceived == 0 {
				t.Fatal("no metric points received")
			}
			if distinct != int(s.SpansReceived)+1 || dups != 0 {
				t.Errorf("upstream got %d distinct spans (%d duplicates), want %d (the child's and the session's)", distinct, dups, s.SpansReceived+1)
			}
			if int64(logs) != s.LogsReceived || int64(points) != s.MetricsReceived {
				t.Errorf("upstream got %d log records and %d points, want %d and %d", logs, points, s.LogsReceived, s.MetricsReceived)
			}
			if want := s.SpansReceived + s.LogsReceived + s.MetricsReceived; int64(node) != want {
				t.Errorf("%d items arrived with the child's resource (service.name node-agent), want %d", node, want)
			}
			name := "otlp"
			if protocol == "grpc" {
				name = "otlpgrpc"
			}
			e := export(t, s, name, "")
			if e.Logs == nil || e.Metrics == nil || e.Logs.Sent != s.LogsReceived || e.Metrics.Sent != s.MetricsReceived {
				t.Errorf("the record's export %+v (logs %+v, metrics %+v) does not count the logs and metrics sent", e.ExportCounts, e.Logs, e.Metrics)
			}
		})
	}
}

// TestNodeSDKUpstreamDown: the same with the backend down: the exit code
// is the child's, and all three signals are in the unsent record.
func TestNodeSDKUpstreamDown(t *testing.T) {
	addr := freeAddr(t)
	env := withStore(t, "OTEL_EXPORTER_OTLP_ENDPOINT=http://"+addr)
	res := runAgentops(t, env, []string{"--export-timeout", "1s"}, nodeAgent(t, "--llm", "5", "--tools", "2", "--logs", "7", "--error-logs", "1", "--exit", "4")...)
	if res.exitCode != 4 {
		t.Fatalf("exit %d, want the child's 4\n%s", res.exitCode, res.stderr)
	}
	s := res.session
	e := export(t, s, "otlp", "http://"+addr)
	t.Logf("backend down: %+v logs %+v metrics %+v; unsent record %s", e.ExportCounts, e.Logs, e.Metrics, e.Unsent)
	if e.Unsent == "" {
		t.Fatalf("no unsent record:\n%s", res.stderr)
	}
	left := unsentItems(t, e.Unsent)
	if left["traces"][0] != s.SpansReceived+1 || left["logs"][0] != s.LogsReceived || left["metrics"][0] != s.MetricsReceived || s.MetricsReceived == 0 {
		t.Errorf("unsent record names %v (left, failed, in doubt), want %d spans, %d log records, %d points left",
			left, s.SpansReceived+1, s.LogsReceived, s.MetricsReceived)
	}
}
