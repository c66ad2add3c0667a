package events

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"slices"
	"time"
)

// One call can reach a session several times: as the agent's span, as its
// log event, as a span agentops captured on the wire, as a second
// instrumentation's span. markRepeats groups the events that report one
// call (or one tool call, or one error) and counts each group once:
//
//   - by the ids the sources share: the provider's request id (Claude
//     Code's request_id, the captured call's request-id header), the
//     response id (gen_ai.response.id), the tool call id (tool_use_id,
//     gen_ai.tool.call.id, call_id);
//   - a log event emitted inside the span of an LLM (or tool) call reports
//     that call;
//   - where no id is shared, two LLM events are one call when they have
//     the same non-zero input and output tokens, models that agree (or one
//     names none), different names (two instrumentations, or a span and a
//     log event, name a call differently; one source names all its calls
//     alike), no ids that differ, neither span is below the other (that is
//     a wrapper, see markWrappers), and overlapping times, unless one of
//     them names no model (Codex logs a call's usage as the stream
//     completes, before the span that carries it starts). Pairs are joined
//     nearest in time first, and a group never holds two events of one
//     name: two calls of the same model and usage, one after the other,
//     stay two.
//
// Of a group, the event counted is the agent's own span, else a captured
// call, else a log event; it takes what it lacks from the others (usage,
// a reported cost such as Claude Code's cost_usd, a model), and the others
// are marked SameAs it. Metric points never make events: every agent's
// usage metrics repeat its log events or spans.

// maxRepeatCandidates bounds the events one event is compared with by the
// no-id rule: a session of identical concurrent calls costs linear time.
const maxRepeatCandidates = 16

// maxRemembered bounds the ids Repeats keeps of calls already counted.
const maxRemembered = 1 << 16

// Repeats remembers the ids of the calls a Window has already counted, so
// that a source reporting one of them after it left the window is not
// counted again. It keeps 20 bytes per id, in an open-addressing table
// (a hash of the id and the counted span's id, and a 4-byte slot), and a
// 128 KB filter of them: every event of the window is looked up, nearly
// always in vain, and the filter answers most of those without a miss of
// the cache. The zero value is ready to use.
type Repeats struct {
	ids []countedID
	// slots holds 1 + an index in ids, or 0 when empty; linear probing
	// from a key's low bits, at most half full.
	slots  []uint32
	logs   map[uint64]string // id key → the counted log event's name
	filter []uint64          // a bit per key in ids
}

// countedID is an id key and the span counted with it (0: a log event).
type countedID struct{ key, span uint64 }

// filterBits is the size of Repeats.filter: at maxRemembered keys, one
// lookup in 16 that finds no key passes it.
const filterBits = 1 << 20

func filterBit(k uint64) (word int, bit uint64) {
	// The low bits of a key pick its slot: the filter takes the high.
	h := k >> (64 - 20)
	return int(h / 64), 1 << (h % 64)
}

// len is how many ids r remembers.
func (r *Repeats) len() int { return len(r.ids) }

// find returns the slot of key k, or the free slot where it belongs.
func (r *Repeats) find(k uint64) (slot int, found bool) {
	mask := len(r.slots) - 1
	for i := int(k) & mask; ; i = (i + 1) & mask {
		s := r.slots[i]
		if s == 0 {
			return i, false
		}
		if r.ids[s-1].key == k {
			return i, true
		}
	}
}

// remember notes the ids of a counted event, whose id keys are keys.
func (r *Repeats) remember(e *Event, keys idSet) {
	if e.SameAs != "" || !repeatable(e) {
		return
	}
	for _, k := range keys.k[:keys.n] {
		if len(r.ids) >= maxRemembered {
			return
		}
		if r.slots == nil {
			r.slots = make([]uint32, 1024)
			r.filter = make([]uint64, filterBits/64)
		}
		span := uint64(0)
		if e.Source != "log" {
			// key is hexID(SpanID) for a span's event, and needs no
			// SpanID (see Window.retire).
			span = e.key()
		}
		if i, found := r.find(k); found {
			r.ids[r.slots[i]-1].span = span
		} else {
			r.ids = append(r.ids, countedID{k, span})
			r.slots[i] = uint32(len(r.ids))
			if 2*len(r.ids) > len(r.slots) {
				r.grow()
			}
		}
		w, b := filterBit(k)
		r.filter[w] |= b
		if span == 0 {
			if r.logs == nil {
				r.logs = map[uint64]string{}
			}
			r.logs[k] = e.Name
		}
	}
}

