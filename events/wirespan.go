package events

import (
	"encoding/binary"
	"strings"
	"sync"
	"unsafe"

	"github.com/agentops-dev/agentops/internal/pbwire"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// This file reads a span checked by ReadTraces as spanData needs it, and
// gives its events their own strings.

// wireSpan is one span read from the wire: views of the request.
type wireSpan struct {
	name, message    string
	traceID          pcommon.TraceID
	spanID, parentID pcommon.SpanID
	start, end       pcommon.Timestamp
	code             int32
	buf              []byte   // the span
	events           [][]byte // its Event messages, in order
}

var wirePool = sync.Pool{New: func() any { return new(wireSpan) }}

func (s *wireSpan) release() {
	s.reset(nil)
	wirePool.Put(s)
}

// reset makes s the span buf, nothing read yet.
func (s *wireSpan) reset(buf []byte) {
	clear(s.events)
	*s = wireSpan{buf: buf, events: s.events[:0]}
}

func (s *wireSpan) eachAttr(fn func(key string, v val)) {
	for f := (fields{buf: s.buf}); f.next(); {
		if f.field == 9 && f.wt == wtLen {
			fn(readKeyValue(f.bytes()))
		} else {
			f.skip()
		}
	}
}

// eventName is the name of the span's event i.
func (s *wireSpan) eventName(i int) string {
	name := ""
	for f := (fields{buf: s.events[i]}); f.next(); {
		if f.field == 2 && f.wt == wtLen {
			name = view(f.bytes())
		} else {
			f.skip()
		}
	}
	return name
}

// eventStr is the first attribute key of the span's event i, as a string.
func (s *wireSpan) eventStr(i int, key string) string {
	for f := (fields{buf: s.events[i]}); f.next(); {
		if f.field == 3 && f.wt == wtLen {
			if k, value := readKeyValue(f.bytes()); k == key {
				return value.str()
			}
		} else {
			f.skip()
		}
	}
	return ""
}

// readKeyValue reads a checked KeyValue: its last key, and its value's
// last oneof member over all its value fields.
func readKeyValue(buf []byte) (string, val) {
	if key, member, b, ok := simpleKeyValue(buf); ok {
		var v val
		simpleValue(&v, member, b)
		return view(key), v
	}
	key, v := "", val{wire: true}
	for f := (fields{buf: buf}); f.next(); {
		switch {
		case f.wt == wtLen && f.field == 1:
			key = view(f.bytes())
		case f.wt == wtLen && f.field == 2:
			readAnyValue(f.bytes(), &v)
		default:
			f.skip()
		}
	}
	return key, v
}

// readKey is the key of a checked KeyValue: its last.
func readKey(buf []byte) string {
	key := ""
	for f := (fields{buf: buf}); f.next(); {
		if f.wt == wtLen && f.field == 1 {
			key = view(f.bytes())
		} else {
			f.skip()
		}
	}
	return key
}

// simpleValue sets v to the value simpleKeyValue read.
func simpleValue(v *val, member int32, b []byte) {
	switch member {
	case 1:
		*v = val{typ: pcommon.ValueTypeStr, s: view(b), wire: true}
	case 2, 3:
		n, _, _ := consumeVarint(b, 0)
		if member == 3 {
			*v = val{typ: pcommon.ValueTypeInt, n: n, wire: true}
		} else {
			*v = val{typ: pcommon.ValueTypeBool, wire: true}
			if n != 0 {
				v.n = 1
			}
		}
	default:
		*v = val{typ: pcommon.ValueTypeDouble, n: binary.LittleEndian.Uint64(b), wire: true}
	}
}

// readAnyValue sets v to the last oneof member of a checked AnyValue, if
// it has one.
func readAnyValue(buf []byte, v *val) {
	for f := (fields{buf: buf}); f.next(); {
		switch {
		case f.wt == wtLen && f.field == 1:
			*v = val{typ: pcommon.ValueTypeStr, s: view(f.bytes()), wire: true}
		case f.wt == wtLen && f.field >= 5 && f.field <= 7:
			typ := [...]pcommon.ValueType{pcommon.ValueTypeSlice, pcommon.ValueTypeMap, pcommon.ValueTypeBytes}[f.field-5]
			*v = val{typ: typ, raw: f.bytes(), wire: true}
		case f.wt == wtVarint && (f.field == 2 || f.field == 3 || f.field == 8):
			n := f.varint()
			switch f.field {
			case 2:
				*v = val{typ: pcommon.ValueTypeBool, wire: true}
				if n != 0 {
					v.n = 1
				}
			case 3:
				*v = val{typ: pcommon.ValueTypeInt, n: n, wire: true}
			default: // a string table index, which traces do not use
				*v = val{wire: true}
			}
		case f.wt == wtI64 && f.field == 4:
			*v = val{typ: pcommon.ValueTypeDouble, n: f.fixed64(), wire: true}
		default:
			f.skip()
		}
	}
}

// wireFirstElem is the first element of a checked ArrayValue.
func wireFirstElem(buf []byte) (val, bool) {
	for f := (fields{buf: buf}); f.next(); {
		if f.field == 1 && f.wt == wtLen {
			v := val{wire: true}
			readAnyValue(f.bytes(), &v)
			return v, true
		}
		f.skip()
	}
	return val{}, false
}

// wireValue decodes a map, slice or bytes value read from the wire into
// pdata, by pdata's own decoder: a request of one span with the value as
// its attribute. Only a convention reading such a value as a string
// (pcommon.Value.AsString) needs it.
func wireValue(typ pcommon.ValueType, raw []byte) pcommon.Value {
	field := pbwire.Number(5)
	switch typ {
	case pcommon.ValueTypeMap:
		field = 6
	case pcommon.ValueTypeBytes:
		field = 7
	}
	msg := func(b []byte, n pbwire.Number, inner []byte) []byte {
		b = pbwire.AppendTag(b, n, pbwire.BytesType)
		return pbwire.AppendBytes(b, inner)
	}
	anyValue := msg(nil, field, raw)
	kv := msg(nil, 2, anyValue)
	span := msg(nil, 9, kv)
	scope := msg(nil, 2, span)
	rs := msg(nil, 2, scope)
	req := msg(nil, 1, rs)
	td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(req)
	if err != nil || td.SpanCount() != 1 {
		return pcommon.NewValueEmpty()
	}
	v, _ := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes().Get("")
	return v
}

// ownStrings copies out of body every string of evs that is a view of
// it, into a's blocks.
func ownStrings(evs []Event, body []byte, a *stringArena) {
	if len(body) == 0 {
		return
	}
	lo := uintptr(unsafe.Pointer(&body[0]))
	hi := lo + uintptr(len(body))
	var fields [32]*string
	for i := range evs {
		for _, f := range evs[i].stringFields(fields[:0]) {
			if p := uintptr(unsafe.Pointer(unsafe.StringData(*f))); len(*f) > 0 && p >= lo && p < hi {
				*f = a.copy(*f)
			}
		}
	}
}

// stringArena copies strings into shared blocks: a batch's events own
// their strings in a few allocations, not one a string. A block lives as
// long as one of its strings does; blocks are small, so that an event kept
// for the record keeps little else alive.
type stringArena struct{ block []byte }

const arenaBlock = 4 << 10

func (a *stringArena) copy(s string) string {
	if len(s) > arenaBlock/4 {
		return strings.Clone(s)
	}
	return a.copyBytes(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// copyBytes is b as a string in a's blocks; b is short (see copy).
func (a *stringArena) copyBytes(b []byte) string {
	if cap(a.block)-len(a.block) < len(b) {
		a.block = make([]byte, 0, arenaBlock)
	}
	start := len(a.block)
	a.block = append(a.block, b...)
	return unsafe.String(&a.block[start], len(b))
}

// stringFields appends a pointer to every string field of e, its kind's
// included.
func (e *Event) stringFields(out []*string) []*string {
	out = append(out, &e.Name, &e.TraceID, &e.SpanID, &e.ParentSpanID, &e.Convention, &e.Source,
		&e.RequestID, &e.ResponseID, &e.ToolCallID, &e.SameAs)
	if l := e.LLM; l != nil {
		out = append(out, &l.Operation, &l.Provider, &l.Server, &l.RequestModel, &l.ResponseModel,
			&l.CostSource, &l.Prompt, &l.Completion, &l.UsageMissing)
	}
	if t := e.Tool; t != nil {
		out = append(out, &t.Name, &t.Arguments, &t.Result)
	}
	if a := e.Action; a != nil {
		out = append(out, &a.Type, &a.Input, &a.Output)
	}
	if a := e.Agent; a != nil {
		out = append(out, &a.Name, &a.Input, &a.Output)
	}
	if r := e.Error; r != nil {
		out = append(out, &r.Type, &r.Message, &r.Stack, &r.Source, &r.Output)
	}
	return out
}
