package summary

import (
	"io"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/agentops-dev/agentops/record"
)

// MaxPanelWidth bounds the terminal panel on wide terminals: past it, a
// panel is harder to read, not easier.
const MaxPanelWidth = 100

// Terminal renders the summary of s as a lipgloss panel exactly width
// cells wide (0 means 80; at most MaxPanelWidth), in the 256-colour ANSI
// profile every current terminal understands. Long values are truncated,
// never wrapped into the border.
func Terminal(s *record.Session, width int) string {
	if width <= 0 {
		width = 80
	}
	width = min(max(width, 40), MaxPanelWidth)
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.ANSI256)
	st := newStyles(r)
	inner := width - 4 // border and padding
	v := newView(s)

	var rows []string
	title := st.title.Render("agentops session")
	if mark, ok := stateMarks[v.state]; ok {
		title += "  " + st.toned(stateTone(v.state)).Render(mark+" "+string(v.state))
	}
	rows = append(rows, title)
	for _, f := range v.facts {
		rows = append(rows, factRow(st, f, inner, v.labelWidth))
	}
	for _, t := range []table{v.models, v.tools} {
		if t.empty() {
			continue
		}
		rows = append(rows, "", st.section.Render(t.title))
		rows = append(rows, tableRows(st, t, inner)...)
		if t.title == v.models.title {
			for _, n := range v.notes {
				rows = append(rows, st.muted.Render(truncate(n, inner)))
			}
		}
	}
	if len(v.errors) > 0 {
		rows = append(rows, "", st.bad.Render(truncate("Errors ("+formatInt(int64(len(v.errors)+v.moreErrors))+")", inner)))
		for _, e := range v.errors {
			rows = append(rows, st.bad.Render("✘ ")+truncate(e, inner-2))
		}
		if v.moreErrors > 0 {
			rows = append(rows, st.muted.Render("… and "+plural(v.moreErrors, "more error")))
		}
	}
	tail := append([]fact{}, v.where...)
	if v.cost.label != "" {
		tail = append([]fact{v.cost}, tail...)
	}
	if len(tail) > 0 {
		rows = append(rows, "")
		for _, f := range tail {
			rows = append(rows, factRow(st, f, inner, v.labelWidth))
		}
	}
	if len(v.hints) > 0 {
		rows = append(rows, "")
		for _, l := range wrapHints(v.hints, inner) {
			rows = append(rows, st.hint.Render(l))
		}
	}
	return st.panel.Width(width-2).Render(strings.Join(rows, "\n")) + "\n"
}

func factRow(st styles, f fact, inner, labelWidth int) string {
	label := pad(truncate(f.label, labelWidth-1), labelWidth, true)
	room := inner - labelWidth
	lead := truncate(f.lead, room)
	value := truncate(f.value, room-lipgloss.Width(lead))
	if lead != "" {
		return st.label.Render(label) + st.toned(f.tone).Render(lead) + st.value.Render(value)
	}
	return st.label.Render(label) + st.toned(f.tone).Render(value)
}

func tableRows(st styles, t table, inner int) []string {
	head, body, foot := tableLines(t, columns(t, inner))
	// On a very narrow terminal even the numbers may not fit: cut the
	// line rather than let it wrap into the border.
	head, foot = truncate(head, inner), truncate(foot, inner)
	for i := range body {
		body[i] = truncate(body[i], inner)
	}
	out := []string{st.head.Render(head)}
	for i, r := range body {
		if t.warn[i] {
			out = append(out, st.warn.Render(r))
			continue
		}
		out = append(out, r)
	}
	if foot != "" {
		out = append(out, st.foot.Render(foot))
	}
	if l := t.moreLine(); l != "" {
		out = append(out, st.muted.Render(truncate(l, inner)))
	}
	return out
}

// stateLine is the end state with its mark, for the plain renderers.
func stateLine(s record.EndState) string {
	if mark, ok := stateMarks[s]; ok {
		return mark + " " + string(s)
	}
	return "finished"
}
