package exporter

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/agentops-dev/agentops/record"
)

// DefaultPushJob is the Pushgateway job label of pushed sessions.
const DefaultPushJob = "agentops"

// pushContentType is the Prometheus text exposition format, version 0.0.4,
// which every Pushgateway accepts.
const pushContentType = "text/plain; version=0.0.4; charset=utf-8"

// PushSession pushes a finished session's metrics to the Prometheus
// Pushgateway at url, grouped by job and session id — the path Prometheus
// recommends for batch jobs such as CI runs, which end before any scrape.
// It returns the number of series pushed.
//
// The request is the one the Prometheus Go client's push package makes (a
// PUT of the group, replacing what it held), in the text format written
// here: that client's registry registers its process and Go collectors in
// an init function, which every agentops command would pay for at start-up
// (about 0.7 ms, for the one run in many that pushes).
func PushSession(ctx context.Context, url, job string, rec *record.Session) (int, error) {
	if job == "" {
		job = DefaultPushJob
	}
	m := sessionMetrics(rec)
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, pushURL(url, job, "session", rec.ID), bytes.NewReader(m.text()))
	if err == nil {
		req.Header.Set("Content-Type", pushContentType)
		err = doPush(req)
	}
	if err != nil {
		return 0, fmt.Errorf("push to the Pushgateway at %s: %w (is it running? try curl %s/metrics)", RedactURL(url), err, RedactURL(url))
	}
	return m.series(), nil
}

// sessionMetrics are the gauges pushed for a session.
func sessionMetrics(rec *record.Session) *gauges {
	g := &gauges{}
	t := rec.Totals
	g.set("agentops_session_duration_seconds", "Wall time of the session.", rec.Duration().Seconds())
	g.set("agentops_session_start_timestamp_seconds", "When the session started, in Unix seconds.", float64(rec.Start.UnixNano())/1e9)
	g.set("agentops_session_exit_code", "Exit code of the wrapped command.", float64(rec.ExitCode))
	g.set("agentops_session_spans_received", "Spans the child sent.", float64(rec.SpansReceived))
	g.set("agentops_session_llm_calls", "LLM calls of the session.", float64(t.LLMCalls))
	g.set("agentops_session_tool_calls", "Tool calls of the session.", float64(t.ToolCalls))
	g.set("agentops_session_errors", "Errors of the session.", float64(t.Errors))
	g.add("agentops_session_end_state", "End state of the session (1 for the state it ended in).", 1, "state", endState(rec))
	g.set("agentops_session_cost_usd", "Cost of the session's priced LLM calls, in US dollars.", t.CostUSD)
	g.set("agentops_session_input_tokens", "Input tokens of the session.", float64(t.InputTokens))
	g.set("agentops_session_output_tokens", "Output tokens of the session.", float64(t.OutputTokens))

	const (
		callsName  = "agentops_session_model_llm_calls"
		callsHelp  = "LLM calls by model."
		tokensName = "agentops_session_model_tokens"
		tokensHelp = "Tokens by model and type (input, output, cache_read, reasoning)."
		costName   = "agentops_session_model_cost_usd"
		costHelp   = "Cost by model, in US dollars (priced models only)."
	)
	g.family(callsName, callsHelp)
	g.family(tokensName, tokensHelp)
	g.family(costName, costHelp)
	for _, m := range t.Models {
		name := m.Model
		if name == "" {
			name = "unknown"
		}
		g.add(callsName, callsHelp, float64(m.Calls), "model", name)
		g.add(tokensName, tokensHelp, float64(m.InputTokens), "model", name, "type", "input")
		g.add(tokensName, tokensHelp, float64(m.OutputTokens), "model", name, "type", "output")
		g.add(tokensName, tokensHelp, float64(m.CacheReadTokens), "model", name, "type", "cache_read")
		g.add(tokensName, tokensHelp, float64(m.ReasoningTokens), "model", name, "type", "reasoning")
		if m.UnpricedCalls < m.Calls {
			g.add(costName, costHelp, m.CostUSD, "model", name)
		}
	}
	return g
}

