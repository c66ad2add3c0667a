package events

import (
	"cmp"
	"slices"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// KindSession marks the session's own root span in a SpanRow.
const KindSession Kind = "session"

// SpanRow is one span of a session's waterfall, in tree order.
type SpanRow struct {
	// Depth is the span's depth in the tree: 0 for a root.
	Depth        int
	Name         string
	SpanID       string
	ParentSpanID string
	Service      string
	Start, End   time.Time
	// Kind is the span's AgentOps event kind (llm, tool, agent, action),
	// KindSession for the session span, empty for any other span.
	Kind Kind
	// Error is set when the span ended with status ERROR; ErrorMessage says why.
	Error        bool
	ErrorMessage string
	// Event is the span's primary event, if it has one: the LLM call's model
	// and content, the tool's arguments and result.
	Event *Event
}

// Duration is the span's wall time; 0 when the span ends before it starts.
func (r SpanRow) Duration() time.Duration {
	if r.End.Before(r.Start) {
		return 0
	}
	return r.End.Sub(r.Start)
}

// SpanTree orders the spans of td as a tree: each span after its parent,
// siblings by start time. A span whose parent is not in td is a root (the
// parent was lost, or belongs to another trace).
func SpanTree(td ptrace.Traces) []SpanRow {
	var rows []SpanRow
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		service := ""
		if v, ok := rs.Resource().Attributes().Get("service.name"); ok {
			service = v.AsString()
		}
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				rows = append(rows, newSpanRow(spans.At(k), service))
			}
		}
	}
	return treeOrder(rows)
}

func newSpanRow(sp ptrace.Span, service string) SpanRow {
	r := SpanRow{
		Name:    sp.Name(),
		SpanID:  sp.SpanID().String(),
		Service: service,
		Start:   sp.StartTimestamp().AsTime(),
		End:     sp.EndTimestamp().AsTime(),
		Error:   sp.Status().Code() == ptrace.StatusCodeError,
	}
	if !sp.ParentSpanID().IsEmpty() {
		r.ParentSpanID = sp.ParentSpanID().String()
	}
	for _, e := range FromSpan(sp) {
		if e.Kind == KindError {
			if e.Error != nil {
				r.ErrorMessage = e.Error.Message
			}
			continue
		}
		if r.Event == nil {
			e := e
			r.Event, r.Kind = &e, e.Kind
		}
	}
	if v, ok := sp.Attributes().Get("agentops.span.kind"); ok && v.Type() == pcommon.ValueTypeStr && v.Str() == "session" {
		r.Kind = KindSession
	}
	if r.Error && r.ErrorMessage == "" {
		r.ErrorMessage = sp.Status().Message()
	}
	return r
}

// treeOrder sorts rows depth first, children after their parent, and sets
// Depth. It does not recurse, so a pathologically deep trace cannot
// overflow the stack, and a parent cycle cannot loop forever.
func treeOrder(rows []SpanRow) []SpanRow {
	byStart := func(a, b int) int {
		return cmp.Or(rows[a].Start.Compare(rows[b].Start), cmp.Compare(rows[a].Name, rows[b].Name))
	}
	index := make(map[string]int, len(rows))
	for i, r := range rows {
		index[r.SpanID] = i
	}
	children := make(map[int][]int, len(rows))
	var roots []int
	for i, r := range rows {
		if p, ok := index[r.ParentSpanID]; ok && r.ParentSpanID != "" && p != i {
			children[p] = append(children[p], i)
		} else {
			roots = append(roots, i)
		}
	}
	slices.SortFunc(roots, byStart)
	out := make([]SpanRow, 0, len(rows))
	seen := make([]bool, len(rows))
	type item struct{ i, depth int }
	var stack []item
	push := func(ids []int, depth int) {
		for k := len(ids) - 1; k >= 0; k-- {
			stack = append(stack, item{ids[k], depth})
		}
	}
	visit := func(start []int) {
		push(start, 0)
		for len(stack) > 0 {
			it := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[it.i] {
				continue
			}
			seen[it.i] = true
			r := rows[it.i]
			r.Depth = it.depth
			out = append(out, r)
			kids := children[it.i]
			slices.SortFunc(kids, byStart)
			push(kids, it.depth+1)
		}
	}
	visit(roots)
	// Spans in a parent cycle are reachable from no root: list them as roots.
	for i := range rows {
		if !seen[i] {
			visit([]int{i})
		}
	}
	return out
}
