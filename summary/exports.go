package summary

import (
	"fmt"

	"github.com/agentops-dev/agentops/record"
)

// exportLines say, per exporter, what reached it and, when something did
// not, why and where the spans were kept; then the AgentOps replay link.
func exportLines(s *record.Session) []line {
	var out []line
	for _, e := range s.Exports {
		label := "export " + e.Name
		what := "spans"
		if e.Name == "pushgateway" {
			label, what = "pushgateway", "series"
		}
		target := ""
		if e.Target != "" {
			target = " → " + e.Target
		}
		switch {
		case e.Skipped != "":
			out = append(out, line{label, "skipped, " + e.Skipped + target, toneNormal})
		case e.Failed == 0 && e.Dropped == 0:
			out = append(out, line{label, fmt.Sprintf("%d %s sent%s", e.Sent, what, target), toneGood})
		default:
			v := fmt.Sprintf("%d %s sent, %d failed", e.Sent, what, e.Failed)
			if e.Dropped > 0 {
				v += fmt.Sprintf(", %d dropped", e.Dropped)
			}
			out = append(out, line{label, v + target, toneBad})
			if e.Error != "" {
				out = append(out, line{"", "- " + e.Error, toneBad})
			}
			if e.Unsent != "" {
				out = append(out, line{"", "- unsent spans kept in " + e.Unsent, toneNormal})
			}
		}
	}
	if s.ReplayURL != "" {
		out = append(out, line{"replay", s.ReplayURL, toneNormal})
	}
	return out
}
