package summary

import "github.com/charmbracelet/lipgloss"

// styles are the summary's looks on a colour terminal; defined once, chosen
// by the renderer.
type styles struct {
	panel lipgloss.Style
	title lipgloss.Style
	label lipgloss.Style
	value lipgloss.Style
	good  lipgloss.Style
	bad   lipgloss.Style
	muted lipgloss.Style
	hint  lipgloss.Style
}

func newStyles(r *lipgloss.Renderer) styles {
	return styles{
		panel: r.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(lipgloss.Color("63")).Padding(0, 1),
		title: r.NewStyle().Bold(true).Foreground(lipgloss.Color("63")),
		label: r.NewStyle().Foreground(lipgloss.Color("245")).Width(14),
		value: r.NewStyle(),
		good:  r.NewStyle().Foreground(lipgloss.Color("42")).Bold(true),
		bad:   r.NewStyle().Foreground(lipgloss.Color("196")).Bold(true),
		muted: r.NewStyle().Foreground(lipgloss.Color("245")),
		hint:  r.NewStyle().Foreground(lipgloss.Color("220")),
	}
}
