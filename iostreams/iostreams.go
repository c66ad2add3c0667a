// Package iostreams carries the standard streams and what is known about
// them (terminal or not, colour allowed or not), so commands never reach for
// os.Stdout deep in the code and tests can force either case.
package iostreams

import (
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams are a command's input and outputs.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	StdinTTY, StdoutTTY, StderrTTY bool
	// NoColor is set when NO_COLOR is present in the environment.
	NoColor bool
}

// System returns the process's own streams.
func System() *IOStreams {
	_, noColor := os.LookupEnv("NO_COLOR")
	return &IOStreams{
		In:        os.Stdin,
		Out:       os.Stdout,
		ErrOut:    os.Stderr,
		StdinTTY:  isTerminal(os.Stdin),
		StdoutTTY: isTerminal(os.Stdout),
		StderrTTY: isTerminal(os.Stderr),
		NoColor:   noColor,
	}
}

// ColorErr reports whether styled output may be written to ErrOut.
func (s *IOStreams) ColorErr() bool { return s.StderrTTY && !s.NoColor }

// TerminalWidth is the width of the terminal behind ErrOut, or 80.
func (s *IOStreams) TerminalWidth() int { return width(s.ErrOut, s.StderrTTY) }

// width is the width of the terminal behind w when it is one, else 80.
func width(w io.Writer, tty bool) int {
	if f, ok := w.(*os.File); ok && tty {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			return cols
		}
	}
	return 80
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
