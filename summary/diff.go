package summary

import (
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/agentops-dev/agentops/compare"
	"github.com/agentops-dev/agentops/record"
)

// diffView is what a comparison says, drawn by DiffText and DiffMarkdown.
type diffView struct {
	title  string
	states string
	tables []table
	// newErrors and goneErrors list error messages only one side has.
	newErrors, goneErrors []string
	gates                 []record.GateResult
}

func newDiffView(d *compare.Diff) diffView {
	v := diffView{
		title: fmt.Sprintf("baseline %s (%s) → new %s (%s)", shortID(d.A.ID), d.A.Ref, shortID(d.B.ID), d.B.Ref),
		states: fmt.Sprintf("%s → %s", orDash(string(d.A.EndState)), orDash(string(d.B.EndState))) +
			map[bool]string{true: "", false: " · " + d.B.EndReason}[d.B.EndReason == ""],
		newErrors:  d.NewErrors,
		goneErrors: d.GoneErrors,
		gates:      d.Gates,
	}
	totals := table{title: "Totals", head: []string{"metric", "baseline", "new", "change"}}
	for _, m := range d.Totals {
		change := compare.ChangeText(m)
		if m.Unknown {
			change += " (unpriced calls: lower bounds)"
		}
		totals.rows = append(totals.rows, []string{strings.ReplaceAll(m.Name, "_", " "),
			compare.FormatValue(m.Name, m.A), compare.FormatValue(m.Name, m.B), change})
		totals.warn = append(totals.warn, m.Delta > 0)
	}
	v.tables = append(v.tables, totals)
	models := table{title: "Models", head: []string{"model", "calls", "input", "output", "cost", "change"}}
	for _, m := range d.Models {
		cost := arrow(compare.Cost, m.Cost, m.Change)
		if m.Cost.Unknown {
			cost += " ?"
		}
		models.rows = append(models.rows, []string{m.Model, arrow("", m.Calls, m.Change), arrow("", m.InputTokens, m.Change),
			arrow("", m.OutputTokens, m.Change), cost, string(m.Change)})
		models.warn = append(models.warn, m.Change != compare.Same)
	}
	if !models.empty() {
		v.tables = append(v.tables, models)
	}
	tools := table{title: "Tools", head: []string{"tool", "calls", "errors", "time", "change"}}
	for _, tl := range d.Tools {
		tools.rows = append(tools.rows, []string{tl.Name, arrow("", tl.Calls, tl.Change), arrow("", tl.Errors, tl.Change), arrow("time", tl.Time, tl.Change), string(tl.Change)})
		tools.warn = append(tools.warn, tl.Errors.Delta > 0)
	}
	if !tools.empty() {
		v.tables = append(v.tables, tools)
	}
	return v
}

// arrow is "a → b", one figure when both sides have the same, and the
// side's own figure for a model or tool only one side has.
func arrow(metric string, m compare.Metric, c compare.Change) string {
	switch {
	case c == compare.Added:
		return compare.FormatValue(metric, m.B)
	case c == compare.Removed:
		return compare.FormatValue(metric, m.A)
	case m.A == m.B:
		return compare.FormatValue(metric, m.A)
	}
	return compare.FormatValue(metric, m.A) + " → " + compare.FormatValue(metric, m.B)
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return orDash(id)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// gateMark is the mark of a gate result.
func gateMark(r record.GateResult) string {
	if r.Tripped {
		return "✘"
	}
	return "✔"
}

// DiffText renders d as text tables, coloured when color is set.
func DiffText(w io.Writer, d *compare.Diff, color bool) error {
	v := newDiffView(d)
	paint := func(_ tone, s string) string { return s }
	if color {
		re := lipgloss.NewRenderer(io.Discard)
		re.SetColorProfile(termenv.ANSI256)
		st := newStyles(re)
		paint = func(t tone, s string) string { return st.toned(t).Render(s) }
	}
	var b strings.Builder
	fmt.Fprintf(&b, "agentops diff: %s\n", v.title)
	fmt.Fprintf(&b, "  end state  %s\n", v.states)
	for _, t := range v.tables {
		fmt.Fprintf(&b, "\n  %s\n", t.title)
		head, rows, _ := tableLines(t, columns(t, 0))
		fmt.Fprintf(&b, "  %s\n", paint(toneMuted, strings.TrimRight(head, " ")))
		for i, r := range rows {
			r = strings.TrimRight(r, " ")
			if t.warn[i] {
				r = paint(toneWarn, r)
			}
			fmt.Fprintf(&b, "  %s\n", r)
		}
	}
	for _, l := range []struct {
		title string
		msgs  []string
		tone  tone
	}{{"New errors", v.newErrors, toneBad}, {"Errors gone", v.goneErrors, toneGood}} {
		if len(l.msgs) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n  %s\n", l.title)
		for _, m := range l.msgs {
			fmt.Fprintf(&b, "  - %s\n", paint(l.tone, oneLine(m)))
		}
	}
	if len(v.gates) > 0 {
		b.WriteString("\n  Gates\n")
		w := 0
		for _, g := range v.gates {
			w = max(w, len(g.Gate))
		}
		for _, g := range v.gates {
			t := toneGood
			if g.Tripped {
				t = toneBad
			}
			fmt.Fprintf(&b, "  %s %-*s  %s\n", paint(t, gateMark(g)), w, g.Gate, g.Detail)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// DiffMarkdown renders d as GitHub-flavoured Markdown, for a CI job summary.
func DiffMarkdown(d *compare.Diff) string {
	v := newDiffView(d)
	var b strings.Builder
	head := "### agentops diff"
	if len(v.gates) > 0 {
		head += ": " + map[bool]string{true: "❌ a gate tripped", false: "✅ gates passed"}[tripped(v.gates)]
	}
	fmt.Fprintf(&b, "%s\n\n%s  \nend state: %s\n", head, mdCell(v.title), mdCell(v.states))
	for _, t := range v.tables {
		fmt.Fprintf(&b, "\n**%s**\n\n", t.title)
		b.WriteString(mdRow(t.head))
		align := []string{":--"}
		for range t.head[1:] {
			align = append(align, "--:")
		}
		b.WriteString(mdRow(align))
		for _, r := range t.rows {
			b.WriteString(mdRow(r))
		}
	}
	for _, l := range []struct {
		title string
		msgs  []string
	}{{"New errors", v.newErrors}, {"Errors gone", v.goneErrors}} {
		if len(l.msgs) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n**%s**\n\n", l.title)
		for _, m := range l.msgs {
			fmt.Fprintf(&b, "- %s\n", mdCell(oneLine(m)))
		}
	}
	if len(v.gates) > 0 {
		b.WriteString("\n**Gates**\n\n| | gate | detail |\n|---|---|---|\n")
		for _, g := range v.gates {
			mark := map[bool]string{true: "❌", false: "✅"}[g.Tripped]
			fmt.Fprintf(&b, "| %s | %s | %s |\n", mark, mdCode(g.Gate), mdCell(g.Detail))
		}
	}
	return b.String()
}

func tripped(gates []record.GateResult) bool {
	for _, g := range gates {
		if g.Tripped {
			return true
		}
	}
	return false
}
