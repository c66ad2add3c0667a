package events

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"strings"
	"time"
	"unsafe"
)

// keptEvent is an event kept for the record, packed into one string. A
// session keeps its first DefaultKeepEvents events while it runs; as Events
// with their LLM (or Tool, ...) parts and a dozen strings each, an LLM call
// took some 740 bytes in eleven objects; packed, some 170 in one: ids in
// binary, times as seconds and nanoseconds, the strings that recur (names,
// models, providers, ...) as numbers in a dictionary, and the request's
// strings it pointed to are freed. Finish unpacks them, once.
type keptEvent struct {
	data string
	// times holds Start, End and LLM.Time when one of them is not a UTC
	// time without a monotonic reading (data holds those), else nil.
	times *[3]time.Time
}

// keptDict is the dictionary of the strings that recur in kept events:
// strings of up to maxDictLen bytes, the first maxDictStrings met. The
// first is always "", which most events have in several fields: packed
// without a lookup.
type keptDict struct {
	index map[string]uint64
	strs  []string
	// recent caches strings of strs by a hash of their length and ends:
	// the words of a session are few, and a comparison costs less than
	// a lookup in index.
	recent [64]dictWord
	// ids are the trace and parent ids last packed in binary, as hex: the
	// spans of a trace come together, and those of a parent.
	ids [3]packedID
}

// packedID is an id packed in binary, its hex and its bytes.
type packedID struct {
	hex [32]byte
	raw [16]byte
	n   int // bytes
}

// dictWord is a string of a keptDict and 1 + its number.
type dictWord struct {
	s string
	n uint64
}

const (
	maxDictStrings = 4096
	maxDictLen     = 64
)

// The presence and boolean bits of a packed event.
const (
	packedLLM = 1 << iota
	packedTool
	packedAction
	packedAgent
	packedError
	packedCost
	packedWrapper
	packedDuplicate
	packedToolFailed
	packedPropagated
	packedTimes     // keptEvent.times holds the times
	packedKeyOfSpan // spanKey is SpanID's own
	packedLLMStart  // LLM.Time is Start, not packed again
)

// pack packs e, the dictionary d taking its recurring strings, using
// scratch as working memory, into a's blocks (nil: a string of its own);
// it returns the packed event and scratch to use again.
func pack(e *Event, d *keptDict, scratch []byte, a *stringArena) (keptEvent, []byte) {
	p := packer{b: scratch[:0], d: d}
	var k keptEvent
	var bits uint64
	var llmTime time.Time
	if e.LLM != nil {
		bits |= packedLLM
		llmTime = e.LLM.Time
		if e.LLM.CostUSD != nil {
			bits |= packedCost
		}
		if e.LLM.Wrapper {
			bits |= packedWrapper
		}
		if e.LLM.Duplicate {
			bits |= packedDuplicate
		}
	}
	if e.Tool != nil {
		bits |= packedTool
		if e.Tool.Failed {
			bits |= packedToolFailed
		}
	}
	if e.Action != nil {
		bits |= packedAction
	}
	if e.Agent != nil {
		bits |= packedAgent
	}
	if e.Error != nil {
		bits |= packedError
		if e.Error.Propagated {
			bits |= packedPropagated
		}
	}
	if !plainUTC(e.Start) || !plainUTC(e.End) || !plainUTC(llmTime) {
		bits |= packedTimes
		k.times = &[3]time.Time{e.Start, e.End, llmTime}
	}
	if e.spanKey == hexID(e.SpanID) {
		bits |= packedKeyOfSpan
	}
	if bits&(packedLLM|packedTimes) == packedLLM && llmTime == e.Start {
		bits |= packedLLMStart // as every span's call: see fill
	}
	p.uint(bits)
	p.word(string(e.Kind), e.Name, e.Convention, e.Source)
	p.id(e.TraceID, e.SpanID, e.ParentSpanID)
	p.str(e.RequestID, e.ResponseID, e.ToolCallID, e.SameAs)
	if bits&packedKeyOfSpan == 0 {
		p.uint(e.spanKey)
	}
	if bits&packedTimes == 0 {
		p.time(e.Start, e.End)
	}
	if l := e.LLM; l != nil {
		if bits&(packedTimes|packedLLMStart) == 0 {
			p.time(l.Time)
		}
		p.word(l.Operation, l.Provider, l.Server, l.RequestModel, l.ResponseModel, l.CostSource, l.UsageMissing)
		p.str(l.Prompt, l.Completion)
		p.int(l.InputTokens, l.OutputTokens, l.CacheReadTokens, l.CacheCreationTokens,
			l.CacheCreation1hTokens, l.ReasoningTokens, l.WebSearches, l.TotalTokens, int64(l.InvalidValues))
		if l.CostUSD != nil {
			p.uint(math.Float64bits(*l.CostUSD))
		}
	}
	if t := e.Tool; t != nil {
		p.word(t.Name)
		p.str(t.Arguments, t.Result)
	}
	if a := e.Action; a != nil {
		p.word(a.Type)
		p.str(a.Input, a.Output)
	}
	if a := e.Agent; a != nil {
		p.word(a.Name)
		p.str(a.Input, a.Output)
	}
	if x := e.Error; x != nil {
		p.word(x.Type, x.Source)
		p.str(x.Message, x.Stack, x.Output)
	}
	if a != nil {
		k.data = a.copy(unsafe.String(unsafe.SliceData(p.b), len(p.b)))
	} else {
		k.data = string(p.b)
	}
	return k, p.b
}

