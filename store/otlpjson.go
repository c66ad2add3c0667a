package store

import (
	"encoding/base64"
	"encoding/hex"
	"math"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/internal/otlpwire"
)

// appendTraces appends td in the OTLP JSON encoding to b, byte for byte as
// ptrace.JSONMarshaler writes it (the documented spans.jsonl format: the
// readers decode it with pdata), in a fraction of the time and with no
// allocation beyond b's growth. TestAppendTracesMatchesPdata holds the two
// to one output.
func appendTraces(b []byte, td ptrace.Traces) []byte {
	b = append(b, '{')
	rss := td.ResourceSpans()
	if rss.Len() > 0 {
		b = append(b, `"resourceSpans":[`...)
		for i := 0; i < rss.Len(); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendResourceSpans(b, rss.At(i))
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func appendResourceSpans(b []byte, rs ptrace.ResourceSpans) []byte {
	b = append(b, `{"resource":{`...)
	res := rs.Resource()
	more := false
	if res.Attributes().Len() > 0 {
		b = appendAttributes(b, res.Attributes())
		more = true
	}
	if n := res.DroppedAttributesCount(); n != 0 {
		b = appendUint32Field(b, more, "droppedAttributesCount", n)
	}
	b = append(b, '}')
	if sss := rs.ScopeSpans(); sss.Len() > 0 {
		b = append(b, `,"scopeSpans":[`...)
		for i := 0; i < sss.Len(); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendScopeSpans(b, sss.At(i))
		}
		b = append(b, ']')
	}
	if u := rs.SchemaUrl(); u != "" {
		b = append(b, `,"schemaUrl":`...)
		b = otlpwire.AppendJSONString(b, u)
	}
	return append(b, '}')
}

func appendScopeSpans(b []byte, ss ptrace.ScopeSpans) []byte {
	b = append(b, `{"scope":{`...)
	sc := ss.Scope()
	more := false
	if sc.Name() != "" {
		b = append(b, `"name":`...)
		b = otlpwire.AppendJSONString(b, sc.Name())
		more = true
	}
	if sc.Version() != "" {
		b = appendComma(b, more)
		b = append(b, `"version":`...)
		b = otlpwire.AppendJSONString(b, sc.Version())
		more = true
	}
	if sc.Attributes().Len() > 0 {
		b = appendComma(b, more)
		b = appendAttributes(b, sc.Attributes())
		more = true
	}
	if n := sc.DroppedAttributesCount(); n != 0 {
		b = appendUint32Field(b, more, "droppedAttributesCount", n)
	}
	b = append(b, '}')
	if spans := ss.Spans(); spans.Len() > 0 {
		b = append(b, `,"spans":[`...)
		for i := 0; i < spans.Len(); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendSpan(b, spans.At(i))
		}
		b = append(b, ']')
	}
	if u := ss.SchemaUrl(); u != "" {
		b = append(b, `,"schemaUrl":`...)
		b = otlpwire.AppendJSONString(b, u)
	}
	return append(b, '}')
}

func appendSpan(b []byte, sp ptrace.Span) []byte {
	b = append(b, '{')
	more := false
	field := func(name string) {
		b = appendComma(b, more)
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		more = true
	}
	if id := sp.TraceID(); !id.IsEmpty() {
		field("traceId")
		b = appendHex(b, id[:])
	}
	if id := sp.SpanID(); !id.IsEmpty() {
		field("spanId")
		b = appendHex(b, id[:])
	}
	if ts := sp.TraceState().AsRaw(); ts != "" {
		field("traceState")
		b = otlpwire.AppendJSONString(b, ts)
	}
	if id := sp.ParentSpanID(); !id.IsEmpty() {
		field("parentSpanId")
		b = appendHex(b, id[:])
	}
	if f := sp.Flags(); f != 0 {
		field("flags")
		b = strconv.AppendUint(b, uint64(f), 10)
	}
	if sp.Name() != "" {
		field("name")
		b = otlpwire.AppendJSONString(b, sp.Name())
	}
	if k := sp.Kind(); k != 0 {
		field("kind")
		b = strconv.AppendInt(b, int64(k), 10)
	}
	if t := sp.StartTimestamp(); t != 0 {
		field("startTimeUnixNano")
		b = appendQuotedUint(b, uint64(t))
	}
	if t := sp.EndTimestamp(); t != 0 {
		field("endTimeUnixNano")
		b = appendQuotedUint(b, uint64(t))
	}
	if sp.Attributes().Len() > 0 {
		b = appendComma(b, more)
		b = appendAttributes(b, sp.Attributes())
		more = true
	}
	if n := sp.DroppedAttributesCount(); n != 0 {
		b = appendUint32Field(b, more, "droppedAttributesCount", n)
		more = true
	}
	if evs := sp.Events(); evs.Len() > 0 {
		field("events")
		b = append(b, '[')
		for i := 0; i < evs.Len(); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendSpanEvent(b, evs.At(i))
		}
		b = append(b, ']')
	}
	if n := sp.DroppedEventsCount(); n != 0 {
		b = appendUint32Field(b, more, "droppedEventsCount", n)
		more = true
	}
	if links := sp.Links(); links.Len() > 0 {
		field("links")
		b = append(b, '[')
		for i := 0; i < links.Len(); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendSpanLink(b, links.At(i))
		}
		b = append(b, ']')
	}
	if n := sp.DroppedLinksCount(); n != 0 {
		b = appendUint32Field(b, more, "droppedLinksCount", n)
		more = true
	}
	field("status")
	b = append(b, '{')
	st := sp.Status()
	if st.Message() != "" {
		b = append(b, `"message":`...)
		b = otlpwire.AppendJSONString(b, st.Message())
	}
	if c := st.Code(); c != 0 {
		b = appendComma(b, st.Message() != "")
		b = append(b, `"code":`...)
		b = strconv.AppendInt(b, int64(c), 10)
	}
	return append(b, '}', '}')
}

