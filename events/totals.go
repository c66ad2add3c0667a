package events

import (
	"cmp"
	"slices"
	"time"
)

// Pricer estimates the cost in USD of an LLM call from its model and token
// counts; ok is false when it knows no price for the model.
type Pricer interface {
	Price(l LLM) (usd float64, ok bool)
}

// Totals is the tally of a session's events, as the summary shows it.
type Totals struct {
	// LLMCalls counts each LLM call once; WrapperLLMSpans counts the LLM
	// spans that repeat a call counted on another span (see Finish).
	LLMCalls        int `json:"llm_calls"`
	WrapperLLMSpans int `json:"wrapper_llm_spans,omitempty"`
	// RepeatedEvents counts the events that repeat a call, tool call or
	// error counted from another source (see correlate.go).
	RepeatedEvents      int   `json:"repeated_events,omitempty"`
	InputTokens         int64 `json:"input_tokens"`
	OutputTokens        int64 `json:"output_tokens"`
	CacheReadTokens     int64 `json:"cache_read_tokens,omitempty"`
	CacheCreationTokens int64 `json:"cache_creation_tokens,omitempty"`
	ReasoningTokens     int64 `json:"reasoning_tokens,omitempty"`
	// CostUSD sums the calls with a cost; UnpricedCalls counts the calls
	// without one, so a reader knows CostUSD is a lower bound.
	CostUSD       float64 `json:"cost_usd"`
	UnpricedCalls int     `json:"unpriced_calls"`
	// NoUsageCalls counts the calls that reported no usage (see
	// LLM.UsageMissing): the token sums leave them out, unknown.
	NoUsageCalls int `json:"no_usage_calls,omitempty"`
	ToolCalls    int `json:"tool_calls"`
	Agents       int `json:"agents"`
	Actions      int `json:"actions"`
	// Errors counts error events, an error re-raised by enclosing spans once.
	Errors       int           `json:"errors"`
	ErrorSamples []ErrorSample `json:"error_samples,omitempty"`
	// LastError is the error that ended last, kept however many events the
	// session had (the record keeps only the first of them).
	LastError  *ErrorSample `json:"last_error,omitempty"`
	lastErrEnd time.Time
	Models     []ModelTotals `json:"models,omitempty"`
	Tools      []ToolTotals  `json:"tools,omitempty"`
	// DuplicateSpans counts the spans received again (same trace and span
	// id, as an SDK's retry of an export that had arrived sends them):
	// counted once. CycleSpans counts the spans whose parent ids formed a
	// cycle: counted as leaves. InvalidValues counts the token counts and
	// costs dropped as impossible (see MaxTokens). Each is a warning.
	DuplicateSpans int `json:"duplicate_spans,omitempty"`
	CycleSpans     int `json:"cycle_spans,omitempty"`
	InvalidValues  int `json:"invalid_values,omitempty"`
}

// ModelTotals is the usage of one model.
type ModelTotals struct {
	Model           string  `json:"model"`
	Provider        string  `json:"provider,omitempty"`
	Calls           int     `json:"calls"`
	InputTokens     int64   `json:"input_tokens"`
	OutputTokens    int64   `json:"output_tokens"`
	CacheReadTokens int64   `json:"cache_read_tokens,omitempty"`
	ReasoningTokens int64   `json:"reasoning_tokens,omitempty"`
	CostUSD         float64 `json:"cost_usd"`
	// UnpricedCalls counts the calls with no cost: when it equals Calls the
	// model is unpriced, and CostUSD means nothing.
	UnpricedCalls int `json:"unpriced_calls"`
}

// Priced reports whether every call of the model has a cost.
func (m ModelTotals) Priced() bool { return m.UnpricedCalls == 0 }

// ToolTotals is the use of one tool.
type ToolTotals struct {
	Name   string `json:"name"`
	Calls  int    `json:"calls"`
	Errors int    `json:"errors"`
	// Time is the summed wall time of the calls.
	Time time.Duration `json:"time_ns"`
}

// ErrorSample is one error kept for the summary.
type ErrorSample struct {
	// Where is the name of the span (or log) that raised the error.
	Where   string `json:"where,omitempty"`
	Type    string `json:"type,omitempty"`
	Message string `json:"message"`
}

// MaxErrorSamples bounds the error messages kept for the summary.
const MaxErrorSamples = 5

