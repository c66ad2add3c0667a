package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/agentops-dev/agentops/record"
)

// nodeAgent returns the command line of e2e/node/agent.js, the stand-in
// agent on the real OpenTelemetry JS SDK. It skips the test when Node.js or
// the npm packages are missing, except in CI, where .ci/run installs them.
func nodeAgent(t *testing.T, args ...string) []string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join("node", "node_modules", "@opentelemetry", "sdk-node"))
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Node.js agent not runnable (%v): .ci/run should have installed node and run npm ci in e2e/node", err)
		}
		t.Skipf("Node.js agent not runnable (%v): install node and run 'npm ci' in e2e/node", err)
	}
	return append([]string{node, filepath.Join("node", "agent.js")}, args...)
}

// nodeSent is what agent.js says it sent.
type nodeSent struct {
	Protocol string `json:"protocol"`
	Spans    int64  `json:"spans"`
	Logs     int64  `json:"logs"`
}

// TestRunCarriesNodeSDKTelemetry runs the real Node.js SDK under agentops
// with each OTLP protocol (one exporter package per protocol and signal)
// and checks that every span and log record arrived, under the session span.
func TestRunCarriesNodeSDKTelemetry(t *testing.T) {
	tests := []struct {
		protocol string
		env      []string
		linger   bool
	}{
		{protocol: "http/protobuf"},
		{protocol: "http/json"},
		{protocol: "grpc"},
		{protocol: "http/protobuf", env: []string{"OTEL_EXPORTER_OTLP_COMPRESSION=gzip"}},
		{protocol: "grpc", env: []string{"OTEL_EXPORTER_OTLP_COMPRESSION=gzip"}},
		// Exits without flushing its SDK: the injected 1s schedule delay
		// has still delivered everything.
		{protocol: "http/protobuf", linger: true},
	}
	for _, tt := range tests {
		name := tt.protocol
		if len(tt.env) > 0 {
			name += " gzip"
		}
		if tt.linger {
			name += " exit without flush"
		}
		t.Run(name, func(t *testing.T) {
			// More than one export batch of each (the SDKs' batches hold 512).
			args := []string{"--llm", "400", "--tools", "300", "--logs", "700", "--error-logs", "1"}
			if tt.linger {
				args = append(args, "--linger-ms", "3000")
			}
			res := runAgentops(t, tt.env, []string{"--protocol", tt.protocol}, nodeAgent(t, args...)...)
			if res.exitCode != 0 {
				t.Fatalf("exit code %d\nstderr:\n%s", res.exitCode, res.stderr)
			}
			var sent nodeSent
			if err := json.Unmarshal([]byte(res.stdout), &sent); err != nil {
				t.Fatalf("agent stdout %q: %v", res.stdout, err)
			}
			s := res.session
			t.Logf("%s: spans sent %d received %d, logs sent %d received %d, metric points %d",
				name, sent.Spans, s.SpansReceived, sent.Logs, s.LogsReceived, s.MetricsReceived)
			if sent.Protocol != tt.protocol {
				t.Errorf("agent used %s, want %s", sent.Protocol, tt.protocol)
			}
			if sent.Spans != 701 || s.SpansReceived != sent.Spans {
				t.Errorf("spans: sent %d, received %d", sent.Spans, s.SpansReceived)
			}
			if sent.Logs != 701 || s.LogsReceived != sent.Logs {
				t.Errorf("log records: sent %d, received %d", sent.Logs, s.LogsReceived)
			}
			if !tt.linger && s.MetricsReceived == 0 {
				t.Errorf("no metric points received")
			}
			if s.Totals.LLMCalls != 400 || s.Totals.ToolCalls != 300 || s.Totals.InputTokens != 40000 {
				t.Errorf("totals = %+v, want 400 LLM calls, 300 tool calls, 40000 input tokens", s.Totals)
			}
			checkParenting(t, s)
		})
	}
}

// checkParenting checks that the agent span hangs under the session span,
// every other span under the agent span, and that the ERROR log record
// became an error event in the agent span.
func checkParenting(t *testing.T, s *record.Session) {
	t.Helper()
	agentSpan := ""
	for _, e := range s.Events {
		if e.Kind == "agent" {
			agentSpan = e.SpanID
			if e.ParentSpanID != s.RootSpanID {
				t.Errorf("agent span parent = %s, want session span %s", e.ParentSpanID, s.RootSpanID)
			}
		}
	}
	if agentSpan == "" {
		t.Fatal("no agent event: the invoke_agent span did not arrive")
	}
	logErrors := 0
	for _, e := range s.Events {
		if e.TraceID != s.TraceID {
			t.Errorf("%s event %q in trace %s, want the session's %s", e.Kind, e.Name, e.TraceID, s.TraceID)
		}
		switch {
		case e.Kind == "error":
			logErrors++
			if e.SpanID != agentSpan || e.Error == nil || e.Error.Type != "TimeoutError" {
				t.Errorf("log error event = %+v (%+v), want a TimeoutError in span %s", e, e.Error, agentSpan)
			}
		case e.Kind != "agent" && e.ParentSpanID != agentSpan:
			t.Errorf("%s event %q parent = %s, want agent span %s", e.Kind, e.Name, e.ParentSpanID, agentSpan)
		}
	}
	if logErrors != 1 || s.Totals.Errors != 1 {
		t.Errorf("error events from logs = %d (totals %d), want 1", logErrors, s.Totals.Errors)
	}
}

// TestRunInjectsShortExportIntervals checks the export interval defaults
// reach the child, and that the user's own values win.
func TestRunInjectsShortExportIntervals(t *testing.T) {
	show := []string{"sh", "-c", `echo "$OTEL_BSP_SCHEDULE_DELAY $OTEL_BLRP_SCHEDULE_DELAY $OTEL_METRIC_EXPORT_INTERVAL"`}
	if res := runAgentops(t, nil, nil, show...); res.stdout != "1000 1000 1000\n" {
		t.Errorf("injected intervals = %q, want 1000 ms each", res.stdout)
	}
	res := runAgentops(t, []string{"OTEL_BSP_SCHEDULE_DELAY=5000", "OTEL_METRIC_EXPORT_INTERVAL=60000"}, nil, show...)
	if res.stdout != "5000 1000 60000\n" {
		t.Errorf("intervals with the user's own = %q, want theirs kept", res.stdout)
	}
}
