package summary

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/record"
)

// view is what a summary says, independent of how it is drawn: every
// renderer (terminal, plain, Markdown) draws the same view.
type view struct {
	state  record.EndState
	facts  []fact
	models table
	tools  table
	// notes qualify the tables (wrapper spans not counted, ...).
	notes  []string
	errors []string
	// moreErrors counts the errors not listed.
	moreErrors int
	cost       fact
	where      []fact
	// hints explain how to get spans when none arrived.
	hints []string
	// labelWidth is the width of the facts' label column.
	labelWidth int
}

// The label column is as wide as the longest label and a gap, within bounds.
const (
	minLabelWidth = 11
	maxLabelWidth = 20
)

// fact is one labelled line: lead, drawn in tone, then value.
type fact struct {
	label, value string
	tone         tone
	lead         string
}

type tone int

const (
	toneNormal tone = iota
	toneGood
	toneBad
	toneWarn
	toneMuted
)

// table is a titled table; the first column is the name and takes the
// room left, the others are right-aligned numbers.
type table struct {
	title string
	head  []string
	rows  [][]string
	// foot is a totals row; nil when there is none.
	foot []string
	// warn marks, per row, a row to draw in the warning tone (unpriced).
	warn []bool
	// more counts the rows left out past maxTableRows; moreWhat names them.
	more     int
	moreWhat string
}

// maxTableRows bounds a table (20,000 distinct tool names are not a
// summary): the busiest rows are shown, the rest counted.
const maxTableRows = 20

// cap keeps the first maxTableRows rows.
func (t *table) cap(what string) {
	if len(t.rows) <= maxTableRows {
		return
	}
	t.more, t.moreWhat = len(t.rows)-maxTableRows, what
	t.rows, t.warn = t.rows[:maxTableRows], t.warn[:maxTableRows]
}

// moreLine is the line that counts the rows left out, "" when none were.
func (t table) moreLine() string {
	if t.more == 0 {
		return ""
	}
	return "… and " + plural(t.more, "more "+t.moreWhat)
}

// clean makes every value of the view safe to print and bounded (see
// clean): they come from the child's command line and telemetry.
func (v *view) clean() {
	facts := func(fs []fact) {
		for i := range fs {
			fs[i].label, fs[i].value, fs[i].lead = clean(fs[i].label), clean(fs[i].value), clean(fs[i].lead)
		}
	}
	facts(v.facts)
	facts(v.where)
	v.cost.value = clean(v.cost.value)
	for _, t := range []*table{&v.models, &v.tools} {
		for _, r := range t.rows {
			for i := range r {
				r[i] = clean(r[i])
			}
		}
	}
	for _, l := range [][]string{v.notes, v.errors, v.hints} {
		for i := range l {
			l[i] = clean(l[i])
		}
	}
}

func (t table) empty() bool { return len(t.rows) == 0 }

// newView builds the view of s.
func newView(s *record.Session) view {
	v := view{state: s.EndState}
	t := s.Totals
	v.facts = []fact{
		{label: "command", value: CommandLine(s.Command)},
		{label: "session", value: s.ID},
		endStateFact(s),
		{label: "duration", value: formatDuration(s.Duration())},
		telemetryFact(s),
	}
	if f, ok := budgetFact(s); ok {
		v.facts = append(v.facts, f)
	}
	v.models = modelTable(t)
	v.models.cap("model")
	v.tools = toolTable(t)
	v.tools.cap("tool")
	if t.WrapperLLMSpans > 0 {
		v.notes = append(v.notes, fmt.Sprintf("%s repeating the calls above: not counted twice",
			plural(t.WrapperLLMSpans, "wrapper LLM span")))
	}
	if t.RepeatedEvents > 0 {
		v.notes = append(v.notes, fmt.Sprintf("%s repeating what another source reported (a span, a log event, a captured call): not counted twice",
			plural(t.RepeatedEvents, "event")))
	}
	if t.NoUsageCalls > 0 {
		v.notes = append(v.notes, fmt.Sprintf("%s without usage (failed, cut off, cancelled, or not reported): their tokens are unknown, not zero",
			plural(t.NoUsageCalls, "LLM call")))
	}
	for _, e := range t.ErrorSamples {
		v.errors = append(v.errors, describeError(e))
	}
	v.moreErrors = t.Errors - len(t.ErrorSamples)
	if t.LLMCalls > 0 {
		v.cost = costFact(s)
	}
	if s.Stored != "" {
		f := fact{label: "stored", value: s.Stored}
		if l := s.StoreLost; l != nil {
			// The store failed (a full disk): the record there is not
			// the session's whole; the warning at the end says more.
			f.lead, f.tone = "incomplete · ", toneWarn
			if lost := l.Items(); lost != "" {
				f.lead = "incomplete, " + lost + " not written · "
			}
		}
		v.where = append(v.where, f)
	}
	if len(s.Exports) > 0 || s.ReplayURL != "" {
		for _, l := range exportLines(s) {
			v.where = append(v.where, fact{label: l.label, value: l.value, tone: l.tone})
		}
	} else if len(s.Exported) > 0 {
		v.where = append(v.where, fact{label: "exported", value: strings.Join(s.Exported, ", ")})
	}
	v.hints = noSpansHint(s)
	v.clean()
	v.labelWidth = minLabelWidth
	for _, f := range append(append(append([]fact{}, v.facts...), v.where...), v.cost) {
		v.labelWidth = max(v.labelWidth, min(len(f.label)+2, maxLabelWidth))
	}
	return v
}

