package store

import (
	"cmp"
	"path/filepath"
	"slices"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/events"
)

// Waterfall is the start of a stored session's span tree.
type Waterfall struct {
	// Rows are the first rows of events.SpanTree over every stored span.
	Rows []events.SpanRow
	// Total counts every stored span: Total - len(Rows) were left out.
	Total int
	// Problems describes damaged lines skipped.
	Problems []string
}

// skeleton is what ordering a span needs: a million of them take some
// 50 MB, where the decoded spans took gigabytes.
type skeleton struct {
	id, parent [8]byte
	start      int64
	name       string
}

// LoadWaterfall reads the session's spans twice, a line at a time, and
// holds little: the first pass orders every span as events.SpanTree does
// (each after its parent, siblings by start time), keeping only their
// ids, parents, start times and names; the second builds the rows of the
// first max of them (0: all). A prefix of that order holds the parent of
// each of its spans, so events.SpanTree over just those spans orders them
// the same.
func (s *Store) LoadWaterfall(e *Entry, max int) (Waterfall, error) {
	path := filepath.Join(e.Path, SpansFile)
	var all []skeleton
	problems, err := EachBatch(path, func(td ptrace.Traces) {
		events.EachSpan(td, func(sp ptrace.Span) {
			all = append(all, skeleton{id: sp.SpanID(), parent: sp.ParentSpanID(), start: int64(sp.StartTimestamp()), name: sp.Name()})
		})
	})
	if err != nil {
		return Waterfall{}, err
	}
	wf := Waterfall{Total: len(all), Problems: problems}
	if max <= 0 || max > len(all) {
		max = len(all)
	}
	order := treePrefix(all, max)
	keep := make([]bool, len(all))
	ids := make([]string, len(order))
	for k, o := range order {
		keep[o.i] = true
		ids[k] = pcommon.SpanID(all[o.i].id).String()
	}
	all = nil
	subset := ptrace.NewTraces()
	i := 0
	if _, err := EachBatch(path, func(td ptrace.Traces) {
		rss := td.ResourceSpans()
		for r := 0; r < rss.Len(); r++ {
			var out ptrace.ResourceSpans
			haveOut := false
			sss := rss.At(r).ScopeSpans()
			for sc := 0; sc < sss.Len(); sc++ {
				spans := sss.At(sc).Spans()
				var outSpans ptrace.SpanSlice
				haveSpans := false
				for k := 0; k < spans.Len(); k++ {
					if keep[i] {
						if !haveOut {
							out, haveOut = subset.ResourceSpans().AppendEmpty(), true
							rss.At(r).Resource().CopyTo(out.Resource())
						}
						if !haveSpans {
							outSpans, haveSpans = out.ScopeSpans().AppendEmpty().Spans(), true
						}
						spans.At(k).CopyTo(outSpans.AppendEmpty())
					}
					i++
				}
			}
		}
	}); err != nil {
		return Waterfall{}, err
	}
	// The rows are built by SpanTree, and put in the order found over
	// all spans: within the subset, a span of a parent cycle whose
	// partner was left out would be a root.
	byID := map[string]events.SpanRow{}
	for _, r := range events.SpanTree(subset) {
		byID[r.SpanID] = r
	}
	wf.Rows = make([]events.SpanRow, len(order))
	for k, o := range order {
		r := byID[ids[k]]
		r.Depth = int(o.depth)
		wf.Rows[k] = r
	}
	return wf, nil
}

// place is a span's index in all and its depth in the tree.
type place struct{ i, depth int32 }

// treePrefix lists the spans (by their index in all) that come first, max
// of them, in events.SpanTree's order, with their depth: depth first from the roots (spans
// whose parent is absent), children after their parent, siblings by start
// time then name; spans in a parent cycle, reachable from no root, after
// everything else, each as a root. Without recursion, as SpanTree.
func treePrefix(all []skeleton, max int) []place {
	byStart := func(a, b int32) int {
		return cmp.Or(cmp.Compare(all[a].start, all[b].start), cmp.Compare(all[a].name, all[b].name))
	}
	// A repeated id names its last span, as in SpanTree.
	index := make(map[[8]byte]int32, len(all))
	for i, s := range all {
		index[s.id] = int32(i)
	}
	parent := make([]int32, len(all))
	var roots []int32
	for i, s := range all {
		parent[i] = -1
		if p, ok := index[s.parent]; ok && s.parent != [8]byte{} && int(p) != i {
			parent[i] = p
		} else {
			roots = append(roots, int32(i))
		}
	}
	index = nil
	// Children of each span, contiguous: the spans with a parent sorted by
	// parent, then as siblings are.
	kids := make([]int32, 0, len(all)-len(roots))
	for i := range all {
		if parent[i] >= 0 {
			kids = append(kids, int32(i))
		}
	}
	slices.SortFunc(kids, func(a, b int32) int { return cmp.Or(cmp.Compare(parent[a], parent[b]), byStart(a, b)) })
	first := make([]int32, len(all)+1) // kids[first[p]:first[p+1]] are p's children
	for _, k := range kids {
		first[parent[k]+1]++
	}
	for p := 1; p <= len(all); p++ {
		first[p] += first[p-1]
	}
	slices.SortFunc(roots, byStart)
	out := make([]place, 0, max)
	seen := make([]bool, len(all))
	var stack []place
	visit := func(start []int32) {
		for k := len(start) - 1; k >= 0; k-- {
			stack = append(stack, place{start[k], 0})
		}
		for len(stack) > 0 && len(out) < max {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[p.i] {
				continue
			}
			seen[p.i] = true
			out = append(out, p)
			ch := kids[first[p.i]:first[p.i+1]]
			for k := len(ch) - 1; k >= 0; k-- {
				stack = append(stack, place{ch[k], p.depth + 1})
			}
		}
		stack = stack[:0]
	}
	visit(roots)
	for i := range all {
		if len(out) >= max {
			break
		}
		if !seen[i] {
			visit([]int32{int32(i)})
		}
	}
	return out
}
