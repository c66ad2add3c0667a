package summary

import (
	"fmt"
	"strings"

	"github.com/agentops-dev/agentops/record"
)

// markdownMarks are the end-state marks GitHub renders in colour.
var markdownMarks = map[record.EndState]string{
	record.Success:       "✅",
	record.Fail:          "❌",
	record.Indeterminate: "⚠️",
}

// Markdown renders the summary of s as GitHub-flavoured Markdown, for a
// CI job summary ($GITHUB_STEP_SUMMARY).
func Markdown(s *record.Session) string {
	v := newView(s)
	var b strings.Builder
	state := "finished"
	if v.state != "" {
		state = markdownMarks[v.state] + " " + string(v.state)
	}
	fmt.Fprintf(&b, "### agentops session: %s\n\n", state)
	b.WriteString("| | |\n|---|---|\n")
	for _, f := range v.facts {
		val := mdCell(f.lead + f.value)
		if f.label == "command" || f.label == "session" {
			val = mdCode(f.value)
		}
		fmt.Fprintf(&b, "| %s | %s |\n", f.label, val)
	}
	for _, f := range append(costFacts(v), v.where...) {
		fmt.Fprintf(&b, "| %s | %s |\n", f.label, mdCell(f.value))
	}
	for _, t := range []table{v.models, v.tools} {
		if t.empty() {
			continue
		}
		fmt.Fprintf(&b, "\n**%s**\n\n", t.title)
		b.WriteString(mdRow(t.head))
		align := []string{":--"}
		for range t.head[1:] {
			align = append(align, "--:")
		}
		b.WriteString(mdRow(align))
		for _, r := range t.rows {
			b.WriteString(mdRow(r))
		}
		if t.foot != nil {
			foot := append([]string{}, t.foot...)
			for i := range foot {
				foot[i] = "**" + foot[i] + "**"
			}
			b.WriteString(mdRow(foot))
		}
		if l := t.moreLine(); l != "" {
			fmt.Fprintf(&b, "\n_%s_\n", l)
		}
		if t.title == v.models.title {
			for _, n := range v.notes {
				fmt.Fprintf(&b, "\n_%s_\n", mdCell(n))
			}
		}
	}
	if len(v.errors) > 0 {
		fmt.Fprintf(&b, "\n**Errors (%d)**\n\n", len(v.errors)+v.moreErrors)
		for _, e := range v.errors {
			fmt.Fprintf(&b, "- %s\n", mdCell(e))
		}
		if v.moreErrors > 0 {
			fmt.Fprintf(&b, "- … and %s\n", plural(v.moreErrors, "more error"))
		}
	}
	if len(v.hints) > 0 {
		b.WriteString("\n```text\n")
		for _, h := range wrapHints(v.hints, 78) {
			b.WriteString(h + "\n")
		}
		b.WriteString("```\n")
	}
	return b.String()
}

func costFacts(v view) []fact {
	if v.cost.label == "" {
		return nil
	}
	return []fact{v.cost}
}

func mdRow(cells []string) string {
	esc := make([]string, len(cells))
	for i, c := range cells {
		esc[i] = mdCell(c)
	}
	return "| " + strings.Join(esc, " | ") + " |\n"
}

// mdCell makes s safe inside a table cell: one line, pipes escaped.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

// mdCode renders s as inline code, with a fence long enough for any
// backticks inside it.
func mdCode(s string) string {
	s = mdCell(s)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	return fence + " " + s + " " + fence
}
