package summary

import (
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// maxValueBytes bounds any one value a summary shows (a command line with
// a whole prompt in it, an error message of megabytes): past it the value
// is cut, with a marker saying how much was left out, before anything
// measures or draws it.
const maxValueBytes = 4096

// clean makes text from the child (its command line, its telemetry) safe
// to print on a terminal and bounded: control characters are dropped (ESC
// starts every terminal sequence: a tool named "\x1b[2J" must not clear the
// screen; bidi overrides reorder what follows), tabs and line breaks become
// spaces so one value stays on its line, invalid UTF-8 becomes U+FFFD, and
// a value past maxValueBytes is cut with a marker. One pass: linear in the
// bytes it keeps.
func clean(s string) string {
	if safe(s) {
		return s
	}
	var b strings.Builder
	b.Grow(min(len(s), maxValueBytes+32))
	for i := 0; i < len(s); {
		if b.Len() >= maxValueBytes {
			b.WriteString(cutMarker(len(s) - i))
			break
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case isControl(r):
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// safe reports whether s is short printable ASCII, the common case clean
// returns as it is.
func safe(s string) bool {
	if len(s) > maxValueBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// isControl reports the runes that change a terminal's state or the order
// of what it shows rather than print: C0, DEL, C1, and the Unicode bidi
// embedding, override and isolate controls.
func isControl(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return false
}

// cut shortens s to at most n bytes on a rune boundary, with a marker
// saying how much was left out; for outputs that are not a terminal (the
// HTML report), which need bounds but not clean's stripping.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	end := n
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	return s[:end] + cutMarker(len(s)-end)
}

// cutMarker says how many bytes a cut left out.
func cutMarker(n int) string {
	return "… (" + byteCount(n) + " more)"
}

func byteCount(n int) string {
	switch {
	case n >= 10<<20:
		return formatInt(int64(n>>20)) + " MiB"
	case n >= 1<<10:
		return formatInt(int64(n>>10)) + " KiB"
	}
	return plural(n, "byte")
}

// truncate shortens s to n cells, marking the cut with an ellipsis. It is
// linear in len(s), and only a bounded prefix of a long s is measured at
// all: n cells never need more than a few bytes each.
func truncate(s string, n int) string {
	if n <= 0 {
		// Only what takes no cell fits in none (a combining mark alone).
		if ansi.StringWidth(s) == 0 {
			return s
		}
		return ""
	}
	// A cell is at least one byte, and a grapheme rarely more than a few
	// dozen: past this the rest cannot fit, whatever it holds.
	limit := 8*n + 256
	precut := false
	if len(s) > limit {
		for limit > 0 && !utf8.RuneStart(s[limit]) {
			limit--
		}
		s, precut = s[:limit], true
	}
	out := ansi.Truncate(s, n, "…")
	if precut && !strings.HasSuffix(out, "…") {
		out = ansi.Truncate(out, n-1, "") + "…"
	}
	return out
}

// CommandLine is args as a POSIX shell would need them typed: words with
// spaces or quotes quoted, and control characters (a newline in a prompt)
// written as $'\n' escapes, so the command stays on one line and can be
// copied back into a shell.
func CommandLine(args []string) string {
	var b strings.Builder
	// Cut below maxValueBytes, so that clean keeps the marker.
	const room = maxValueBytes - 64
	for i, a := range args {
		if b.Len() > room {
			b.WriteString(" " + cutMarker(remaining(args[i:])))
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(shellQuote(a))
	}
	if b.Len() > maxValueBytes {
		return cut(b.String(), room)
	}
	return b.String()
}

func remaining(args []string) int {
	n := 0
	for _, a := range args {
		n += len(a) + 1
	}
	return n
}

// shellQuote quotes one word for a POSIX shell.
func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	plain, control := true, false
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("@%+=:,./-_", r):
		case isControl(r) || r == utf8.RuneError:
			plain, control = false, true
		default:
			plain = false
		}
	}
	if plain {
		return s
	}
	if !control {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	// $'...' (ANSI-C quoting: bash, zsh, ksh, and POSIX since 2024).
	var b strings.Builder
	b.WriteString("$'")
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\'' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case isControl(r) || r == utf8.RuneError && size == 1:
			for _, c := range []byte(s[i : i+size]) {
				b.WriteString(`\x`)
				b.WriteByte("0123456789abcdef"[c>>4])
				b.WriteByte("0123456789abcdef"[c&15])
			}
		default:
			b.WriteRune(r)
		}
		i += size
	}
	b.WriteByte('\'')
	return b.String()
}
