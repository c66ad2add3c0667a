package events

import (
	"encoding/hex"
	"encoding/json"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// FromSpan returns the events a span stands for: at most one LLM, tool,
// action or agent event, plus an error event when the span's status is
// ERROR. Plain spans (HTTP, database, ...) yield none.
func FromSpan(span ptrace.Span) []Event { return AppendFromSpan(nil, span) }

// AppendFromSpan appends the events of span (see FromSpan) to out: a
// batch's events in one slice, not one slice a span.
func AppendFromSpan(out []Event, span ptrace.Span) []Event {
	attrs := span.Attributes()
	failed := span.Status().Code() == ptrace.StatusCodeError
	kind, convention := classify(attrs)
	if kind == "" && !failed {
		return out
	}
	base := Event{
		Name:    span.Name(),
		Start:   span.StartTimestamp().AsTime(),
		End:     span.EndTimestamp().AsTime(),
		spanKey: id64(span.SpanID()),
	}
	base.TraceID, base.SpanID, base.ParentSpanID = hexIDs(span.TraceID(), span.SpanID(), span.ParentSpanID())
	if v, ok := attrs.Get("agentops.capture"); ok && v.AsString() == "true" {
		base.Source = "capture"
	}
	base.RequestID = firstID(attrs, fieldKeys.RequestID)
	base.ResponseID = firstID(attrs, fieldKeys.ResponseID)
	base.ToolCallID = firstID(attrs, fieldKeys.ToolCallID)
	if kind != "" {
		e := base
		e.Kind, e.Convention = kind, convention
		fill(&e, span, failed)
		out = append(out, e)
		base.Convention = convention
	}
	if failed {
		e := base
		e.Kind = KindError
		e.Error = spanError(span)
		out = append(out, e)
	}
	return out
}

// hexIDs is the hex of a span's ids, in one allocation rather than three
// (an empty parent is ""), as pcommon's String methods write them.
func hexIDs(trace pcommon.TraceID, span, parent pcommon.SpanID) (string, string, string) {
	var b [64]byte
	hex.Encode(b[:32], trace[:])
	hex.Encode(b[32:48], span[:])
	n := 48
	if !parent.IsEmpty() {
		hex.Encode(b[48:], parent[:])
		n = 64
	}
	all := string(b[:n])
	t, sp, p := all[:32], all[32:48], all[48:n]
	if trace.IsEmpty() {
		t = ""
	}
	if span.IsEmpty() {
		sp = ""
	}
	return t, sp, p
}

// EachSpan calls fn with every span of td, in order: the walk over
// resource and scope that every reader of a batch repeats.
func EachSpan(td ptrace.Traces, fn func(ptrace.Span)) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				fn(spans.At(k))
			}
		}
	}
}

// classify applies kindRules: the span's kind and the convention that said so.
// One pass over the span's attributes finds the rules that may apply; only
// those are tried, in order.
func classify(attrs pcommon.Map) (Kind, string) {
	var present uint64
	attrs.Range(func(k string, _ pcommon.Value) bool {
		present |= ruleAttrs[k]
		return true
	})
	for i := 0; present != 0; i, present = i+1, present>>1 {
		if present&1 == 0 {
			continue
		}
		r := &kindRules[i]
		v, _ := attrs.Get(r.attr)
		val := v.AsString()
		if r.json {
			val = jsonString(val)
		}
		val = strings.ToLower(strings.TrimSpace(val))
		kind, known := r.kinds[val]
		if !known {
			kind, known = r.kinds["*"]
		}
		if known {
			return kind, r.convention
		}
	}
	return "", ""
}

// ruleAttrs maps each attribute kindRules read to the rules reading it, as
// bits by rule index.
var ruleAttrs = func() map[string]uint64 {
	if len(kindRules) > 64 {
		panic("events: more than 64 kind rules")
	}
	m := map[string]uint64{}
	for i, r := range kindRules {
		m[r.attr] |= 1 << i
	}
	return m
}()

