package events

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/protobuf/encoding/protowire"
)

// This file reads an OTLP ExportTraceServiceRequest (opentelemetry-proto,
// collector/trace/v1/trace_service.proto) from its protobuf bytes, in
// place: no pdata is built, no attribute is copied, and a span's events
// are built from views of the request (spanData, the same builder pdata
// spans go through). Only what an Event keeps is copied out.
//
// ReadTraces accepts exactly what pdata's decoder accepts (the same wire
// types for every field, the same id lengths, unknown fields and groups
// skipped the same way, the same recursion limit) and reads what pdata
// would hold: the last of a repeated scalar field, the last member of a
// oneof, a span's first attribute of a name, ResourceSpans' deprecated
// scope spans (field 1000) when it has no others. FuzzWireTraces holds it
// to that, event for event.

// ErrTooDeep is ReadTraces' answer to a value nested deeper than the
// limit it was given.
var ErrTooDeep = errors.New("a value nested deeper than the limit")

// errWire is ReadTraces' answer to bytes pdata would not decode.
var errWire = errors.New("malformed OTLP trace protobuf")

// recursionLimit is pdata's (internal/proto.RecursionLimit): it refuses a
// key-value, any-value, array or key-value list entered 100 deep.
const recursionLimit = 100

// Wire types (protobuf encoding, "Message Structure").
const (
	wtVarint     = 0
	wtI64        = 1
	wtLen        = 2
	wtStartGroup = 3
	wtEndGroup   = 4
	wtI32        = 5
)

// WireTraces is a trace export request read in place by ReadTraces. It
// holds views of the request's bytes: use it only while they are
// unchanged.
type WireTraces struct {
	body []byte
	// spans are the valid spans, in the order ptrace.Traces holds them.
	spans [][]byte
	// invalid counts the spans with an empty trace id or span id.
	invalid int
	// resourceSpans counts the ResourceSpans, kept those that hold a
	// valid span.
	resourceSpans, kept int
}

// SpanCount is the number of valid spans (see Invalid).
func (w *WireTraces) SpanCount() int { return len(w.spans) }

// Invalid is the number of spans whose trace id or span id is empty (all
// zero bytes), which OTLP calls invalid: they are not read.
func (w *WireTraces) Invalid() int { return w.invalid }

// Empty says whether the request holds nothing once its invalid spans
// are dropped the way the receiver drops them from pdata: no
// ResourceSpans, or, when some span was invalid, none holding a valid one.
func (w *WireTraces) Empty() bool {
	if w.invalid == 0 {
		return w.resourceSpans == 0
	}
	return w.kept == 0
}

// ReadTraces checks and indexes an ExportTraceServiceRequest in its
// protobuf encoding. It returns ErrTooDeep when a value of a span,
// resource, scope, event or link nests maps and arrays deeper than
// maxNesting levels (a string is level 1), and another error when pdata
// would not decode the bytes; either way nothing of the request is read.
// The result holds views of body.
func ReadTraces(body []byte, maxNesting int) (*WireTraces, error) {
	w := &WireTraces{body: body}
	r := wireCheck{maxNesting: maxNesting}
	pos := 0
	for pos < len(body) {
		field, wt, p, err := consumeTag(body, pos)
		if err != nil {
			return nil, err
		}
		pos = p
		if field != 1 {
			if pos, err = consumeUnknown(body, pos, wt); err != nil {
				return nil, err
			}
			continue
		}
		var b []byte
		if b, pos, err = consumeMessage(body, pos, wt); err != nil {
			return nil, err
		}
		if err := r.resourceSpans(w, b); err != nil {
			return nil, err
		}
	}
	if r.tooDeep {
		return nil, ErrTooDeep
	}
	return w, nil
}

// wireCheck is ReadTraces' state.
type wireCheck struct {
	maxNesting int
	tooDeep    bool
	deprecated [][]byte // the spans of a ResourceSpans' field 1000
}

// scopeGroup is what one list of ScopeSpans of a ResourceSpans holds.
type scopeGroup struct {
	deep     bool // a value nests too deep
	invalid  int
	anyValid bool // some ScopeSpans holds a valid span
}

