package summary

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
)

// formatInt writes n with thousands separators: 1,234,567.
func formatInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// formatUSD writes a cost with the precision a person needs: cents above a
// dollar, four decimals below.
// "<$0.0001" only ever means a cost between 0 and that; a negative or
// impossible cost (the counting drops them, see events.MaxCostUSD) shows
// as what it is.
func formatUSD(usd float64) string {
	switch {
	case math.IsNaN(usd) || math.IsInf(usd, 0):
		return "$?"
	case usd < 0:
		return "-" + formatUSD(-usd)
	case usd == 0:
		return "$0.00"
	case usd < 0.0001:
		return "<$0.0001"
	case usd < 1:
		return fmt.Sprintf("$%.4f", usd)
	}
	return fmt.Sprintf("$%.2f", usd)
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

// pad fills s with spaces to n cells, on the right (left) or the left.
func pad(s string, n int, left bool) string {
	gap := n - lipgloss.Width(s)
	if gap <= 0 {
		return s
	}
	if left {
		return s + strings.Repeat(" ", gap)
	}
	return strings.Repeat(" ", gap) + s
}

// wrapWords breaks s into lines of at most n cells at spaces; a word longer
// than n is truncated.
func wrapWords(s string, n int) []string {
	var lines []string
	cur := ""
	for _, w := range strings.Fields(s) {
		switch {
		case cur == "":
			cur = w
		case lipgloss.Width(cur)+1+lipgloss.Width(w) <= n:
			cur += " " + w
		default:
			lines = append(lines, truncate(cur, n))
			cur = w
		}
	}
	if cur != "" {
		lines = append(lines, truncate(cur, n))
	}
	return lines
}

// columns computes a table's column widths for at most max cells (0: no
// limit): numbers get what they need, the first column the rest, and it is
// the one truncated when room is short.
func columns(t table, max int) []int {
	w := make([]int, len(t.head))
	measure := func(row []string) {
		for i, c := range row {
			if cw := lipgloss.Width(c); cw > w[i] {
				w[i] = cw
			}
		}
	}
	measure(t.head)
	for _, r := range t.rows {
		measure(r)
	}
	if t.foot != nil {
		measure(t.foot)
	}
	if max <= 0 {
		return w
	}
	rest := 0
	for _, cw := range w[1:] {
		rest += cw + 2
	}
	if room := max - rest; w[0] > room {
		w[0] = room
		if w[0] < 8 {
			w[0] = 8
		}
	} else if room > w[0] {
		w[0] = room // the name column takes the slack, so numbers align right
	}
	return w
}

// tableLines lays t out as text lines of the given column widths: the
// first column left-aligned, the others right-aligned, two spaces apart.
func tableLines(t table, w []int) (head string, rows []string, foot string) {
	line := func(cells []string) string {
		var b strings.Builder
		for i, c := range cells {
			if i == 0 {
				b.WriteString(pad(truncate(c, w[0]), w[0], true))
				continue
			}
			b.WriteString("  ")
			b.WriteString(pad(c, w[i], false))
		}
		return b.String()
	}
	head = line(t.head)
	for _, r := range t.rows {
		rows = append(rows, line(r))
	}
	if t.foot != nil {
		foot = line(t.foot)
	}
	return head, rows, foot
}

// wrapHints wraps hint paragraphs to n cells, keeping each one's indent
// (commands stay whole when they fit) and indenting continuation lines.
func wrapHints(hints []string, n int) []string {
	var out []string
	for _, h := range hints {
		indent := h[:len(h)-len(strings.TrimLeft(h, " "))]
		for i, l := range wrapWords(h, n-len(indent)-2) {
			if i > 0 {
				l = "  " + l
			}
			out = append(out, indent+l)
		}
	}
	return out
}
