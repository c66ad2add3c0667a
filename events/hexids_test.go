package events

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// hexIDs writes what pcommon's String methods write, empty ids as "".
func TestHexIDsMatchPcommon(t *testing.T) {
	for _, c := range []struct {
		trace        pcommon.TraceID
		span, parent pcommon.SpanID
	}{
		{pcommon.TraceID{1, 2, 0xab, 15: 0xff}, pcommon.SpanID{0xde, 0xad, 7: 1}, pcommon.SpanID{0xfe}},
		{pcommon.TraceID{9}, pcommon.SpanID{8}, pcommon.SpanID{}},
		{pcommon.TraceID{}, pcommon.SpanID{}, pcommon.SpanID{}},
		{pcommon.TraceID{}, pcommon.SpanID{3}, pcommon.SpanID{4}},
	} {
		for _, a := range []*stringArena{nil, {}} {
			tr, sp, p := hexIDs(c.trace, c.span, c.parent, a)
			if tr != c.trace.String() || sp != c.span.String() || p != c.parent.String() {
				t.Errorf("hexIDs(%v, %v, %v) = %q %q %q", c.trace, c.span, c.parent, tr, sp, p)
			}
		}
	}
}
