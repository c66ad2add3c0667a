package events

import (
	"slices"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Defaults of Window.
const (
	// DefaultWindowSpans is how many spans' lineage a Window holds, and
	// the events of those spans, packed (see windowEvent): some 2 MB when
	// every span is an LLM call.
	// A span and the spans it wraps must arrive less than half of it
	// apart (see Window): 4096 spans, where SDKs send a parent within a
	// batch or two of its children. Finish applies the rules to a whole
	// window: the bigger it is, the longer the session's end waits for its
	// summary, and the more memory a session holds.
	DefaultWindowSpans = 1 << 13
	// DefaultKeepEvents is how many events a Window keeps for the record.
	DefaultKeepEvents = 10_000
)

// Window applies Finish's session-wide rules (wrapper LLM spans, errors
// re-raised by enclosing spans, prices) to a session of any size in bounded
// memory, as its spans arrive. It holds the lineage and events of the last
// Spans spans; when full it applies the rules to all it holds, then counts
// the older half of its events into the totals and forgets their spans.
//
// The result equals Finish's as long as a span and the spans it wraps (or
// whose error it re-raises) arrive less than Spans/2 spans apart. They
// arrive close together: an SDK exports a span when it ends, and a parent
// ends right after its children. Only the first Keep events are kept for
// the record, packed until Finish (see keptEvent); every one is counted,
// and all spans stay in the store.
//
// The zero value is ready to use; it is not safe for concurrent use.
type Window struct {
	// Spans is the size of the window in spans; 0 means DefaultWindowSpans.
	Spans int
	// Keep is how many events to keep for the record; 0 means
	// DefaultKeepEvents, negative means all.
	Keep int
	// Pricer prices the LLM calls that report no cost; nil leaves them
	// unpriced.
	Pricer Pricer
	// Decided, when set, is called with every event once it is counted:
	// its marks (wrapper, duplicate, propagated) and its price are final.
	Decided func(Event)

	lin Lineage
	ids []uint64      // the window's spans, in arrival order
	evs []windowEvent // the window's events, in arrival order, packed
	// llm is the LLM part of the event being counted (see retire).
	llm  LLM
	corr correlator
	// wrappers is what each span has below it, kept as spans arrive.
	wrappers wrappers
	// seen are the spans received lately, to count a span sent again once.
	seen recentSpans
	// cycleRebuilds counts the times wrappers was rebuilt for a cycle.
	cycleRebuilds int
	// awaiting holds the parents of forgotten spans that had not arrived
	// when their children were forgotten: missing, unless they arrive.
	awaiting map[uint64]struct{}
	totals   Totals
	repeats  Repeats // ids of the calls counted, for their later repeats
	kept     []keptEvent
	packBuf  []byte // pack's working memory
	// evBlocks and keptBlocks hold the packed events of evs and kept: an
	// event is packed into a block shared with those packed after it, not
	// an allocation of its own. evs are counted and forgotten in the
	// order they were packed, so a block lives little longer than its
	// events.
	evBlocks, keptBlocks stringArena
	dict                 keptDict // the strings that recur in kept and evs, for pack
	omitted              int
	// unpackAll applies the rules to the events unpacked, always (see
	// mark): the tests compare the two.
	unpackAll bool
}

// maxCycleRebuilds bounds the work parent cycles cost a session: past it,
// spans of later cycles may still be marked wrappers of each other.
const maxCycleRebuilds = 64

// maxAwaiting bounds Window.awaiting: past it, missing parents are
// undercounted rather than costing memory.
const maxAwaiting = 1 << 16

// AddSpan records a span and its parent (empty for a root span).
func (w *Window) AddSpan(span, parent pcommon.SpanID) {
	id := id64(span)
	cycles := w.lin.cycleSpans
	w.lin.add(id, id64(parent))
	if w.lin.cycleSpans != cycles && w.cycleRebuilds < maxCycleRebuilds {
		// What the spans of the cycle passed up to each other is no longer
		// below them: learn the window's tree again.
		w.cycleRebuilds++
		w.wrappers = wrappers{}
		for i := range w.evs {
			if x := &w.evs[i]; x.treeLLM() {
				w.wrappers.addTreeCall(x.id, x.bits&wUsage != 0, &w.lin)
			}
		}
	}
	w.wrappers.addSpan(id, &w.lin)
	w.ids = append(w.ids, id)
	delete(w.awaiting, id)
	w.slide()
}

// AddTraceSpan is AddSpan for a span that may have been received already:
// an SDK that retries an export the server had in fact accepted sends its
// spans again. It reports false, and records nothing, for a span (same
// trace and span id) received among the last DedupeSpans spans: the caller
// drops its events, and the span is counted once.
func (w *Window) AddTraceSpan(trace pcommon.TraceID, span, parent pcommon.SpanID) bool {
	if !w.seen.add(trace, span) {
		w.totals.DuplicateSpans++
		return false
	}
	w.AddSpan(span, parent)
	return true
}

// AddEvents records events, from spans already added or from log records.
// The window keeps them packed (see windowEvent), holding none of their
// memory.
func (w *Window) AddEvents(evs ...Event) {
	for i := range evs {
		e := evs[i]
		sanitize(&e)
		w.wrappers.addCall(&e, &w.lin)
		w.evs = append(w.evs, w.newWindowEvent(&e))
	}
	w.slide()
}

// Result is what a Window has made of a whole session.
type Result struct {
	Totals Totals
	// Events are the first Keep events, in arrival order, marked and priced.
	Events []Event
	// Omitted counts the events counted in Totals but not kept in Events.
	Omitted int
	// MissingParents counts the distinct parents that spans refer to but
	// that never arrived, as Lineage.Missing does.
	MissingParents int
}

// Finish applies the rules to what the window still holds and returns the
// session's result. known are span ids (hex) that are not missing although
// never added, such as the session's own root span. Call it once, last.
func (w *Window) Finish(known ...string) Result {
	w.retire(len(w.ids), len(w.evs))
	skip := map[uint64]bool{0: true}
	for _, k := range known {
		skip[hexID(k)] = true
	}
	missing := 0
	for p := range w.awaiting {
		if !skip[p] {
			missing++
		}
	}
	w.totals.Sort()
	w.totals.CycleSpans = w.lin.CycleSpans()
	// What the rules held is needed no more: let it go before the kept
	// events are unpacked, the moment a session's memory would peak.
	w.release()
	var kept []Event
	if len(w.kept) > 0 {
		kept = make([]Event, len(w.kept))
		n := 0
		for i := range w.kept {
			if w.kept[i].hasLLM() {
				n++
			}
		}
		llms := make([]LLM, n) // the LLM parts in one allocation
		for i := range w.kept {
			var l *LLM
			if w.kept[i].hasLLM() {
				l, llms = &llms[0], llms[1:]
			}
			kept[i] = w.kept[i].unpack(&w.dict, l)
		}
		w.kept, w.keptBlocks = nil, stringArena{}
	}
	return Result{Totals: w.totals, Events: kept, Omitted: w.omitted, MissingParents: missing}
}

// release drops the memory of the window's rules (what Finish needs no
// more); the window starts them again empty if used after it.
func (w *Window) release() {
	cycles := w.lin.cycleSpans
	w.lin, w.ids, w.evs, w.llm = Lineage{cycleSpans: cycles}, nil, nil, LLM{}
	w.corr, w.wrappers, w.seen, w.repeats, w.awaiting = correlator{}, wrappers{}, recentSpans{}, Repeats{}, nil
	w.packBuf, w.evBlocks = nil, stringArena{}
}

func (w *Window) slide() {
	if size := w.size(); len(w.ids) >= size || len(w.evs) >= size {
		w.retire(len(w.ids)/2, len(w.evs)/2)
	}
}

// retire applies the rules to the whole window, then counts its first
// nEvs events and forgets its first nIDs spans.
func (w *Window) retire(nIDs, nEvs int) {
	w.mark()
	keep := w.Keep
	if keep == 0 {
		keep = DefaultKeepEvents
	}
	for i := range w.evs[:nEvs] {
		x := &w.evs[i]
		toKeep := keep < 0 || len(w.kept) < keep
		// Counting reads no id: their hex is made only for those who do.
		ev := w.unpack(x, &w.llm, toKeep || w.Decided != nil)
		e := &ev
		w.totals.addFinished(e, w.Pricer)
		if w.Decided != nil {
			w.Decided(*e)
		}
		w.repeats.remember(e, x.keys)
		if toKeep {
			if len(w.kept) == cap(w.kept) && keep > 0 {
				// Grown as append would, but never past what is kept.
				w.kept = slices.Grow(w.kept, min(max(2*cap(w.kept), 256), keep)-len(w.kept))
			}
			var k keptEvent
			k, w.packBuf = pack(e, &w.dict, w.packBuf, &w.keptBlocks)
			w.kept = append(w.kept, k)
		} else {
			w.omitted++
		}
	}
	for _, id := range w.ids[:nIDs] {
		if p := w.lin.parent[id]; p != 0 {
			if _, ok := w.lin.parent[p]; !ok && len(w.awaiting) < maxAwaiting {
				if w.awaiting == nil {
					w.awaiting = map[uint64]struct{}{}
				}
				w.awaiting[p] = struct{}{}
			}
		}
	}
	for _, id := range w.ids[:nIDs] {
		delete(w.lin.parent, id)
		w.wrappers.forget(id)
	}
	w.pruneWrappers()
	w.ids = shift(w.ids, nIDs)
	w.evs = shift(w.evs, nEvs)
}

// pruneWrappers bounds what the window knows of parents that never arrived
// (kept so that a parent arriving late is still marked a wrapper): past
// four windows' worth, it is forgotten.
func (w *Window) pruneWrappers() {
	if len(w.wrappers.m) <= 4*w.size() {
		return
	}
	for id := range w.wrappers.m {
		if _, ok := w.lin.parent[id]; !ok {
			delete(w.wrappers.m, id)
		}
	}
}

func (w *Window) size() int {
	if w.Spans <= 0 {
		return DefaultWindowSpans
	}
	return w.Spans
}

// shift drops the first n elements of s in place, clearing the tail so the
// backing array holds no stale references.
func shift[T any](s []T, n int) []T {
	m := copy(s, s[n:])
	clear(s[m:])
	return s[:m]
}

// DedupeSpans is how many of the latest spans a Window remembers to count
// a span sent again once: 1 MB. An SDK retries an export within seconds,
// well within it.
const DedupeSpans = 1 << 16
