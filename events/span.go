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
	x := getIndex()
	defer x.release()
	x.indexMap(span.Attributes())
	st := span.Status()
	d := spanData{
		name: span.Name(), traceID: span.TraceID(), spanID: span.SpanID(), parentID: span.ParentSpanID(),
		start: span.StartTimestamp(), end: span.EndTimestamp(),
		failed: st.Code() == ptrace.StatusCodeError, attrs: x, pd: span, fromPdata: true,
	}
	if d.failed {
		d.statusMsg = st.Message()
	}
	return appendEvents(out, &d)
}

// spanData is what a span's events are built from, read from pdata
// (AppendFromSpan) or from a request's protobuf (wire.go): one builder for
// both.
type spanData struct {
	name             string
	traceID          pcommon.TraceID
	spanID, parentID pcommon.SpanID
	start, end       pcommon.Timestamp
	failed           bool
	statusMsg        string // read only for a failed span
	attrs            *attrIndex

	// The span read from pdata, or from the wire; arena, when set, holds
	// the strings made for its events.
	pd        ptrace.Span
	fromPdata bool
	wire      *wireSpan
	arena     *stringArena
}

// eachAttr calls fn with every attribute of the span, in order.
func (d *spanData) eachAttr(fn func(key string, v val)) {
	if d.fromPdata {
		d.pd.Attributes().Range(func(k string, v pcommon.Value) bool { fn(k, valOf(v)); return true })
		return
	}
	d.wire.eachAttr(fn)
}

// eventCount is the number of the span's events.
func (d *spanData) eventCount() int {
	if d.fromPdata {
		return d.pd.Events().Len()
	}
	return len(d.wire.events)
}

// eventName is the name of the span's event i.
func (d *spanData) eventName(i int) string {
	if d.fromPdata {
		return d.pd.Events().At(i).Name()
	}
	return d.wire.eventName(i)
}

// eventStr is the attribute key of the span's event i as a string.
func (d *spanData) eventStr(i int, key string) string {
	if d.fromPdata {
		return str(d.pd.Events().At(i).Attributes(), key)
	}
	return d.wire.eventStr(i, key)
}

// appendEvents appends the events of the span d to out.
func appendEvents(out []Event, d *spanData) []Event {
	x, k := d.attrs, d.attrs.k
	kind, convention := classify(x)
	if kind == "" && !d.failed {
		return out
	}
	base := Event{
		Name:    d.name,
		Start:   d.start.AsTime(),
		End:     d.end.AsTime(),
		spanKey: id64(d.spanID),
	}
	base.TraceID, base.SpanID, base.ParentSpanID = hexIDs(d.traceID, d.spanID, d.parentID, d.arena)
	if v := x.get(k.Capture.l[0]); v != nil && v.str() == "true" {
		base.Source = "capture"
	}
	base.RequestID = x.firstID(k.RequestID)
	base.ResponseID = x.firstID(k.ResponseID)
	base.ToolCallID = x.firstID(k.ToolCallID)
	if kind != "" {
		e := base
		e.Kind, e.Convention = kind, convention
		fill(&e, d)
		out = append(out, e)
		base.Convention = convention
	}
	if d.failed {
		e := base
		e.Kind = KindError
		e.Error = spanError(d)
		out = append(out, e)
	}
	return out
}

