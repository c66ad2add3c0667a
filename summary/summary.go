// Package summary renders a session record for people and programs: a
// styled panel on a terminal, the same facts as plain text elsewhere,
// Markdown for a CI job summary, and the session JSON document. What is
// said is decided once (view.go); each renderer only draws it, and styles
// live in styles.go.
package summary

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/agentops-dev/agentops/record"
)

// Format is a way of rendering a session.
type Format string

// The formats.
const (
	// FormatTerminal is a lipgloss panel with ANSI colours, fitted to a width.
	FormatTerminal Format = "terminal"
	// FormatPlain is the same information as plain text, no escape codes.
	FormatPlain Format = "plain"
	// FormatMarkdown is GitHub-flavoured Markdown, for GITHUB_STEP_SUMMARY.
	FormatMarkdown Format = "markdown"
	// FormatJSON is the session JSON document (docs/session-json.md).
	FormatJSON Format = "json"
)

// Options choose how the summary is rendered.
type Options struct {
	// Format picks the rendering; empty means FormatTerminal when Color is
	// set, else FormatPlain.
	Format Format
	// Color renders a lipgloss panel with ANSI colours; false renders plain text.
	Color bool
	// Width is the terminal width; 0 means 80.
	Width int
}

// Render writes the summary of s to w.
func Render(w io.Writer, s *record.Session, opts Options) error {
	f := opts.Format
	if f == "" {
		f = FormatPlain
		if opts.Color {
			f = FormatTerminal
		}
	}
	var out string
	switch f {
	case FormatTerminal:
		out = Terminal(s, opts.Width)
	case FormatPlain:
		out = Plain(s)
	case FormatMarkdown:
		out = Markdown(s)
	case FormatJSON:
		return JSON(w, s)
	default:
		return fmt.Errorf("unknown summary format %q", f)
	}
	_, err := io.WriteString(w, out)
	return err
}

// JSON writes the session JSON document of s: the record, indented, with
// its schema_version.
func JSON(w io.Writer, s *record.Session) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// line is one labelled fact as exports.go describes an exporter's outcome;
// the view turns lines into facts.
type line struct {
	label, value string
	tone         tone
}
