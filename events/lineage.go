package events

import (
	"encoding/binary"
	"encoding/hex"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Lineage remembers the parent of every span received, so that rules that
// need a span's descendants can be applied once all of a trace has arrived:
// the spans of one trace come in different batches, children usually before
// their parents. It keeps 16 bytes of ids per span (a session of a million
// spans costs about 40 MB); span ids are random 64-bit numbers, unique enough
// without their trace id. The zero value is ready to use; it is not safe for
// concurrent use.
type Lineage struct {
	parent map[uint64]uint64
}

// Add records a span and its parent (empty for a root span).
func (l *Lineage) Add(span, parent pcommon.SpanID) {
	if l.parent == nil {
		l.parent = make(map[uint64]uint64)
	}
	l.parent[id64(span)] = id64(parent)
}

// Len is the number of spans recorded.
func (l *Lineage) Len() int { return len(l.parent) }

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
// nearest first, until f returns false. A bounded walk: ids from a
// misbehaving SDK may form a cycle.
func (l *Lineage) ancestors(span string, f func(id uint64) bool) {
	id := hexID(span)
	for range 4096 {
		p, ok := l.parent[id]
		if !ok || p == 0 || !f(p) {
			return
		}
		id = p
	}
}

func id64(id pcommon.SpanID) uint64 { return binary.BigEndian.Uint64(id[:]) }

// hexID parses the hex form Event.SpanID uses; invalid ids become 0.
func hexID(s string) uint64 {
	var b [8]byte
	if len(s) != 16 {
		return 0
	}
	if _, err := hex.Decode(b[:], []byte(s)); err != nil {
		return 0
	}
	return binary.BigEndian.Uint64(b[:])
}