func endStateFact(s *record.Session) fact {
	f := fact{label: "end state", lead: string(s.EndState), tone: stateTone(s.EndState)}
	switch {
	case s.EndState == "":
		f.value = fmt.Sprintf("exit code %d", s.ExitCode)
	case s.EndReason != "":
		f.value = " · " + s.EndReason
	}
	return f
}

func telemetryFact(s *record.Session) fact {
	parts := []string{plural(int(s.SpansReceived), "span")}
	if s.LogsReceived > 0 {
		parts = append(parts, plural(int(s.LogsReceived), "log record"))
	}
	if s.MetricsReceived > 0 {
		parts = append(parts, plural(int(s.MetricsReceived), "metric point"))
	}
	f := fact{label: "telemetry", value: strings.Join(parts, ", ") + " received"}
	if c := s.Capture; c != nil && c.Calls > 0 {
		f.value += ", " + plural(int(c.Calls), "LLM call") + " captured by the proxy"
	}
	if s.TelemetryIncomplete() {
		f.value += " (incomplete)"
		f.tone = toneWarn
	}
	return f
}

func modelTable(t events.Totals) table {
	tb := table{title: "LLM calls", head: []string{"model", "calls", "input", "output", "cost"}}
	for _, m := range t.Models {
		tb.rows = append(tb.rows, []string{m.Model, formatInt(int64(m.Calls)),
			formatInt(m.InputTokens), formatInt(m.OutputTokens), modelCost(m)})
		tb.warn = append(tb.warn, m.UnpricedCalls > 0)
	}
	if len(t.Models) > 1 {
		tb.foot = []string{"total", formatInt(int64(t.LLMCalls)), formatInt(t.InputTokens),
			formatInt(t.OutputTokens), totalCost(t)}
	}
	return tb
}

func modelCost(m events.ModelTotals) string {
	switch {
	case m.UnpricedCalls == m.Calls:
		return "unpriced"
	case m.UnpricedCalls > 0:
		return formatUSD(m.CostUSD) + "+"
	}
	return formatUSD(m.CostUSD)
}

func totalCost(t events.Totals) string {
	switch {
	case t.LLMCalls > 0 && t.UnpricedCalls == t.LLMCalls:
		return "unpriced"
	case t.UnpricedCalls > 0:
		return formatUSD(t.CostUSD) + "+"
	}
	return formatUSD(t.CostUSD)
}

func toolTable(t events.Totals) table {
	tb := table{title: "Tools", head: []string{"tool", "calls", "errors", "time"}}
	for _, tl := range t.Tools {
		tb.rows = append(tb.rows, []string{tl.Name, formatInt(int64(tl.Calls)), formatInt(int64(tl.Errors)), spanDuration(tl.Time)})
		tb.warn = append(tb.warn, tl.Errors > 0)
	}
	return tb
}