func (r *wireCheck) resourceSpans(w *WireTraces, buf []byte) error {
	var scopes, deprecated scopeGroup
	hasScopes, resourceDeep := false, false
	r.deprecated = r.deprecated[:0]
	for pos := 0; pos < len(buf); {
		field, wt, p, err := consumeTag(buf, pos)
		if err != nil {
			return err
		}
		pos = p
		var b []byte
		switch field {
		case 1, 2, 3, 1000:
			if b, pos, err = consumeMessage(buf, pos, wt); err != nil {
				return err
			}
		default:
			if pos, err = consumeUnknown(buf, pos, wt); err != nil {
				return err
			}
			continue
		}
		switch field {
		case 1:
			deep, err := r.resource(b)
			if err != nil {
				return err
			}
			resourceDeep = resourceDeep || deep
		case 2:
			hasScopes = true
			if err := r.scopeSpans(b, &scopes, &w.spans); err != nil {
				return err
			}
		case 1000:
			if err := r.scopeSpans(b, &deprecated, &r.deprecated); err != nil {
				return err
			}
		}
	}
	// pdata's MigrateTraces: the deprecated list stands in for an absent
	// one, and is dropped otherwise.
	used := scopes
	if !hasScopes {
		used = deprecated
		w.spans = append(w.spans, r.deprecated...)
	}
	r.tooDeep = r.tooDeep || resourceDeep || used.deep
	w.invalid += used.invalid
	w.resourceSpans++
	if used.anyValid {
		w.kept++
	}
	return nil
}

// resource checks a Resource and says whether an attribute nests too deep.
func (r *wireCheck) resource(buf []byte) (bool, error) {
	deep := false
	err := eachField(buf, func(field int32, wt int, b []byte, pos int) (int, error) {
		switch field {
		case 1:
			b, pos, err := consumeMessage(b, pos, wt)
			if err != nil {
				return 0, err
			}
			d, err := r.attribute(b)
			deep = deep || d
			return pos, err
		case 2:
			return consumeScalar(b, pos, wt, wtVarint)
		case 3:
			b, pos, err := consumeMessage(b, pos, wt)
			if err != nil {
				return 0, err
			}
			return pos, checkStrings(b, 4)
		}
		return consumeUnknown(b, pos, wt)
	})
	return deep, err
}

// checkStrings checks a message of string fields 1 to n (EntityRef).
func checkStrings(buf []byte, n int32) error {
	return eachField(buf, func(field int32, wt int, b []byte, pos int) (int, error) {
		if field >= 1 && field <= n {
			_, pos, err := consumeMessage(b, pos, wt)
			return pos, err
		}
		return consumeUnknown(b, pos, wt)
	})
}

func (r *wireCheck) scopeSpans(buf []byte, g *scopeGroup, dst *[][]byte) error {
	valid := false
	err := eachField(buf, func(field int32, wt int, b []byte, pos int) (int, error) {
		switch field {
		case 1:
			b, pos, err := consumeMessage(b, pos, wt)
			if err != nil {
				return 0, err
			}
			d, err := r.scope(b)
			g.deep = g.deep || d
			return pos, err
		case 2:
			b, pos, err := consumeMessage(b, pos, wt)
			if err != nil {
				return 0, err
			}
			ok, d, err := r.span(b)
			if err != nil {
				return 0, err
			}
			g.deep = g.deep || d
			if ok {
				*dst = append(*dst, b)
				valid = true
			} else {
				g.invalid++
			}
			return pos, nil
		case 3:
			_, pos, err := consumeMessage(b, pos, wt)
			return pos, err
		}
		return consumeUnknown(b, pos, wt)
	})
	g.anyValid = g.anyValid || valid
	return err
}

// scope checks an InstrumentationScope.
func (r *wireCheck) scope(buf []byte) (bool, error) {
	deep := false
	err := eachField(buf, func(field int32, wt int, b []byte, pos int) (int, error) {
		switch field {
		case 1, 2:
			_, pos, err := consumeMessage(b, pos, wt)
			return pos, err
		case 3:
			b, pos, err := consumeMessage(b, pos, wt)
			if err != nil {
				return 0, err
			}
			d, err := r.attribute(b)
			deep = deep || d
			return pos, err
		case 4:
			return consumeScalar(b, pos, wt, wtVarint)
		}
		return consumeUnknown(b, pos, wt)
	})
	return deep, err
}