// grow doubles the table and places every id again.
func (r *Repeats) grow() {
	r.slots = make([]uint32, 2*len(r.slots))
	for n, id := range r.ids {
		i, _ := r.find(id.key)
		r.slots[i] = uint32(n + 1)
	}
}

// counts returns what SameAs says of the counted call that an event with
// id keys keys repeats, if the window counted it already.
func (r *Repeats) counts(keys idSet) (string, bool) {
	for _, k := range keys.k[:keys.n] {
		if w, b := filterBit(k); r.filter[w]&b == 0 {
			continue
		}
		if i, found := r.find(k); found {
			if span := r.ids[r.slots[i]-1].span; span != 0 {
				return fmt.Sprintf("span %016x", span), true
			}
			return "log " + r.logs[k], true
		}
	}
	return "", false
}

// repeatable reports whether e is an event another source may repeat and
// that is counted.
func repeatable(e *Event) bool {
	switch e.Kind {
	case KindLLM:
		return e.LLM != nil && !e.LLM.Wrapper && !e.LLM.Duplicate
	case KindTool:
		return e.Tool != nil
	case KindError:
		return e.Error != nil && !e.Error.Propagated
	}
	return false
}

// idSet is the keys of an event's ids (see idKeys).
type idSet struct {
	k [3]uint64
	n int
}

// idKeys are the keys of e's ids, by kind (a call's request id and an
// error of that call's are not one event): 64-bit hashes, in a fixed
// array, as the rules run over every event of the window and should
// allocate nothing per event. A Window hashes an event's ids once, when
// it arrives, and again only when absorb gives it more.
func idKeys(e *Event) (s idSet) {
	if e.RequestID != "" {
		s.k[s.n], s.n = idHash(e.Kind, 'q', e.RequestID), s.n+1
	}
	if e.ResponseID != "" {
		s.k[s.n], s.n = idHash(e.Kind, 'p', e.ResponseID), s.n+1
	}
	if e.ToolCallID != "" && e.Kind != KindLLM {
		s.k[s.n], s.n = idHash(e.Kind, 't', e.ToolCallID), s.n+1
	}
	return s
}

// appendIDKeys appends the id keys of each of evs to keys.
func appendIDKeys(keys []idSet, evs []Event) []idSet {
	for i := range evs {
		keys = append(keys, idKeys(&evs[i]))
	}
	return keys
}

// idSeed seeds the id hashes; ids are compared within one process only.
var idSeed = maphash.MakeSeed()

func idHash(kind Kind, field byte, id string) uint64 {
	var h maphash.Hash
	h.SetSeed(idSeed)
	_, _ = h.WriteString(string(kind))
	_ = h.WriteByte(field)
	_, _ = h.WriteString(id)
	return h.Sum64()
}

// eventRef is what SameAs says of the counted event.
func eventRef(e *Event) string {
	if e.Source != "log" && e.SpanID != "" {
		return "span " + e.SpanID
	}
	return "log " + e.Name
}

// sourceRank orders the sources of one call: the agent's own span is
// counted, else a captured call, else a log event.
func sourceRank(e *Event) int {
	switch e.Source {
	case "":
		return 0
	case "capture":
		return 1
	}
	return 2
}

// correlator is markRepeats' working memory: a Window keeps one, so that
// applying the rules to its events again and again allocates nothing once
// its slices and maps have grown to the window's size.
type correlator struct {
	cand    []int
	g       groups
	byKey   map[uint64]int
	size    []int32
	members map[int][]int
	spanCtx map[kindSpan]int
	llm     []int
	pairs   []pair
}

