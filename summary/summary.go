// Package summary renders a session record for people: a styled panel on a
// terminal, the same facts as plain text elsewhere.
package summary

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/agentops-dev/agentops/record"
)

// Options choose how the summary is rendered.
type Options struct {
	// Color renders a lipgloss panel with ANSI colours; false renders plain text.
	Color bool
	// Width is the terminal width; 0 means 80.
	Width int
}

// line is one labelled fact of the summary.
type line struct {
	label, value string
	tone         tone
}

type tone int

const (
	toneNormal tone = iota
	toneGood
	toneBad
)

// facts lists what the summary says, independent of styling.
func facts(s *record.Session) []line {
	exit := line{"exit code", fmt.Sprint(s.ExitCode), toneGood}
	if s.ExitCode != 0 {
		exit.tone = toneBad
		if s.Signal != "" {
			exit.value += " (" + s.Signal + ")"
		}
		if s.StartError != "" {
			exit.value += " (" + s.StartError + ")"
		}
	}
	t := s.Totals
	out := []line{
		{"session", s.ID, toneNormal},
		{"command", strings.Join(s.Command, " "), toneNormal},
		exit,
		{"duration", formatDuration(s.Duration()), toneNormal},
		{"spans", fmt.Sprintf("%d received", s.SpansReceived), toneNormal},
		{"LLM calls", fmt.Sprint(t.LLMCalls), toneNormal},
		{"tokens", fmt.Sprintf("%d in / %d out", t.InputTokens, t.OutputTokens), toneNormal},
		{"tool calls", fmt.Sprint(t.ToolCalls), toneNormal},
	}
	errs := line{"errors", fmt.Sprint(t.Errors), toneNormal}
	if t.Errors > 0 {
		errs.tone = toneBad
	}
	out = append(out, errs)
	for _, msg := range t.ErrorSamples {
		out = append(out, line{"", "- " + msg.Message, toneBad})
	}
	out = append(out, exportLines(s)...)
	return out
}

// noSpansHint is shown when the child sent nothing: the most common first run.
func noSpansHint(s *record.Session) []string {
	if s.SpansReceived > 0 || s.LogsReceived > 0 {
		return nil
	}
	return []string{
		"No spans arrived. agentops pointed the child's OpenTelemetry SDK at " + s.Endpoint + ",",
		"but the child has to be instrumented to send any. For example:",
		"  Python:  opentelemetry-instrument python agent.py",
		"  Node.js: node --require @opentelemetry/auto-instrumentations-node/register agent.js",
		"Injected: " + strings.Join(s.InjectedEnv, ", "),
	}
}

// Render writes the summary of s to w.
func Render(w io.Writer, s *record.Session, opts Options) error {
	if opts.Width <= 0 {
		opts.Width = 80
	}
	var out string
	if opts.Color {
		out = renderStyled(s, opts)
	} else {
		out = renderPlain(s)
	}
	_, err := io.WriteString(w, out)
	return err
}

func renderPlain(s *record.Session) string {
	var b strings.Builder
	b.WriteString("agentops session summary\n")
	for _, l := range facts(s) {
		fmt.Fprintf(&b, "  %-12s %s\n", l.label, l.value)
	}
	for _, h := range noSpansHint(s) {
		fmt.Fprintf(&b, "  %s\n", h)
	}
	return b.String()
}

func renderStyled(s *record.Session, opts Options) string {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.ANSI256)
	st := newStyles(r)
	inner := opts.Width - 4 // border and padding
	var rows []string
	rows = append(rows, st.title.Render("agentops session"))
	for _, l := range facts(s) {
		v := st.value
		switch l.tone {
		case toneGood:
			v = st.good
		case toneBad:
			v = st.bad
		}
		val := truncate(l.value, inner-14)
		rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, st.label.Render(l.label), v.Render(val)))
	}
	for _, h := range noSpansHint(s) {
		rows = append(rows, st.hint.Render(truncate(h, inner)))
	}
	return st.panel.Render(lipgloss.JoinVertical(lipgloss.Left, rows...)) + "\n"
}

func truncate(s string, n int) string {
	if n <= 1 || lipgloss.Width(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) > n-1 {
		r = r[:n-1]
	}
	return string(r) + "…"
}

func formatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
