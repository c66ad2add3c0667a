package summary

import (
	"io"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// ListRow is one stored session as 'agentops sessions' lists it, already
// formatted; StateGood and StateWarn choose the colour of its state (else
// it reads as a failure).
type ListRow struct {
	ID, Started, Duration, State, LLM, Tokens, Cost, Command string
	StateGood, StateWarn                                     bool
}

// RenderSessionList writes rows as a table of aligned columns, the state
// coloured when color is set; the command, last, is cut to width.
func RenderSessionList(w io.Writer, rows []ListRow, color bool, width int) error {
	state := func(r ListRow) string { return r.State }
	if color {
		re := lipgloss.NewRenderer(io.Discard)
		re.SetColorProfile(termenv.ANSI256)
		st := newStyles(re)
		state = func(r ListRow) string {
			switch {
			case r.StateGood:
				return st.good.Render(r.State)
			case r.StateWarn:
				return st.warn.Render(r.State)
			}
			return st.bad.Render(r.State)
		}
	}
	table := [][]string{{"ID", "STARTED", "DURATION", "STATE", "LLM", "TOKENS", "COST", "COMMAND"}}
	for _, r := range rows {
		table = append(table, []string{r.ID, r.Started, r.Duration, state(r), r.LLM, r.Tokens, r.Cost, clean(r.Command)})
	}
	return writeColumns(w, table, width)
}

// writeColumns aligns cells (which may carry ANSI styles) in columns two
// spaces apart; the last column is cut to the width.
func writeColumns(w io.Writer, table [][]string, width int) error {
	widths := make([]int, len(table[0]))
	for _, row := range table {
		for i, c := range row {
			widths[i] = max(widths[i], lipgloss.Width(c))
		}
	}
	var b strings.Builder
	for _, row := range table {
		used := 0
		for i, c := range row {
			if i == len(row)-1 {
				if room := width - used; room > 10 && lipgloss.Width(c) > room {
					c = truncate(c, room)
				}
				b.WriteString(c)
				break
			}
			b.WriteString(c + strings.Repeat(" ", widths[i]-lipgloss.Width(c)+2))
			used += widths[i] + 2
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
