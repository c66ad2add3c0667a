package events_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/pricing"
)

// A source fixture is what a session receives from one run: spans in
// testdata/<name>.json and log records in testdata/<name>.logs.json (OTLP
// JSON, either may be absent). The same call reported by several sources
// must be counted once however the records arrive.
var sourceTests = map[string]want{
	// The CLI fixtures are the real OTLP of the agents' npm releases
	// (@anthropic-ai/claude-code 2.1.332, @google/gemini-cli 0.61.0,
	// @openai/codex 0.171.0) run with "say hello" against the LLM stand-in
	// (internal/llmstandin), trimmed.
	//
	// Claude Code, traces beta on: the llm_request span and the
	// api_request log share request_id. 120/9 once, at the log's cost_usd,
	// not 240/18.
	"claude_code": {
		llmCalls: 1, in: 120, out: 9, cost: 0.00066, agents: 1,
		models: []string{"claude-opus-5-5"}, conventions: []string{"claude_code"}, repeated: 1,
	},
	// The same with 1,000 of the input read from the cache: the span's
	// gen_ai.usage.input_tokens counts it, the log's input_tokens does not
	// (added up: 1,120 both ways).
	"claude_code_cache": {
		llmCalls: 1, in: 1120, out: 9, cacheRead: 1000, cost: 0.00086, agents: 1,
		models: []string{"claude-opus-5-5"}, conventions: []string{"claude_code"}, repeated: 1,
	},
	// Gemini CLI, traces on: every call is an llm_call span (its own
	// operation name), a gemini_cli.api_response log and a
	// gen_ai.client.inference.operation.details log; the logs of its
	// streamed main call are written outside the span, and match it by
	// model, usage and time. Five utility_router calls and the main one.
	"gemini_cli": {
		llmCalls: 6, in: 6 * 200, out: 6 * 11,
		cost:   5*tablePrice("gemini-3.5-flash-lite", 200, 11) + tablePrice("gemini-3.1-pro-preview", 200, 11),
		models: []string{"gemini-3.1-pro-preview", "gemini-3.5-flash-lite"}, conventions: []string{"gemini_cli", "gen_ai"}, repeated: 12,
	},
	// Codex: the handle_responses span carries the usage and no model, the
	// codex.sse_event response.completed log the usage and the model,
	// before the span starts.
	"codex": {
		llmCalls: 1, in: 300, out: 12, unpriced: 1,
		models: []string{"gpt-6.2-sol"}, conventions: []string{"codex", "gen_ai"}, repeated: 1,
	},
	// Two instrumentations of one call as sibling roots (OpenInference's
	// LangChain ChatOpenAI and OpenAI Chat Completions, same model and
	// usage, overlapping), twice: 2 calls, 130/17, not 4, 260/34. Then two
	// separate calls of the same model and usage, one after the other:
	// both count.
	"sibling_instrumentations": {
		llmCalls: 4, in: 60 + 70 + 40 + 40, out: 7 + 10 + 5 + 5,
		cost:   (60+70+40+40)*1.5e-7 + (7+10+5+5)*6e-7, // gpt-4o-mini
		models: []string{"gpt-4o-mini"}, tools: 1, conventions: []string{"openinference"}, repeated: 2,
	},
	// A call captured on the wire by agentops (gen_ai.response.id and the
	// request-id header) and the agent's own span of it, which missed the
	// streamed usage: counted once, with the captured usage.
	"captured_call": {
		llmCalls: 1, in: 1200, out: 80, cacheRead: 1000,
		cost:   200*3e-6 + 1000*3e-7 + 80*1.5e-5, // claude-3-5-sonnet-20241022
		models: []string{"claude-3-5-sonnet-20241022"}, conventions: []string{"gen_ai"}, repeated: 1,
	},
}

// tablePrice is what the embedded price table asks for a call: the
// fixtures of models this file does not price by hand.
func tablePrice(model string, in, out int64) float64 {
	usd, ok := pricing.Default().Price(events.LLM{RequestModel: model, InputTokens: in, OutputTokens: out})
	if !ok {
		panic("no price for " + model)
	}
	return usd
}