// hexIDs is the hex of a span's ids, in one allocation rather than three
// (an empty parent is ""), as pcommon's String methods write them; in a's
// blocks when a is not nil.
func hexIDs(trace pcommon.TraceID, span, parent pcommon.SpanID, a *stringArena) (string, string, string) {
	var b [64]byte
	hex.Encode(b[:32], trace[:])
	hex.Encode(b[32:48], span[:])
	n := 48
	if !parent.IsEmpty() {
		hex.Encode(b[48:], parent[:])
		n = 64
	}
	var all string
	if a != nil {
		all = a.copyBytes(b[:n])
	} else {
		all = string(b[:n])
	}
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
// The index knows the rules whose attribute the span has; only those are
// tried, in order.
func classify(x *attrIndex) (Kind, string) {
	present := x.rules
	for i := 0; present != 0; i, present = i+1, present>>1 {
		if present&1 == 0 {
			continue
		}
		r := &kindRules[i]
		val := x.at(x.t.ruleSlot[i]).str()
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

// fill reads the fields of e's kind from the span.
func fill(e *Event, d *spanData) {
	a, k := d.attrs, d.attrs.k
	switch e.Kind {
	case KindLLM:
		l := &LLM{
			Operation:             a.str(k.Operation),
			Provider:              a.str(k.Provider),
			Server:                server(a.str(k.Server)),
			RequestModel:          a.str(k.RequestModel),
			ResponseModel:         a.str(k.ResponseModel),
			OutputTokens:          a.integer(k.OutputTokens),
			TotalTokens:           a.integer(k.TotalTokens),
			CacheReadTokens:       a.integer(k.CacheReadTokens),
			CacheCreationTokens:   a.integer(k.CacheCreationTokens),
			ReasoningTokens:       a.integer(k.ReasoningTokens),
			CacheCreation1hTokens: a.integer(k.CacheCreation1hTokens),
			WebSearches:           a.integer(k.WebSearches),
			Time:                  e.Start,
			Prompt:                content(d, k.Prompt, fieldKeys.PromptMessages, fieldKeys.PromptEvents),
			Completion:            content(d, k.Completion, fieldKeys.CompletionMessages, fieldKeys.CompletionEvents),
		}
		var inputKey int
		l.InputTokens, inputKey = a.integerKey(k.InputTokens)
		exclusive := inputKey >= 0 && exclusiveInput[fieldKeys.InputTokens[inputKey]]
		normaliseUsage(l, usageMeaning{inputExcludesCache: exclusive})
		if l.Operation == "" && (strings.EqualFold(a.str(k.InferenceKind), "embedding") ||
			strings.HasSuffix(a.str(k.OperationID), ".doEmbed")) {
			l.Operation = "embeddings"
		}
		if cost, ok := reportedCost(a); ok {
			l.CostUSD, l.CostSource = &cost, "span"
		}
		if !l.reportsUsage() {
			l.UsageMissing = a.str(k.UsageMissing)
		}
		e.LLM = l
	case KindTool:
		e.Tool = &Tool{
			Name:      first(a.str(k.ToolName), strings.TrimPrefix(e.Name, "execute_tool ")),
			Arguments: clip(a.str(k.ToolArguments)),
			Result:    clip(a.str(k.ToolResult)),
			Failed:    d.failed,
		}
	case KindAgent:
		e.Agent = &Agent{
			Name:   first(a.str(k.AgentName), strings.TrimPrefix(e.Name, "invoke_agent ")),
			Input:  clip(a.str(k.Input)),
			Output: clip(a.str(k.Output)),
		}
	case KindAction:
		e.Action = &Action{
			Type:   strings.ToLower(a.str(k.ActionType)),
			Input:  clip(a.str(k.Input)),
			Output: clip(a.str(k.Output)),
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
func reportedCost(a *attrIndex) (float64, bool) {
	if !a.present.meets(&a.k.Cost.mask) && !a.present.meets(&a.k.CostParts.mask) {
		return 0, false
	}
	for _, l := range a.k.Cost.l {
		if v, ok := a.anyNumber(l); ok {
			return v, true
		}
	}
	sum, any := 0.0, false
	for _, l := range a.k.CostParts.l {
		if v, ok := a.anyNumber(l); ok {
			sum, any = sum+v, true
		}
	}
	return sum, any
}

// spanError describes a failed span: the status message, refined by the
// first exception event (OpenTelemetry "exception" semantic conventions).
func spanError(d *spanData) *Error {
	k := fieldKeys
	e := &Error{Message: d.statusMsg, Source: "span"}
	for i, n := 0, d.eventCount(); i < n; i++ {
		if d.eventName(i) != k.ExceptionEvent {
			continue
		}
		e.Type = d.eventStr(i, k.ExceptionType)
		e.Message = first(d.eventStr(i, k.ExceptionMessage), e.Message)
		e.Stack = clip(d.eventStr(i, k.ExcStack))
		break
	}
	if e.Type == "" {
		e.Type = d.attrs.str(d.attrs.k.ErrorType)
	}
	return e
}

// content returns captured prompt or completion content: a whole-content
// attribute, else indexed message attributes rendered as a JSON array,
// else the content of a span event.
func content(d *spanData, k keys, msgs []messageKeys, events []eventKey) string {
	if s := d.attrs.str(k); s != "" {
		return clip(s)
	}
	if d.attrs.messages {
		for _, m := range msgs {
			if s := indexedMessages(d, m); s != "" {
				return clip(s)
			}
		}
	}
	for i, n := 0, d.eventCount(); i < n; i++ {
		for _, ek := range events {
			if d.eventName(i) == ek.event {
				if s := d.eventStr(i, ek.attr); s != "" {
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

func indexedMessages(d *spanData, m messageKeys) string {
	var byIndex map[int]*message
	d.eachAttr(func(k string, v val) {
		rest, ok := strings.CutPrefix(k, m.prefix)
		if !ok {
			return
		}
		idx, field, ok := strings.Cut(rest, ".")
		if !ok {
			return
		}
		n, err := strconv.Atoi(idx)
		if err != nil {
			return
		}
		if byIndex == nil {
			byIndex = map[int]*message{}
		}
		msg := byIndex[n]
		if msg == nil {
			msg = &message{}
			byIndex[n] = msg
		}
		switch "." + field {
		case m.role:
			msg.Role = v.str()
		case m.content:
			msg.Content = v.str()
		}
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
