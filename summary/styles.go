package summary

import (
	"github.com/charmbracelet/lipgloss"

	"github.com/agentops-dev/agentops/record"
)

// styles are the summary's looks on a colour terminal; defined once, chosen
// by the renderer.
type styles struct {
	panel   lipgloss.Style
	title   lipgloss.Style
	section lipgloss.Style
	label   lipgloss.Style
	value   lipgloss.Style
	head    lipgloss.Style
	foot    lipgloss.Style
	good    lipgloss.Style
	bad     lipgloss.Style
	warn    lipgloss.Style
	muted   lipgloss.Style
	hint    lipgloss.Style
}

func newStyles(r *lipgloss.Renderer) styles {
	return styles{
		panel:   r.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(lipgloss.Color("63")).Padding(0, 1),
		title:   r.NewStyle().Bold(true).Foreground(lipgloss.Color("63")),
		section: r.NewStyle().Bold(true),
		label:   r.NewStyle().Foreground(lipgloss.Color("245")),
		value:   r.NewStyle(),
		head:    r.NewStyle().Foreground(lipgloss.Color("245")),
		foot:    r.NewStyle().Bold(true),
		good:    r.NewStyle().Foreground(lipgloss.Color("42")).Bold(true),
		bad:     r.NewStyle().Foreground(lipgloss.Color("196")).Bold(true),
		warn:    r.NewStyle().Foreground(lipgloss.Color("214")),
		muted:   r.NewStyle().Foreground(lipgloss.Color("245")),
		hint:    r.NewStyle().Foreground(lipgloss.Color("220")),
	}
}

// toned is the style of a tone.
func (st styles) toned(t tone) lipgloss.Style {
	switch t {
	case toneGood:
		return st.good
	case toneBad:
		return st.bad
	case toneWarn:
		return st.warn
	case toneMuted:
		return st.muted
	}
	return st.value
}

// stateMarks are the end-state symbols, shared by the renderers.
var stateMarks = map[record.EndState]string{
	record.Success:       "✔",
	record.Fail:          "✘",
	record.Indeterminate: "?",
}

// stateTone is the tone an end state is drawn in.
func stateTone(s record.EndState) tone {
	switch s {
	case record.Success:
		return toneGood
	case record.Fail:
		return toneBad
	case record.Indeterminate:
		return toneWarn
	}
	return toneNormal
}
