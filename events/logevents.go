package events

// This file is the convention table of log events: agents report their
// calls' usage and cost, their tool calls and their failures in log
// records named by the event.name attribute (Claude Code, Codex, Gemini
// CLI), by the record's EventName, or by its body. A record whose name is
// in logEvents stands for the event the entry says; numbers given as
// strings are read as numbers.
//
//   - claude_code: Claude Code's log events (docs/monitoring-usage.md).
//     Its input_tokens excludes the cache, as Anthropic's API usage does.
//   - gemini_cli: Gemini CLI (packages/core/src/telemetry/types.ts). Its
//     output_token_count leaves out thoughts_token_count.
//   - codex: OpenAI Codex (codex-rs/otel/src/events/session_telemetry.rs);
//     every record is INFO, failures included.
//   - gen_ai: the GenAI semantic conventions' inference event, which
//     repeats a call reported by a span or another log event.

import (
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// logEvent maps the log records of one name to an event.
type logEvent struct {
	convention string
	name       string
	kind       Kind
	// only restricts the entry to the records that meet every condition.
	only []attrValues
	// failedWhen says when the record reports a failure: a tool call that
	// failed, or, for an error entry, the records that are errors at all.
	failedWhen failure
	fields     logFields
	usage      usageMeaning
}

// attrValues is a condition: the attribute has one of the values, or,
// with no values, is present.
type attrValues struct {
	attr   string
	values []string
}

// holds reports whether a meets the condition.
func (c attrValues) holds(a pcommon.Map) bool {
	if len(c.values) == 0 {
		_, ok := a.Get(c.attr)
		return ok
	}
	return slices.Contains(c.values, str(a, c.attr))
}

// failure says which attributes report that a record is about a failure:
// a success attribute that is false ("false" as a string too), a status
// code of 400 or more, or an error message.
type failure struct {
	success, status, message []string
}

// logFields lists, for each field, the record's attributes that carry it,
// first present wins.
type logFields struct {
	model, input, output, cacheRead, cacheCreation, reasoning, total, cost []string
	cacheCreation1h                                                        []string
	toolName, toolArgs, toolResult                                         []string
	errorType, errorMessage                                                []string
	requestID, responseID, toolCallID                                      []string
	// durationMS is the call's duration in milliseconds: the record is
	// written when the call ends, so the call started that long before.
	durationMS []string
}

// logEvents is the table; names are matched exactly.
var logEvents = []logEvent{
	{convention: "claude_code", name: "claude_code.api_request", kind: KindLLM,
		usage: usageMeaning{inputExcludesCache: true},
		fields: logFields{
			model: []string{"model"}, input: []string{"input_tokens"}, output: []string{"output_tokens"},
			cacheRead: []string{"cache_read_tokens"}, cacheCreation: []string{"cache_creation_tokens"},
			cacheCreation1h: []string{"cache_creation_1h_tokens"}, cost: []string{"cost_usd"}, requestID: []string{"request_id"}, durationMS: []string{"duration_ms"},
		}},
	{convention: "claude_code", name: "claude_code.api_error", kind: KindError,
		fields: logFields{
			model: []string{"model"}, errorType: []string{"status_code"}, errorMessage: []string{"error"},
			requestID: []string{"request_id"}, durationMS: []string{"duration_ms"},
		}},
	{convention: "claude_code", name: "claude_code.tool_result", kind: KindTool,
		failedWhen: failure{success: []string{"success"}},
		fields: logFields{
			toolName: []string{"tool_name"}, toolArgs: []string{"tool_parameters", "tool_input"},
			errorType: []string{"error_type"}, errorMessage: []string{"error"},
			toolCallID: []string{"tool_use_id"}, durationMS: []string{"duration_ms"},
		}},
	{convention: "gemini_cli", name: "gemini_cli.api_response", kind: KindLLM,
		usage: usageMeaning{outputExcludesReasoning: true},
		fields: logFields{
			model: []string{"model"}, input: []string{"input_token_count"}, output: []string{"output_token_count"},
			cacheRead: []string{"cached_content_token_count"}, reasoning: []string{"thoughts_token_count"},
			total: []string{"total_token_count"}, responseID: []string{"response_id", "gen_ai.response.id"},
			durationMS: []string{"duration_ms"},
		}},
	{convention: "gemini_cli", name: "gemini_cli.api_error", kind: KindError,
		fields: logFields{
			model: []string{"model", "model_name"}, errorType: []string{"error_type", "status_code"},
			errorMessage: []string{"error.message", "error"}, durationMS: []string{"duration_ms", "duration"},
		}},
	{convention: "gemini_cli", name: "gemini_cli.tool_call", kind: KindTool,
		failedWhen: failure{success: []string{"success"}},
		fields: logFields{
			toolName: []string{"function_name"}, toolArgs: []string{"function_args"},
			errorType: []string{"error_type"}, errorMessage: []string{"error"},
			toolCallID: []string{"call_id", "tool_call_id"}, durationMS: []string{"duration_ms"},
		}},
	// The GenAI inference event repeats a call its span (or Gemini CLI's
	// api_response) reports too: correlate.go counts it once. Gemini CLI
	// also sends one before the call, with no usage: that one is no call.
	{convention: "gen_ai", name: "gen_ai.client.inference.operation.details", kind: KindLLM,
		only: []attrValues{{attr: "gen_ai.usage.input_tokens"}},
		fields: logFields{
			model:     []string{"gen_ai.response.model", "gen_ai.request.model"},
			input:     []string{"gen_ai.usage.input_tokens"},
			output:    []string{"gen_ai.usage.output_tokens"},
			cacheRead: []string{"gen_ai.usage.cache_read.input_tokens"}, cacheCreation: []string{"gen_ai.usage.cache_creation.input_tokens"},
			reasoning:  []string{"gen_ai.usage.reasoning.output_tokens"},
			responseID: []string{"gen_ai.response.id"},
		}},
	{convention: "codex", name: "codex.sse_event", kind: KindLLM,
		// Codex 0.171 logs response.completed twice, the second time with
		// the usage: the first is no call.
		only: []attrValues{{"event.kind", []string{"response.completed"}}, {attr: "input_token_count"}},
		fields: logFields{
			model: []string{"model", "slug"}, input: []string{"input_token_count"}, output: []string{"output_token_count"},
			cacheRead: []string{"cached_token_count"}, cacheCreation: []string{"cache_write_token_count"},
			reasoning:  []string{"reasoning_token_count"},
			responseID: []string{"response_id"}, durationMS: []string{"duration_ms"},
		}},
	{convention: "codex", name: "codex.tool_result", kind: KindTool,
		failedWhen: failure{success: []string{"success"}},
		fields: logFields{
			toolName: []string{"tool_name"}, toolArgs: []string{"arguments"}, toolResult: []string{"output"},
			toolCallID: []string{"call_id"}, durationMS: []string{"duration_ms"},
		}},
	// Codex logs every API request; one that failed is an error.
	{convention: "codex", name: "codex.api_request", kind: KindError,
		failedWhen: failure{status: []string{"http.response.status_code"}, message: []string{"error.message"}},
		fields: logFields{
			model: []string{"model"}, errorType: []string{"http.response.status_code"},
			errorMessage: []string{"error.message"}, durationMS: []string{"duration_ms"},
		}},
}

// logEventIndex finds a logEvents entry by name.
var logEventIndex = func() map[string][]int {
	m := map[string][]int{}
	for i, le := range logEvents {
		m[le.name] = append(m[le.name], i)
	}
	return m
}()

// fromLogEvent returns the events lr stands for by the logEvents table, and
// whether its name is in the table at all.
func fromLogEvent(lr plog.LogRecord) ([]Event, bool) {
	idx, name := logEventOf(lr)
	if idx == nil {
		return nil, false
	}
	a := lr.Attributes()
	for _, i := range idx {
		le := &logEvents[i]
		if !all(le.only, a) {
			continue
		}
		return le.events(lr, name), true
	}
	return nil, true
}

func all(conds []attrValues, a pcommon.Map) bool {
	for _, c := range conds {
		if !c.holds(a) {
			return false
		}
	}
	return true
}

// logEventOf finds the record's entries: by its EventName, else its
// event.name attribute, else its body, the first of them the table knows
// (Claude Code's event.name is the short "api_request", its body the full
// "claude_code.api_request").
func logEventOf(lr plog.LogRecord) ([]int, string) {
	names := [...]string{lr.EventName(), str(lr.Attributes(), "event.name"), ""}
	if lr.Body().Type() == pcommon.ValueTypeStr {
		names[2] = lr.Body().Str()
	}
	for _, n := range names {
		if idx, ok := logEventIndex[n]; ok && n != "" {
			return idx, n
		}
	}
	return nil, ""
}

// events builds the entry's events from the record: nothing for an error
// entry whose record reports no failure; a tool call that failed also
// gives an error event, as a failed tool span does.
func (le *logEvent) events(lr plog.LogRecord, name string) []Event {
	a, f := lr.Attributes(), le.fields
	failed := le.failedWhen.holds(a)
	if le.kind == KindError && !failed && !le.failedWhen.empty() {
		return nil
	}
	ts := lr.Timestamp()
	if ts == 0 {
		ts = lr.ObservedTimestamp()
	}
	end := ts.AsTime()
	start := end
	if ms, ok := number(a, f.durationMS...); ok && ms > 0 {
		start = end.Add(-time.Duration(ms * float64(time.Millisecond)))
	}
	base := Event{
		Name: name, Start: start, End: end, Convention: le.convention, Source: "log",
		RequestID: firstID(a, f.requestID), ResponseID: firstID(a, f.responseID), ToolCallID: firstID(a, f.toolCallID),
	}
	if !lr.TraceID().IsEmpty() {
		base.TraceID = lr.TraceID().String()
	}
	if !lr.SpanID().IsEmpty() {
		base.SpanID = lr.SpanID().String()
	}
	e := base
	e.Kind = le.kind
	switch le.kind {
	case KindLLM:
		l := &LLM{
			RequestModel:        str(a, f.model...),
			InputTokens:         integer(a, f.input...),
			OutputTokens:        integer(a, f.output...),
			TotalTokens:         integer(a, f.total...),
			CacheReadTokens:     integer(a, f.cacheRead...),
			CacheCreationTokens: integer(a, f.cacheCreation...),
			ReasoningTokens:     integer(a, f.reasoning...),
			Time:                start,
		}
		l.CacheCreation1hTokens = integer(a, f.cacheCreation1h...)
		normaliseUsage(l, le.usage)
		if cost, ok := anyNumber(a, f.cost...); ok {
			l.CostUSD, l.CostSource = &cost, "log"
		}
		e.LLM = l
	case KindTool:
		e.Tool = &Tool{
			Name:      str(a, f.toolName...),
			Arguments: clip(str(a, f.toolArgs...)),
			Result:    clip(str(a, f.toolResult...)),
			Failed:    failed,
		}
	case KindError:
		e.Error = le.logError(a)
		return []Event{e}
	}
	if !failed {
		return []Event{e}
	}
	fe := base
	fe.Kind, fe.Error = KindError, le.logError(a)
	return []Event{e, fe}
}

func (le *logEvent) logError(a pcommon.Map) *Error {
	return &Error{
		Type:    str(a, le.fields.errorType...),
		Message: clip(str(a, le.fields.errorMessage...)),
		Source:  "log",
	}
}

func (f failure) empty() bool {
	return len(f.success) == 0 && len(f.status) == 0 && len(f.message) == 0
}

// holds reports whether the attributes report a failure.
func (f failure) holds(a pcommon.Map) bool {
	for _, k := range f.success {
		v, ok := a.Get(k)
		if !ok {
			continue
		}
		if v.Type() == pcommon.ValueTypeBool {
			return !v.Bool()
		}
		return strings.EqualFold(strings.TrimSpace(v.AsString()), "false")
	}
	if code, ok := number(a, f.status...); ok && code >= 400 {
		return true
	}
	return str(a, f.message...) != ""
}