// plainUTC reports whether t is what its seconds and nanoseconds make in
// UTC, as every time read from OTLP is: only those are packed as numbers.
func plainUTC(t time.Time) bool {
	return time.Unix(t.Unix(), int64(t.Nanosecond())).UTC() == t
}

// hasLLM reports whether the event k packs has an LLM part.
func (k *keptEvent) hasLLM() bool {
	u := unpacker{s: k.data}
	return u.uint()&packedLLM != 0
}

// unpack is the event k packs, with d the dictionary it was packed with;
// its LLM part, if it has one, is *llm.
func (k *keptEvent) unpack(d *keptDict, llm *LLM) Event {
	return k.unpackIDs(d, llm, true)
}

// unpackIDs is unpack, but without ids the ids packed in binary (every id
// read from OTLP) are left empty, and so may be the event's key (spanKey):
// the caller sets it. The counting reads no id but the key, and their hex
// is what unpacking costs most.
func (k *keptEvent) unpackIDs(d *keptDict, llm *LLM, ids bool) Event {
	u := unpacker{s: k.data, d: d, noIDs: !ids}
	bits := u.uint()
	var e Event
	var kind string
	u.word(&kind, &e.Name, &e.Convention, &e.Source)
	e.Kind = Kind(kind)
	u.id(&e.TraceID, &e.SpanID, &e.ParentSpanID)
	u.str(&e.RequestID, &e.ResponseID, &e.ToolCallID, &e.SameAs)
	switch {
	case bits&packedKeyOfSpan != 0:
		e.spanKey = hexID(e.SpanID)
	default:
		e.spanKey = u.uint()
	}
	var llmTime time.Time
	if k.times != nil {
		e.Start, e.End, llmTime = k.times[0], k.times[1], k.times[2]
	} else {
		u.time(&e.Start, &e.End)
	}
	if bits&packedLLM != 0 {
		l := llm
		*l = LLM{Wrapper: bits&packedWrapper != 0, Duplicate: bits&packedDuplicate != 0}
		switch {
		case k.times != nil:
			l.Time = llmTime
		case bits&packedLLMStart != 0:
			l.Time = e.Start
		default:
			u.time(&l.Time)
		}
		u.word(&l.Operation, &l.Provider, &l.Server, &l.RequestModel, &l.ResponseModel, &l.CostSource, &l.UsageMissing)
		u.str(&l.Prompt, &l.Completion)
		var invalid int64
		u.int(&l.InputTokens, &l.OutputTokens, &l.CacheReadTokens, &l.CacheCreationTokens,
			&l.CacheCreation1hTokens, &l.ReasoningTokens, &l.WebSearches, &l.TotalTokens, &invalid)
		l.InvalidValues = int(invalid)
		if bits&packedCost != 0 {
			usd := math.Float64frombits(u.uint())
			l.CostUSD = &usd
		}
		e.LLM = l
	}
	if bits&packedTool != 0 {
		t := &Tool{Failed: bits&packedToolFailed != 0}
		u.word(&t.Name)
		u.str(&t.Arguments, &t.Result)
		e.Tool = t
	}
	if bits&packedAction != 0 {
		a := &Action{}
		u.word(&a.Type)
		u.str(&a.Input, &a.Output)
		e.Action = a
	}
	if bits&packedAgent != 0 {
		a := &Agent{}
		u.word(&a.Name)
		u.str(&a.Input, &a.Output)
		e.Agent = a
	}
	if bits&packedError != 0 {
		x := &Error{Propagated: bits&packedPropagated != 0}
		u.word(&x.Type, &x.Source)
		u.str(&x.Message, &x.Stack, &x.Output)
		e.Error = x
	}
	return e
}