// UnknownModel names the model of calls that reported none.
const UnknownModel = "(unknown model)"

// Add counts one event. Wrapper LLM spans and propagated errors (see
// Finish) are noted but not counted again.
func (t *Totals) Add(e Event) { t.add(&e) }

// add is Add of an event not copied: the window counts every event.
func (t *Totals) add(e *Event) {
	if e.Kind == KindLLM && e.LLM != nil {
		t.InvalidValues += e.LLM.InvalidValues
	}
	if e.SameAs != "" {
		t.RepeatedEvents++
		return
	}
	switch e.Kind {
	case KindLLM:
		if e.LLM == nil {
			return
		}
		if e.LLM.Wrapper || e.LLM.Duplicate {
			t.WrapperLLMSpans++
			return
		}
		t.addLLM(e.LLM)
	case KindTool:
		t.ToolCalls++
		if e.Tool != nil {
			t.addTool(*e.Tool, e.Duration())
		}
	case KindAgent:
		t.Agents++
	case KindAction:
		t.Actions++
	case KindError:
		if e.Error != nil && e.Error.Propagated {
			return
		}
		t.Errors++
		s := ErrorSample{Where: e.Name}
		if e.Error != nil {
			s.Type, s.Message = e.Error.Type, e.Error.Message
		}
		if s.Message == "" {
			s.Message = first(s.Type, "error in "+e.Name)
		}
		if len(t.ErrorSamples) < MaxErrorSamples {
			t.ErrorSamples = append(t.ErrorSamples, s)
		}
		if t.LastError == nil || !e.End.Before(t.lastErrEnd) {
			t.LastError, t.lastErrEnd = &s, e.End
		}
	}
}

// addLLM counts a call. Its numbers are bounded (see sanitize), and the
// sums saturate: no session's totals wrap around.
func (t *Totals) addLLM(l *LLM) {
	t.LLMCalls++
	if l.UsageMissing != "" {
		t.NoUsageCalls++
	}
	t.InputTokens = satAdd(t.InputTokens, l.InputTokens)
	t.OutputTokens = satAdd(t.OutputTokens, l.OutputTokens)
	t.CacheReadTokens = satAdd(t.CacheReadTokens, l.CacheReadTokens)
	t.CacheCreationTokens = satAdd(t.CacheCreationTokens, l.CacheCreationTokens)
	t.ReasoningTokens = satAdd(t.ReasoningTokens, l.ReasoningTokens)
	name := first(l.Model(), UnknownModel)
	i := slices.IndexFunc(t.Models, func(m ModelTotals) bool { return m.Model == name })
	if i < 0 {
		t.Models = append(t.Models, ModelTotals{Model: name, Provider: l.Provider})
		i = len(t.Models) - 1
	}
	m := &t.Models[i]
	m.Calls++
	m.InputTokens = satAdd(m.InputTokens, l.InputTokens)
	m.OutputTokens = satAdd(m.OutputTokens, l.OutputTokens)
	m.CacheReadTokens = satAdd(m.CacheReadTokens, l.CacheReadTokens)
	m.ReasoningTokens = satAdd(m.ReasoningTokens, l.ReasoningTokens)
	if l.CostUSD == nil {
		t.UnpricedCalls++
		m.UnpricedCalls++
		return
	}
	t.CostUSD = satAddUSD(t.CostUSD, *l.CostUSD)
	m.CostUSD = satAddUSD(m.CostUSD, *l.CostUSD)
}

func (t *Totals) addTool(tl Tool, d time.Duration) {
	i := slices.IndexFunc(t.Tools, func(x ToolTotals) bool { return x.Name == tl.Name })
	if i < 0 {
		t.Tools = append(t.Tools, ToolTotals{Name: tl.Name})
		i = len(t.Tools) - 1
	}
	t.Tools[i].Calls++
	t.Tools[i].Time += d
	if tl.Failed {
		t.Tools[i].Errors++
	}
}

// Sort orders models and tools by calls, most first, then by name, so a
// summary is the same however the spans were batched.
func (t *Totals) Sort() {
	slices.SortStableFunc(t.Models, func(a, b ModelTotals) int {
		return cmp.Or(cmp.Compare(b.Calls, a.Calls), cmp.Compare(a.Model, b.Model))
	})
	slices.SortStableFunc(t.Tools, func(a, b ToolTotals) int {
		return cmp.Or(cmp.Compare(b.Calls, a.Calls), cmp.Compare(a.Name, b.Name))
	})
}