func appendSpanEvent(b []byte, ev ptrace.SpanEvent) []byte {
	b = append(b, '{')
	more := false
	if t := ev.Timestamp(); t != 0 {
		b = append(b, `"timeUnixNano":`...)
		b = appendQuotedUint(b, uint64(t))
		more = true
	}
	if ev.Name() != "" {
		b = appendComma(b, more)
		b = append(b, `"name":`...)
		b = otlpwire.AppendJSONString(b, ev.Name())
		more = true
	}
	if ev.Attributes().Len() > 0 {
		b = appendComma(b, more)
		b = appendAttributes(b, ev.Attributes())
		more = true
	}
	if n := ev.DroppedAttributesCount(); n != 0 {
		b = appendUint32Field(b, more, "droppedAttributesCount", n)
	}
	return append(b, '}')
}

func appendSpanLink(b []byte, l ptrace.SpanLink) []byte {
	b = append(b, '{')
	more := false
	if id := l.TraceID(); !id.IsEmpty() {
		b = append(b, `"traceId":`...)
		b = appendHex(b, id[:])
		more = true
	}
	if id := l.SpanID(); !id.IsEmpty() {
		b = appendComma(b, more)
		b = append(b, `"spanId":`...)
		b = appendHex(b, id[:])
		more = true
	}
	if ts := l.TraceState().AsRaw(); ts != "" {
		b = appendComma(b, more)
		b = append(b, `"traceState":`...)
		b = otlpwire.AppendJSONString(b, ts)
		more = true
	}
	if l.Attributes().Len() > 0 {
		b = appendComma(b, more)
		b = appendAttributes(b, l.Attributes())
		more = true
	}
	if n := l.DroppedAttributesCount(); n != 0 {
		b = appendUint32Field(b, more, "droppedAttributesCount", n)
		more = true
	}
	if f := l.Flags(); f != 0 {
		b = appendUint32Field(b, more, "flags", f)
	}
	return append(b, '}')
}

// appendAttributes appends the "attributes" field of a non-empty map.
func appendAttributes(b []byte, m pcommon.Map) []byte {
	b = append(b, `"attributes":[`...)
	return append(appendKeyValues(b, m), ']')
}

func appendKeyValues(b []byte, m pcommon.Map) []byte {
	first := true
	m.Range(func(k string, v pcommon.Value) bool {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '{')
		if k != "" {
			b = append(b, `"key":`...)
			b = otlpwire.AppendJSONString(b, k)
			b = append(b, ',')
		}
		b = append(b, `"value":`...)
		b = appendValue(b, v)
		b = append(b, '}')
		return true
	})
	return b
}

// appendValue appends an AnyValue. Attribute values nest as deep as the
// receiver admits (its nesting limit), so the recursion is bounded.
func appendValue(b []byte, v pcommon.Value) []byte {
	b = append(b, '{')
	switch v.Type() {
	case pcommon.ValueTypeStr:
		b = append(b, `"stringValue":`...)
		b = otlpwire.AppendJSONString(b, v.Str())
	case pcommon.ValueTypeBool:
		b = append(b, `"boolValue":`...)
		b = strconv.AppendBool(b, v.Bool())
	case pcommon.ValueTypeInt:
		b = append(b, `"intValue":"`...)
		b = strconv.AppendInt(b, v.Int(), 10)
		b = append(b, '"')
	case pcommon.ValueTypeDouble:
		b = append(b, `"doubleValue":`...)
		b = appendFloat(b, v.Double())
	case pcommon.ValueTypeSlice:
		b = append(b, `"arrayValue":{`...)
		if s := v.Slice(); s.Len() > 0 {
			b = append(b, `"values":[`...)
			for i := 0; i < s.Len(); i++ {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendValue(b, s.At(i))
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	case pcommon.ValueTypeMap:
		b = append(b, `"kvlistValue":{`...)
		if m := v.Map(); m.Len() > 0 {
			b = append(b, `"values":[`...)
			b = appendKeyValues(b, m)
			b = append(b, ']')
		}
		b = append(b, '}')
	case pcommon.ValueTypeBytes:
		b = append(b, `"bytesValue":"`...)
		b = base64.StdEncoding.AppendEncode(b, v.Bytes().AsRaw())
		b = append(b, '"')
	}
	return append(b, '}')
}

// appendFloat writes a double as pdata does: special values as strings,
// exponent notation for very small and very large magnitudes.
func appendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Infinity"`...)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(b, f, format, -1, 64)
}

func appendComma(b []byte, more bool) []byte {
	if more {
		return append(b, ',')
	}
	return b
}

func appendUint32Field(b []byte, more bool, name string, n uint32) []byte {
	b = appendComma(b, more)
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return strconv.AppendUint(b, uint64(n), 10)
}

func appendQuotedUint(b []byte, n uint64) []byte {
	b = append(b, '"')
	b = strconv.AppendUint(b, n, 10)
	return append(b, '"')
}

func appendHex(b []byte, id []byte) []byte {
	b = append(b, '"')
	b = hex.AppendEncode(b, id)
	return append(b, '"')
}
