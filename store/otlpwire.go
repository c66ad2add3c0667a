package store

import (
	"encoding/base64"
	"encoding/binary"
	"math"
	"strconv"
	"unsafe"

	"github.com/agentops-dev/agentops/internal/otlpwire"
)

// appendTraceRequest appends an OTLP/HTTP protobuf trace request (an
// ExportTraceServiceRequest, as received) in the OTLP JSON encoding to b,
// byte for byte what appendTraces writes of the request decoded by pdata,
// without decoding it: a session that only stores its spans builds no
// pdata. It handles the encoding SDKs write (every field once, of the
// type the schema says, none unknown); for anything else it reports false
// and the caller decodes the request with pdata (b is then unchanged up to
// its length). TestAppendTraceRequestMatchesPdata and
// FuzzAppendTraceRequest hold the two to one output.
func appendTraceRequest(b []byte, req []byte) (line []byte, spans int, ok bool) {
	n := len(b)
	e := wireJSON{b: b}
	if !e.request(req) {
		return e.b[:n], 0, false
	}
	return e.b, e.spans, true
}

// wireJSON writes JSON from protobuf; ok turns false at the first field it
// does not handle.
type wireJSON struct {
	b     []byte
	depth int
	spans int // the spans written
}

// pbField is one field of a message.
type pbField struct {
	p        []byte // length-delimited values
	v        uint64 // varint and fixed values
	num, typ int32
}

// Wire types (protobuf encoding).
const (
	wtVarint  = 0
	wtFixed64 = 1
	wtBytes   = 2
	wtFixed32 = 5
)

// nextField reads the field at the start of m and returns it and the rest.
func nextField(m []byte) (f pbField, rest []byte, ok bool) {
	// A one-byte key and length, as nearly every field has.
	if len(m) >= 2 && m[0] >= 8 && m[0] < 0x80 && m[0]&7 == wtBytes && m[1] < 0x80 && int(m[1]) <= len(m)-2 {
		f.num, f.typ = int32(m[0]>>3), wtBytes
		f.p = m[2 : 2+int(m[1])]
		return f, m[2+int(m[1]):], true
	}
	key, n := binary.Uvarint(m)
	if n <= 0 || key>>3 == 0 || key>>3 > math.MaxInt32 {
		return f, nil, false
	}
	m = m[n:]
	f.num, f.typ = int32(key>>3), int32(key&7)
	switch f.typ {
	case wtVarint:
		f.v, n = binary.Uvarint(m)
		if n <= 0 {
			return f, nil, false
		}
		return f, m[n:], true
	case wtFixed64:
		if len(m) < 8 {
			return f, nil, false
		}
		f.v = binary.LittleEndian.Uint64(m)
		return f, m[8:], true
	case wtFixed32:
		if len(m) < 4 {
			return f, nil, false
		}
		f.v = uint64(binary.LittleEndian.Uint32(m))
		return f, m[4:], true
	case wtBytes:
		l, n := binary.Uvarint(m)
		if n <= 0 || l > uint64(len(m)-n) {
			return f, nil, false
		}
		f.p = m[n : n+int(l)]
		return f, m[n+int(l):], true
	}
	return f, nil, false
}

// fieldSpec says what a message's field numbers are: the wire type each
// must have (-1: none it may have), and whether it repeats.
type fieldSpec []struct {
	typ      int32
	repeated bool
}

// scan reads the fields of m into one (each singular field, which must
// occur once), notes in first where each repeated field first occurs (1 +
// its offset in m; 0 for none), and reports whether m is a message of
// spec.
func scan(m []byte, spec fieldSpec, one []pbField, first []int) bool {
	var seen uint64
	for off := 0; off < len(m); {
		f, rest, ok := nextField(m[off:])
		if !ok || int(f.num) >= len(spec) || spec[f.num].typ < 0 || f.typ != spec[f.num].typ {
			return false
		}
		if !spec[f.num].repeated {
			if seen&(1<<f.num) != 0 {
				return false
			}
			seen |= 1 << f.num
			one[f.num] = f
		} else if first[f.num] == 0 {
			first[f.num] = off + 1
		}
		off = len(m) - len(rest)
	}
	return true
}

