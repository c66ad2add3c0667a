package events

import "go.opentelemetry.io/collector/pdata/pcommon"

// Defaults of Window.
const (
	// DefaultWindowSpans is how many spans' lineage a Window holds: about
	// a megabyte of ids, and the events of those spans. Finish applies the
	// rules to a whole window: the bigger it is, the longer the session's
	// end waits for its summary.
	DefaultWindowSpans = 1 << 15
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
// the record; every one is counted, and all spans stay in the store.
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
	ids []uint64 // the window's spans, in arrival order
	evs []Event  // the window's events, in arrival order
	// awaiting holds the parents of forgotten spans that had not arrived
	// when their children were forgotten: missing, unless they arrive.
	awaiting map[uint64]struct{}
	totals   Totals
	repeats  Repeats // ids of the calls counted, for their later repeats
	kept     []Event
	omitted  int
}

// maxAwaiting bounds Window.awaiting: past it, missing parents are
// undercounted rather than costing memory.
const maxAwaiting = 1 << 16

// AddSpan records a span and its parent (empty for a root span).
func (w *Window) AddSpan(span, parent pcommon.SpanID) {
	id := id64(span)
	w.lin.Add(span, parent)
	w.ids = append(w.ids, id)
	delete(w.awaiting, id)
	w.slide()
}

// AddEvents records events, from spans already added or from log records.
func (w *Window) AddEvents(evs ...Event) {
	w.evs = append(w.evs, evs...)
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
	return Result{Totals: w.totals, Events: w.kept, Omitted: w.omitted, MissingParents: missing}
}

func (w *Window) slide() {
	size := w.Spans
	if size <= 0 {
		size = DefaultWindowSpans
	}
	if len(w.ids) >= size || len(w.evs) >= size {
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
		e := &w.evs[i]
		w.totals.addFinished(e, w.Pricer)
		if w.Decided != nil {
			w.Decided(*e)
		}
		w.repeats.remember(e)
		if keep < 0 || len(w.kept) < keep {
			w.kept = append(w.kept, *e)
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
	}
	w.ids = shift(w.ids, nIDs)
	w.evs = shift(w.evs, nEvs)
}

// mark applies the session-wide rules to the events the window holds.
func (w *Window) mark() {
	markWrappers(w.evs, &w.lin)
	markPropagated(w.evs, &w.lin)
	markRepeats(w.evs, &w.lin, &w.repeats)
}

// shift drops the first n elements of s in place, clearing the tail so the
// backing array holds no stale references.
func shift[T any](s []T, n int) []T {
	m := copy(s, s[n:])
	clear(s[m:])
	return s[:m]
}