// span checks a Span: valid says its trace and span ids are not empty.
func (r *wireCheck) span(buf []byte) (valid, deep bool, err error) {
	var trace [16]byte
	var span [8]byte
	err = eachField(buf, func(field int32, wt int, b []byte, pos int) (int, error) {
		switch field {
		case 1, 2, 4:
			id, pos, err := consumeMessage(b, pos, wt)
			if err != nil {
				return 0, err
			}
			switch {
			case field == 1 && (len(id) == 0 || len(id) == 16):
				trace = [16]byte{}
				copy(trace[:], id)
			case field != 1 && (len(id) == 0 || len(id) == 8):
				if field == 2 {
					span = [8]byte{}
					copy(span[:], id)
				}
			default:
				return 0, errWire
			}
			return pos, nil
		case 3, 5:
			_, pos, err := consumeMessage(b, pos, wt)
			return pos, err
		case 16:
			return consumeScalar(b, pos, wt, wtI32)
		case 6, 10, 12, 14:
			return consumeScalar(b, pos, wt, wtVarint)
		case 7, 8:
			return consumeScalar(b, pos, wt, wtI64)
		case 9:
			b, pos, err := consumeMessage(b, pos, wt)
			if err != nil {
				return 0, err
			}
			d, err := r.attribute(b)
			deep = deep || d
			return pos, err
		case 11, 13:
			b, pos, err := consumeMessage(b, pos, wt)
			if err != nil {
				return 0, err
			}
			var d bool
			if field == 11 {
				d, err = r.spanEvent(b)
			} else {
				d, err = r.spanLink(b)
			}
			deep = deep || d
			return pos, err
		case 15:
			b, pos, err := consumeMessage(b, pos, wt)
			if err != nil {
				return 0, err
			}
			return pos, eachField(b, func(field int32, wt int, b []byte, pos int) (int, error) {
				switch field {
				case 2:
					_, pos, err := consumeMessage(b, pos, wt)
					return pos, err
				case 3:
					return consumeScalar(b, pos, wt, wtVarint)
				}
				return consumeUnknown(b, pos, wt)
			})
		}
		return consumeUnknown(b, pos, wt)
	})
	return trace != [16]byte{} && span != [8]byte{}, deep, err
}

func (r *wireCheck) spanEvent(buf []byte) (bool, error) {
	deep := false
	err := eachField(buf, func(field int32, wt int, b []byte, pos int) (int, error) {
		switch field {
		case 1:
			return consumeScalar(b, pos, wt, wtI64)
		case 2:
			_, pos, err := consumeMessage(b, pos, wt)
			return pos, err
		case 3:
			b, pos, err := consumeMessage(b, pos, wt)
			if err != nil {
				return 0, err
			}
			d, err := r.attribute(b)
			deep = deep || d
			return pos, err
		case 4:
			return consumeScalar(b, pos, wt, wtVarint)
		}
		return consumeUnknown(b, pos, wt)
	})
	return deep, err
}

func (r *wireCheck) spanLink(buf []byte) (bool, error) {
	deep := false
	err := eachField(buf, func(field int32, wt int, b []byte, pos int) (int, error) {
		switch field {
		case 1, 2:
			id, pos, err := consumeMessage(b, pos, wt)
			if err != nil {
				return 0, err
			}
			if n := len(id); n != 0 && (field == 1 && n != 16 || field == 2 && n != 8) {
				return 0, errWire
			}
			return pos, nil
		case 3:
			_, pos, err := consumeMessage(b, pos, wt)
			return pos, err
		case 4:
			b, pos, err := consumeMessage(b, pos, wt)
			if err != nil {
				return 0, err
			}
			d, err := r.attribute(b)
			deep = deep || d
			return pos, err
		case 5:
			return consumeScalar(b, pos, wt, wtVarint)
		case 6:
			return consumeScalar(b, pos, wt, wtI32)
		}
		return consumeUnknown(b, pos, wt)
	})
	return deep, err
}