// fixtureLogs decodes testdata/<name>.logs.json into its records, or none
// when the fixture has no logs.
func fixtureLogs(t *testing.T, name string) []plog.LogRecord {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".logs.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	ld, err := (&plog.JSONUnmarshaler{}).UnmarshalLogs(b)
	if err != nil {
		t.Fatalf("decode %s logs: %v", name, err)
	}
	var recs []plog.LogRecord
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		sls := ld.ResourceLogs().At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			for k := 0; k < sls.At(j).LogRecords().Len(); k++ {
				recs = append(recs, sls.At(j).LogRecords().At(k))
			}
		}
	}
	return recs
}

// fixtureSpansIfAny is fixtureSpans for a fixture that may have no spans.
func fixtureSpansIfAny(t *testing.T, name string) []ptrace.Span {
	t.Helper()
	if _, err := os.Stat(filepath.Join("testdata", name+".json")); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return fixtureSpans(t, name)
}

// runWindow does what the session's sink does: spans and log records into
// a Window, in the order given, logs after spans or before.
func runWindow(spans []ptrace.Span, logs []plog.LogRecord, logsFirst bool) events.Result {
	w := events.Window{Pricer: pricing.Default(), Keep: -1}
	addLogs := func() {
		for _, lr := range logs {
			w.AddEvents(events.FromLogRecord(lr)...)
		}
	}
	if logsFirst {
		addLogs()
	}
	for _, s := range spans {
		w.AddSpan(s.SpanID(), s.ParentSpanID())
		w.AddEvents(events.FromSpan(s)...)
	}
	if !logsFirst {
		addLogs()
	}
	return w.Finish(sessionRoot)
}

func TestSources(t *testing.T) {
	for name, w := range sourceTests {
		t.Run(name, func(t *testing.T) {
			spans, logs := fixtureSpansIfAny(t, name), fixtureLogs(t, name)
			res := runWindow(spans, logs, false)
			checkTotals(t, res.Totals, res.Events, w)
			golden(t, name, map[string]any{"events": res.Events, "totals": res.Totals})

			// Logs first, spans reversed: the same numbers.
			slices.Reverse(spans)
			checkTotals(t, runWindow(spans, logs, true).Totals, nil, w)
			// Finish over the whole session, as the store's rebuild does.
			var evs []events.Event
			lin := &events.Lineage{}
			for _, s := range spans {
				evs = append(evs, events.FromSpan(s)...)
				lin.Add(s.SpanID(), s.ParentSpanID())
			}
			for _, lr := range logs {
				evs = append(evs, events.FromLogRecord(lr)...)
			}
			checkTotals(t, events.Finish(evs, lin, pricing.Default()), nil, w)
		})
	}
}

// TestSourcesAcrossWindows checks a repeat that arrives after its call left
// the window is still not counted: a window of 2 spans retires the
// captured call before the agent's own span of it arrives.
func TestSourcesAcrossWindows(t *testing.T) {
	spans := fixtureSpans(t, "captured_call")
	w := events.Window{Pricer: pricing.Default(), Spans: 2}
	add := func(s ptrace.Span) {
		w.AddSpan(s.SpanID(), s.ParentSpanID())
		w.AddEvents(events.FromSpan(s)...)
	}
	add(spans[1])      // the captured call
	for i := range 4 { // more spans, so the window slides past it
		w.AddSpan([8]byte{0xee, byte(i + 1)}, [8]byte{})
	}
	add(spans[0])
	tot := w.Finish(sessionRoot).Totals
	if tot.LLMCalls != 1 || tot.InputTokens != 1200 || tot.OutputTokens != 80 || tot.RepeatedEvents != 1 {
		t.Errorf("got %d calls %d/%d, %d repeated; want 1 call 1200/80, 1 repeated", tot.LLMCalls, tot.InputTokens, tot.OutputTokens, tot.RepeatedEvents)
	}
}
