package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/record"
)

// TestLoadWaterfallIsSpanTreesPrefix: for every cut, the waterfall read
// in two passes is the first rows of events.SpanTree over all the spans,
// with a tree of several levels, siblings out of order across batches,
// spans whose parent never arrived, a parent cycle and two services.
func TestLoadWaterfallIsSpanTreesPrefix(t *testing.T) {
	s := Open(filepath.Join(t.TempDir(), "store"))
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	w := begin(t, s, "33333333-cccc", start)
	all := ptrace.NewTraces()
	id := func(n int) pcommon.SpanID { return pcommon.SpanID{byte(n >> 8), byte(n), 1} }
	add := func(td ptrace.Traces, service string, n, parent, at int) {
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", service)
		sp := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		sp.SetTraceID(pcommon.TraceID{1})
		sp.SetSpanID(id(n))
		if parent >= 0 {
			sp.SetParentSpanID(id(parent))
		}
		sp.SetName(fmt.Sprintf("span %d", n))
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start.Add(time.Duration(at) * time.Millisecond)))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(time.Duration(at+5) * time.Millisecond)))
	}
	n := 0
	for b := range 6 {
		td := ptrace.NewTraces()
		for range 10 {
			parent := -1
			switch {
			case n == 0:
			case n%7 == 3:
				parent = 900 + n // never arrives
			default:
				parent = (n * 5 / 7) % max(n, 1)
			}
			service := "agent"
			if b%2 == 1 {
				service = "tools"
			}
			add(td, service, n, parent, 100-n) // later spans start earlier
			n++
		}
		if b == 3 {
			add(td, "agent", 500, 501, 7) // a cycle of two
			add(td, "agent", 501, 500, 8)
		}
		_ = w.ConsumeTraces(context.Background(), td)
		td.ResourceSpans().MoveAndAppendTo(all.ResourceSpans())
	}
	if err := w.Finish(&record.Session{ID: "33333333-cccc", Start: start}); err != nil {
		t.Fatal(err)
	}
	e, err := s.Resolve("last")
	if err != nil {
		t.Fatal(err)
	}
	want := events.SpanTree(all)
	for _, cut := range []int{0, 1, 5, 17, 40, len(want) - 1, len(want), len(want) + 10} {
		wf, err := s.LoadWaterfall(e, cut)
		if err != nil {
			t.Fatal(err)
		}
		n := min(cut, len(want))
		if cut == 0 {
			n = len(want)
		}
		if wf.Total != len(want) || len(wf.Rows) != n {
			t.Fatalf("cut %d: %d rows of %d, want %d of %d", cut, len(wf.Rows), wf.Total, n, len(want))
		}
		for i, r := range wf.Rows {
			if g := want[i]; r.SpanID != g.SpanID || r.Depth != g.Depth || r.Service != g.Service {
				t.Fatalf("cut %d, row %d: %s at depth %d (%s), want %s at depth %d (%s)", cut, i, r.SpanID, r.Depth, r.Service, g.SpanID, g.Depth, g.Service)
			}
		}
	}
}
