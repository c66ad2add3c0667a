package events

import (
	"encoding/binary"
	"errors"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
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

// ReadInfo is what ReadTraces found in a request besides its events.
type ReadInfo struct {
	// invalid counts the spans with an empty trace id or span id.
	invalid int
	// resourceSpans counts the ResourceSpans, kept those that hold a
	// valid span.
	resourceSpans, kept int
}

// Invalid is the number of spans whose trace id or span id is empty (all
// zero bytes), which OTLP calls invalid: they are not read.
func (w ReadInfo) Invalid() int { return w.invalid }

// Empty says whether the request holds nothing once its invalid spans
// are dropped the way the receiver drops them from pdata: no
// ResourceSpans, or, when some span was invalid, none holding a valid one.
func (w ReadInfo) Empty() bool {
	if w.invalid == 0 {
		return w.resourceSpans == 0
	}
	return w.kept == 0
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

// ReadTraces checks an ExportTraceServiceRequest in its protobuf encoding
// and, in the same pass, builds the events of every valid span (as
// AppendFromSpan would from the span pdata decodes), appending them to evs
// and each valid span to spans, in the order ptrace.Traces holds them. The
// events own their strings: they stay right when body is reused.
//
// It returns ErrTooDeep when a value of a span, resource, scope, event or
// link nests maps and arrays deeper than maxNesting levels (a string is
// level 1), and another error when pdata would not decode the bytes;
// either way evs and spans come back as they were given.
func ReadTraces(body []byte, maxNesting int, evs []Event, spans []BatchSpan) ([]Event, []BatchSpan, ReadInfo, error) {
	return readTraces(body, maxNesting, evs, spans, false)
}

// ReadTracesInPlace is ReadTraces but for the events' strings, which may
// be views of body: right only as long as body is not reused. It is for a
// caller that copies what it keeps of them (a Window packs every event it
// is given), and saves copying every string of every event out of the
// request, some 250 bytes an LLM call.
func ReadTracesInPlace(body []byte, maxNesting int, evs []Event, spans []BatchSpan) ([]Event, []BatchSpan, ReadInfo, error) {
	return readTraces(body, maxNesting, evs, spans, true)
}

func readTraces(body []byte, maxNesting int, evs []Event, spans []BatchSpan, inPlace bool) ([]Event, []BatchSpan, ReadInfo, error) {
	r := wireCheck{maxNesting: maxNesting, body: body, evs: evs, spans: spans, inPlace: inPlace,
		x: getIndex(), ws: wirePool.Get().(*wireSpan)}
	defer r.x.release()
	defer r.ws.release()
	err := eachField(body, func(field int32, wt int, b []byte, pos int) (int, error) {
		if field != 1 {
			return consumeUnknown(b, pos, wt)
		}
		rs, pos, err := consumeMessage(b, pos, wt)
		if err != nil {
			return 0, err
		}
		return pos, r.resourceSpans(rs)
	})
	if err == nil && r.tooDeep {
		err = ErrTooDeep
	}
	if err != nil {
		clear(evs[len(evs):cap(evs)]) // what was built before the error
		return evs, spans, ReadInfo{}, err
	}
	return r.evs, r.spans, r.info, nil
}

// wireCheck is ReadTraces' state.
type wireCheck struct {
	maxNesting int
	tooDeep    bool
	body       []byte
	// inPlace leaves the events' strings views of body (ReadTracesInPlace).
	inPlace bool
	info    ReadInfo
	// evs and spans are the request's so far; the spans of a
	// ResourceSpans' deprecated list (field 1000) wait in depEvs and
	// depSpans until it is known whether it is used.
	evs, depEvs     []Event
	spans, depSpans []BatchSpan
	// x and ws are the span being read, arena what its events keep.
	x     *attrIndex
	ws    *wireSpan
	arena stringArena
}

// scopeGroup is what one list of ScopeSpans of a ResourceSpans holds.
type scopeGroup struct {
	deep     bool // a value nests too deep
	invalid  int
	anyValid bool // some ScopeSpans holds a valid span
}

func (r *wireCheck) resourceSpans(buf []byte) error {
	var scopes, deprecated scopeGroup
	hasScopes, resourceDeep := false, false
	r.depEvs, r.depSpans = r.depEvs[:0], r.depSpans[:0]
	err := eachField(buf, func(field int32, wt int, b []byte, pos int) (int, error) {
		switch field {
		case 1, 2, 3, 1000:
		default:
			return consumeUnknown(b, pos, wt)
		}
		m, pos, err := consumeMessage(b, pos, wt)
		if err != nil {
			return 0, err
		}
		switch field {
		case 1:
			deep, err := r.resource(m)
			resourceDeep = resourceDeep || deep
			return pos, err
		case 2:
			hasScopes = true
			return pos, r.scopeSpans(m, &scopes, &r.evs, &r.spans)
		case 1000:
			return pos, r.scopeSpans(m, &deprecated, &r.depEvs, &r.depSpans)
		}
		return pos, nil
	})
	if err != nil {
		return err
	}
	// pdata's MigrateTraces: the deprecated list stands in for an absent
	// one, and is dropped otherwise.
	used := scopes
	if !hasScopes {
		used = deprecated
		base := len(r.evs)
		r.evs = append(r.evs, r.depEvs...)
		for _, sp := range r.depSpans {
			sp.End += base
			r.spans = append(r.spans, sp)
		}
	}
	clear(r.depEvs)
	r.tooDeep = r.tooDeep || resourceDeep || used.deep
	r.info.invalid += used.invalid
	r.info.resourceSpans++
	if used.anyValid {
		r.info.kept++
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

func (r *wireCheck) scopeSpans(buf []byte, g *scopeGroup, evs *[]Event, spans *[]BatchSpan) error {
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
			ok, d, err := r.span(b, evs, spans)
			if err != nil {
				return 0, err
			}
			g.deep = g.deep || d
			if ok {
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

// span checks a Span and reads it as pdata would hold it (the last of a
// repeated scalar, a repeated status merged, its first attribute of a
// name): when its trace and span ids are not empty (valid), its events
// are appended to evs and the span to spans.
func (r *wireCheck) span(buf []byte, evs *[]Event, spans *[]BatchSpan) (valid, deep bool, err error) {
	s, x := r.ws, r.x
	x.reset()
	s.reset(buf)
	for pos := 0; pos < len(buf); {
		field, wt, p, err := consumeTag(buf, pos)
		if err != nil {
			return false, false, err
		}
		pos = p
		switch field {
		case 1, 2, 4:
			id, p, err := consumeMessage(buf, pos, wt)
			if err != nil {
				return false, false, err
			}
			pos = p
			switch {
			case field == 1 && (len(id) == 0 || len(id) == 16):
				s.traceID = pcommon.TraceID{}
				copy(s.traceID[:], id)
			case field == 2 && (len(id) == 0 || len(id) == 8):
				s.spanID = pcommon.SpanID{}
				copy(s.spanID[:], id)
			case field == 4 && (len(id) == 0 || len(id) == 8):
				s.parentID = pcommon.SpanID{}
				copy(s.parentID[:], id)
			default:
				return false, false, errWire
			}
		case 3, 5:
			v, p, err := consumeMessage(buf, pos, wt)
			if err != nil {
				return false, false, err
			}
			pos = p
			if field == 5 {
				s.name = view(v)
			}
		case 7, 8:
			if pos, err = consumeScalar(buf, pos, wt, wtI64); err != nil {
				return false, false, err
			}
			t := pcommon.Timestamp(binary.LittleEndian.Uint64(buf[pos-8:]))
			if field == 7 {
				s.start = t
			} else {
				s.end = t
			}
		case 16:
			if pos, err = consumeScalar(buf, pos, wt, wtI32); err != nil {
				return false, false, err
			}
		case 6, 10, 12, 14:
			if pos, err = consumeScalar(buf, pos, wt, wtVarint); err != nil {
				return false, false, err
			}
		case 9:
			kv, p, err := consumeMessage(buf, pos, wt)
			if err != nil {
				return false, false, err
			}
			pos = p
			d, err := r.spanAttribute(kv)
			if err != nil {
				return false, false, err
			}
			deep = deep || d
		case 11, 13:
			m, p, err := consumeMessage(buf, pos, wt)
			if err != nil {
				return false, false, err
			}
			pos = p
			var d bool
			if field == 11 {
				d, err = r.spanEvent(m)
				s.events = append(s.events, m)
			} else {
				d, err = r.spanLink(m)
			}
			if err != nil {
				return false, false, err
			}
			deep = deep || d
		case 15:
			m, p, err := consumeMessage(buf, pos, wt)
			if err != nil {
				return false, false, err
			}
			pos = p
			if err := s.status(m); err != nil {
				return false, false, err
			}
		default:
			if pos, err = consumeUnknown(buf, pos, wt); err != nil {
				return false, false, err
			}
		}
	}
	if s.traceID.IsEmpty() || s.spanID.IsEmpty() {
		return false, deep, nil
	}
	from := len(*evs)
	d := spanData{
		name: s.name, traceID: s.traceID, spanID: s.spanID, parentID: s.parentID,
		start: s.start, end: s.end, failed: s.code == int32(ptrace.StatusCodeError),
		statusMsg: s.message, attrs: x, wire: s, arena: &r.arena,
	}
	*evs = appendEvents(*evs, &d)
	if !r.inPlace {
		ownStrings((*evs)[from:], r.body, &r.arena)
	}
	*spans = append(*spans, BatchSpan{TraceID: s.traceID, SpanID: s.spanID, ParentSpanID: s.parentID, End: len(*evs)})
	return true, deep, nil
}

// spanAttribute checks a KeyValue of the span's attributes, says whether
// its value nests too deep, and indexes it.
func (r *wireCheck) spanAttribute(kv []byte) (bool, error) {
	if key, member, b, ok := simpleKeyValue(kv); ok {
		if slot, ok := r.x.want(view(key)); ok {
			simpleValue(r.x.add(slot), member, b)
		}
		return 1 > r.maxNesting, nil
	}
	h, err := keyValueHeight(kv, 0)
	if err != nil {
		return false, err
	}
	if slot, ok := r.x.want(readKey(kv)); ok {
		_, *r.x.add(slot) = readKeyValue(kv)
	}
	return h > r.maxNesting, nil
}

// status checks a Status and merges it into the span's.
func (s *wireSpan) status(buf []byte) error {
	return eachField(buf, func(field int32, wt int, b []byte, pos int) (int, error) {
		switch field {
		case 2:
			m, pos, err := consumeMessage(b, pos, wt)
			s.message = view(m)
			return pos, err
		case 3:
			if wt != wtVarint {
				return 0, errWire
			}
			n, pos, err := consumeVarint(b, pos)
			s.code = int32(n)
			return pos, err
		}
		return consumeUnknown(b, pos, wt)
	})
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
	if pos+1 >= len(buf) || buf[pos]&7 != wtLen || buf[pos] >= 0x80 {
		return nil, 0, false
	}
	if n := int(buf[pos+1]); n < 0x80 { // a one-byte length
		end := pos + 2 + n
		if end > len(buf) {
			return nil, 0, false
		}
		return buf[pos+2 : end], end, true
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

// AppendTracesEvents is ReadTraces' events for pdata: it appends the
// events of every span of td to out, and each span to spans.
func AppendTracesEvents(td ptrace.Traces, out []Event, spans []BatchSpan) ([]Event, []BatchSpan) {
	EachSpan(td, func(sp ptrace.Span) {
		out = AppendFromSpan(out, sp)
		spans = append(spans, BatchSpan{TraceID: sp.TraceID(), SpanID: sp.SpanID(), ParentSpanID: sp.ParentSpanID(), End: len(out)})
	})
	return out, spans
}
