package iostreams

// ColorOut reports whether styled output may be written to Out.
func (s *IOStreams) ColorOut() bool { return s.StdoutTTY && !s.NoColor }

// OutWidth is the width of the terminal behind Out, or 80.
func (s *IOStreams) OutWidth() int { return width(s.Out, s.StdoutTTY) }
