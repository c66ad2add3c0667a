package summary

import (
	"fmt"
	"strings"

	"github.com/agentops-dev/agentops/record"
)

// Plain renders the summary of s as plain text without escape codes, for
// logs, pipes and NO_COLOR: the same facts as Terminal, tables at their
// natural width.
func Plain(s *record.Session) string {
	v := newView(s)
	var b strings.Builder
	fmt.Fprintf(&b, "agentops session: %s\n", stateLine(v.state))
	for _, f := range v.facts {
		fmt.Fprintf(&b, "  %-*s%s%s\n", v.labelWidth, f.label, f.lead, f.value)
	}
	for _, t := range []table{v.models, v.tools} {
		if t.empty() {
			continue
		}
		fmt.Fprintf(&b, "\n  %s\n", t.title)
		head, rows, foot := tableLines(t, columns(t, 0))
		fmt.Fprintf(&b, "  %s\n", strings.TrimRight(head, " "))
		for _, r := range rows {
			fmt.Fprintf(&b, "  %s\n", strings.TrimRight(r, " "))
		}
		if foot != "" {
			fmt.Fprintf(&b, "  %s\n", strings.TrimRight(foot, " "))
		}
		if l := t.moreLine(); l != "" {
			fmt.Fprintf(&b, "  %s\n", l)
		}
		if t.title == v.models.title {
			for _, n := range v.notes {
				fmt.Fprintf(&b, "  (%s)\n", n)
			}
		}
	}
	if len(v.errors) > 0 {
		fmt.Fprintf(&b, "\n  Errors (%d)\n", len(v.errors)+v.moreErrors)
		for _, e := range v.errors {
			fmt.Fprintf(&b, "  - %s\n", e)
		}
		if v.moreErrors > 0 {
			fmt.Fprintf(&b, "  … and %s\n", plural(v.moreErrors, "more error"))
		}
	}
	tail := append([]fact{}, v.where...)
	if v.cost.label != "" {
		tail = append([]fact{v.cost}, tail...)
	}
	if len(tail) > 0 {
		b.WriteString("\n")
		for _, f := range tail {
			fmt.Fprintf(&b, "  %-*s%s%s\n", v.labelWidth, f.label, f.lead, f.value)
		}
	}
	if len(v.hints) > 0 {
		b.WriteString("\n")
		for _, h := range wrapHints(v.hints, 78) {
			fmt.Fprintf(&b, "  %s\n", h)
		}
	}
	return b.String()
}
