package summary

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/record"
)

//go:embed report.html.tmpl
var reportTemplate string

// reportTmpl is parsed once, when a report is first written (not at
// start-up: every `agentops run` would pay for it); html/template escapes
// every value for its context (text, attribute, CSS, JS), so prompts and
// tool output cannot inject markup.
var reportTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"dur": spanDuration,
	}).Parse(reportTemplate))
})

// Report is what the HTML report shows of a session.
type Report struct {
	Session *record.Session
	// Spans is the session's span tree (SpanTree of the stored spans), or
	// its first rows; SpansOmitted counts the spans left out after them.
	Spans        []events.SpanRow
	SpansOmitted int
	// State is the stored session's state ("ok", "failed", "incomplete", ...)
	// and Problems what is wrong with its record, if anything.
	State    string
	Problems []string
	// OutputTail is the end of the child's output, shown with the errors.
	OutputTail string
	// Generated is when the report was written; zero means now.
	Generated time.Time
}

// RenderHTML writes r as one self-contained HTML page: inline CSS and JS,
// no external requests. It shows the summary, a timeline waterfall with one
// row per span, the events with LLM content and tool arguments and results
// in collapsible rows, and the errors with the child's output tail.
func RenderHTML(w io.Writer, r Report) error {
	if r.Generated.IsZero() {
		r.Generated = time.Now()
	}
	return reportTmpl().Execute(w, newReportView(r))
}

// reportView is the template's data: everything formatted, nothing for the
// template to compute.
type reportView struct {
	Title, State, StateClass, Generated string
	Problems                            []string
	Facts                               []reportFact
	Rows                                []reportRow
	Ticks                               []reportTick
	Events                              []reportEvent
	Errors                              []reportEvent
	Exports                             []record.Export
	OutputTail                          string
	Total                               string
	// Omitted says how many spans the timeline leaves out, "" for none.
	Omitted string
}

type reportFact struct{ Label, Value, Class string }

type reportTick struct {
	Left  float64
	Label string
}

type reportRow struct {
	Index, Depth     int
	Name, Kind, Dur  string
	Left, Width      float64
	Error            bool
	ErrorMessage     string
	SpanID, Service  string
	Offset           string
	HasEvent         bool
	EventAnchor      string
	IndentPx         int
	KindLabel, Title string
}

type reportEvent struct {
	Kind, Name, Offset, Dur, Detail, SpanID, Anchor string
	Sections                                        []reportSection
	Error                                           bool
}

// reportSection is one collapsible block of an event: a prompt, a
// completion, tool arguments, a stack trace.
type reportSection struct{ Label, Body string }

func newReportView(r Report) reportView {
	s := r.Session
	v := reportView{
		Title:      "agentops session " + s.ID,
		State:      r.State,
		StateClass: stateClass(r.State),
		Generated:  r.Generated.UTC().Format("2006-01-02 15:04:05 UTC"),
		Problems:   r.Problems,
		Exports:    s.Exports,
		OutputTail: r.OutputTail,
	}
	for _, l := range facts(s) {
		f := reportFact{Label: l.label, Value: l.value}
		switch l.tone {
		case toneGood:
			f.Class = "good"
		case toneBad:
			f.Class = "bad"
		}
		v.Facts = append(v.Facts, f)
	}
	v.Rows, v.Ticks, v.Total = reportRows(r.Spans)
	if r.SpansOmitted > 0 {
		v.Omitted = formatInt(int64(r.SpansOmitted))
	}
	withEvent := map[string]bool{}
	evs := slices.Clone(s.Events)
	slices.SortStableFunc(evs, func(a, b events.Event) int { return a.Start.Compare(b.Start) })
	for _, e := range evs {
		re := reportEvent{
			Kind: string(e.Kind), Name: cut(e.Name, maxReportName), SpanID: e.SpanID,
			Offset:   "+" + spanDuration(max(e.Start.Sub(s.Start), 0)),
			Dur:      spanDuration(e.Duration()),
			Detail:   cut(EventDetail(e), maxReportName),
			Sections: eventSections(e),
			Error:    e.Kind == events.KindError,
		}
		if e.SpanID != "" && !withEvent[e.SpanID] {
			re.Anchor = "ev-" + e.SpanID
			withEvent[e.SpanID] = true
		}
		v.Events = append(v.Events, re)
		if re.Error {
			v.Errors = append(v.Errors, re)
		}
	}
	for i := range v.Rows {
		if withEvent[v.Rows[i].SpanID] {
			v.Rows[i].HasEvent, v.Rows[i].EventAnchor = true, "ev-"+v.Rows[i].SpanID
		}
	}
	return v
}