// packer appends strings (length first) and numbers as varints.
type packer struct {
	b []byte
	d *keptDict
}

// word appends strings that recur: as 1 + their number in the dictionary,
// else as 0 and the string.
func (p *packer) word(ss ...string) {
	if p.d.index == nil {
		p.d.index = map[string]uint64{"": 0}
		p.d.strs = append(p.d.strs, "")
	}
	for _, s := range ss {
		if s == "" {
			p.uint(1)
			continue
		}
		recent := &p.d.recent[wordSlot(s)]
		if recent.n != 0 && recent.s == s {
			p.uint(recent.n)
			continue
		}
		n, ok := p.d.index[s]
		if !ok && len(s) <= maxDictLen && len(p.d.strs) < maxDictStrings {
			s = strings.Clone(s) // not the request's memory
			n, ok = uint64(len(p.d.strs)), true
			p.d.index[s] = n
			p.d.strs = append(p.d.strs, s)
		}
		if ok {
			p.uint(n + 1)
			*recent = dictWord{p.d.strs[n], n + 1}
		} else {
			p.uint(0)
			p.str(s)
		}
	}
}

// wordSlot is where keptDict.recent keeps s, not empty: by its length
// and its first and last bytes, which tell a session's words apart (its
// models, its span names: "chat gpt-4o", "chat claude-sonnet-4-5").
func wordSlot(s string) int {
	h := uint(len(s))*0x9e37 ^ uint(s[0])<<7 ^ uint(s[len(s)-1]) ^ uint(s[len(s)/2])<<3
	return int((h ^ h>>6) % uint(len(keptDict{}.recent)))
}

// id appends span and trace ids: in binary when they are the lower-case
// hex of 8 or 16 bytes (every id read from OTLP), else as strings.
func (p *packer) id(ss ...string) {
	for k, s := range ss {
		last := &p.d.ids[k%len(p.d.ids)]
		if n := last.n; n > 0 && len(s) == 2*n && string(last.hex[:2*n]) == s {
			p.uint(uint64(n) << 1)
			p.b = append(p.b, last.raw[:n]...)
			continue
		}
		var b [16]byte
		if n := len(s) / 2; (n == 8 || n == 16) && len(s)%2 == 0 && decodeLowerHex(b[:n], s) {
			p.uint(uint64(n) << 1)
			p.b = append(p.b, b[:n]...)
			if k != 1 { // a span's id is its own: never again
				last.n, last.raw = n, b
				copy(last.hex[:], s)
			}
			continue
		}
		p.b = binary.AppendUvarint(p.b, uint64(len(s))<<1|1)
		p.b = append(p.b, s...)
	}
}

