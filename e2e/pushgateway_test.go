package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// startPushgateway runs Debian's prometheus-pushgateway on a loopback port
// and waits until it is ready. .ci/run installs the package.
func startPushgateway(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus-pushgateway")
	if err != nil {
		t.Skip("prometheus-pushgateway is not installed here (apt-get install prometheus-pushgateway; .ci/run installs it)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--web.listen-address="+addr, "--persistence.file=", "--log.level=warn")
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	url := "http://" + addr
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("pushgateway on %s not ready: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition with a deadline
	}
}

func TestPushgatewayMetrics(t *testing.T) {
	url := startPushgateway(t)
	res := runAgentops(t, withStore(t), []string{"--pushgateway", url},
		testagentBin, "-llm", "3", "-model", "gpt-4o", "-input-tokens", "100", "-output-tokens", "10", "-tools", "2", "-fail-tool", "-exit", "4")
	if res.exitCode != 4 {
		t.Errorf("exit code = %d, want 4", res.exitCode)
	}
	e := export(t, res.session, "pushgateway", url)
	if e.Failed != 0 || e.Sent == 0 {
		t.Fatalf("push: %+v", e)
	}
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	id := res.session.ID
	// value finds the sample of a family in this session's group with the given extra labels.
	value := func(name string, labels ...string) (float64, bool) {
		f := families[name]
		if f == nil {
			return 0, false
		}
	metrics:
		for _, m := range f.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			if got["job"] != "agentops" || got["session"] != id {
				continue
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if got[labels[i]] != labels[i+1] {
					continue metrics
				}
			}
			return gaugeValue(m), true
		}
		return 0, false
	}
	want := []struct {
		name   string
		labels []string
		value  float64
	}{
		{"agentops_session_llm_calls", nil, 3},
		{"agentops_session_tool_calls", nil, 2},
		// The failed tool call, and whatever else the session counts as an error.
		{"agentops_session_errors", nil, float64(max(res.session.Totals.Errors, 1))},
		{"agentops_session_exit_code", nil, 4},
		{"agentops_session_end_state", []string{"state", "Fail"}, 1},
		{"agentops_session_model_llm_calls", []string{"model", "gpt-4o"}, 3},
		{"agentops_session_model_tokens", []string{"model", "gpt-4o", "type", "input"}, 300},
		{"agentops_session_model_tokens", []string{"model", "gpt-4o", "type", "output"}, 30},
	}
	var lines []string
	for _, w := range want {
		got, ok := value(w.name, w.labels...)
		lines = append(lines, fmt.Sprintf("%s%v = %g", w.name, w.labels, got))
		if !ok || got != w.value {
			t.Errorf("%s%v = %v (found %v), want %v", w.name, w.labels, got, ok, w.value)
		}
	}
	d, ok := value("agentops_session_duration_seconds")
	if !ok || d <= 0 {
		t.Errorf("duration = %v (found %v), want > 0", d, ok)
	}
	c, ok := value("agentops_session_model_cost_usd", "model", "gpt-4o")
	if !ok || c <= 0 || c != res.session.Totals.CostUSD {
		t.Errorf("cost for gpt-4o = %v (found %v), want the session's %v > 0 (gpt-4o is in the price table)", c, ok, res.session.Totals.CostUSD)
	}
	lines = append(lines, fmt.Sprintf("agentops_session_duration_seconds = %g", d), fmt.Sprintf("agentops_session_model_cost_usd[model gpt-4o] = %g", c))
	t.Logf("read back from the Pushgateway's /metrics for session %s:\n  %s", id, strings.Join(lines, "\n  "))
}

func gaugeValue(m *dto.Metric) float64 {
	if g := m.GetGauge(); g != nil {
		return g.GetValue()
	}
	if u := m.GetUntyped(); u != nil {
		return u.GetValue()
	}
	return m.GetCounter().GetValue()
}

func TestPushgatewayDownIsReportedNotFatal(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	res := runAgentops(t, withStore(t), []string{"--pushgateway", url}, testAgentChild(0)...)
	if res.exitCode != 0 {
		t.Errorf("exit code = %d, want 0: a failed push never changes it", res.exitCode)
	}
	e := export(t, res.session, "pushgateway", url)
	if e.Failed != 1 || !strings.Contains(e.Error, "connection refused") || !strings.Contains(e.Error, "is it running?") {
		t.Errorf("push outcome %+v, want a failure that says what to check", e)
	}
	if !strings.Contains(res.stderr, "pushgateway") {
		t.Errorf("summary does not mention the failed push:\n%s", res.stderr)
	}
}
