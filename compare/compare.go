// Package compare compares two session records, a baseline and a new run,
// and evaluates CI gates on the difference (cost>+10%, errors>0, ...). It
// is pure: the records in, a Diff out; the summary package draws it.
package compare

import (
	"math"
	"slices"
	"time"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/record"
)

// The metrics a Diff's totals hold and gates name, in the order shown.
const (
	Duration     = "duration"
	LLMCalls     = "llm_calls"
	InputTokens  = "input_tokens"
	OutputTokens = "output_tokens"
	Tokens       = "tokens"
	Cost         = "cost"
	ToolCalls    = "tool_calls"
	Errors       = "errors"
	// EndState is compared as a word, not a number: gates only.
	EndState = "end_state"
)

// Metrics lists the numeric metrics in the order a Diff shows them.
var Metrics = []string{Duration, LLMCalls, InputTokens, OutputTokens, Tokens, Cost, ToolCalls, Errors}

// Diff is what changed from session A (the baseline) to session B.
type Diff struct {
	A Side `json:"a"`
	B Side `json:"b"`
	// Totals holds one Metric per name in Metrics.
	Totals []Metric    `json:"totals"`
	Models []ModelDiff `json:"models"`
	Tools  []ToolDiff  `json:"tools"`
	// NewErrors are the error messages B has and A had not (from the
	// errors each record kept); GoneErrors the reverse.
	NewErrors  []string `json:"new_errors,omitempty"`
	GoneErrors []string `json:"gone_errors,omitempty"`
	// Gates are the results of the gates evaluated on the diff, if any.
	Gates []record.GateResult `json:"gates,omitempty"`
}

// Side describes one of the two sessions.
type Side struct {
	// Ref is how the user named it: an id, last~1, a file.
	Ref       string          `json:"ref"`
	ID        string          `json:"id"`
	Command   []string        `json:"command"`
	Start     time.Time       `json:"start"`
	EndState  record.EndState `json:"end_state"`
	EndReason string          `json:"end_reason,omitempty"`
	Prices    string          `json:"prices,omitempty"`
	// UnpricedCalls counts the calls without a cost: the side's cost is
	// then a lower bound.
	UnpricedCalls int `json:"unpriced_calls,omitempty"`
}

// Metric is one figure in both sessions and its change.
type Metric struct {
	Name string  `json:"name"`
	A    float64 `json:"a"`
	B    float64 `json:"b"`
	// Delta is B - A; Relative is Delta / A, absent when A is 0 (the
	// change is then infinite, or none when B is 0 too).
	Delta    float64  `json:"delta"`
	Relative *float64 `json:"relative,omitempty"`
	// Unknown is set on a cost when either side has unpriced calls: the
	// figures are lower bounds and the change may be anything.
	Unknown bool `json:"unknown,omitempty"`
}

// NewMetric compares a and b.
func NewMetric(name string, a, b float64) Metric {
	m := Metric{Name: name, A: a, B: b, Delta: b - a}
	if a != 0 {
		r := m.Delta / a
		m.Relative = &r
	}
	return m
}

// Percent is the relative change in percent: ±Inf when A is 0 and B is
// not, 0 when both are.
func (m Metric) Percent() float64 {
	switch {
	case m.Relative != nil:
		return *m.Relative * 100
	case m.Delta > 0:
		return math.Inf(1)
	case m.Delta < 0:
		return math.Inf(-1)
	}
	return 0
}

// Change says whether a model or tool is in both sessions or in one.
type Change string

// The changes of a model or tool.
const (
	Same    Change = "same"
	Changed Change = "changed"
	Added   Change = "added"
	Removed Change = "removed"
)

// ModelDiff compares one model's use.
type ModelDiff struct {
	Model        string `json:"model"`
	Change       Change `json:"change"`
	Calls        Metric `json:"calls"`
	InputTokens  Metric `json:"input_tokens"`
	OutputTokens Metric `json:"output_tokens"`
	Cost         Metric `json:"cost"`
}

// ToolDiff compares one tool's use.
type ToolDiff struct {
	Name   string `json:"name"`
	Change Change `json:"change"`
	Calls  Metric `json:"calls"`
	Errors Metric `json:"errors"`
	// Time is the summed wall time of the calls, in seconds.
	Time Metric `json:"time_s"`
}

// Sessions compares a (the baseline) with b; refA and refB are how the
// user named them.
func Sessions(a, b *record.Session, refA, refB string) *Diff {
	d := &Diff{A: side(a, refA), B: side(b, refB)}
	ta, tb := a.Totals, b.Totals
	for _, name := range Metrics {
		m := NewMetric(name, metric(a, name), metric(b, name))
		if name == Cost {
			m.Unknown = ta.UnpricedCalls > 0 || tb.UnpricedCalls > 0
		}
		d.Totals = append(d.Totals, m)
	}
	d.Models = modelDiffs(ta.Models, tb.Models)
	d.Tools = toolDiffs(ta.Tools, tb.Tools)
	d.NewErrors = errorsOnlyIn(tb, ta)
	d.GoneErrors = errorsOnlyIn(ta, tb)
	return d
}

