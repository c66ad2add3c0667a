package exporter

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/record"
)

func TestPushURL(t *testing.T) {
	tests := []struct {
		name, base, job, id, want string
	}{
		{"plain", "http://pg:9091", "agentops", "abc", "http://pg:9091/metrics/job/agentops/session/abc"},
		{"trailing slash, no scheme", "pg:9091/", "agentops", "abc", "http://pg:9091/metrics/job/agentops/session/abc"},
		{"slash in the job", "http://pg:9091", "ci/nightly", "abc", "http://pg:9091/metrics/job@base64/Y2kvbmlnaHRseQ/session/abc"},
		{"escaped job", "http://pg:9091", "a b", "abc", "http://pg:9091/metrics/job/a+b/session/abc"},
		{"empty value", "http://pg:9091", "agentops", "", "http://pg:9091/metrics/job/agentops/session@base64/="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pushURL(tt.base, tt.job, "session", tt.id); got != tt.want {
				t.Errorf("pushURL = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPushSessionText pushes to a loopback server and reads the body back
// with the Prometheus text parser: every family, escaped label values, and
// two models that fold into one "unknown" series summed as a GaugeVec sums.
func TestPushSessionText(t *testing.T) {
	var body []byte
	var method, path, ctype string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method, path, ctype = r.Method, r.URL.EscapedPath(), r.Header.Get("Content-Type")
		body, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	rec := &record.Session{
		ID: "s-1", Start: start, End: start.Add(1500 * time.Millisecond), ExitCode: 3, EndState: record.Fail,
		Totals: events.Totals{LLMCalls: 4, ToolCalls: 2, Errors: 1, CostUSD: 0.25, InputTokens: 100, OutputTokens: 10,
			Models: []events.ModelTotals{
				{Model: "gpt-4o", Calls: 2, InputTokens: 60, OutputTokens: 6, CostUSD: 0.25},
				{Model: "we\"ird\\model\nname", Calls: 1, InputTokens: 30, OutputTokens: 3, UnpricedCalls: 1},
				{Model: "", Calls: 1, InputTokens: 5, OutputTokens: 1, UnpricedCalls: 1},
				{Model: "unknown", Calls: 1, InputTokens: 5, UnpricedCalls: 1},
			}},
	}
	n, err := PushSession(context.Background(), srv.URL, "", rec)
	if err != nil {
		t.Fatal(err)
	}
	if method != http.MethodPut || path != "/metrics/job/agentops/session/s-1" || !strings.HasPrefix(ctype, "text/plain; version=0.0.4") {
		t.Errorf("request %s %s (%s), want PUT /metrics/job/agentops/session/s-1 in the text format", method, path, ctype)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("the Prometheus parser refuses the body: %v\n%s", err, body)
	}
	series := 0
	for _, f := range fams {
		if f.GetType() != dto.MetricType_GAUGE {
			t.Errorf("%s is %v, want a gauge", f.GetName(), f.GetType())
		}
		series += len(f.GetMetric())
	}
	if series != n {
		t.Errorf("PushSession said %d series, the body holds %d", n, series)
	}
	value := func(name string, labels ...string) float64 {
		t.Helper()
	metrics:
		for _, m := range fams[name].GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			if len(got) != len(labels)/2 {
				continue
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if got[labels[i]] != labels[i+1] {
					continue metrics
				}
			}
			return m.GetGauge().GetValue()
		}
		t.Errorf("no series %s%v in\n%s", name, labels, body)
		return 0
	}
	checks := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"agentops_session_duration_seconds", nil, 1.5},
		{"agentops_session_start_timestamp_seconds", nil, float64(start.Unix())},
		{"agentops_session_exit_code", nil, 3},
		{"agentops_session_llm_calls", nil, 4},
		{"agentops_session_tool_calls", nil, 2},
		{"agentops_session_errors", nil, 1},
		{"agentops_session_end_state", []string{"state", "Fail"}, 1},
		{"agentops_session_cost_usd", nil, 0.25},
		{"agentops_session_input_tokens", nil, 100},
		{"agentops_session_output_tokens", nil, 10},
		{"agentops_session_model_llm_calls", []string{"model", "gpt-4o"}, 2},
		{"agentops_session_model_llm_calls", []string{"model", "we\"ird\\model\nname"}, 1},
		{"agentops_session_model_llm_calls", []string{"model", "unknown"}, 2},
		{"agentops_session_model_tokens", []string{"model", "unknown", "type", "input"}, 10},
		{"agentops_session_model_tokens", []string{"model", "gpt-4o", "type", "cache_read"}, 0},
		{"agentops_session_model_cost_usd", []string{"model", "gpt-4o"}, 0.25},
	}
	for _, c := range checks {
		if got := value(c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// Unpriced models have no cost series.
	if got := len(fams["agentops_session_model_cost_usd"].GetMetric()); got != 1 {
		t.Errorf("%d cost series, want 1 (gpt-4o only)", got)
	}
}

func TestPushSessionRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "pushed metrics are invalid", http.StatusBadRequest)
	}))
	defer srv.Close()
	_, err := PushSession(context.Background(), srv.URL, "agentops", &record.Session{ID: "s-1"})
	if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "pushed metrics are invalid") || !strings.Contains(err.Error(), "is it running?") {
		t.Errorf("err = %v, want the status, the gateway's message and what to check", err)
	}
}