// doPush sends the request; a Pushgateway answers 200 or 202 depending on
// its version and configuration.
func doPush(req *http.Request) error {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusAccepted {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		return fmt.Errorf("unexpected status code %d while pushing to %s: %s", resp.StatusCode, RedactURL(req.URL.String()), bytes.TrimSpace(body))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	return nil
}

// pushURL is the group's URL: base/metrics/job/<job>/<label>/<value>...,
// a value holding a '/' base64-encoded (the label suffixed @base64) and an
// empty one written "=", as the Pushgateway's API asks
// (https://github.com/prometheus/pushgateway#url).
func pushURL(base, job string, labels ...string) string {
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(base, "/"))
	b.WriteString("/metrics")
	component := func(name, value string) {
		switch {
		case value == "":
			b.WriteString("/" + name + "@base64/=")
		case strings.Contains(value, "/"):
			b.WriteString("/" + name + "@base64/" + base64.RawURLEncoding.EncodeToString([]byte(value)))
		default:
			b.WriteString("/" + name + "/" + url.QueryEscape(value))
		}
	}
	component("job", job)
	for i := 0; i+1 < len(labels); i += 2 {
		component(labels[i], labels[i+1])
	}
	return b.String()
}

// gauges are metric families of gauges, written in the text format. Adding
// to a series already there sums, as a Prometheus GaugeVec's Add does.
type gauges struct {
	families []*gaugeFamily
}

type gaugeFamily struct {
	name, help string
	series     []gaugeSeries
}

type gaugeSeries struct {
	labels []string // name, value, ...
	value  float64
}

// family returns the family called name, made on first use.
func (g *gauges) family(name, help string) *gaugeFamily {
	for _, f := range g.families {
		if f.name == name {
			return f
		}
	}
	f := &gaugeFamily{name: name, help: help}
	g.families = append(g.families, f)
	return f
}

// set adds a gauge without labels.
func (g *gauges) set(name, help string, v float64) { g.add(name, help, v) }

// add adds v to the series of name with these labels (name, value pairs).
func (g *gauges) add(name, help string, v float64, labels ...string) {
	f := g.family(name, help)
	for i := range f.series {
		if equalStrings(f.series[i].labels, labels) {
			f.series[i].value += v
			return
		}
	}
	f.series = append(f.series, gaugeSeries{labels: labels, value: v})
}

// series is the number of series, families without one not counted.
func (g *gauges) series() int {
	n := 0
	for _, f := range g.families {
		n += len(f.series)
	}
	return n
}

// text writes the families in the text exposition format
// (https://prometheus.io/docs/instrumenting/exposition_formats/), sorted
// by name and by label values as the client's registry sorts them; a
// family without series is left out, as the registry leaves it out.
func (g *gauges) text() []byte {
	fams := append([]*gaugeFamily(nil), g.families...)
	sort.Slice(fams, func(i, j int) bool { return fams[i].name < fams[j].name })
	var b bytes.Buffer
	for _, f := range fams {
		if len(f.series) == 0 {
			continue
		}
		series := append([]gaugeSeries(nil), f.series...)
		sort.SliceStable(series, func(i, j int) bool { return lessStrings(series[i].labels, series[j].labels) })
		b.WriteString("# HELP " + f.name + " " + escapeHelp(f.help) + "\n")
		b.WriteString("# TYPE " + f.name + " gauge\n")
		for _, s := range series {
			b.WriteString(f.name)
			if len(s.labels) > 0 {
				b.WriteByte('{')
				for i := 0; i+1 < len(s.labels); i += 2 {
					if i > 0 {
						b.WriteByte(',')
					}
					b.WriteString(s.labels[i] + `="` + escapeLabelValue(s.labels[i+1]) + `"`)
				}
				b.WriteByte('}')
			}
			b.WriteString(" " + formatSample(s.value) + "\n")
		}
	}
	return b.Bytes()
}

// formatSample writes a sample value as the text format wants it.
func formatSample(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

// escapeHelp escapes a HELP line: backslash and line feed.
func escapeHelp(s string) string { return helpEscaper.Replace(s) }

// escapeLabelValue escapes a label value: backslash, double quote and line feed.
func escapeLabelValue(s string) string { return labelEscaper.Replace(s) }

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// lessStrings orders label lists by their values, pair by pair.
func lessStrings(a, b []string) bool {
	for i := 1; i < len(a) && i < len(b); i += 2 {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
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
