package events

import (
	"encoding/binary"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Lineage remembers the parent of every span received, so that rules that
// need a span's descendants can be applied once all of a trace has arrived:
// the spans of one trace come in different batches, children usually before
// their parents. It keeps 16 bytes of ids per span (a session of a million
// spans costs about 40 MB); span ids are random 64-bit numbers, unique enough
// without their trace id. The zero value is ready to use; it is not safe for
// concurrent use.
//
// Parents that form a cycle (a misbehaving SDK's ids: A's parent is B and
// B's is A) are no tree: the span whose parent would close a cycle, and
// every span on it, is kept as a root, so each is counted as a leaf rather
// than as a wrapper of the others.
type Lineage struct {
	parent map[uint64]uint64
	// cycleSpans counts the spans whose parent was dropped to break a cycle.
	cycleSpans int
}

// maxDepth bounds every walk up a lineage: the cost of a span is bounded
// however its ids were made.
const maxDepth = 4096

// Add records a span and its parent (empty for a root span).
func (l *Lineage) Add(span, parent pcommon.SpanID) {
	l.add(id64(span), id64(parent))
}

func (l *Lineage) add(id, p uint64) {
	if l.parent == nil {
		l.parent = make(map[uint64]uint64)
	}
	if p != 0 && l.closesCycle(id, p) {
		l.breakCycle(id, p)
		p = 0
	}
	l.parent[id] = p
}

// closesCycle reports whether giving id the parent p makes a cycle: id is
// p itself or above it. Only a span someone already names as parent can
// be above p, and p must have arrived: the walk is short or none.
func (l *Lineage) closesCycle(id, p uint64) bool {
	if id == p {
		return true
	}
	up := p
	for range maxDepth {
		next, ok := l.parent[up]
		if !ok || next == 0 {
			return false
		}
		if next == id {
			return true
		}
		up = next
	}
	return false
}

// breakCycle makes every span on the cycle that id → p would close a root.
func (l *Lineage) breakCycle(id, p uint64) {
	l.cycleSpans++ // id itself
	up := p
	for range maxDepth {
		if up == id || up == 0 {
			return
		}
		next := l.parent[up]
		l.parent[up] = 0
		l.cycleSpans++
		up = next
	}
}

// Len is the number of spans recorded.
func (l *Lineage) Len() int { return len(l.parent) }

// CycleSpans counts the spans whose parent was dropped because it made a
// cycle: each was counted as a root.
func (l *Lineage) CycleSpans() int { return l.cycleSpans }

// Missing counts the distinct parents that spans refer to but that never
// arrived, not counting the ids in known (such as the session's root span,
// which is the session's own and never sent by the child). A non-zero count
// means the telemetry is incomplete: typically the child exited before its
// SDK exported the spans still open.
func (l *Lineage) Missing(known ...string) int {
	skip := map[uint64]bool{0: true}
	for _, k := range known {
		skip[hexID(k)] = true
	}
	missing := map[uint64]bool{}
	for _, p := range l.parent {
		if skip[p] {
			continue
		}
		if _, ok := l.parent[p]; !ok {
			missing[p] = true
		}
	}
	return len(missing)
}

// ancestors calls f with each ancestor of the span with hex id span,
// nearest first, until f returns false.
func (l *Lineage) ancestors(span string, f func(id uint64) bool) {
	l.ancestorsOf(hexID(span), f)
}

// ancestorsOf is ancestors of the span with id id. A bounded walk, though
// Add keeps cycles out.
func (l *Lineage) ancestorsOf(id uint64, f func(id uint64) bool) {
	for range maxDepth {
		p, ok := l.parent[id]
		if !ok || p == 0 || !f(p) {
			return
		}
		id = p
	}
}

func id64(id pcommon.SpanID) uint64 { return binary.BigEndian.Uint64(id[:]) }

// hexID parses the hex form Event.SpanID uses (either case, as
// encoding/hex reads it); invalid ids become 0.
func hexID(s string) uint64 {
	if len(s) != 16 {
		return 0
	}
	var id uint64
	for i := range 16 {
		d := hexDigits[s[i]]
		if d == 0 {
			return 0
		}
		id = id<<4 | uint64(d-1)
	}
	return id
}

// hexDigits is 1 + the value of each hex digit, either case, 0 for every
// other byte.
var hexDigits = [256]byte{
	'0': 1, '1': 2, '2': 3, '3': 4, '4': 5, '5': 6, '6': 7, '7': 8, '8': 9, '9': 10,
	'a': 11, 'b': 12, 'c': 13, 'd': 14, 'e': 15, 'f': 16,
	'A': 11, 'B': 12, 'C': 13, 'D': 14, 'E': 15, 'F': 16,
}
