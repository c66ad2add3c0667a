package events

import "strings"

// windowEvent is an event a Window holds, packed as a kept event is (see
// keptEvent): as an Event with its LLM part, its id keys and its strings
// (copies out of the request), an LLM call of the all-LLM load took some
// 730 bytes in the window; packed, some 230 (BenchmarkWindowMemory).
// Beside the packed event is what the rules read of every event on every
// pass (its span, its id keys, what it is) and what they decide of it (its
// marks and SameAs, which take precedence over those packed): an event is
// unpacked to be counted, and for the rules only in their rarer cases
// (see Window.mark).
type windowEvent struct {
	packed keptEvent
	keys   idSet  // idKeys of the event
	id     uint64 // Event.key()
	sameAs string
	bits   uint16
}

// The bits of a windowEvent.
const (
	wLLM    uint16 = 1 << iota // Kind is KindLLM
	wTool                      // Kind is KindTool
	wError                     // Kind is KindError
	wPart                      // the part of the event's kind (LLM, Tool, Error) is set
	wLog                       // Source is "log"
	wUsage                     // the LLM part reports usage
	wTokens                    // the LLM part has input and output tokens
	wNoResponseID
	wNoRequestID
	wWrapper    // LLM.Wrapper
	wDuplicate  // LLM.Duplicate
	wPropagated // Error.Propagated
)

// newWindowEvent packs e, the window's dictionary taking its recurring
// strings.
func (w *Window) newWindowEvent(e *Event) windowEvent {
	x := windowEvent{keys: idKeys(e), id: e.key(), sameAs: strings.Clone(e.SameAs)}
	x.packed, w.packBuf = pack(e, &w.dict, w.packBuf, &w.evBlocks)
	switch e.Kind {
	case KindLLM:
		x.bits |= wLLM
		if l := e.LLM; l != nil {
			x.bits |= wPart
			if l.reportsUsage() {
				x.bits |= wUsage
			}
			if l.InputTokens > 0 && l.OutputTokens > 0 {
				x.bits |= wTokens
			}
		}
	case KindTool:
		x.bits |= wTool
		if e.Tool != nil {
			x.bits |= wPart
		}
	case KindError:
		x.bits |= wError
		if e.Error != nil {
			x.bits |= wPart
		}
	}
	if e.LLM != nil && e.LLM.Wrapper {
		x.bits |= wWrapper
	}
	if e.LLM != nil && e.LLM.Duplicate {
		x.bits |= wDuplicate
	}
	if e.Error != nil && e.Error.Propagated {
		x.bits |= wPropagated
	}
	if e.Source == "log" {
		x.bits |= wLog
	}
	if e.ResponseID == "" {
		x.bits |= wNoResponseID
	}
	if e.RequestID == "" {
		x.bits |= wNoRequestID
	}
	return x
}

// unpack is the event x packs, with the marks and SameAs the rules gave
// it; its LLM part, if it has one, is *llm (nil: a new one). Without ids,
// its ids are left out as keptEvent.unpackIDs leaves them.
func (w *Window) unpack(x *windowEvent, llm *LLM, ids bool) Event {
	if llm == nil && x.packed.hasLLM() {
		llm = new(LLM)
	}
	e := x.packed.unpackIDs(&w.dict, llm, ids)
	if !ids {
		e.spanKey = x.id // key() is the event's without its SpanID
	}
	e.SameAs = x.sameAs
	if e.LLM != nil {
		e.LLM.Wrapper, e.LLM.Duplicate = x.bits&wWrapper != 0, x.bits&wDuplicate != 0
	}
	if e.Error != nil {
		e.Error.Propagated = x.bits&wPropagated != 0
	}
	return e
}

// treeLLM is treeLLM of the event.
func (x *windowEvent) treeLLM() bool {
	return x.bits&(wLLM|wPart|wLog) == wLLM|wPart
}

// repeatable is repeatable of the event.
func (x *windowEvent) repeatable() bool {
	switch {
	case x.bits&(wLLM|wPart) == wLLM|wPart:
		return x.bits&(wWrapper|wDuplicate) == 0
	case x.bits&(wTool|wPart) == wTool|wPart:
		return true
	case x.bits&(wError|wPart) == wError|wPart:
		return x.bits&wPropagated == 0
	}
	return false
}

// countedCall is countedCall of the event.
func (x *windowEvent) countedCall() bool {
	return x.bits&(wLLM|wPart) == wLLM|wPart && x.bits&(wWrapper|wDuplicate) == 0 && x.sameAs == ""
}

// windowCalls is the callList of a Window's events.
type windowCalls []windowEvent

