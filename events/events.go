// Package events turns OpenTelemetry spans into AgentOps events (LLM calls,
// tool calls, actions, agents, errors) and tallies them for a session
// summary. It is pure: spans in, events out.
package events

import (
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Kind is the AgentOps event type.
type Kind string

// The AgentOps event kinds.
const (
	KindLLM    Kind = "llm"
	KindTool   Kind = "tool"
	KindAction Kind = "action"
	KindAgent  Kind = "agent"
	KindError  Kind = "error"
)

// Event is one AgentOps event derived from a span (or a log record).
type Event struct {
	Kind         Kind      `json:"kind"`
	Name         string    `json:"name"`
	TraceID      string    `json:"trace_id"`
	SpanID       string    `json:"span_id"`
	ParentSpanID string    `json:"parent_span_id,omitempty"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	LLM          *LLM      `json:"llm,omitempty"`
	Tool         *Tool     `json:"tool,omitempty"`
	Error        *Error    `json:"error,omitempty"`
}

// Duration is the event's wall time.
func (e Event) Duration() time.Duration { return e.End.Sub(e.Start) }

// LLM holds the fields of an LLM call.
type LLM struct {
	Operation     string `json:"operation,omitempty"`
	Provider      string `json:"provider,omitempty"`
	RequestModel  string `json:"request_model,omitempty"`
	ResponseModel string `json:"response_model,omitempty"`
	InputTokens   int64  `json:"input_tokens"`
	OutputTokens  int64  `json:"output_tokens"`
}

// Model is the model that served the call: the response model when the
// provider reported one, else the requested one.
func (l LLM) Model() string {
	if l.ResponseModel != "" {
		return l.ResponseModel
	}
	return l.RequestModel
}

// Tool holds the fields of a tool call.
type Tool struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments,omitempty"`
	Result    string `json:"result,omitempty"`
}

// Error holds the fields of an error.
type Error struct {
	Type    string `json:"type,omitempty"`
	Message string `json:"message,omitempty"`
	Stack   string `json:"stack,omitempty"`
}

// FromSpan returns the events a span stands for: at most one LLM, tool or
// agent event, plus an error event when the span's status is ERROR.
func FromSpan(span ptrace.Span) []Event {
	attrs := span.Attributes()
	base := Event{
		Name:    span.Name(),
		TraceID: span.TraceID().String(),
		SpanID:  span.SpanID().String(),
		Start:   span.StartTimestamp().AsTime(),
		End:     span.EndTimestamp().AsTime(),
	}
	if !span.ParentSpanID().IsEmpty() {
		base.ParentSpanID = span.ParentSpanID().String()
	}
	var out []Event
	if e, ok := classify(base, attrs); ok {
		out = append(out, e)
	}
	if span.Status().Code() == ptrace.StatusCodeError {
		e := base
		e.Kind = KindError
		e.Error = spanError(span)
		out = append(out, e)
	}
	return out
}

// classify maps a span to its primary event using the OpenTelemetry GenAI
// semantic conventions.
func classify(base Event, attrs pcommon.Map) (Event, bool) {
	op := str(attrs, "gen_ai.operation.name")
	switch {
	case op == "execute_tool" || has(attrs, "gen_ai.tool.name"):
		base.Kind = KindTool
		base.Tool = &Tool{
			Name:      first(str(attrs, "gen_ai.tool.name"), base.Name),
			Arguments: str(attrs, "gen_ai.tool.call.arguments"),
			Result:    str(attrs, "gen_ai.tool.call.result"),
		}
		return base, true
	case op == "invoke_agent" || op == "create_agent":
		base.Kind = KindAgent
		return base, true
	case op != "" || has(attrs, "gen_ai.request.model"):
		base.Kind = KindLLM
		base.LLM = &LLM{
			Operation:     op,
			Provider:      first(str(attrs, "gen_ai.provider.name"), str(attrs, "gen_ai.system")),
			RequestModel:  str(attrs, "gen_ai.request.model"),
			ResponseModel: str(attrs, "gen_ai.response.model"),
			InputTokens:   integer(attrs, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"),
			OutputTokens:  integer(attrs, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"),
		}
		return base, true
	}
	return base, false
}

// spanError describes a failed span: the status message, refined by the
// first exception event (OpenTelemetry "exception" semantic conventions).
func spanError(span ptrace.Span) *Error {
	e := &Error{Message: span.Status().Message()}
	evs := span.Events()
	for i := 0; i < evs.Len(); i++ {
		ev := evs.At(i)
		if ev.Name() != "exception" {
			continue
		}
		a := ev.Attributes()
		e.Type = str(a, "exception.type")
		e.Message = first(str(a, "exception.message"), e.Message)
		e.Stack = str(a, "exception.stacktrace")
		break
	}
	if e.Type == "" {
		e.Type = str(span.Attributes(), "error.type")
	}
	return e
}

func has(m pcommon.Map, key string) bool {
	_, ok := m.Get(key)
	return ok
}

func str(m pcommon.Map, key string) string {
	if v, ok := m.Get(key); ok {
		return v.AsString()
	}
	return ""
}

// integer returns the first of keys present as an integer; SDKs differ in
// whether they send token counts as int, double or string.
func integer(m pcommon.Map, keys ...string) int64 {
	for _, k := range keys {
		v, ok := m.Get(k)
		if !ok {
			continue
		}
		switch v.Type() {
		case pcommon.ValueTypeInt:
			return v.Int()
		case pcommon.ValueTypeDouble:
			return int64(v.Double())
		case pcommon.ValueTypeStr:
			n, _ := strconv.ParseInt(strings.TrimSpace(v.Str()), 10, 64)
			return n
		}
	}
	return 0
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
