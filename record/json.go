package record

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/agentops-dev/agentops/budget"
	"github.com/agentops-dev/agentops/events"
)

// This file writes the session document without reflection. encoding/json
// builds its encoder of a type by reflection the first time it meets the
// type, and for Session and the types in it that took a third of a
// millisecond of every `agentops run` (the store writes the record at
// the end). What is written here is byte for byte what encoding/json
// writes for the struct: json_test.go compares the two for records with
// every field set, so a field added to a type here and not to its writer
// fails the tests. The events keep their own MarshalJSON.

// MarshalJSON writes the session as encoding/json writes the struct. A
// record it does not write itself (a cost that is NaN, a time outside
// years 0 to 9999, an event that cannot be written) is left to
// encoding/json, which says what is wrong with it as it always did.
func (s Session) MarshalJSON() ([]byte, error) {
	w := jsonWriter{b: make([]byte, 0, 1024)}
	w.session(&s)
	if w.bad {
		type plain Session // the same fields, without this method
		return json.Marshal((*plain)(&s))
	}
	return w.b, nil
}

// jsonWriter appends JSON to b; bad is set when a value is one that
// encoding/json refuses, and b is then to be thrown away.
type jsonWriter struct {
	b   []byte
	bad bool
}

// key writes a member's name, after a comma unless it is the object's
// first (*more false). Names are ASCII with nothing to escape.
func (w *jsonWriter) key(more *bool, name string) {
	if *more {
		w.b = append(w.b, ',')
	}
	*more = true
	w.b = append(w.b, '"')
	w.b = append(w.b, name...)
	w.b = append(w.b, '"', ':')
}

func (w *jsonWriter) str(more *bool, name, v string) {
	w.key(more, name)
	w.b = appendJSONString(w.b, v)
}

// strOmit is a string member with omitempty.
func (w *jsonWriter) strOmit(more *bool, name, v string) {
	if v != "" {
		w.str(more, name, v)
	}
}

func (w *jsonWriter) int(more *bool, name string, v int64) {
	w.key(more, name)
	w.b = strconv.AppendInt(w.b, v, 10)
}

func (w *jsonWriter) intOmit(more *bool, name string, v int64) {
	if v != 0 {
		w.int(more, name, v)
	}
}

func (w *jsonWriter) bool(more *bool, name string, v bool) {
	w.key(more, name)
	w.b = strconv.AppendBool(w.b, v)
}

func (w *jsonWriter) boolOmit(more *bool, name string, v bool) {
	if v {
		w.bool(more, name, v)
	}
}

