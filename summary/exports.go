package summary

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

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
				out = append(out, line{"", "- " + shortError(e.Error), toneBad})
			}
			if e.Unsent != "" {
				out = append(out, line{"", "- unsent spans kept in", toneNormal}, line{"", "  " + homeAbbrev(e.Unsent), toneNormal})
			}
		}
	}
	if s.ReplayURL != "" {
		out = append(out, line{"replay", s.ReplayURL, toneNormal})
	}
	return out
}

// shortError keeps the part of an export error people act on: the
// exporter's "traces export: Post \"URL\": " preamble repeats what the
// summary line already says. The record keeps the whole message.
func shortError(msg string) string {
	if strings.HasPrefix(msg, "cut off at the export timeout") {
		return "cut off at the export timeout (raise --export-timeout, or check the backend)"
	}
	msg = strings.TrimPrefix(msg, "traces export: ")
	if i := strings.Index(msg, "\": "); i >= 0 && strings.Count(msg[:i], "\"") == 1 {
		msg = msg[i+3:]
	}
	return msg
}

// homeAbbrev writes a path under the home directory as ~/...
func homeAbbrev(path string) string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return path
	}
	if rel, err := filepath.Rel(home, path); err == nil && !strings.HasPrefix(rel, "..") {
		return "~/" + rel
	}
	return path
}