func stateClass(state string) string {
	switch state {
	case "ok":
		return "good"
	case "running", "incomplete":
		return "warn"
	}
	return "bad"
}

// Bounds of the report's texts: a span name is a line, an error message
// or captured content a page; past them a value is cut with a marker.
const (
	maxReportName = 1 << 10
	maxReportText = 64 << 10
)

// reportRows places each span on the session's time line in percent.
func reportRows(spans []events.SpanRow) ([]reportRow, []reportTick, string) {
	if len(spans) == 0 {
		return nil, nil, "0s"
	}
	t0, t1 := spans[0].Start, spans[0].End
	for _, r := range spans {
		if r.Start.Before(t0) {
			t0 = r.Start
		}
		if r.End.After(t1) {
			t1 = r.End
		}
	}
	total := t1.Sub(t0)
	pct := func(d time.Duration) float64 {
		if total <= 0 {
			return 0
		}
		return float64(d) / float64(total) * 100
	}
	rows := make([]reportRow, 0, len(spans))
	for i, sp := range spans {
		left := pct(sp.Start.Sub(t0))
		width := max(pct(sp.Duration()), 0.25) // instant spans stay visible
		if total <= 0 {
			left, width = 0, 100
		}
		kind := string(sp.Kind)
		if kind == "" {
			kind = "span"
		}
		name, errMsg := cut(sp.Name, maxReportName), cut(sp.ErrorMessage, maxReportText)
		title := fmt.Sprintf("%s — %s, starts at +%s", name, spanDuration(sp.Duration()), spanDuration(sp.Start.Sub(t0)))
		if sp.Error {
			title += " — ERROR: " + cut(errMsg, maxReportName)
		}
		rows = append(rows, reportRow{
			Index: i, Depth: sp.Depth, Name: name, Kind: kind, KindLabel: kindTag(sp.Kind),
			Dur: spanDuration(sp.Duration()), Left: round3(min(left, 99.75)), Width: round3(min(width, 100-min(left, 99.75))),
			Error: sp.Error, ErrorMessage: errMsg, SpanID: sp.SpanID, Service: sp.Service,
			Offset: "+" + spanDuration(sp.Start.Sub(t0)), IndentPx: 8 + 14*min(sp.Depth, 20), Title: title,
		})
	}
	var ticks []reportTick
	for _, p := range []float64{0, 25, 50, 75, 100} {
		ticks = append(ticks, reportTick{Left: p, Label: spanDuration(time.Duration(float64(total) * p / 100))})
	}
	return rows, ticks, spanDuration(total)
}

func round3(f float64) float64 { return float64(int(f*1000+0.5)) / 1000 }

// eventSections are the long texts of an event, each shown collapsed.
func eventSections(e events.Event) []reportSection {
	var out []reportSection
	add := func(label, body string) {
		if strings.TrimSpace(body) != "" {
			out = append(out, reportSection{label, cut(body, maxReportText)})
		}
	}
	if e.LLM != nil {
		add("prompt", e.LLM.Prompt)
		add("completion", e.LLM.Completion)
	}
	if e.Tool != nil {
		add("arguments", e.Tool.Arguments)
		add("result", e.Tool.Result)
	}
	if e.Agent != nil {
		add("input", e.Agent.Input)
		add("output", e.Agent.Output)
	}
	if e.Action != nil {
		add("input", e.Action.Input)
		add("output", e.Action.Output)
	}
	if e.Error != nil {
		add("message", e.Error.Message)
		add("stack", e.Error.Stack)
		add("output", e.Error.Output)
	}
	return out
}
