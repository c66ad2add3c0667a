package events

import (
	"encoding/binary"
	"math"
	"time"
)

// keptEvent is an event kept for the record, packed: its times, and every
// other field in one string. A session keeps its first DefaultKeepEvents
// events while it runs; as Events with their LLM (or Tool, ...) parts and
// a dozen strings each, an LLM call took some 740 bytes in eleven objects,
// packed it takes about 300 in two, and the strings it points to (the
// request's) are freed. Finish unpacks them, once; the unpacked events'
// strings are substrings of the packed one.
type keptEvent struct {
	start, end, llmTime time.Time
	data                string
}

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
)

// pack packs e, using scratch as working memory; it returns the packed
// event and scratch to use again.
func pack(e *Event, scratch []byte) (keptEvent, []byte) {
	p := packer{b: scratch[:0]}
	k := keptEvent{start: e.Start, end: e.End}
	var bits uint64
	if e.LLM != nil {
		bits |= packedLLM
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
	p.uint(bits)
	p.str(string(e.Kind), e.Name, e.TraceID, e.SpanID, e.ParentSpanID, e.Convention, e.Source,
		e.RequestID, e.ResponseID, e.ToolCallID, e.SameAs)
	p.uint(e.spanKey)
	if l := e.LLM; l != nil {
		k.llmTime = l.Time
		p.str(l.Operation, l.Provider, l.Server, l.RequestModel, l.ResponseModel, l.CostSource,
			l.Prompt, l.Completion, l.UsageMissing)
		p.int(l.InputTokens, l.OutputTokens, l.CacheReadTokens, l.CacheCreationTokens,
			l.CacheCreation1hTokens, l.ReasoningTokens, l.WebSearches, l.TotalTokens, int64(l.InvalidValues))
		if l.CostUSD != nil {
			p.uint(math.Float64bits(*l.CostUSD))
		}
	}
	if t := e.Tool; t != nil {
		p.str(t.Name, t.Arguments, t.Result)
	}
	if a := e.Action; a != nil {
		p.str(a.Type, a.Input, a.Output)
	}
	if a := e.Agent; a != nil {
		p.str(a.Name, a.Input, a.Output)
	}
	if x := e.Error; x != nil {
		p.str(x.Type, x.Message, x.Stack, x.Source, x.Output)
	}
	k.data = string(p.b)
	return k, p.b
}

// unpack is the event k packs.
func (k *keptEvent) unpack() Event {
	u := unpacker{s: k.data}
	bits := u.uint()
	e := Event{Start: k.start, End: k.end}
	var kind string
	u.str(&kind, &e.Name, &e.TraceID, &e.SpanID, &e.ParentSpanID, &e.Convention, &e.Source,
		&e.RequestID, &e.ResponseID, &e.ToolCallID, &e.SameAs)
	e.Kind = Kind(kind)
	e.spanKey = u.uint()
	if bits&packedLLM != 0 {
		l := &LLM{Time: k.llmTime, Wrapper: bits&packedWrapper != 0, Duplicate: bits&packedDuplicate != 0}
		u.str(&l.Operation, &l.Provider, &l.Server, &l.RequestModel, &l.ResponseModel, &l.CostSource,
			&l.Prompt, &l.Completion, &l.UsageMissing)
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
		u.str(&t.Name, &t.Arguments, &t.Result)
		e.Tool = t
	}
	if bits&packedAction != 0 {
		a := &Action{}
		u.str(&a.Type, &a.Input, &a.Output)
		e.Action = a
	}
	if bits&packedAgent != 0 {
		a := &Agent{}
		u.str(&a.Name, &a.Input, &a.Output)
		e.Agent = a
	}
	if bits&packedError != 0 {
		x := &Error{Propagated: bits&packedPropagated != 0}
		u.str(&x.Type, &x.Message, &x.Stack, &x.Source, &x.Output)
		e.Error = x
	}
	return e
}

// packer appends strings (length first) and numbers as varints.
type packer struct{ b []byte }

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