// Metric returns the named total.
func (d *Diff) Metric(name string) (Metric, bool) {
	i := slices.IndexFunc(d.Totals, func(m Metric) bool { return m.Name == name })
	if i < 0 {
		return Metric{}, false
	}
	return d.Totals[i], true
}

func side(s *record.Session, ref string) Side {
	return Side{Ref: ref, ID: s.ID, Command: s.Command, Start: s.Start, EndState: s.EndState,
		EndReason: s.EndReason, Prices: s.Prices, UnpricedCalls: s.Totals.UnpricedCalls}
}

func metric(s *record.Session, name string) float64 {
	t := s.Totals
	switch name {
	case Duration:
		return s.Duration().Seconds()
	case LLMCalls:
		return float64(t.LLMCalls)
	case InputTokens:
		return float64(t.InputTokens)
	case OutputTokens:
		return float64(t.OutputTokens)
	case Tokens:
		return float64(t.InputTokens + t.OutputTokens)
	case Cost:
		return t.CostUSD
	case ToolCalls:
		return float64(t.ToolCalls)
	case Errors:
		return float64(t.Errors)
	}
	return 0
}

// merged lists the names of both sides: a's order first, then b's new ones.
func merged[T any](a, b []T, name func(T) string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range [][]T{a, b} {
		for _, x := range s {
			if n := name(x); !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out
}

func find[T any](s []T, name string, key func(T) string) (T, bool) {
	i := slices.IndexFunc(s, func(x T) bool { return key(x) == name })
	if i < 0 {
		var zero T
		return zero, false
	}
	return s[i], true
}

func changeOf(inA, inB, same bool) Change {
	switch {
	case !inA:
		return Added
	case !inB:
		return Removed
	case same:
		return Same
	}
	return Changed
}

func modelDiffs(a, b []events.ModelTotals) []ModelDiff {
	key := func(m events.ModelTotals) string { return m.Model }
	var out []ModelDiff
	for _, name := range merged(a, b, key) {
		ma, inA := find(a, name, key)
		mb, inB := find(b, name, key)
		md := ModelDiff{
			Model:        name,
			Calls:        NewMetric("calls", float64(ma.Calls), float64(mb.Calls)),
			InputTokens:  NewMetric(InputTokens, float64(ma.InputTokens), float64(mb.InputTokens)),
			OutputTokens: NewMetric(OutputTokens, float64(ma.OutputTokens), float64(mb.OutputTokens)),
			Cost:         NewMetric(Cost, ma.CostUSD, mb.CostUSD),
		}
		md.Cost.Unknown = ma.UnpricedCalls > 0 || mb.UnpricedCalls > 0
		md.Change = changeOf(inA, inB, md.Calls.Delta == 0 && md.InputTokens.Delta == 0 && md.OutputTokens.Delta == 0 && md.Cost.Delta == 0)
		out = append(out, md)
	}
	return out
}

func toolDiffs(a, b []events.ToolTotals) []ToolDiff {
	key := func(t events.ToolTotals) string { return t.Name }
	var out []ToolDiff
	for _, name := range merged(a, b, key) {
		ta, inA := find(a, name, key)
		tb, inB := find(b, name, key)
		td := ToolDiff{
			Name:   name,
			Calls:  NewMetric("calls", float64(ta.Calls), float64(tb.Calls)),
			Errors: NewMetric(Errors, float64(ta.Errors), float64(tb.Errors)),
			Time:   NewMetric("time", ta.Time.Seconds(), tb.Time.Seconds()),
		}
		td.Change = changeOf(inA, inB, td.Calls.Delta == 0 && td.Errors.Delta == 0)
		out = append(out, td)
	}
	return out
}

// errorsOnlyIn lists the error messages x kept that y did not.
func errorsOnlyIn(x, y events.Totals) []string {
	msg := func(e events.ErrorSample) string {
		s := e.Message
		if e.Where != "" {
			s = e.Where + ": " + s
		}
		return s
	}
	have := map[string]bool{}
	for _, e := range samples(y) {
		have[msg(e)] = true
	}
	var out []string
	for _, e := range samples(x) {
		if m := msg(e); !have[m] {
			have[m] = true
			out = append(out, m)
		}
	}
	return out
}

// samples are the errors a record kept, the last one included.
func samples(t events.Totals) []events.ErrorSample {
	s := slices.Clone(t.ErrorSamples)
	if t.LastError != nil && !slices.Contains(s, *t.LastError) {
		s = append(s, *t.LastError)
	}
	return s
}