// attribute checks a KeyValue of an attribute list and says whether its
// value nests deeper than maxNesting.
func (r *wireCheck) attribute(buf []byte) (bool, error) {
	if _, _, _, ok := simpleKeyValue(buf); ok {
		return 1 > r.maxNesting, nil
	}
	h, err := keyValueHeight(buf, 0)
	return h > r.maxNesting, err
}

// simpleKeyValue reads a KeyValue of the shape encoders write: its key
// and its value, in either order (protobuf's encoders write fields in
// order, pdata's in reverse), the value holding one string, bool, int or
// double, and nothing else. member is the value's oneof field, v its
// payload (the string, the varint's bytes, the double's 8 bytes). ok is
// false for any other shape, which the general code reads; pdata takes
// every KeyValue of this one.
func simpleKeyValue(buf []byte) (key []byte, member int32, v []byte, ok bool) {
	first, p, ok := lenField(buf, 0)
	if !ok {
		return nil, 0, nil, false
	}
	second, end, ok := lenField(buf, p)
	if !ok || end != len(buf) || buf[0] == buf[p] {
		return nil, 0, nil, false
	}
	av := second
	switch {
	case buf[0] == 0x0a && buf[p] == 0x12:
		key = first
	case buf[0] == 0x12 && buf[p] == 0x0a:
		key, av = second, first
	default:
		return nil, 0, nil, false
	}
	if len(av) < 2 {
		return nil, 0, nil, false
	}
	switch av[0] {
	case 0x0a: // string_value
		s, q, ok := lenField(av, 0)
		if !ok || q != len(av) {
			return nil, 0, nil, false
		}
		return key, 1, s, true
	case 0x10, 0x18: // bool_value, int_value
		if _, q, err := consumeVarint(av, 1); err != nil || q != len(av) {
			return nil, 0, nil, false
		}
		return key, int32(av[0] >> 3), av[1:], true
	case 0x21: // double_value
		if len(av) != 9 {
			return nil, 0, nil, false
		}
		return key, 4, av[1:], true
	}
	return nil, 0, nil, false
}

// lenField reads a length-delimited field with a one-byte tag at pos: its
// payload, and the position after it.
func lenField(buf []byte, pos int) ([]byte, int, bool) {
	if pos >= len(buf) || buf[pos]&7 != wtLen || buf[pos] >= 0x80 {
		return nil, 0, false
	}
	b, end, err := consumeLen(buf, pos+1)
	return b, end, err == nil
}

// keyValueHeight checks a KeyValue entered depth messages deep and
// returns the nesting of its value: 1 for a scalar or no value, one more
// than its deepest member for a map or an array.
func keyValueHeight(buf []byte, depth int) (int, error) {
	if depth >= recursionLimit {
		return 0, ErrTooDeep
	}
	depth++
	h := 1
	err := eachField(buf, func(field int32, wt int, b []byte, pos int) (int, error) {
		switch field {
		case 1:
			_, pos, err := consumeMessage(b, pos, wt)
			return pos, err
		case 2:
			// A repeated value field merges into one value: its last
			// oneof member wins.
			b, pos, err := consumeMessage(b, pos, wt)
			if err != nil {
				return 0, err
			}
			member, vh, err := anyValueHeight(b, depth)
			if member != 0 {
				h = vh
			}
			return pos, err
		case 3:
			return consumeScalar(b, pos, wt, wtVarint)
		}
		return consumeUnknown(b, pos, wt)
	})
	return h, err
}