// fill reads the fields of e's kind from the span.
func fill(e *Event, span ptrace.Span, failed bool) {
	a, k := span.Attributes(), fieldKeys
	switch e.Kind {
	case KindLLM:
		l := &LLM{
			Operation:             str(a, k.Operation...),
			Provider:              str(a, k.Provider...),
			Server:                server(str(a, k.Server...)),
			RequestModel:          str(a, k.RequestModel...),
			ResponseModel:         str(a, k.ResponseModel...),
			OutputTokens:          integer(a, k.OutputTokens...),
			TotalTokens:           integer(a, k.TotalTokens...),
			CacheReadTokens:       integer(a, k.CacheReadTokens...),
			CacheCreationTokens:   integer(a, k.CacheCreationTokens...),
			ReasoningTokens:       integer(a, k.ReasoningTokens...),
			CacheCreation1hTokens: integer(a, k.CacheCreation1hTokens...),
			WebSearches:           integer(a, k.WebSearches...),
			Time:                  e.Start,
			Prompt:                content(a, span.Events(), k.Prompt, k.PromptMessages, k.PromptEvents),
			Completion:            content(a, span.Events(), k.Completion, k.CompletionMessages, k.CompletionEvents),
		}
		var inputKey string
		l.InputTokens, inputKey = integerKey(a, k.InputTokens...)
		normaliseUsage(l, usageMeaning{inputExcludesCache: exclusiveInput[inputKey]})
		if l.Operation == "" && (strings.EqualFold(str(a, "openinference.span.kind"), "embedding") ||
			strings.HasSuffix(str(a, "ai.operationId"), ".doEmbed")) {
			l.Operation = "embeddings"
		}
		if cost, ok := reportedCost(a); ok {
			l.CostUSD, l.CostSource = &cost, "span"
		}
		if !l.reportsUsage() {
			l.UsageMissing = str(a, k.UsageMissing...)
		}
		e.LLM = l
	case KindTool:
		e.Tool = &Tool{
			Name:      first(str(a, k.ToolName...), strings.TrimPrefix(e.Name, "execute_tool ")),
			Arguments: clip(str(a, k.ToolArguments...)),
			Result:    clip(str(a, k.ToolResult...)),
			Failed:    failed,
		}
	case KindAgent:
		e.Agent = &Agent{
			Name:   first(str(a, k.AgentName...), strings.TrimPrefix(e.Name, "invoke_agent ")),
			Input:  clip(str(a, k.Input...)),
			Output: clip(str(a, k.Output...)),
		}
	case KindAction:
		e.Action = &Action{
			Type:   strings.ToLower(str(a, k.ActionType...)),
			Input:  clip(str(a, k.Input...)),
			Output: clip(str(a, k.Output...)),
		}
	}
}

// server is where a call went without what must not be kept: a URL's
// user info, query and fragment can carry API keys (the Gemini API takes
// ?key=...). A bare host is kept as it is.
func server(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}

// reportedCost is the cost the span states itself: a total, else the sum
// of the parts it reports.
// A cost that is not a finite number is still reported: sanitize counts it
// as invalid.
func reportedCost(a pcommon.Map) (float64, bool) {
	if v, ok := anyNumber(a, fieldKeys.Cost...); ok {
		return v, true
	}
	sum, any := 0.0, false
	for _, key := range fieldKeys.CostParts {
		if v, ok := anyNumber(a, key); ok {
			sum, any = sum+v, true
		}
	}
	return sum, any
}

// spanError describes a failed span: the status message, refined by the
// first exception event (OpenTelemetry "exception" semantic conventions).
func spanError(span ptrace.Span) *Error {
	k := fieldKeys
	e := &Error{Message: span.Status().Message(), Source: "span"}
	evs := span.Events()
	for i := 0; i < evs.Len(); i++ {
		ev := evs.At(i)
		if ev.Name() != k.ExceptionEvent {
			continue
		}
		a := ev.Attributes()
		e.Type = str(a, k.ExceptionType)
		e.Message = first(str(a, k.ExceptionMessage), e.Message)
		e.Stack = clip(str(a, k.ExcStack))
		break
	}
	if e.Type == "" {
		e.Type = str(span.Attributes(), k.ErrorType...)
	}
	return e
}

// content returns captured prompt or completion content: a whole-content
// attribute, else indexed message attributes rendered as a JSON array,
// else the content of a span event.
func content(a pcommon.Map, evs ptrace.SpanEventSlice, keys []string, msgs []messageKeys, events []eventKey) string {
	if s := str(a, keys...); s != "" {
		return clip(s)
	}
	for _, m := range msgs {
		if s := indexedMessages(a, m); s != "" {
			return clip(s)
		}
	}
	for i := 0; i < evs.Len(); i++ {
		for _, ek := range events {
			if evs.At(i).Name() == ek.event {
				if s := str(evs.At(i).Attributes(), ek.attr); s != "" {
					return clip(s)
				}
			}
		}
	}
	return ""
}

// message is one entry of an indexed message list.
type message struct {
	Role    string `json:"role,omitempty"`
	Content string `json:"content,omitempty"`
}

