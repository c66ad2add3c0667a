package events

import (
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
