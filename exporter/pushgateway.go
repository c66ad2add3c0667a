package exporter

import (
	"context"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/push"

	"github.com/agentops-dev/agentops/record"
)

// DefaultPushJob is the Pushgateway job label of pushed sessions.
const DefaultPushJob = "agentops"

// PushSession pushes a finished session's metrics to the Prometheus
// Pushgateway at url, grouped by job and session id — the path Prometheus
// recommends for batch jobs such as CI runs, which end before any scrape.
// It returns the number of series pushed.
func PushSession(ctx context.Context, url, job string, rec *record.Session) (int, error) {
	if job == "" {
		job = DefaultPushJob
	}
	reg := prometheus.NewRegistry()
	n := 0
	gauge := func(name, help string, v float64) {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
		g.Set(v)
		reg.MustRegister(g)
		n++
	}
	gaugeVec := func(name, help string, labels ...string) *prometheus.GaugeVec {
		g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
		reg.MustRegister(g)
		return g
	}
	t := rec.Totals
	gauge("agentops_session_duration_seconds", "Wall time of the session.", rec.Duration().Seconds())
	gauge("agentops_session_start_timestamp_seconds", "When the session started, in Unix seconds.", float64(rec.Start.UnixNano())/1e9)
	gauge("agentops_session_exit_code", "Exit code of the wrapped command.", float64(rec.ExitCode))
	gauge("agentops_session_spans_received", "Spans the child sent.", float64(rec.SpansReceived))
	gauge("agentops_session_llm_calls", "LLM calls of the session.", float64(t.LLMCalls))
	gauge("agentops_session_tool_calls", "Tool calls of the session.", float64(t.ToolCalls))
	gauge("agentops_session_errors", "Errors of the session.", float64(t.Errors))

	state := gaugeVec("agentops_session_end_state", "End state of the session (1 for the state it ended in).", "state")
	state.WithLabelValues(endState(rec)).Set(1)
	n++

	gauge("agentops_session_cost_usd", "Cost of the session's priced LLM calls, in US dollars.", t.CostUSD)
	gauge("agentops_session_input_tokens", "Input tokens of the session.", float64(t.InputTokens))
	gauge("agentops_session_output_tokens", "Output tokens of the session.", float64(t.OutputTokens))

	calls := gaugeVec("agentops_session_model_llm_calls", "LLM calls by model.", "model")
	tokens := gaugeVec("agentops_session_model_tokens", "Tokens by model and type (input, output, cache_read, reasoning).", "model", "type")
	cost := gaugeVec("agentops_session_model_cost_usd", "Cost by model, in US dollars (priced models only).", "model")
	for _, m := range t.Models {
		name := m.Model
		if name == "" {
			name = "unknown"
		}
		calls.WithLabelValues(name).Add(float64(m.Calls))
		tokens.WithLabelValues(name, "input").Add(float64(m.InputTokens))
		tokens.WithLabelValues(name, "output").Add(float64(m.OutputTokens))
		tokens.WithLabelValues(name, "cache_read").Add(float64(m.CacheReadTokens))
		tokens.WithLabelValues(name, "reasoning").Add(float64(m.ReasoningTokens))
		n += 5
		if m.UnpricedCalls < m.Calls {
			cost.WithLabelValues(name).Add(m.CostUSD)
			n++
		}
	}

	err := push.New(url, job).
		Client(&http.Client{}).
		Gatherer(reg).
		Grouping("session", rec.ID).
		PushContext(ctx)
	if err != nil {
		return 0, fmt.Errorf("push to the Pushgateway at %s: %w (is it running? try curl %s/metrics)", RedactURL(url), err, RedactURL(url))
	}
	return n, nil
}

// endState is the session's end state, or one derived from its exit code
// for a record that has none.
func endState(rec *record.Session) string {
	switch {
	case rec.EndState != "":
		return string(rec.EndState)
	case rec.ExitCode == 0 && rec.StartError == "":
		return string(record.Success)
	}
	return string(record.Fail)
}