// list appends, comma-separated, what fn makes of every occurrence of
// field num of m, which scan has read into first.
func (e *wireJSON) list(m []byte, num int, first []int, fn func(p []byte) bool) bool {
	m = m[first[num]-1:]
	comma := false
	for len(m) > 0 {
		f, rest, _ := nextField(m)
		if int(f.num) == num {
			if comma {
				e.b = append(e.b, ',')
			}
			comma = true
			if !fn(f.p) {
				return false
			}
		}
		m = rest
	}
	return true
}

var (
	requestSpec  = fieldSpec{0: {-1, false}, 1: {wtBytes, true}}
	resSpansSpec = fieldSpec{0: {-1, false}, 1: {wtBytes, false}, 2: {wtBytes, true}, 3: {wtBytes, false}}
	resourceSpec = fieldSpec{0: {-1, false}, 1: {wtBytes, true}, 2: {wtVarint, false}}
	scopeSpSpec  = fieldSpec{0: {-1, false}, 1: {wtBytes, false}, 2: {wtBytes, true}, 3: {wtBytes, false}}
	scopeSpec    = fieldSpec{0: {-1, false}, 1: {wtBytes, false}, 2: {wtBytes, false}, 3: {wtBytes, true}, 4: {wtVarint, false}}
	spanSpec     = fieldSpec{0: {-1, false}, 1: {wtBytes, false}, 2: {wtBytes, false}, 3: {wtBytes, false}, 4: {wtBytes, false},
		5: {wtBytes, false}, 6: {wtVarint, false}, 7: {wtFixed64, false}, 8: {wtFixed64, false}, 9: {wtBytes, true},
		10: {wtVarint, false}, 11: {wtBytes, true}, 12: {wtVarint, false}, 13: {wtBytes, true}, 14: {wtVarint, false},
		15: {wtBytes, false}, 16: {wtFixed32, false}}
	statusSpec = fieldSpec{0: {-1, false}, 1: {-1, false}, 2: {wtBytes, false}, 3: {wtVarint, false}}
	eventSpec  = fieldSpec{0: {-1, false}, 1: {wtFixed64, false}, 2: {wtBytes, false}, 3: {wtBytes, true}, 4: {wtVarint, false}}
	linkSpec   = fieldSpec{0: {-1, false}, 1: {wtBytes, false}, 2: {wtBytes, false}, 3: {wtBytes, false}, 4: {wtBytes, true},
		5: {wtVarint, false}, 6: {wtFixed32, false}}
	listSpec = fieldSpec{0: {-1, false}, 1: {wtBytes, true}}
)

// str is p as a string without a copy: it is only appended, escaped, to
// the line, while the request it is part of is in hand.
func str(p []byte) string {
	if len(p) == 0 {
		return ""
	}
	return unsafe.String(&p[0], len(p))
}

func (e *wireJSON) request(m []byte) bool {
	var one [2]pbField
	var first [2]int
	if !scan(m, requestSpec, one[:], first[:]) {
		return false
	}
	e.b = append(e.b, '{')
	if first[1] > 0 {
		e.b = append(e.b, `"resourceSpans":[`...)
		if !e.list(m, 1, first[:], e.resourceSpans) {
			return false
		}
		e.b = append(e.b, ']')
	}
	e.b = append(e.b, '}')
	return true
}

func (e *wireJSON) resourceSpans(m []byte) bool {
	var one [4]pbField
	var first [4]int
	if !scan(m, resSpansSpec, one[:], first[:]) {
		return false
	}
	e.b = append(e.b, `{"resource":{`...)
	res := one[1].p
	var rf [3]pbField
	var rfirst [3]int
	if !scan(res, resourceSpec, rf[:], rfirst[:]) {
		return false
	}
	more := false
	if rfirst[1] > 0 {
		if !e.attributes(res, 1, rfirst[:]) {
			return false
		}
		more = true
	}
	if n := uint32(rf[2].v); n != 0 {
		e.b = appendUint32Field(e.b, more, "droppedAttributesCount", n)
	}
	e.b = append(e.b, '}')
	return e.listAndSchema(m, first[:], `,"scopeSpans":[`, e.scopeSpans, one[3].p)
}