// kindSpan is the event of a kind that a span stands for.
type kindSpan struct {
	kind Kind
	span string
}

// pair is two LLM events the no-id rule allows to be one call.
type pair struct {
	i, j int
	gap  time.Duration
}

// markRepeats applies the rules above to evs, whose id keys are keys
// (keys[i] those of evs[i]). seen, when not nil, holds the calls counted
// already; c is working memory (nil: a fresh one).
func markRepeats(evs []Event, keys []idSet, lin *Lineage, seen *Repeats, c *correlator) {
	if c == nil {
		c = &correlator{}
	}
	c.cand = c.cand[:0]
	for i := range evs {
		if repeatable(&evs[i]) {
			c.cand = append(c.cand, i)
		}
	}
	if len(c.cand) == 0 {
		return
	}
	g := c.g.reset(len(evs))
	c.unionByKeys(g, func(i int) *idSet { return &keys[i] })
	logs := false
	for _, i := range c.cand {
		logs = logs || evs[i].Source == "log"
	}
	// A log event emitted in the span of its call: only when there are logs.
	if logs {
		if c.spanCtx == nil {
			c.spanCtx = map[kindSpan]int{} // the span event of a kind, by span id
		}
		clear(c.spanCtx)
		for _, i := range c.cand {
			if e := &evs[i]; e.Source != "log" && e.SpanID != "" && e.Kind != KindError {
				c.spanCtx[kindSpan{e.Kind, e.SpanID}] = i
			}
		}
		for _, i := range c.cand {
			if e := &evs[i]; e.Source == "log" && e.SpanID != "" {
				if j, ok := c.spanCtx[kindSpan{e.Kind, e.SpanID}]; ok {
					g.union(i, j)
				}
			}
		}
	}
	sameUsage(evs, lin, g, c)
	c.gather(g, len(evs), func(i int) {
		if seen != nil && seen.len() > 0 {
			if ref, ok := seen.counts(keys[i]); ok {
				evs[i].SameAs = ref
			}
		}
	})
	for _, m := range c.members {
		settle(evs, keys, m, seen)
	}
}

// unionByKeys joins the candidates that share an id key; keys(i) is
// candidate i's set.
func (c *correlator) unionByKeys(g *groups, keys func(i int) *idSet) {
	if c.byKey == nil {
		c.byKey = make(map[uint64]int, len(c.cand))
	}
	clear(c.byKey)
	for _, i := range c.cand {
		ks := keys(i)
		for _, k := range ks.k[:ks.n] {
			if j, ok := c.byKey[k]; ok {
				g.union(i, j)
			} else {
				c.byKey[k] = i
			}
		}
	}
}

// gather puts the candidates of every group of more than one in
// c.members, by the group's root, and calls alone with each candidate in a
// group of its own. Most events are a group of their own: only the others
// are gathered. n is the number of events the groups are of.
func (c *correlator) gather(g *groups, n int, alone func(i int)) {
	c.size = slices.Grow(c.size[:0], n)[:n]
	clear(c.size)
	for _, i := range c.cand {
		c.size[g.find(i)]++
	}
	if c.members == nil {
		c.members = map[int][]int{}
	}
	clear(c.members)
	for _, i := range c.cand {
		if r := g.find(i); c.size[r] > 1 {
			c.members[r] = append(c.members[r], i)
		} else {
			alone(i)
		}
	}
}

