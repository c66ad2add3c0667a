package summary

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/agentops-dev/agentops/events"
)

// waterfallStyles are the waterfall's looks on a colour terminal.
type waterfallStyles struct {
	header, muted, errMark lipgloss.Style
	// name and bar are chosen by the span's kind; errBar wins for failed spans.
	name   map[events.Kind]lipgloss.Style
	bar    map[events.Kind]lipgloss.Style
	errBar lipgloss.Style
}

func newWaterfallStyles(r *lipgloss.Renderer) waterfallStyles {
	c := func(code string) lipgloss.Style { return r.NewStyle().Foreground(lipgloss.Color(code)) }
	return waterfallStyles{
		header:  r.NewStyle().Bold(true).Foreground(lipgloss.Color("63")),
		muted:   c("245"),
		errMark: c("196").Bold(true),
		name: map[events.Kind]lipgloss.Style{
			events.KindLLM:     c("212").Bold(true),
			events.KindTool:    c("45").Bold(true),
			events.KindAgent:   c("63"),
			events.KindSession: c("245"),
		},
		bar: map[events.Kind]lipgloss.Style{
			"":                 c("245"),
			events.KindLLM:     c("212"),
			events.KindTool:    c("45"),
			events.KindAgent:   c("63"),
			events.KindAction:  c("111"),
			events.KindSession: c("240"),
		},
		errBar: c("196"),
	}
}

// kindTag is the short label of a span's kind in the waterfall.
func kindTag(k events.Kind) string {
	switch k {
	case "":
		return ""
	case events.KindSession:
		return "run"
	}
	return string(k)
}

// RenderWaterfall writes the spans as a waterfall: the tree with
// indentation, each span's kind, duration and a bar placed and sized in
// proportion to the session's time. Failed spans are marked with ✗ (and red
// on a colour terminal); LLM and tool spans are coloured.
func RenderWaterfall(w io.Writer, rows []events.SpanRow, opts Options) error {
	if opts.Width <= 0 {
		opts.Width = 80
	}
	_, err := io.WriteString(w, waterfall(rows, opts))
	return err
}

func waterfall(rows []events.SpanRow, opts Options) string {
	var b strings.Builder
	if len(rows) == 0 {
		b.WriteString("Waterfall: no spans stored\n")
		return b.String()
	}
	t0, t1 := rows[0].Start, rows[0].End
	nameW := 0
	names := make([]string, len(rows))
	for i, r := range rows {
		names[i] = indent(r.Depth) + clean(r.Name)
		if r.Start.Before(t0) {
			t0 = r.Start
		}
		if r.End.After(t1) {
			t1 = r.End
		}
		nameW = max(nameW, lipgloss.Width(names[i]))
	}
	total := t1.Sub(t0)
	const tagW, durW = 6, 9 // "agent " and " 1m02.5s"
	// The name column takes what it needs, up to 45% of the width; the bar
	// gets the rest, at least 10 cells.
	nameW = min(nameW, opts.Width*45/100)
	barW := max(opts.Width-nameW-tagW-durW-5, 10)

	var st waterfallStyles
	if opts.Color {
		r := lipgloss.NewRenderer(io.Discard)
		r.SetColorProfile(termenv.ANSI256)
		st = newWaterfallStyles(r)
	}
	title := fmt.Sprintf("Waterfall: %s over %s", plural(len(rows), "span"), formatDuration(total))
	if opts.Color {
		title = st.header.Render(title)
	}
	b.WriteString(title + "\n")
	for i, r := range rows {
		name := truncate(names[i], nameW)
		name += strings.Repeat(" ", max(nameW-lipgloss.Width(name), 0))
		mark := " "
		if r.Error {
			mark = "✗"
		}
		tag := fmt.Sprintf("%-*s", tagW-1, kindTag(r.Kind))
		dur := fmt.Sprintf("%*s", durW-1, spanDuration(r.Duration()))
		bar := barLine(r, t0, total, barW, opts.Color)
		if opts.Color {
			ns, hasStyle := st.name[r.Kind]
			bs := st.bar[r.Kind]
			if r.Error {
				ns, hasStyle, bs = st.errMark, true, st.errBar
				mark = st.errMark.Render(mark)
			}
			if hasStyle {
				name = ns.Render(name)
			}
			tag, dur, bar = st.muted.Render(tag), st.muted.Render(dur), bs.Render(bar)
		}
		fmt.Fprintf(&b, "%s %s %s %s │%s│\n", name, tag, mark, dur, bar)
	}
	return b.String()
}

// maxIndent is the deepest level the waterfall indents: a chain of a
// thousand spans would otherwise push every name off the screen (and cost
// time quadratic in its depth). Deeper spans show their level instead.
const maxIndent = 16

// indent is the tree indentation of a span at depth.
func indent(depth int) string {
	if depth <= maxIndent {
		return strings.Repeat("  ", depth)
	}
	return strings.Repeat("  ", maxIndent-2) + fmt.Sprintf("»%d ", depth)
}

// barLine draws a span's bar: blank up to its start, filled for its
// duration (at least one cell, so instant spans stay visible).
func barLine(r events.SpanRow, t0 time.Time, total time.Duration, width int, color bool) string {
	fill, blank := "=", " "
	if color {
		fill = "█"
	}
	if total <= 0 {
		return strings.Repeat(fill, width)
	}
	off := int(float64(r.Start.Sub(t0)) / float64(total) * float64(width))
	n := int(float64(r.Duration())/float64(total)*float64(width) + 0.5)
	off = min(max(off, 0), width-1)
	n = min(max(n, 1), width-off)
	return strings.Repeat(blank, off) + strings.Repeat(fill, n) + strings.Repeat(blank, width-off-n)
}
