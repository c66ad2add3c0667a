package summary

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/record"
)

// RenderEvents writes the session's events, one line each in start order:
// offset from the session start, kind, name, duration and what matters for
// the kind (model and tokens, tool arguments, error message).
func RenderEvents(w io.Writer, s *record.Session, opts Options) error {
	if opts.Width <= 0 {
		opts.Width = 80
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Events (%d)\n", len(s.Events))
	var st waterfallStyles
	if opts.Color {
		r := lipgloss.NewRenderer(io.Discard)
		r.SetColorProfile(termenv.ANSI256)
		st = newWaterfallStyles(r)
	}
	evs := slices.Clone(s.Events)
	slices.SortStableFunc(evs, func(a, b events.Event) int { return a.Start.Compare(b.Start) })
	for _, e := range evs {
		off := "+" + formatDuration(max(e.Start.Sub(s.Start), 0))
		head := fmt.Sprintf("  %8s  %-6s %s", off, e.Kind, clean(e.Name))
		line := head + "  " + spanDuration(e.Duration())
		if d := EventDetail(e); d != "" {
			line += "  " + clean(d)
		}
		line = truncate(line, opts.Width)
		if opts.Color {
			switch {
			case e.Kind == events.KindError:
				line = st.errBar.Render(line)
			default:
				if ns, ok := st.name[e.Kind]; ok {
					line = ns.UnsetBold().Render(line)
				}
			}
		}
		b.WriteString(line + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// EventDetail is the one-line gist of an event beyond its kind and name.
func EventDetail(e events.Event) string {
	var parts []string
	switch {
	case e.LLM != nil:
		l := e.LLM
		if m := l.Model(); m != "" {
			parts = append(parts, m)
		}
		parts = append(parts, fmt.Sprintf("%d→%d tokens", l.InputTokens, l.OutputTokens))
		if l.CostUSD != nil {
			parts = append(parts, costText(*l.CostUSD))
		}
		if l.Wrapper {
			parts = append(parts, "(wrapper, not counted)")
		}
	case e.Tool != nil:
		if e.Tool.Arguments != "" {
			parts = append(parts, "args "+oneLine(e.Tool.Arguments))
		}
		if e.Tool.Result != "" {
			parts = append(parts, "→ "+oneLine(e.Tool.Result))
		}
	case e.Agent != nil && e.Agent.Name != "":
		parts = append(parts, e.Agent.Name)
	case e.Action != nil && e.Action.Type != "":
		parts = append(parts, e.Action.Type)
	case e.Error != nil:
		msg := e.Error.Message
		if e.Error.Type != "" {
			msg = e.Error.Type + ": " + msg
		}
		parts = append(parts, oneLine(msg))
		if e.Error.Propagated {
			parts = append(parts, "(re-raised)")
		}
	}
	return strings.Join(parts, "  ")
}

// costText formats one call's cost in USD, to the sixth decimal below a
// cent: a single call's cost is often a fraction of a hundredth of a cent.
func costText(usd float64) string {
	prec := 4
	if usd < 0.01 {
		prec = 6
	}
	return "$" + trimZeros(fmt.Sprintf("%.*f", prec, usd))
}

func trimZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	if strings.HasSuffix(s, ".") {
		s += "00"
	}
	return s
}

// oneLine collapses whitespace so free text fits one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// TotalsCost is a session's cost as the session list shows it: in the
// words of the summary panel ("unpriced", "$0.0012+"), so a session never
// reads one way in the list and another in 'agentops show'.
func TotalsCost(t events.Totals) string {
	if t.LLMCalls == 0 {
		return "-"
	}
	return totalCost(t)
}

// ShortDuration formats a duration for tables.
func ShortDuration(d time.Duration) string { return formatDuration(d) }

// spanDuration formats a span's duration: like formatDuration, but a span
// shorter than a millisecond shows its microseconds rather than 0s.
func spanDuration(d time.Duration) string {
	if d > 0 && d < time.Millisecond {
		return d.Round(time.Microsecond).String()
	}
	return formatDuration(d)
}