// float writes f as encoding/json does: like ES6's number to string, 'e'
// format below 1e-6 and from 1e21, its exponent not padded.
func (w *jsonWriter) float(more *bool, name string, f float64) {
	w.key(more, name)
	if math.IsInf(f, 0) || math.IsNaN(f) {
		w.bad = true
		return
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	w.b = strconv.AppendFloat(w.b, f, format, -1, 64)
	if format == 'e' {
		if n := len(w.b); n >= 4 && w.b[n-4] == 'e' && w.b[n-3] == '-' && w.b[n-2] == '0' {
			w.b[n-2] = w.b[n-1]
			w.b = w.b[:n-1]
		}
	}
}

// floatOmit is a float member with omitempty (-0 is omitted too).
func (w *jsonWriter) floatOmit(more *bool, name string, f float64) {
	if f != 0 {
		w.float(more, name, f)
	}
}

func (w *jsonWriter) time(more *bool, name string, t time.Time) {
	w.key(more, name)
	b, err := t.MarshalJSON()
	if err != nil {
		w.bad = true
		return
	}
	w.b = append(w.b, b...)
}

// strings writes a []string member: null when nil.
func (w *jsonWriter) strings(more *bool, name string, v []string) {
	w.key(more, name)
	if v == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.b = append(w.b, '[')
	for i, s := range v {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = appendJSONString(w.b, s)
	}
	w.b = append(w.b, ']')
}

func (w *jsonWriter) stringsOmit(more *bool, name string, v []string) {
	if len(v) > 0 {
		w.strings(more, name, v)
	}
}

// list writes a slice member of n elements, each by elem: null when nil.
func (w *jsonWriter) list(more *bool, name string, isNil bool, n int, elem func(i int)) {
	w.key(more, name)
	if isNil {
		w.b = append(w.b, "null"...)
		return
	}
	w.b = append(w.b, '[')
	for i := range n {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		elem(i)
	}
	w.b = append(w.b, ']')
}

func (w *jsonWriter) session(s *Session) {
	w.b = append(w.b, '{')
	more := false
	w.int(&more, "schema_version", int64(s.SchemaVersion))
	w.str(&more, "id", s.ID)
	w.str(&more, "trace_id", s.TraceID)
	w.str(&more, "root_span_id", s.RootSpanID)
	w.strings(&more, "command", s.Command)
	w.strOmit(&more, "cwd", s.Dir)
	w.time(&more, "start", s.Start)
	w.time(&more, "end", s.End)
	w.intOmit(&more, "pid", int64(s.PID))
	w.int(&more, "exit_code", int64(s.ExitCode))
	w.strOmit(&more, "signal", s.Signal)
	w.strOmit(&more, "start_error", s.StartError)
	w.str(&more, "end_state", string(s.EndState))
	w.strOmit(&more, "end_reason", s.EndReason)
	w.strOmit(&more, "output_tail", s.OutputTail)
	w.strOmit(&more, "output_error", s.OutputError)
	w.str(&more, "endpoint", s.Endpoint)
	w.stringsOmit(&more, "injected_env", s.InjectedEnv)
	w.int(&more, "spans_received", s.SpansReceived)
	w.int(&more, "logs_received", s.LogsReceived)
	w.int(&more, "metrics_received", s.MetricsReceived)
	if len(s.ReceiverRefused) > 0 {
		w.key(&more, "receiver_refused")
		w.counts(s.ReceiverRefused)
	}
	w.intOmit(&more, "missing_parents", int64(s.MissingParents))
	w.boolOmit(&more, "drain_timed_out", s.DrainTimedOut)
	w.strOmit(&more, "prices", s.Prices)
	w.strOmit(&more, "stored", s.Stored)
	w.stringsOmit(&more, "exported", s.Exported)
	if s.StoreLost != nil {
		w.key(&more, "store_lost")
		w.storeLoss(s.StoreLost)
	}
	w.key(&more, "totals")
	w.totals(&s.Totals)
	w.list(&more, "events", s.Events == nil, len(s.Events), func(i int) {
		b, err := s.Events[i].MarshalJSON()
		if err != nil {
			w.bad = true
			return
		}
		w.b = append(w.b, b...)
	})
	w.intOmit(&more, "events_omitted", int64(s.EventsOmitted))
	w.strOmit(&more, "parent_span_id", s.ParentSpanID)
	if s.Capture != nil {
		w.key(&more, "capture")
		w.capture(s.Capture)
	}
	w.stringsOmit(&more, "tags", s.Tags)
	if len(s.Exports) > 0 {
		w.list(&more, "exports", false, len(s.Exports), func(i int) { w.export(&s.Exports[i]) })
	}
	w.strOmit(&more, "replay_url", s.ReplayURL)
	if s.Budget != nil {
		w.key(&more, "budget")
		w.budget(s.Budget)
	}
	if s.Baseline != nil {
		w.key(&more, "baseline")
		w.baseline(s.Baseline)
	}
	w.b = append(w.b, '}')
}

// counts writes a map[string]int as encoding/json does: keys in order.
func (w *jsonWriter) counts(m map[string]int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w.b = append(w.b, '{')
	for i, k := range keys {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = appendJSONString(w.b, k)
		w.b = append(w.b, ':')
		w.b = strconv.AppendInt(w.b, int64(m[k]), 10)
	}
	w.b = append(w.b, '}')
}

func (w *jsonWriter) storeLoss(l *StoreLoss) {
	w.b = append(w.b, '{')
	more := false
	w.int(&more, "spans", l.Spans)
	w.int(&more, "logs", l.Logs)
	w.int(&more, "metrics", l.Metrics)
	w.str(&more, "error", l.Error)
	w.b = append(w.b, '}')
}

func (w *jsonWriter) totals(t *events.Totals) {
	w.b = append(w.b, '{')
	more := false
	w.int(&more, "llm_calls", int64(t.LLMCalls))
	w.intOmit(&more, "wrapper_llm_spans", int64(t.WrapperLLMSpans))
	w.intOmit(&more, "repeated_events", int64(t.RepeatedEvents))
	w.int(&more, "input_tokens", t.InputTokens)
	w.int(&more, "output_tokens", t.OutputTokens)
	w.intOmit(&more, "cache_read_tokens", t.CacheReadTokens)
	w.intOmit(&more, "cache_creation_tokens", t.CacheCreationTokens)
	w.intOmit(&more, "reasoning_tokens", t.ReasoningTokens)
	w.float(&more, "cost_usd", t.CostUSD)
	w.int(&more, "unpriced_calls", int64(t.UnpricedCalls))
	w.intOmit(&more, "no_usage_calls", int64(t.NoUsageCalls))
	w.int(&more, "tool_calls", int64(t.ToolCalls))
	w.int(&more, "agents", int64(t.Agents))
	w.int(&more, "actions", int64(t.Actions))
	w.int(&more, "errors", int64(t.Errors))
	if len(t.ErrorSamples) > 0 {
		w.list(&more, "error_samples", false, len(t.ErrorSamples), func(i int) { w.errorSample(&t.ErrorSamples[i]) })
	}
	if t.LastError != nil {
		w.key(&more, "last_error")
		w.errorSample(t.LastError)
	}
	if len(t.Models) > 0 {
		w.list(&more, "models", false, len(t.Models), func(i int) { w.modelTotals(&t.Models[i]) })
	}
	if len(t.Tools) > 0 {
		w.list(&more, "tools", false, len(t.Tools), func(i int) { w.toolTotals(&t.Tools[i]) })
	}
	w.intOmit(&more, "duplicate_spans", int64(t.DuplicateSpans))
	w.intOmit(&more, "cycle_spans", int64(t.CycleSpans))
	w.intOmit(&more, "invalid_values", int64(t.InvalidValues))
	w.b = append(w.b, '}')
}

func (w *jsonWriter) errorSample(e *events.ErrorSample) {
	w.b = append(w.b, '{')
	more := false
	w.strOmit(&more, "where", e.Where)
	w.strOmit(&more, "type", e.Type)
	w.str(&more, "message", e.Message)
	w.b = append(w.b, '}')
}

func (w *jsonWriter) modelTotals(m *events.ModelTotals) {
	w.b = append(w.b, '{')
	more := false
	w.str(&more, "model", m.Model)
	w.strOmit(&more, "provider", m.Provider)
	w.int(&more, "calls", int64(m.Calls))
	w.int(&more, "input_tokens", m.InputTokens)
	w.int(&more, "output_tokens", m.OutputTokens)
	w.intOmit(&more, "cache_read_tokens", m.CacheReadTokens)
	w.intOmit(&more, "reasoning_tokens", m.ReasoningTokens)
	w.float(&more, "cost_usd", m.CostUSD)
	w.int(&more, "unpriced_calls", int64(m.UnpricedCalls))
	w.b = append(w.b, '}')
}

func (w *jsonWriter) toolTotals(t *events.ToolTotals) {
	w.b = append(w.b, '{')
	more := false
	w.str(&more, "name", t.Name)
	w.int(&more, "calls", int64(t.Calls))
	w.int(&more, "errors", int64(t.Errors))
	w.int(&more, "time_ns", int64(t.Time))
	w.b = append(w.b, '}')
}

func (w *jsonWriter) capture(c *Capture) {
	w.b = append(w.b, '{')
	more := false
	w.strings(&more, "vars", c.Vars)
	if len(c.Skipped) > 0 {
		w.list(&more, "skipped", false, len(c.Skipped), func(i int) {
			w.b = append(w.b, '{')
			m := false
			w.str(&m, "var", c.Skipped[i].Var)
			w.str(&m, "reason", c.Skipped[i].Reason)
			w.b = append(w.b, '}')
		})
	}
	w.int(&more, "calls", c.Calls)
	w.strOmit(&more, "error", c.Error)
	w.b = append(w.b, '}')
}

func (w *jsonWriter) export(e *Export) {
	w.b = append(w.b, '{')
	more := false
	w.str(&more, "name", e.Name)
	w.strOmit(&more, "target", e.Target)
	w.strOmit(&more, "source", e.Source)
	w.exportCounts(&more, &e.ExportCounts)
	if e.Logs != nil {
		w.key(&more, "logs")
		w.b = append(w.b, '{')
		m := false
		w.exportCounts(&m, e.Logs)
		w.b = append(w.b, '}')
	}
	if e.Metrics != nil {
		w.key(&more, "metrics")
		w.b = append(w.b, '{')
		m := false
		w.exportCounts(&m, e.Metrics)
		w.b = append(w.b, '}')
	}
	w.strOmit(&more, "error", e.Error)
	w.strOmit(&more, "unsent_record", e.Unsent)
	w.strOmit(&more, "skipped", e.Skipped)
	w.b = append(w.b, '}')
}

// exportCounts writes the members of c into the object being written
// (Export embeds it).
func (w *jsonWriter) exportCounts(more *bool, c *ExportCounts) {
	w.int(more, "sent", c.Sent)
	w.int(more, "failed", c.Failed)
	w.intOmit(more, "in_doubt", c.InDoubt)
	w.intOmit(more, "left", c.Left)
	w.intOmit(more, "dropped", c.Dropped)
}

func (w *jsonWriter) budget(b *Budget) {
	w.b = append(w.b, '{')
	more := false
	w.floatOmit(&more, "max_cost_usd", b.MaxCostUSD)
	w.intOmit(&more, "max_tokens", b.MaxTokens)
	w.intOmit(&more, "max_llm_calls", int64(b.MaxLLMCalls))
	w.strOmit(&more, "max_duration", b.MaxDuration)
	w.str(&more, "on_exceed", b.OnExceed)
	if b.Exceeded != nil {
		w.key(&more, "exceeded")
		w.exceeded(b.Exceeded)
	}
	if !b.ExceededAt.IsZero() {
		w.time(&more, "exceeded_at", b.ExceededAt)
	}
	w.boolOmit(&more, "stopped", b.Stopped)
	w.intOmit(&more, "unpriced_calls", int64(b.UnpricedCalls))
	w.b = append(w.b, '}')
}

func (w *jsonWriter) exceeded(e *budget.Exceeded) {
	w.b = append(w.b, '{')
	more := false
	w.str(&more, "budget", e.Budget)
	w.str(&more, "spent", e.Spent)
	w.str(&more, "limit", e.Limit)
	w.b = append(w.b, '}')
}

func (w *jsonWriter) baseline(b *Baseline) {
	w.b = append(w.b, '{')
	more := false
	w.str(&more, "ref", b.Ref)
	w.str(&more, "id", b.ID)
	if len(b.Gates) > 0 {
		w.list(&more, "gates", false, len(b.Gates), func(i int) {
			g := &b.Gates[i]
			w.b = append(w.b, '{')
			m := false
			w.str(&m, "gate", g.Gate)
			w.bool(&m, "tripped", g.Tripped)
			w.str(&m, "detail", g.Detail)
			w.b = append(w.b, '}')
		})
	}
	w.bool(&more, "tripped", b.Tripped)
	w.b = append(w.b, '}')
}

// appendJSONString writes s as encoding/json writes a string (it escapes
// HTML): '"' and '\\' escaped, control characters as \b \f \n \r \t or
// \u00XX, '<', '>' and '&' as \u00XX, U+2028 and U+2029 as \u2028 and
// \u2029, and each byte of invalid UTF-8 as \ufffd.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