func (e *wireJSON) scopeSpans(m []byte) bool {
	var one [4]pbField
	var first [4]int
	if !scan(m, scopeSpSpec, one[:], first[:]) {
		return false
	}
	e.b = append(e.b, `{"scope":{`...)
	scope := one[1].p
	var sc [5]pbField
	var sfirst [5]int
	if !scan(scope, scopeSpec, sc[:], sfirst[:]) {
		return false
	}
	more := false
	if len(sc[1].p) > 0 {
		e.b = append(e.b, `"name":`...)
		e.b = otlpwire.AppendJSONString(e.b, str(sc[1].p))
		more = true
	}
	if len(sc[2].p) > 0 {
		e.b = appendComma(e.b, more)
		e.b = append(e.b, `"version":`...)
		e.b = otlpwire.AppendJSONString(e.b, str(sc[2].p))
		more = true
	}
	if sfirst[3] > 0 {
		e.b = appendComma(e.b, more)
		if !e.attributes(scope, 3, sfirst[:]) {
			return false
		}
		more = true
	}
	if n := uint32(sc[4].v); n != 0 {
		e.b = appendUint32Field(e.b, more, "droppedAttributesCount", n)
	}
	e.b = append(e.b, '}')
	return e.listAndSchema(m, first[:], `,"spans":[`, e.span, one[3].p)
}

// listAndSchema ends a ResourceSpans or ScopeSpans object: its list (field
// 2: the scopeSpans, the spans), opened by open, each item written by item,
// then its schemaUrl (field 3) when it has one.
func (e *wireJSON) listAndSchema(m []byte, first []int, open string, item func([]byte) bool, schemaURL []byte) bool {
	if first[2] > 0 {
		e.b = append(e.b, open...)
		if !e.list(m, 2, first, item) {
			return false
		}
		e.b = append(e.b, ']')
	}
	if len(schemaURL) > 0 {
		e.b = append(e.b, `,"schemaUrl":`...)
		e.b = otlpwire.AppendJSONString(e.b, str(schemaURL))
	}
	e.b = append(e.b, '}')
	return true
}

// id appends a trace or span id of n bytes; false for another length
// (pdata refuses it), true with nothing written for none.
func (e *wireJSON) id(more *bool, name string, p []byte, n int) bool {
	if len(p) == 0 {
		return true
	}
	if len(p) != n {
		return false
	}
	if allZero(p) {
		return true // pdata's empty id
	}
	e.field(more, name)
	e.b = appendHex(e.b, p)
	return true
}

func allZero(p []byte) bool {
	for _, c := range p {
		if c != 0 {
			return false
		}
	}
	return true
}

func (e *wireJSON) field(more *bool, name string) {
	e.b = appendComma(e.b, *more)
	e.b = append(e.b, '"')
	e.b = append(e.b, name...)
	e.b = append(e.b, '"', ':')
	*more = true
}

