// Package events turns OpenTelemetry spans into AgentOps events (LLM calls,
// tool calls, actions, agents, errors) and tallies them for a session
// summary. It is pure: spans in, events out.
//
// Spans are read from pdata (FromSpan) or, without building pdata, from
// the protobuf bytes of an OTLP trace request (ReadTraces, wire.go), by
// the same code. Which attribute means what in which convention is written
// down once, in conventions.go. Counting rules that need the whole session (an LLM call is
// counted once, on its leaf span; an error re-raised by every enclosing span
// is counted once) are applied by Finish, after every span has arrived.
package events

import (
	"encoding/json"
	"time"
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
// Exactly one of LLM, Tool, Action, Agent and Error is set, matching Kind.
type Event struct {
	Kind         Kind      `json:"kind"`
	Name         string    `json:"name"`
	TraceID      string    `json:"trace_id"`
	SpanID       string    `json:"span_id"`
	ParentSpanID string    `json:"parent_span_id,omitempty"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	// Convention names the instrumentation convention the span (or log
	// record) followed: "gen_ai", "openinference", "claude_code", ... (see
	// conventions.go and logevents.go).
	Convention string `json:"convention,omitempty"`
	// Source says where the event was read from: "" for a span of the
	// child's own, "capture" for a call captured on the wire by agentops
	// (a span with agentops.capture=true), "log" for a log record. A log
	// event's SpanID is the span the record was emitted in, not its own.
	Source string `json:"source,omitempty"`
	// RequestID, ResponseID and ToolCallID are the ids the provider or the
	// agent gave the call: sources that report one call share them, and
	// the call is counted once (see correlate.go).
	RequestID  string `json:"request_id,omitempty"`
	ResponseID string `json:"response_id,omitempty"`
	ToolCallID string `json:"tool_call_id,omitempty"`
	// SameAs is set by Finish on an event that repeats one counted from
	// another source (a Claude Code api_request log of the call its
	// llm_request span reports, a second instrumentation's sibling span of
	// one call, ...): it names the counted one, and this one is not
	// counted. The counted one takes what it lacked from this one (a
	// reported cost, a model).
	SameAs string  `json:"same_as,omitempty"`
	LLM    *LLM    `json:"llm,omitempty"`
	Tool   *Tool   `json:"tool,omitempty"`
	Action *Action `json:"action,omitempty"`
	Agent  *Agent  `json:"agent,omitempty"`
	Error  *Error  `json:"error,omitempty"`

	// spanKey is SpanID as a number, set by FromSpan so that the counting
	// rules need not parse the hex again; 0 means "parse SpanID".
	spanKey uint64
}

// key is the event's span id as Lineage knows it.
func (e *Event) key() uint64 {
	if e.spanKey != 0 {
		return e.spanKey
	}
	return hexID(e.SpanID)
}

// Duration is the event's wall time.
func (e Event) Duration() time.Duration {
	if e.End.Before(e.Start) {
		return 0
	}
	return e.End.Sub(e.Start)
}

// MarshalJSON adds duration_ms to the event's fields, for readers of the
// session JSON that do not want to parse timestamps.
func (e Event) MarshalJSON() ([]byte, error) {
	type fields Event
	return json.Marshal(struct {
		fields
		DurationMS float64 `json:"duration_ms"`
	}{fields(e), float64(e.Duration().Microseconds()) / 1000})
}

// LLM holds the fields of an LLM call.
type LLM struct {
	Operation string `json:"operation,omitempty"`
	Provider  string `json:"provider,omitempty"`
	// Server is where the call was sent: the span's url.full without its
	// query, else its server.address (HTTP semantic conventions). Prices
	// tell providers apart by it when the provider name does not.
	Server        string `json:"server,omitempty"`
	RequestModel  string `json:"request_model,omitempty"`
	ResponseModel string `json:"response_model,omitempty"`
	InputTokens   int64  `json:"input_tokens"`
	OutputTokens  int64  `json:"output_tokens"`
	// InputTokens counts every input token, cache reads and writes
	// included (the GenAI semantic conventions' meaning): conventions that
	// report the uncached part alone (Anthropic's API, Claude Code) are
	// added up when the event is read. CacheReadTokens and
	// CacheCreationTokens are the part of InputTokens read from or written
	// to the provider's prompt cache.
	CacheReadTokens     int64 `json:"cache_read_tokens,omitempty"`
	CacheCreationTokens int64 `json:"cache_creation_tokens,omitempty"`
	// CacheCreation1hTokens is the part of CacheCreationTokens written
	// with a one-hour lifetime (Anthropic's cache_creation
	// .ephemeral_1h_input_tokens), priced apart from five-minute writes.
	CacheCreation1hTokens int64 `json:"cache_creation_1h_tokens,omitempty"`
	// ReasoningTokens is the part of OutputTokens spent on reasoning.
	ReasoningTokens int64 `json:"reasoning_tokens,omitempty"`
	// WebSearches counts the web searches the provider ran for the call
	// (Anthropic's server_tool_use.web_search_requests), priced per search.
	WebSearches int64 `json:"web_searches,omitempty"`
	// Time is when the call was made, for prices that change on a date:
	// Finish sets it to the event's start when the source did not.
	Time time.Time `json:"-"`
	// TotalTokens is the total the span reported, when it reported one.
	TotalTokens int64 `json:"total_tokens,omitempty"`
	// CostUSD is the call's cost: reported by the span (CostSource "span")
	// or by a log event of the call (CostSource "log", Claude Code's
	// cost_usd), or estimated from the price table (CostSource "table").
	// Nil means unpriced: never read it as $0.
	CostUSD    *float64 `json:"cost_usd,omitempty"`
	CostSource string   `json:"cost_source,omitempty"`
	// Prompt and Completion are the captured content, when the
	// instrumentation captured it, shortened to MaxContent bytes.
	Prompt     string `json:"prompt,omitempty"`
	Completion string `json:"completion,omitempty"`
	// Wrapper is set by Finish on an LLM span that has the call below it:
	// a framework's wrapper repeating its child's usage. Its tokens and
	// cost are not counted.
	Wrapper bool `json:"wrapper,omitempty"`
	// Duplicate is set by Finish on an LLM span that reports no usage
	// below the span that reports its call's usage: not counted either.
	Duplicate bool `json:"duplicate,omitempty"`
	// UsageMissing says why a counted call has no usage (it failed, was
	// cut off, or its span reported none): its tokens are unknown, not
	// zero. Set by Finish on leaf calls; the span's own reason (the
	// capture proxy's agentops.capture.usage_missing) when it gives one.
	UsageMissing string `json:"usage_missing,omitempty"`
	// InvalidValues counts the token counts and costs the source reported
	// that cannot be true (negative, not finite, or absurdly large, see
	// MaxTokens and MaxCostUSD): they were read as absent.
	InvalidValues int `json:"invalid_values,omitempty"`
}

// reportsUsage reports whether the span states what the call consumed.
func (l LLM) reportsUsage() bool {
	return l.InputTokens > 0 || l.OutputTokens > 0 || l.TotalTokens > 0 || l.CostUSD != nil
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
	// Failed is set when the tool's span ended with status ERROR.
	Failed bool `json:"failed,omitempty"`
}

// Action holds the fields of a step that is neither an LLM nor a tool call:
// a workflow, task, chain, retriever, ...
type Action struct {
	// Type is the convention's own name for the step ("workflow", "chain", ...).
	Type   string `json:"type,omitempty"`
	Input  string `json:"input,omitempty"`
	Output string `json:"output,omitempty"`
}

// Agent holds the fields of an agent invocation.
type Agent struct {
	Name   string `json:"name,omitempty"`
	Input  string `json:"input,omitempty"`
	Output string `json:"output,omitempty"`
}

// Error holds the fields of an error.
type Error struct {
	Type    string `json:"type,omitempty"`
	Message string `json:"message,omitempty"`
	Stack   string `json:"stack,omitempty"`
	// Source says what the error was read from: "span" (a span with status
	// ERROR, the event's SpanID and Name are that span's), "log" (an
	// ERROR-level log record) or "process" (the child failed; the event is
	// on the session span).
	Source string `json:"source,omitempty"`
	// Propagated is set by Finish on an error that a span below this one
	// already raised with the same message: it is not counted again.
	Propagated bool `json:"propagated,omitempty"`
	// Output is the end of what a failed process printed.
	Output string `json:"output,omitempty"`
}

// MaxContent bounds the bytes kept of each captured prompt, completion,
// argument or result: the session keeps every event in memory.
const MaxContent = 4096