func costFact(s *record.Session) fact {
	t := s.Totals
	f := fact{label: "cost", value: totalCost(t)}
	if t.UnpricedCalls > 0 && t.UnpricedCalls < t.LLMCalls {
		f.value = formatUSD(t.CostUSD) + " + " + plural(t.UnpricedCalls, "unpriced call")
		f.tone = toneWarn
	} else if t.UnpricedCalls > 0 {
		f.value = "unpriced (" + plural(t.UnpricedCalls, "call") + " of models without a price; see --prices)"
		f.tone = toneWarn
	}
	if s.Prices != "" {
		f.value += " (prices: " + s.Prices + ")"
	}
	return f
}

func describeError(e events.ErrorSample) string {
	msg := e.Message
	if e.Type != "" && !strings.HasPrefix(msg, e.Type) {
		msg = e.Type + ": " + msg
	}
	if e.Where != "" {
		msg = e.Where + ": " + msg
	}
	// One line per error: a message may carry a whole stack.
	msg, _, _ = strings.Cut(msg, "\n")
	return msg
}

// noSpansHint is shown when the child sent nothing: the most common first
// run. Each string is a paragraph; renderers wrap them to their width.
func noSpansHint(s *record.Session) []string {
	if s.SpansReceived > 0 || s.LogsReceived > 0 || s.StartError != "" {
		return nil
	}
	var hints []string
	switch c := s.Capture; {
	case c != nil && c.Calls > 0:
		hints = append(hints, "No spans arrived from the child's OpenTelemetry SDK: the "+plural(int(c.Calls), "LLM call")+
			" above went through the capture proxy ("+strings.Join(c.Vars, ", ")+"), which sees calls, not tool calls or agent steps. "+
			"For those, instrument the child; its SDK is already pointed at "+s.Endpoint+". For example:")
	case c != nil && len(c.Vars) > 0:
		hints = append(hints, "No spans arrived, and no LLM call went through the capture proxy ("+strings.Join(c.Vars, ", ")+
			" pointed at it): the child's client may take its base URL from elsewhere (see --capture-var), or it made no call. "+
			"agentops also pointed the child's OpenTelemetry SDK at "+s.Endpoint+", but the child has to be instrumented to send any. For example:")
	default:
		hints = append(hints, "No spans arrived. agentops pointed the child's OpenTelemetry SDK at "+s.Endpoint+
			", but the child has to be instrumented to send any. For example:")
	}
	cmd := CommandLine(s.Command)
	name := ""
	if len(s.Command) > 0 {
		name = filepath.Base(s.Command[0])
	}
	switch {
	case strings.HasPrefix(name, "python"):
		hints = append(hints, "  opentelemetry-instrument "+cmd)
	case name == "node":
		hints = append(hints, "  node --require @opentelemetry/auto-instrumentations-node/register "+CommandLine(s.Command[1:]))
	default:
		hints = append(hints,
			"  opentelemetry-instrument python agent.py",
			"  node --require @opentelemetry/auto-instrumentations-node/register agent.js")
	}
	hints = append(hints,
		"Any OpenTelemetry SDK configured from the environment works: it reads OTEL_EXPORTER_OTLP_ENDPOINT and TRACEPARENT.",
		"Injected: "+strings.Join(s.InjectedEnv, ", "))
	return hints
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return formatInt(int64(n)) + " " + what + "s"
}

// facts lists the summary as labelled lines only, in order, for renderers
// that draw no tables (the HTML report draws its own tables of events).
func facts(s *record.Session) []line {
	v := newView(s)
	t := s.Totals
	var out []line
	add := func(f fact) { out = append(out, line{f.label, f.lead + f.value, f.tone}) }
	for _, f := range v.facts {
		add(f)
	}
	llm := formatInt(int64(t.LLMCalls))
	if t.LLMCalls > 0 {
		llm += fmt.Sprintf(" (%s in / %s out tokens)", formatInt(t.InputTokens), formatInt(t.OutputTokens))
	}
	out = append(out, line{"LLM calls", llm, toneNormal}, line{"tool calls", formatInt(int64(t.ToolCalls)), toneNormal})
	errs := line{"errors", formatInt(int64(t.Errors)), toneNormal}
	if t.Errors > 0 {
		errs.tone = toneBad
	}
	out = append(out, errs)
	for _, e := range v.errors {
		out = append(out, line{"", "- " + e, toneBad})
	}
	if v.cost.label != "" {
		add(v.cost)
	}
	for _, f := range v.where {
		add(f)
	}
	return out
}