func (e *wireJSON) span(m []byte) bool {
	var f [17]pbField
	var first [17]int
	if !scan(m, spanSpec, f[:], first[:]) {
		return false
	}
	// The receiver drops a span with an empty trace or span id: such a
	// request is pdata's to handle.
	if len(f[1].p) != 16 || len(f[2].p) != 8 || allZero(f[1].p) || allZero(f[2].p) {
		return false
	}
	e.spans++
	e.b = append(e.b, '{')
	more := false
	e.id(&more, "traceId", f[1].p, 16)
	e.id(&more, "spanId", f[2].p, 8)
	if len(f[3].p) > 0 {
		e.field(&more, "traceState")
		e.b = otlpwire.AppendJSONString(e.b, str(f[3].p))
	}
	if !e.id(&more, "parentSpanId", f[4].p, 8) {
		return false
	}
	if v := uint32(f[16].v); v != 0 {
		e.field(&more, "flags")
		e.b = strconv.AppendUint(e.b, uint64(v), 10)
	}
	if len(f[5].p) > 0 {
		e.field(&more, "name")
		e.b = otlpwire.AppendJSONString(e.b, str(f[5].p))
	}
	if k := int32(f[6].v); k != 0 {
		e.field(&more, "kind")
		e.b = strconv.AppendInt(e.b, int64(k), 10)
	}
	if t := f[7].v; t != 0 {
		e.field(&more, "startTimeUnixNano")
		e.b = appendQuotedUint(e.b, t)
	}
	if t := f[8].v; t != 0 {
		e.field(&more, "endTimeUnixNano")
		e.b = appendQuotedUint(e.b, t)
	}
	if first[9] > 0 {
		e.b = appendComma(e.b, more)
		if !e.attributes(m, 9, first[:]) {
			return false
		}
		more = true
	}
	if n := uint32(f[10].v); n != 0 {
		e.b = appendUint32Field(e.b, more, "droppedAttributesCount", n)
		more = true
	}
	if first[11] > 0 {
		e.field(&more, "events")
		e.b = append(e.b, '[')
		if !e.list(m, 11, first[:], e.spanEvent) {
			return false
		}
		e.b = append(e.b, ']')
	}
	if n := uint32(f[12].v); n != 0 {
		e.b = appendUint32Field(e.b, more, "droppedEventsCount", n)
		more = true
	}
	if first[13] > 0 {
		e.field(&more, "links")
		e.b = append(e.b, '[')
		if !e.list(m, 13, first[:], e.spanLink) {
			return false
		}
		e.b = append(e.b, ']')
	}
	if n := uint32(f[14].v); n != 0 {
		e.b = appendUint32Field(e.b, more, "droppedLinksCount", n)
		more = true
	}
	e.field(&more, "status")
	var st [4]pbField
	if !scan(f[15].p, statusSpec, st[:], nil) {
		return false
	}
	e.b = append(e.b, '{')
	if len(st[2].p) > 0 {
		e.b = append(e.b, `"message":`...)
		e.b = otlpwire.AppendJSONString(e.b, str(st[2].p))
	}
	if c := int32(st[3].v); c != 0 {
		e.b = appendComma(e.b, len(st[2].p) > 0)
		e.b = append(e.b, `"code":`...)
		e.b = strconv.AppendInt(e.b, int64(c), 10)
	}
	e.b = append(e.b, '}', '}')
	return true
}

func (e *wireJSON) spanEvent(m []byte) bool {
	var f [5]pbField
	var first [5]int
	if !scan(m, eventSpec, f[:], first[:]) {
		return false
	}
	e.b = append(e.b, '{')
	more := false
	if t := f[1].v; t != 0 {
		e.field(&more, "timeUnixNano")
		e.b = appendQuotedUint(e.b, t)
	}
	if len(f[2].p) > 0 {
		e.field(&more, "name")
		e.b = otlpwire.AppendJSONString(e.b, str(f[2].p))
	}
	if first[3] > 0 {
		e.b = appendComma(e.b, more)
		if !e.attributes(m, 3, first[:]) {
			return false
		}
		more = true
	}
	if n := uint32(f[4].v); n != 0 {
		e.b = appendUint32Field(e.b, more, "droppedAttributesCount", n)
	}
	e.b = append(e.b, '}')
	return true
}

func (e *wireJSON) spanLink(m []byte) bool {
	var f [7]pbField
	var first [7]int
	if !scan(m, linkSpec, f[:], first[:]) {
		return false
	}
	e.b = append(e.b, '{')
	more := false
	if !e.id(&more, "traceId", f[1].p, 16) || !e.id(&more, "spanId", f[2].p, 8) {
		return false
	}
	if len(f[3].p) > 0 {
		e.field(&more, "traceState")
		e.b = otlpwire.AppendJSONString(e.b, str(f[3].p))
	}
	if first[4] > 0 {
		e.b = appendComma(e.b, more)
		if !e.attributes(m, 4, first[:]) {
			return false
		}
		more = true
	}
	if n := uint32(f[5].v); n != 0 {
		e.b = appendUint32Field(e.b, more, "droppedAttributesCount", n)
		more = true
	}
	if v := uint32(f[6].v); v != 0 {
		e.b = appendUint32Field(e.b, more, "flags", v)
	}
	e.b = append(e.b, '}')
	return true
}