// anyValueHeight checks an AnyValue and returns its last oneof member (0
// for none) and its nesting.
func anyValueHeight(buf []byte, depth int) (member int32, h int, err error) {
	if depth >= recursionLimit {
		return 0, 0, ErrTooDeep
	}
	depth++
	h = 1
	err = eachField(buf, func(field int32, wt int, b []byte, pos int) (int, error) {
		var want int
		switch field {
		case 1, 5, 6, 7:
			want = wtLen
		case 2, 3, 8:
			want = wtVarint
		case 4:
			want = wtI64
		default:
			return consumeUnknown(b, pos, wt)
		}
		if want != wtLen {
			member, h = field, 1
			return consumeScalar(b, pos, wt, want)
		}
		v, pos, err := consumeMessage(b, pos, wt)
		if err != nil {
			return 0, err
		}
		member, h = field, 1
		if field == 5 || field == 6 {
			// The array or list is a message entered one deeper.
			if depth >= recursionLimit {
				return 0, ErrTooDeep
			}
			inner := 0
			err = eachField(v, func(f int32, wt int, b []byte, pos int) (int, error) {
				if f != 1 {
					return consumeUnknown(b, pos, wt)
				}
				e, pos, err := consumeMessage(b, pos, wt)
				if err != nil {
					return 0, err
				}
				var eh int
				if field == 5 {
					_, eh, err = anyValueHeight(e, depth+1)
				} else {
					eh, err = keyValueHeight(e, depth+1)
				}
				inner = max(inner, eh)
				return pos, err
			})
			h = 1 + inner
		}
		return pos, err
	})
	return member, h, err
}

// eachField calls fn with the field number and wire type of each field of
// buf, and the position after its tag; fn consumes the field and returns
// the position after it.
func eachField(buf []byte, fn func(field int32, wt int, b []byte, pos int) (int, error)) error {
	for pos := 0; pos < len(buf); {
		field, wt, p, err := consumeTag(buf, pos)
		if err != nil {
			return err
		}
		if pos, err = fn(field, wt, buf, p); err != nil {
			return err
		}
	}
	return nil
}

// The consume functions read as pdata's internal/proto does, so that
// ReadTraces accepts what it accepts: a varint of up to ten bytes
// whatever the last one holds, a field number read as int32 (its high
// bits dropped) and refused when not positive, groups skipped to their
// matching end whatever fields they hold.

func consumeVarint(buf []byte, pos int) (uint64, int, error) {
	var n uint64
	for shift := uint(0); ; shift += 7 {
		if shift >= 64 {
			return 0, 0, errWire
		}
		if pos >= len(buf) {
			return 0, 0, io.ErrUnexpectedEOF
		}
		b := buf[pos]
		pos++
		n |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return n, pos, nil
		}
	}
}

func consumeTag(buf []byte, pos int) (int32, int, int, error) {
	tag, pos, err := consumeVarint(buf, pos)
	if err != nil {
		return 0, 0, 0, err
	}
	field := int32(tag >> 3)
	if field <= 0 {
		return 0, 0, 0, errWire
	}
	return field, int(tag & 7), pos, nil
}

// consumeLen reads a length-delimited field's payload.
func consumeLen(buf []byte, pos int) ([]byte, int, error) {
	n, pos, err := consumeVarint(buf, pos)
	if err != nil {
		return nil, 0, err
	}
	length := int(n)
	if length < 0 {
		return nil, 0, errWire
	}
	end := pos + length
	if end < 0 || end > len(buf) {
		return nil, 0, io.ErrUnexpectedEOF
	}
	return buf[pos:end], end, nil
}

// consumeMessage reads a field that must be length-delimited (a message,
// a string, bytes).
func consumeMessage(buf []byte, pos, wt int) ([]byte, int, error) {
	if wt != wtLen {
		return nil, 0, errWire
	}
	return consumeLen(buf, pos)
}

// consumeScalar reads a field that must have wire type want.
func consumeScalar(buf []byte, pos, wt, want int) (int, error) {
	if wt != want {
		return 0, errWire
	}
	return consumeUnknown(buf, pos, wt)
}

