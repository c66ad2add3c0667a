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

func TestLineageCycleEnds(t *testing.T) {
	var l Lineage
	l.Add(sid(1), sid(2))
	l.Add(sid(2), sid(1))
	steps := 0
	l.ancestors(sid(1).String(), func(uint64) bool { steps++; return true })
	if steps == 0 || steps > 4096 {
		t.Errorf("walked %d steps around a cycle", steps)
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
