package events

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"strings"
	"time"
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
// strings of up to maxDictLen bytes, the first maxDictStrings met.
type keptDict struct {
	index map[string]uint64
	strs  []string
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
)

// pack packs e, the dictionary d taking its recurring strings, using
// scratch as working memory; it returns the packed event and scratch to
// use again.
func pack(e *Event, d *keptDict, scratch []byte) (keptEvent, []byte) {
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
		if bits&packedTimes == 0 {
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
	k.data = string(p.b)
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
	u := unpacker{s: k.data, d: d}
	bits := u.uint()
	var e Event
	var kind string
	u.word(&kind, &e.Name, &e.Convention, &e.Source)
	e.Kind = Kind(kind)
	u.id(&e.TraceID, &e.SpanID, &e.ParentSpanID)
	u.str(&e.RequestID, &e.ResponseID, &e.ToolCallID, &e.SameAs)
	if bits&packedKeyOfSpan != 0 {
		e.spanKey = hexID(e.SpanID)
	} else {
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
		if k.times != nil {
			l.Time = llmTime
		} else {
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
	for _, s := range ss {
		n, ok := p.d.index[s]
		if !ok && len(s) <= maxDictLen && len(p.d.strs) < maxDictStrings {
			if p.d.index == nil {
				p.d.index = map[string]uint64{}
			}
			s = strings.Clone(s) // not the request's memory
			n, ok = uint64(len(p.d.strs)), true
			p.d.index[s] = n
			p.d.strs = append(p.d.strs, s)
		}
		if ok {
			p.uint(n + 1)
		} else {
			p.uint(0)
			p.str(s)
		}
	}
}

// id appends span and trace ids: in binary when they are the lower-case
// hex of 8 or 16 bytes (every id read from OTLP), else as strings.
func (p *packer) id(ss ...string) {
	for _, s := range ss {
		var b [16]byte
		if n := len(s) / 2; (n == 8 || n == 16) && len(s)%2 == 0 && lowerHex(s) {
			_, _ = hex.Decode(b[:n], []byte(s))
			p.uint(uint64(n) << 1)
			p.b = append(p.b, b[:n]...)
			continue
		}
		p.b = binary.AppendUvarint(p.b, uint64(len(s))<<1|1)
		p.b = append(p.b, s...)
	}
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
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
	if size == 0 {
		return
	}
	const digits = "0123456789abcdef"
	var sb strings.Builder
	sb.Grow(size)
	for k := range ss {
		for i := 0; i < len(raw[k]); i++ {
			sb.WriteByte(digits[raw[k][i]>>4])
			sb.WriteByte(digits[raw[k][i]&0xf])
		}
	}
	all := sb.String()
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