func consumeUnknown(buf []byte, pos, wt int) (int, error) {
	var err error
	depth := 0
	for pos < len(buf) {
		switch wt {
		case wtVarint:
			_, pos, err = consumeVarint(buf, pos)
			return pos, err
		case wtI64:
			if pos += 8; pos > len(buf) {
				return 0, io.ErrUnexpectedEOF
			}
			return pos, nil
		case wtLen:
			_, pos, err = consumeLen(buf, pos)
			return pos, err
		case wtStartGroup:
			depth++
		case wtEndGroup:
			if depth == 0 {
				return 0, errWire
			}
			depth--
		case wtI32:
			if pos += 4; pos > len(buf) {
				return 0, io.ErrUnexpectedEOF
			}
			return pos, nil
		default:
			return 0, fmt.Errorf("%w: wire type %d", errWire, wt)
		}
		if depth == 0 {
			return pos, nil
		}
		if _, wt, pos, err = consumeTag(buf, pos); err != nil {
			return 0, err
		}
	}
	return 0, io.ErrUnexpectedEOF
}

// BatchSpan is one span of a batch as the session's counting needs it:
// its ids, and where its events end in the batch's events.
type BatchSpan struct {
	TraceID              pcommon.TraceID
	SpanID, ParentSpanID pcommon.SpanID
	// End is the end of the span's events: they are the batch's events
	// from the previous span's End (0 for the first) to End.
	End int
}

// AppendEvents appends the events of every valid span of w to out, and
// each span to spans. The events own their strings: they stay right
// after the request's bytes are reused.
func (w *WireTraces) AppendEvents(out []Event, spans []BatchSpan) ([]Event, []BatchSpan) {
	x := getIndex()
	defer x.release()
	ws := wirePool.Get().(*wireSpan)
	defer ws.release()
	var arena stringArena
	for _, b := range w.spans {
		ws.read(b, x)
		from := len(out)
		d := spanData{
			name: ws.name, traceID: ws.traceID, spanID: ws.spanID, parentID: ws.parentID,
			start: ws.start, end: ws.end, failed: ws.code == int32(ptrace.StatusCodeError),
			statusMsg: ws.message, attrs: x, wire: ws,
		}
		out = appendEvents(out, &d)
		ownStrings(out[from:], w.body, &arena)
		spans = append(spans, BatchSpan{TraceID: ws.traceID, SpanID: ws.spanID, ParentSpanID: ws.parentID, End: len(out)})
		x.reset()
	}
	return out, spans
}

// AppendTracesEvents is AppendEvents for pdata: the events of every span
// of td, and each span.
func AppendTracesEvents(td ptrace.Traces, out []Event, spans []BatchSpan) ([]Event, []BatchSpan) {
	EachSpan(td, func(sp ptrace.Span) {
		out = AppendFromSpan(out, sp)
		spans = append(spans, BatchSpan{TraceID: sp.TraceID(), SpanID: sp.SpanID(), ParentSpanID: sp.ParentSpanID(), End: len(out)})
	})
	return out, spans
}

// wireSpan is one span read from the wire: views of the request.
type wireSpan struct {
	name, message    string
	traceID          pcommon.TraceID
	spanID, parentID pcommon.SpanID
	start, end       pcommon.Timestamp
	code             int32
	attrs, events    [][]byte // KeyValue and Event messages, in order
}

var wirePool = sync.Pool{New: func() any { return new(wireSpan) }}

func (s *wireSpan) release() {
	clear(s.attrs)
	clear(s.events)
	*s = wireSpan{attrs: s.attrs[:0], events: s.events[:0]}
	wirePool.Put(s)
}

// read reads a span ReadTraces checked, and indexes its attributes in x.
// Of a repeated scalar the last counts, as in pdata; a repeated status
// merges.
func (s *wireSpan) read(buf []byte, x *attrIndex) {
	*s = wireSpan{attrs: s.attrs[:0], events: s.events[:0]}
	for f := (fields{buf: buf}); f.next(); {
		switch {
		case f.wt == wtI64 && (f.field == 7 || f.field == 8):
			t := pcommon.Timestamp(f.fixed64())
			if f.field == 7 {
				s.start = t
			} else {
				s.end = t
			}
		case f.wt != wtLen:
			f.skip()
		default:
			v := f.bytes()
			switch f.field {
			case 1:
				s.traceID = pcommon.TraceID{}
				copy(s.traceID[:], v)
			case 2:
				s.spanID = pcommon.SpanID{}
				copy(s.spanID[:], v)
			case 4:
				s.parentID = pcommon.SpanID{}
				copy(s.parentID[:], v)
			case 5:
				s.name = view(v)
			case 9:
				s.attrs = append(s.attrs, v)
				key, value := readKeyValue(v)
				if slot, ok := x.want(key); ok {
					x.set(slot, value)
				}
			case 11:
				s.events = append(s.events, v)
			case 15:
				for st := (fields{buf: v}); st.next(); {
					switch {
					case st.field == 2 && st.wt == wtLen:
						s.message = view(st.bytes())
					case st.field == 3 && st.wt == wtVarint:
						s.code = int32(st.varint())
					default:
						st.skip()
					}
				}
			}
		}
	}
}