// sameUsage applies the no-id rule (see above) to the LLM events of cand:
// the pairs it allows are joined nearest in time first, and never into a
// group that would hold two events of one name.
func sameUsage(evs []Event, lin *Lineage, g *groups, c *correlator) {
	llm := c.llm[:0]
	defer func() { c.llm = llm }()
	noResponseID, noRequestID := false, false
	for _, i := range c.cand {
		if l := evs[i].LLM; evs[i].Kind == KindLLM && l.InputTokens > 0 && l.OutputTokens > 0 {
			llm = append(llm, i)
			noResponseID = noResponseID || evs[i].ResponseID == ""
			noRequestID = noRequestID || evs[i].RequestID == ""
		}
	}
	// Two events with response ids (or request ids) that differ are two
	// calls, and equal ones are grouped already: when every event has
	// one, the rule has nothing to join (a session of instrumented calls).
	if !noResponseID || !noRequestID {
		return
	}
	// By usage, then start: the events of one usage are a run, in time.
	slices.SortFunc(llm, func(x, y int) int {
		a, b := evs[x].LLM, evs[y].LLM
		return cmp.Or(cmp.Compare(a.InputTokens, b.InputTokens), cmp.Compare(a.OutputTokens, b.OutputTokens),
			evs[x].Start.Compare(evs[y].Start))
	})
	pairs := c.pairs[:0]
	defer func() { c.pairs = pairs }()
	for x, i := range llm {
		a := evs[i].LLM
		for n, j := range llm[x+1:] {
			if b := evs[j].LLM; n >= maxRepeatCandidates || b.InputTokens != a.InputTokens || b.OutputTokens != a.OutputTokens {
				break
			}
			if oneCall(&evs[i], &evs[j], lin) {
				pairs = append(pairs, pair{i, j, gap(&evs[i], &evs[j])})
			}
		}
	}
	if len(pairs) == 0 {
		return
	}
	slices.SortStableFunc(pairs, func(a, b pair) int { return cmp.Compare(a.gap, b.gap) })
	// The names each group of a pair holds, gathered for those groups only.
	names := map[int]map[string]bool{} // group root → its names
	for _, p := range pairs {
		names[g.find(p.i)], names[g.find(p.j)] = map[string]bool{}, map[string]bool{}
	}
	for _, i := range c.cand {
		if m, ok := names[g.find(i)]; ok {
			m[evs[i].Name] = true
		}
	}
	for _, p := range pairs {
		ri, rj := g.find(p.i), g.find(p.j)
		if ri == rj {
			continue
		}
		ni, nj := names[ri], names[rj]
		if shareName(ni, nj) {
			continue
		}
		g.union(p.i, p.j)
		r := g.find(p.i)
		for n := range ni {
			nj[n] = true
		}
		names[r] = nj
	}
}

func shareName(a, b map[string]bool) bool {
	for n := range a {
		if b[n] {
			return true
		}
	}
	return false
}

// gap is the time between two events: 0 when they overlap.
func gap(a, b *Event) time.Duration {
	switch {
	case b.Start.After(a.End):
		return b.Start.Sub(a.End)
	case a.Start.After(b.End):
		return a.Start.Sub(b.End)
	}
	return 0
}

// oneCall reports whether two LLM events of the same usage may be one call
// by the no-id rule: different names, models that agree (or one names
// none), no ids that differ, neither span below the other, and times that
// overlap, unless one names no model (Codex's response spans, whose
// sse_event log is written as the stream completes, before the span that
// handles it).
func oneCall(a, b *Event, lin *Lineage) bool {
	if a.Name == b.Name {
		return false
	}
	ma, mb := a.LLM.Model(), b.LLM.Model()
	if ma != "" && mb != "" && ma != mb {
		return false
	}
	if ma != "" && mb != "" && gap(a, b) > 0 {
		return false
	}
	if differ(a.RequestID, b.RequestID) || differ(a.ResponseID, b.ResponseID) {
		return false
	}
	if a.Source != "log" && b.Source != "log" && (lin.below(a.SpanID, b.SpanID) || lin.below(b.SpanID, a.SpanID)) {
		return false
	}
	return true
}

func differ(a, b string) bool { return a != "" && b != "" && a != b }

