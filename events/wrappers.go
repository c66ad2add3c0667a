package events

// wrappers keeps, for every span of the tree, what it has below it: any LLM
// span, and one reporting usage. It is built as spans and LLM events
// arrive, each noted once and passed up its ancestors only as far as it
// adds something (an ancestor that has an LLM call with usage below it
// already has everything its other descendants could give it), so a span
// costs about one map update however many times the rules are applied.
// Finish and Window mark wrappers from it (see markWrappers).
type wrappers struct {
	m map[uint64]uint8 // span id → its own and its descendants' bits
}

// The bits of wrappers.m: the span's own LLM event, and what is below it.
const (
	ownLLM uint8 = 1 << iota
	ownUsage
	belowLLM
	belowUsage

	ownBits   = ownLLM | ownUsage
	belowBits = belowLLM | belowUsage
)

// treeLLM reports whether e is an LLM event of the span tree. A log
// event's span id is the span it was logged in: it is no span of the tree
// (correlate.go matches it to its call).
func treeLLM(e *Event) bool {
	return e.Kind == KindLLM && e.LLM != nil && e.Source != "log"
}

// addCall notes e, if it is an LLM event of the span tree.
func (w *wrappers) addCall(e *Event, lin *Lineage) {
	if treeLLM(e) {
		w.addTreeCall(e.key(), e.LLM.reportsUsage(), lin)
	}
}

// addTreeCall notes the LLM event of span id of the tree, whose span
// reports usage or not.
func (w *wrappers) addTreeCall(id uint64, usage bool, lin *Lineage) {
	if id == 0 {
		return
	}
	own := ownLLM
	if usage {
		own |= ownUsage
	}
	if w.m == nil {
		w.m = make(map[uint64]uint8)
	}
	b := w.m[id]
	if own&^b == 0 {
		return
	}
	w.m[id] = b | own
	w.propagate(id, (own&^b)<<2, lin)
}

// addSpan passes what span id has (its own call, and below it) up to its
// ancestors, once its lineage is known.
func (w *wrappers) addSpan(id uint64, lin *Lineage) {
	if b := w.m[id]; b != 0 {
		w.propagate(id, (b&ownBits)<<2|b&belowBits, lin)
	}
}

// propagate adds below bits to the ancestors of id, as far as they are new.
func (w *wrappers) propagate(id uint64, bits uint8, lin *Lineage) {
	for range maxDepth {
		p, ok := lin.parent[id]
		if !ok || p == 0 {
			return
		}
		b := w.m[p]
		bits &^= b
		if bits == 0 {
			return
		}
		w.m[p] = b | bits
		id = p
	}
}

// forget drops what is known of span id.
func (w *wrappers) forget(id uint64) { delete(w.m, id) }

// callList is what the wrapper rules read and mark of a list of events:
// the Events of Finish (eventCalls), or the packed events of a Window.
type callList interface {
	len() int
	// call is what the rules read of event i: whether it is an LLM event
	// of the tree (see treeLLM) and, if it is, its span, whether it
	// reports usage, and whether it is marked a wrapper.
	call(i int) (tree bool, id uint64, usage, wrapper bool)
	markWrapper(i int)
	markDuplicate(i int)
}

// eventCalls is a callList of Events.
type eventCalls []Event

func (l eventCalls) len() int { return len(l) }

func (l eventCalls) call(i int) (bool, uint64, bool, bool) {
	e := &l[i]
	if !treeLLM(e) {
		return false, 0, false, false
	}
	return true, e.key(), e.LLM.reportsUsage(), e.LLM.Wrapper
}

func (l eventCalls) markWrapper(i int)   { l[i].LLM.Wrapper = true }
func (l eventCalls) markDuplicate(i int) { l[i].LLM.Duplicate = true }

// markWrappers applies the wrapper rules (see Finish) to evs, whose calls
// w has noted.
func (w *wrappers) markWrappers(evs callList, lin *Lineage) {
	candidates := false
	for i := range evs.len() {
		tree, id, usage, wrapper := evs.call(i)
		if !tree {
			continue
		}
		b := w.m[id]
		// A wrapper repeats usage reported below it, or reports none
		// itself and has the call below it.
		if b&belowUsage != 0 || (!usage && b&belowLLM != 0) {
			evs.markWrapper(i)
			wrapper = true
		}
		candidates = candidates || (!wrapper && !usage)
	}
	if !candidates {
		return
	}
	// A span without usage below the span that reports the call's usage
	// (a provider span whose instrumentation missed a streamed response's
	// usage, under a framework span that has it) repeats that call: the
	// call is counted once, with the usage, never as a silent zero.
	llm := map[uint64]int{} // span → its (last) LLM event of the tree
	for i := range evs.len() {
		if tree, id, _, _ := evs.call(i); tree {
			llm[id] = i
		}
	}
	for i := range evs.len() {
		tree, id, usage, wrapper := evs.call(i)
		if !tree || wrapper || usage {
			continue
		}
		lin.ancestorsOf(id, func(id uint64) bool {
			if up, ok := llm[id]; ok {
				if _, _, usage, wrapper := evs.call(up); !wrapper && usage {
					evs.markDuplicate(i)
					return false
				}
			}
			return true
		})
	}
}
