package events

import (
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// SpanUse is what the session's counting made of one span: the kind of the
// event it stands for and, for an LLM span, whether its call is counted on
// it, with the usage and cost counted. An exporter whose backend adds up
// usage over every span it receives (AgentOps does) reads it to send the
// summary's numbers, and no more.
type SpanUse struct {
	Kind Kind
	// Name is the tool's or the agent's name, for tool and agent spans.
	Name string
	// ActionType is the convention's own name for an action's step
	// ("workflow", "task", "chain", ...), for action spans.
	ActionType string
	// LLM is the call as counted (normalised tokens, cost, model), for an
	// LLM span whose call is counted on it. Nil on an LLM span that is a
	// wrapper or a duplicate of a call counted elsewhere, or that repeats a
	// call counted from another source (Event.SameAs).
	LLM *LLM
}

// SpanUses collects the SpanUse of every span whose events a Window has
// counted: set Window.Decided to its Note method. It is safe for
// concurrent use; the zero value is ready to use.
//
// It keeps about a hundred bytes per event span (not per span: plain HTTP
// or database spans make no events) and no captured content.
type SpanUses struct {
	mu       sync.RWMutex
	m        map[uint64]SpanUse
	unplaced Unplaced
}

// Unplaced adds up the LLM calls counted from log events, which no span
// reports: an exporter that must show the summary's totals puts them on
// the session span.
type Unplaced struct {
	Calls                                                       int
	InputTokens, OutputTokens, CacheReadTokens, ReasoningTokens int64
	// CostUSD sums the calls with a cost; Priced counts them.
	CostUSD float64
	Priced  int
}

func (p *Unplaced) add(l LLM) {
	p.Calls++
	p.InputTokens += l.InputTokens
	p.OutputTokens += l.OutputTokens
	p.CacheReadTokens += l.CacheReadTokens
	p.ReasoningTokens += l.ReasoningTokens
	if l.CostUSD != nil {
		p.CostUSD += *l.CostUSD
		p.Priced++
	}
}

// Unplaced is the sum of the LLM calls counted from log events.
func (u *SpanUses) Unplaced() Unplaced {
	if u == nil {
		return Unplaced{}
	}
	u.mu.RLock()
	defer u.mu.RUnlock()
	return u.unplaced
}

// Note records what the counting made of e's span. Call it with events
// whose rules have been applied (Window.Decided, or after Finish). Error
// events are not a span's kind and are ignored.
func (u *SpanUses) Note(e Event) {
	counted := e.Kind == KindLLM && e.LLM != nil && !e.LLM.Wrapper && !e.LLM.Duplicate && e.SameAs == ""
	// A log event's span id is the span it was logged in, not its own. A
	// call counted from a log event is one no span reports (Claude Code,
	// Codex and Gemini CLI may send only logs): kept apart, in Unplaced.
	if e.Source == "log" {
		if counted {
			u.mu.Lock()
			u.unplaced.add(*e.LLM)
			u.mu.Unlock()
		}
		return
	}
	var use SpanUse
	switch e.Kind {
	case KindLLM:
		use.Kind = KindLLM
		if l := e.LLM; counted {
			counted := *l
			counted.Prompt, counted.Completion = "", ""
			use.LLM = &counted
		}
	case KindTool:
		use.Kind = KindTool
		if e.Tool != nil {
			use.Name = e.Tool.Name
		}
	case KindAgent:
		use.Kind = KindAgent
		if e.Agent != nil {
			use.Name = e.Agent.Name
		}
	case KindAction:
		use.Kind = KindAction
		if e.Action != nil {
			use.ActionType = e.Action.Type
		}
	default:
		return
	}
	id := hexID(e.SpanID)
	if id == 0 {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.m == nil {
		u.m = make(map[uint64]SpanUse)
	}
	u.m[id] = use
}

// Use returns what the counting made of the span; ok is false for a span
// that stood for no event (or was not counted yet).
func (u *SpanUses) Use(span pcommon.SpanID) (SpanUse, bool) {
	if u == nil {
		return SpanUse{}, false
	}
	u.mu.RLock()
	defer u.mu.RUnlock()
	use, ok := u.m[id64(span)]
	return use, ok
}

// Len is the number of spans noted.
func (u *SpanUses) Len() int {
	u.mu.RLock()
	defer u.mu.RUnlock()
	return len(u.m)
}