// Finish applies the session-wide rules to evs, in place, and tallies them:
//
//   - an LLM span with an LLM span reporting usage below it is a wrapper
//     (frameworks wrap the provider's instrumented call and repeat its
//     usage), and so is one reporting no usage with any LLM span below: it
//     is marked Wrapper and its tokens and cost are not counted; when only
//     the wrapper reports usage, it is the one counted, and the usage-less
//     spans below it are marked Duplicate;
//   - an error whose message a span below already raised is marked
//     Propagated and not counted again, and so is an ERROR log record
//     of the error its span (or an enclosing one) ended with;
//   - every leaf LLM call without a cost reported by its span is priced by
//     p (nil means no table): still unpriced when p knows no price.
//
// lin must hold every span received, not only those that became events.
func Finish(evs []Event, lin *Lineage, p Pricer) Totals {
	if lin == nil {
		lin = &Lineage{}
	}
	for i := range evs {
		sanitize(&evs[i])
	}
	markWrappers(evs, lin)
	markPropagated(evs, lin)
	markRepeats(evs, appendIDKeys(nil, evs), lin, nil, nil)
	t := Totals{CycleSpans: lin.CycleSpans()}
	for i := range evs {
		t.addFinished(&evs[i], p)
	}
	t.Sort()
	return t
}

// countedCall reports whether e is an LLM call the totals count: not a
// wrapper or duplicate span, not a repeat of a call another source reported.
// The rules that mark e must have been applied.
func (e *Event) countedCall() bool {
	return e.Kind == KindLLM && e.LLM != nil && !e.LLM.Wrapper && !e.LLM.Duplicate && e.SameAs == ""
}

// tablePrice is what p charges for e's call, at the call's time; ok is false
// when p knows no price or the price is not a believable one.
func tablePrice(e *Event, p Pricer) (float64, bool) {
	if p == nil {
		return 0, false
	}
	l := *e.LLM
	if l.Time.IsZero() {
		l.Time = e.Start
	}
	usd, ok := p.Price(l)
	return usd, ok && validCost(usd)
}

// addFinished prices e with p, if it is a leaf LLM call that reports no
// cost, and counts it. The rules that mark e must have been applied.
func (t *Totals) addFinished(e *Event, p Pricer) {
	if e.countedCall() {
		if !e.LLM.reportsUsage() && e.LLM.UsageMissing == "" {
			e.LLM.UsageMissing = "the span reported no usage"
		}
		if e.LLM.CostUSD == nil {
			if usd, ok := tablePrice(e, p); ok {
				cost := usd // on the heap only when priced
				e.LLM.CostUSD, e.LLM.CostSource = &cost, "table"
			}
		}
	}
	t.add(e)
}

// markWrappers applies the wrapper rules to evs, all of a session.
func markWrappers(evs []Event, lin *Lineage) {
	var w wrappers
	for i := range evs {
		w.addCall(&evs[i], lin)
	}
	w.markWrappers(eventCalls(evs), lin)
}

func markPropagated(evs []Event, lin *Lineage) {
	// Error events read from spans, by span; an ERROR log record carries
	// the id of the span it was emitted in, and is not one.
	spanErrs := map[uint64]*Error{}
	for i := range evs {
		if evs[i].Kind == KindError && evs[i].Error != nil && evs[i].Error.Source == "span" {
			spanErrs[evs[i].key()] = evs[i].Error
		}
	}
	if len(spanErrs) == 0 {
		return
	}
	for i := range evs {
		e := evs[i].Error
		if evs[i].Kind != KindError || e == nil || e.Message == "" {
			continue
		}
		if e.Source != "span" {
			// A log record of the error its span (or an enclosing one)
			// also ended with: the span's error is the one counted.
			if up, ok := spanErrs[evs[i].key()]; ok && up.Message == e.Message {
				e.Propagated = true
				continue
			}
			lin.ancestorsOf(evs[i].key(), func(id uint64) bool {
				if up, ok := spanErrs[id]; ok && up.Message == e.Message {
					e.Propagated = true
					return false
				}
				return true
			})
			continue
		}
		lin.ancestorsOf(evs[i].key(), func(id uint64) bool {
			if up, ok := spanErrs[id]; ok && up.Message == e.Message {
				up.Propagated = true
			}
			return true
		})
	}
}