func (s *wireSpan) eachAttr(fn func(key string, v val)) {
	for _, kv := range s.attrs {
		fn(readKeyValue(kv))
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
		switch member {
		case 1:
			return view(key), val{typ: pcommon.ValueTypeStr, s: view(b), wire: true}
		case 2, 3:
			n, _, _ := consumeVarint(b, 0)
			if member == 3 {
				return view(key), val{typ: pcommon.ValueTypeInt, n: n, wire: true}
			}
			v := val{typ: pcommon.ValueTypeBool, wire: true}
			if n != 0 {
				v.n = 1
			}
			return view(key), v
		default:
			return view(key), val{typ: pcommon.ValueTypeDouble, n: binary.LittleEndian.Uint64(b), wire: true}
		}
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

// fields walks the fields of a message ReadTraces checked: next reads a
// tag, then one of bytes, varint, fixed64 or skip reads the field. Bytes
// that fail to parse (which a checked message does not hold) end the walk.
type fields struct {
	buf   []byte
	pos   int
	field int32
	wt    int
}

func (f *fields) next() bool {
	if f.pos >= len(f.buf) {
		return false
	}
	// The common case: a one-byte tag.
	if b := f.buf[f.pos]; b < 0x80 {
		f.field, f.wt = int32(b>>3), int(b&7)
		f.pos++
		return f.field > 0
	}
	return f.longTag()
}

func (f *fields) longTag() bool {
	field, wt, p, err := consumeTag(f.buf, f.pos)
	if err != nil {
		f.pos = len(f.buf)
		return false
	}
	f.field, f.wt, f.pos = field, wt, p
	return true
}

func (f *fields) bytes() []byte {
	// The common case: a one-byte length.
	if f.pos < len(f.buf) {
		if n := int(f.buf[f.pos]); n < 0x80 && f.pos+1+n <= len(f.buf) {
			f.pos += 1 + n
			return f.buf[f.pos-n : f.pos]
		}
	}
	b, p, err := consumeLen(f.buf, f.pos)
	if err != nil {
		f.pos = len(f.buf)
		return nil
	}
	f.pos = p
	return b
}

func (f *fields) varint() uint64 {
	n, p, err := consumeVarint(f.buf, f.pos)
	if err != nil {
		f.pos = len(f.buf)
		return 0
	}
	f.pos = p
	return n
}

func (f *fields) fixed64() uint64 {
	if f.pos+8 > len(f.buf) {
		f.pos = len(f.buf)
		return 0
	}
	f.pos += 8
	return binary.LittleEndian.Uint64(f.buf[f.pos-8:])
}

func (f *fields) skip() {
	p, err := consumeUnknown(f.buf, f.pos, f.wt)
	if err != nil {
		p = len(f.buf)
	}
	f.pos = p
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
	field := protowire.Number(5)
	switch typ {
	case pcommon.ValueTypeMap:
		field = 6
	case pcommon.ValueTypeBytes:
		field = 7
	}
	msg := func(b []byte, n protowire.Number, inner []byte) []byte {
		b = protowire.AppendTag(b, n, protowire.BytesType)
		return protowire.AppendBytes(b, inner)
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

// view is b as a string, without a copy: it lives as long as the
// request's bytes are unchanged (see ownStrings).
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
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
	if cap(a.block)-len(a.block) < len(s) {
		a.block = make([]byte, 0, arenaBlock)
	}
	start := len(a.block)
	a.block = append(a.block, s...)
	return unsafe.String(&a.block[start], len(s))
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
