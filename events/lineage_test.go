package events

import (
	"encoding/binary"
	"runtime"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

func sid(b byte) pcommon.SpanID { return pcommon.SpanID{0, 0, 0, 0, 0, 0, 0, b} }

func TestLineageMissing(t *testing.T) {
	root := pcommon.SpanID{0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31}
	var l Lineage
	l.Add(sid(1), root)   // top span under the session root: not missing
	l.Add(sid(2), sid(1)) // parent arrived
	l.Add(sid(3), sid(9)) // parent 9 never arrives
	l.Add(sid(4), sid(9)) // counted once
	l.Add(sid(5), pcommon.SpanID{})
	if got := l.Missing(root.String()); got != 1 {
		t.Errorf("Missing = %d, want 1", got)
	}
	if got := l.Missing(); got != 2 {
		t.Errorf("Missing without the root known = %d, want 2", got)
	}
	if l.Len() != 5 {
		t.Errorf("Len = %d, want 5", l.Len())
	}
}

// Parent ids that form a cycle are no tree: every span on the cycle becomes
// a root (counted as a leaf), the spans hanging from it keep their parents.
func TestLineageBreaksCycles(t *testing.T) {
	cases := []struct {
		name      string
		edges     [][2]byte // span, parent, in arrival order
		wantCycle int
		roots     []byte
	}{
		{"two", [][2]byte{{1, 2}, {2, 1}}, 2, []byte{1, 2}},
		{"self", [][2]byte{{1, 1}}, 1, []byte{1}},
		{"three, a leaf below", [][2]byte{{9, 1}, {1, 2}, {2, 3}, {3, 1}}, 3, []byte{1, 2, 3}},
		{"no cycle", [][2]byte{{1, 2}, {2, 3}, {3, 0}}, 0, []byte{3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var l Lineage
			for _, e := range c.edges {
				var parent pcommon.SpanID
				if e[1] != 0 {
					parent = sid(e[1])
				}
				l.Add(sid(e[0]), parent)
			}
			if l.CycleSpans() != c.wantCycle {
				t.Errorf("CycleSpans = %d, want %d", l.CycleSpans(), c.wantCycle)
			}
			for _, r := range c.roots {
				steps := 0
				l.ancestors(sid(r).String(), func(uint64) bool { steps++; return true })
				if steps != 0 {
					t.Errorf("span %d has %d ancestors, want it a root", r, steps)
				}
			}
			if c.name == "three, a leaf below" {
				var up []uint64
				l.ancestors(sid(9).String(), func(id uint64) bool { up = append(up, id); return true })
				if len(up) != 1 || up[0] != id64(sid(1)) {
					t.Errorf("the leaf's ancestors = %x, want its parent only", up)
				}
			}
		})
	}
}

// BenchmarkLineageMillion records a million spans, the size of a long
// session, and reports the heap it keeps per span.
func BenchmarkLineageMillion(b *testing.B) {
	for range b.N {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		var l Lineage
		for i := range 1_000_000 {
			var id, parent pcommon.SpanID
			binary.BigEndian.PutUint64(id[:], uint64(i)*0x9e3779b97f4a7c15+1)
			binary.BigEndian.PutUint64(parent[:], uint64(i/8)*0x9e3779b97f4a7c15+1)
			l.Add(id, parent)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/1e6, "MB/1M-spans")
		runtime.KeepAlive(&l)
	}
}
