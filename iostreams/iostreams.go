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
func (s *IOStreams) TerminalWidth() int {
	if f, ok := s.ErrOut.(*os.File); ok && s.StderrTTY {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	return 80
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