func (l windowCalls) len() int { return len(l) }

func (l windowCalls) call(i int) (bool, uint64, bool, bool) {
	x := &l[i]
	if !x.treeLLM() {
		return false, 0, false, false
	}
	return true, x.id, x.bits&wUsage != 0, x.bits&wWrapper != 0
}

func (l windowCalls) markWrapper(i int)   { l[i].bits |= wWrapper }
func (l windowCalls) markDuplicate(i int) { l[i].bits |= wDuplicate }

// mark applies the session-wide rules to the events the window holds, as
// Finish's markWrappers, markPropagated and markRepeats do. The wrapper
// rules read nothing but what windowEvent keeps; the error rule reads only
// error events, unpacked; the rule of repeats reads the id keys, and the
// events of a group it finds, unpacked. Where the rule of repeats reads
// more (a log event, matched to the span it was emitted in; calls that
// share no id, matched by their usage), all of the window is unpacked and
// the rules are Finish's own.
func (w *Window) mark() {
	if w.unpackAll || w.readsMore() {
		w.markUnpacked()
		return
	}
	w.wrappers.markWrappers(windowCalls(w.evs), &w.lin)
	w.markPropagated()
	w.markRepeats()
}

// readsMore reports whether markRepeats would read more of the window's
// events than their id keys: a log event, or calls with tokens of which
// one has no response id and one no request id (see sameUsage).
func (w *Window) readsMore() bool {
	noResponseID, noRequestID := false, false
	for i := range w.evs {
		b := w.evs[i].bits
		if b&wLog != 0 {
			return true
		}
		if b&(wLLM|wPart|wTokens) == wLLM|wPart|wTokens {
			noResponseID = noResponseID || b&wNoResponseID != 0
			noRequestID = noRequestID || b&wNoRequestID != 0
		}
	}
	return noResponseID && noRequestID
}

// markUnpacked applies Finish's rules to the window's events unpacked,
// then packs them again.
func (w *Window) markUnpacked() {
	evs := make([]Event, len(w.evs))
	keys := make([]idSet, len(w.evs))
	for i := range w.evs {
		evs[i], keys[i] = w.unpack(&w.evs[i], nil, true), w.evs[i].keys
	}
	w.wrappers.markWrappers(eventCalls(evs), &w.lin)
	markPropagated(evs, &w.lin)
	markRepeats(evs, keys, &w.lin, &w.repeats, &w.corr)
	for i := range evs {
		w.evs[i] = w.newWindowEvent(&evs[i])
	}
}

// markPropagated is markPropagated of the window's error events, the only
// ones it reads.
func (w *Window) markPropagated() {
	var idx []int
	for i := range w.evs {
		if w.evs[i].bits&(wError|wPart) == wError|wPart {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return
	}
	errs := make([]Event, len(idx))
	for j, i := range idx {
		errs[j] = w.unpack(&w.evs[i], nil, false) // the rule reads no id but the key
	}
	markPropagated(errs, &w.lin)
	for j, i := range idx {
		if errs[j].Error.Propagated {
			w.evs[i].bits |= wPropagated
		}
	}
}

// markRepeats is markRepeats of the window's events when it reads no more
// than their id keys (see readsMore): the groups of events that share an
// id are settled unpacked, and an event alone is a repeat of a call
// counted already if the window remembers its id.
func (w *Window) markRepeats() {
	c, seen := &w.corr, &w.repeats
	c.cand = c.cand[:0]
	for i := range w.evs {
		if w.evs[i].repeatable() {
			c.cand = append(c.cand, i)
		}
	}
	if len(c.cand) == 0 {
		return
	}
	g := c.g.reset(len(w.evs))
	c.unionByKeys(g, func(i int) *idSet { return &w.evs[i].keys })
	c.gather(g, len(w.evs), func(i int) {
		if seen.len() > 0 {
			if ref, ok := seen.counts(w.evs[i].keys); ok {
				w.evs[i].sameAs = ref
			}
		}
	})
	for _, m := range c.members {
		w.settle(m)
	}
}

// settle is settle of the group of the window's events m, unpacked and
// packed again.
func (w *Window) settle(m []int) {
	evs := make([]Event, len(m))
	keys := make([]idSet, len(m))
	sub := make([]int, len(m))
	for j, i := range m {
		evs[j], keys[j], sub[j] = w.unpack(&w.evs[i], nil, true), w.evs[i].keys, j
	}
	settle(evs, keys, sub, &w.repeats)
	for j, i := range m {
		w.evs[i] = w.newWindowEvent(&evs[j])
	}
}