func indexedMessages(a pcommon.Map, m messageKeys) string {
	byIndex := map[int]*message{}
	a.Range(func(k string, v pcommon.Value) bool {
		rest, ok := strings.CutPrefix(k, m.prefix)
		if !ok {
			return true
		}
		idx, field, ok := strings.Cut(rest, ".")
		if !ok {
			return true
		}
		n, err := strconv.Atoi(idx)
		if err != nil {
			return true
		}
		msg := byIndex[n]
		if msg == nil {
			msg = &message{}
			byIndex[n] = msg
		}
		switch "." + field {
		case m.role:
			msg.Role = v.AsString()
		case m.content:
			msg.Content = v.AsString()
		}
		return true
	})
	if len(byIndex) == 0 {
		return ""
	}
	idx := make([]int, 0, len(byIndex))
	for n := range byIndex {
		idx = append(idx, n)
	}
	sort.Ints(idx)
	list := make([]message, 0, len(idx))
	for _, n := range idx {
		if *byIndex[n] != (message{}) {
			list = append(list, *byIndex[n])
		}
	}
	if len(list) == 0 {
		return ""
	}
	b, _ := json.Marshal(list)
	return string(b)
}

// str returns the first of keys present with a non-empty value. A key
// "attr#member" names a member of a JSON object attr holds, "attr#" the
// JSON string attr holds (MLflow's encoding).
func str(m pcommon.Map, keys ...string) string {
	for _, k := range keys {
		if v, ok := get(m, k); ok {
			if s := v.AsString(); s != "" {
				return s
			}
		}
	}
	return ""
}

// get looks key up in m, reading "attr#member" keys (see str) from the JSON
// attr holds.
func get(m pcommon.Map, key string) (pcommon.Value, bool) {
	attr, member, isJSON := strings.Cut(key, "#")
	v, ok := m.Get(attr)
	if !ok || !isJSON {
		return v, ok
	}
	if member == "" {
		s := jsonString(v.AsString())
		return pcommon.NewValueStr(s), s != ""
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(v.AsString()), &obj); err != nil {
		return pcommon.Value{}, false
	}
	switch x := obj[member].(type) {
	case string:
		return pcommon.NewValueStr(x), true
	case float64:
		return pcommon.NewValueDouble(x), true
	}
	return pcommon.Value{}, false
}

// jsonString decodes s when it is a JSON string, and returns it as is
// otherwise.
func jsonString(s string) string {
	if len(s) < 2 || s[0] != '"' {
		return s
	}
	var out string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return s
	}
	return out
}

// firstID returns the first of keys present as a non-empty id; an id
// given as a string array (an HTTP header, in HTTP semconv) is its first
// element.
func firstID(m pcommon.Map, keys []string) string {
	for _, k := range keys {
		v, ok := m.Get(k)
		if !ok {
			continue
		}
		if v.Type() == pcommon.ValueTypeSlice {
			if v.Slice().Len() == 0 {
				continue
			}
			v = v.Slice().At(0)
		}
		if s := strings.TrimSpace(v.AsString()); s != "" {
			return s
		}
	}
	return ""
}

// integer returns the first of keys present as an integer; SDKs differ in
// whether they send token counts as int, double or string.
func integer(m pcommon.Map, keys ...string) int64 {
	n, _ := integerKey(m, keys...)
	return n
}

// integerKey is integer, and also says which of keys it read.
// A count that cannot be true (negative, not finite, beyond int64) is -1:
// sanitize counts it as invalid and reads it as absent.
func integerKey(m pcommon.Map, keys ...string) (int64, string) {
	for _, k := range keys {
		if f, ok := anyNumber(m, k); ok {
			return tokenCount(f), k
		}
	}
	return 0, ""
}

// number returns the first of keys present as a finite number.
func number(m pcommon.Map, keys ...string) (float64, bool) {
	for _, k := range keys {
		if f, ok := anyNumber(m, k); ok && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f, true
		}
	}
	return 0, false
}

// anyNumber returns the first of keys present as a number, finite or not.
func anyNumber(m pcommon.Map, keys ...string) (float64, bool) {
	for _, k := range keys {
		v, ok := get(m, k)
		if !ok {
			continue
		}
		var f float64
		switch v.Type() {
		case pcommon.ValueTypeInt:
			f = float64(v.Int())
		case pcommon.ValueTypeDouble:
			f = v.Double()
		case pcommon.ValueTypeStr:
			var err error
			if f, err = strconv.ParseFloat(strings.TrimSpace(v.Str()), 64); err != nil {
				continue
			}
		default:
			continue
		}
		return f, true
	}
	return 0, false
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// clip shortens s to MaxContent bytes on a rune boundary.
func clip(s string) string {
	if len(s) <= MaxContent {
		return s
	}
	cut := MaxContent
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