// decodeLowerHex decodes s, the lower-case hex of len(dst) bytes, into
// dst; false when s is not that (upper-case digits included: their hex
// would not give s back).
func decodeLowerHex(dst []byte, s string) bool {
	s = s[:2*len(dst)]
	for i := range dst {
		hi, lo := lowerHexDigits[s[2*i]], lowerHexDigits[s[2*i+1]]
		if hi == 0 || lo == 0 {
			return false
		}
		dst[i] = (hi-1)<<4 | (lo - 1)
	}
	return true
}

// lowerHexDigits is 1 + the value of each lower-case hex digit, 0 for
// every other byte.
var lowerHexDigits = [256]byte{
	'0': 1, '1': 2, '2': 3, '3': 4, '4': 5, '5': 6, '6': 7, '7': 8, '8': 9, '9': 10,
	'a': 11, 'b': 12, 'c': 13, 'd': 14, 'e': 15, 'f': 16,
}

// time appends times that plainUTC holds true of.
func (p *packer) time(ts ...time.Time) {
	for _, t := range ts {
		p.b = binary.AppendVarint(p.b, t.Unix())
		p.uint(uint64(t.Nanosecond()))
	}
}

func (p *packer) str(ss ...string) {
	for _, s := range ss {
		p.b = binary.AppendUvarint(p.b, uint64(len(s)))
		p.b = append(p.b, s...)
	}
}

func (p *packer) int(vs ...int64) {
	for _, v := range vs {
		p.b = binary.AppendVarint(p.b, v)
	}
}

func (p *packer) uint(v uint64) { p.b = binary.AppendUvarint(p.b, v) }

// unpacker reads what a packer wrote, in the same order; its strings are
// substrings of s.
type unpacker struct {
	s string
	i int
	d *keptDict
	// noIDs leaves the ids packed in binary out.
	noIDs bool
}

func (u *unpacker) word(ss ...*string) {
	for _, s := range ss {
		if n := u.uint(); n > 0 {
			*s = u.d.strs[n-1]
		} else {
			u.str(s)
		}
	}
}

// id reads ids as id wrote them; the hex of those packed in binary is made
// in one allocation for the three.
func (u *unpacker) id(ss ...*string) {
	var raw [3]string
	size := 0
	for k, s := range ss {
		n := int(u.uint())
		b := u.s[u.i : u.i+n>>1]
		u.i += n >> 1
		if n&1 != 0 {
			*s = b
			continue
		}
		raw[k] = b
		size += 2 * len(b)
	}
	if u.noIDs {
		return
	}
	if size == 0 {
		return
	}
	var buf [2 * (16 + 8 + 8)]byte // the longest ids packed in binary
	b := buf[:0]
	if size > len(buf) {
		b = make([]byte, 0, size)
	}
	for k := range ss {
		b = hex.AppendEncode(b, unsafe.Slice(unsafe.StringData(raw[k]), len(raw[k])))
	}
	all := string(b)
	for k, s := range ss {
		if raw[k] != "" {
			*s, all = all[:2*len(raw[k])], all[2*len(raw[k]):]
		}
	}
}

func (u *unpacker) time(ts ...*time.Time) {
	for _, t := range ts {
		var sec int64
		u.int(&sec)
		*t = time.Unix(sec, int64(u.uint())).UTC()
	}
}

func (u *unpacker) uint() uint64 {
	var v uint64
	for shift := 0; ; shift += 7 {
		c := u.s[u.i]
		u.i++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v
		}
	}
}

func (u *unpacker) str(ss ...*string) {
	for _, s := range ss {
		n := int(u.uint())
		*s = u.s[u.i : u.i+n]
		u.i += n
	}
}

func (u *unpacker) int(vs ...*int64) {
	for _, v := range vs {
		x := u.uint()
		*v = int64(x>>1) ^ -int64(x&1) // zig-zag, as binary.AppendVarint
	}
}
