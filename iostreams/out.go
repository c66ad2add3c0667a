package iostreams

import (
	"os"

	"golang.org/x/term"
)

// ColorOut reports whether styled output may be written to Out.
func (s *IOStreams) ColorOut() bool { return s.StdoutTTY && !s.NoColor }

// OutWidth is the width of the terminal behind Out, or 80.
func (s *IOStreams) OutWidth() int {
	if f, ok := s.Out.(*os.File); ok && s.StdoutTTY {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	return 80
}