// settle counts a group once: it picks the event to count, fills in what
// it lacks from the others, and marks them SameAs it. When the group's call
// was counted already (it left the window), all of the group repeat it.
func settle(evs []Event, keys []idSet, m []int, seen *Repeats) {
	if seen != nil && seen.len() > 0 {
		for _, i := range m {
			if ref, ok := seen.counts(keys[i]); ok {
				for _, j := range m {
					evs[j].SameAs = ref
				}
				return
			}
		}
	}
	if len(m) < 2 {
		return
	}
	slices.SortFunc(m, func(x, y int) int {
		a, b := &evs[x], &evs[y]
		return cmp.Or(cmp.Compare(sourceRank(a), sourceRank(b)), cmp.Compare(a.SpanID, b.SpanID),
			cmp.Compare(a.Name, b.Name), a.Start.Compare(b.Start))
	})
	p := &evs[m[0]]
	p.SameAs = ""
	ref := eventRef(p)
	for _, i := range m[1:] {
		absorb(p, &evs[i])
		evs[i].SameAs = ref
	}
	keys[m[0]] = idKeys(p) // it may have taken ids from the others
}

// absorb fills in what the counted event p lacks from o, a repeat of it.
func absorb(p, o *Event) {
	p.RequestID = first(p.RequestID, o.RequestID)
	p.ResponseID = first(p.ResponseID, o.ResponseID)
	p.ToolCallID = first(p.ToolCallID, o.ToolCallID)
	switch {
	case p.LLM != nil && o.LLM != nil:
		l, x := p.LLM, o.LLM
		if !l.reportsTokens() && x.reportsTokens() {
			l.InputTokens, l.OutputTokens, l.TotalTokens = x.InputTokens, x.OutputTokens, x.TotalTokens
			l.CacheReadTokens, l.CacheCreationTokens = x.CacheReadTokens, x.CacheCreationTokens
			l.CacheCreation1hTokens, l.ReasoningTokens = x.CacheCreation1hTokens, x.ReasoningTokens
			l.UsageMissing = x.UsageMissing
		}
		// A cost a source reports (Claude Code's cost_usd) is preferred to
		// our price.
		if x.CostUSD != nil && x.CostSource != "table" && (l.CostUSD == nil || l.CostSource == "table") {
			l.CostUSD, l.CostSource = x.CostUSD, x.CostSource
		}
		if l.Model() == "" {
			l.RequestModel, l.ResponseModel = x.RequestModel, x.ResponseModel
		}
		l.Provider = first(l.Provider, x.Provider)
		l.Server = first(l.Server, x.Server)
	case p.Tool != nil && o.Tool != nil:
		t, x := p.Tool, o.Tool
		t.Name = first(t.Name, x.Name)
		t.Arguments = first(t.Arguments, x.Arguments)
		t.Result = first(t.Result, x.Result)
		t.Failed = t.Failed || x.Failed
	case p.Error != nil && o.Error != nil:
		p.Error.Type = first(p.Error.Type, o.Error.Type)
		p.Error.Message = first(p.Error.Message, o.Error.Message)
	}
}

// reportsTokens reports whether the event states the call's token counts.
func (l LLM) reportsTokens() bool {
	return l.InputTokens > 0 || l.OutputTokens > 0 || l.TotalTokens > 0
}

// below reports whether the span with hex id a is below the one with id b.
func (l *Lineage) below(a, b string) bool {
	up, found := hexID(b), false
	if up == 0 {
		return false
	}
	l.ancestors(a, func(id uint64) bool {
		found = id == up
		return !found
	})
	return found
}

// groups is a union-find over event indices.
type groups struct{ parent []int }

// reset makes g n groups of one, reusing its memory.
func (g *groups) reset(n int) *groups {
	g.parent = slices.Grow(g.parent[:0], n)[:n]
	for i := range g.parent {
		g.parent[i] = i
	}
	return g
}

func (g *groups) find(i int) int {
	for g.parent[i] != i {
		g.parent[i] = g.parent[g.parent[i]]
		i = g.parent[i]
	}
	return i
}

func (g *groups) union(a, b int) { g.parent[g.find(a)] = g.find(b) }