// attributes appends the "attributes" field of the KeyValues at field num
// of m (one at least, first says where).
func (e *wireJSON) attributes(m []byte, num int, first []int) bool {
	e.b = append(e.b, `"attributes":[`...)
	if !e.list(m, num, first, e.keyValue) {
		return false
	}
	e.b = append(e.b, ']')
	return true
}

// maxWireDepth bounds the nesting of attribute values this encoder
// follows; deeper ones are pdata's (the receiver's nesting limit is lower).
const maxWireDepth = 64

// keyValue appends a KeyValue: a key (1) and a value (2), each once.
func (e *wireJSON) keyValue(m []byte) bool {
	var key, val []byte
	seen := 0
	for len(m) > 0 {
		f, rest, ok := nextField(m)
		if !ok || f.typ != wtBytes || (f.num != 1 && f.num != 2) || seen&(1<<f.num) != 0 {
			return false
		}
		seen |= 1 << f.num
		if f.num == 1 {
			key = f.p
		} else {
			val = f.p
		}
		m = rest
	}
	e.b = append(e.b, '{')
	if len(key) > 0 {
		e.b = append(e.b, `"key":`...)
		e.b = otlpwire.AppendJSONString(e.b, str(key))
		e.b = append(e.b, ',')
	}
	e.b = append(e.b, `"value":`...)
	if !e.value(val) {
		return false
	}
	e.b = append(e.b, '}')
	return true
}

// valueTypes are the wire types of AnyValue's fields, a oneof.
var valueTypes = [8]int32{-1, wtBytes, wtVarint, wtVarint, wtFixed64, wtBytes, wtBytes, wtBytes}

// value appends an AnyValue: one field at most.
func (e *wireJSON) value(m []byte) bool {
	if len(m) == 0 {
		e.b = append(e.b, '{', '}')
		return true
	}
	f, rest, ok := nextField(m)
	if !ok || len(rest) > 0 || f.num >= int32(len(valueTypes)) || f.typ != valueTypes[f.num] {
		return false
	}
	e.depth++
	defer func() { e.depth-- }()
	if e.depth > maxWireDepth {
		return false
	}
	e.b = append(e.b, '{')
	switch f.num {
	case 1:
		e.b = append(e.b, `"stringValue":`...)
		e.b = otlpwire.AppendJSONString(e.b, str(f.p))
	case 2:
		e.b = append(e.b, `"boolValue":`...)
		e.b = strconv.AppendBool(e.b, f.v != 0)
	case 3:
		e.b = append(e.b, `"intValue":"`...)
		e.b = strconv.AppendInt(e.b, int64(f.v), 10)
		e.b = append(e.b, '"')
	case 4:
		e.b = append(e.b, `"doubleValue":`...)
		e.b = appendFloat(e.b, math.Float64frombits(f.v))
	case 5:
		e.b = append(e.b, `"arrayValue":{`...)
		if !e.values(f.p, e.value) {
			return false
		}
		e.b = append(e.b, '}')
	case 6:
		e.b = append(e.b, `"kvlistValue":{`...)
		if !e.values(f.p, e.keyValue) {
			return false
		}
		e.b = append(e.b, '}')
	case 7:
		e.b = append(e.b, `"bytesValue":"`...)
		e.b = base64.StdEncoding.AppendEncode(e.b, f.p)
		e.b = append(e.b, '"')
	}
	e.b = append(e.b, '}')
	return true
}

// values appends the "values" of an ArrayValue or KeyValueList, if any.
func (e *wireJSON) values(m []byte, fn func(p []byte) bool) bool {
	var first [2]int
	if !scan(m, listSpec, nil, first[:]) {
		return false
	}
	if first[1] == 0 {
		return true
	}
	e.b = append(e.b, `"values":[`...)
	if !e.list(m, 1, first[:], fn) {
		return false
	}
	e.b = append(e.b, ']')
	return true
}
