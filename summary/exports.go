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
		case !undelivered(e):
			out = append(out, line{label, sentLine(e, what) + target, toneGood})
		default:
			out = append(out, line{label, sentLine(e, what) + target, toneBad})
			if e.Error != "" {
				out = append(out, line{"", "- " + shortError(e.Error), toneBad})
			}
			if e.Unsent != "" {
				out = append(out, line{"", "- what was not delivered is named in", toneNormal}, line{"", "  " + homeAbbrev(e.Unsent), toneNormal})
				out = append(out, line{"", "  (agentops export " + sessionRef(s) + " --resume sends it)", toneNormal})
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
	for _, p := range []string{"traces export: ", "logs export: ", "metrics export: "} {
		msg = strings.TrimPrefix(msg, p)
	}
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

// undelivered says whether some item of some signal was not delivered.
func undelivered(e record.Export) bool {
	if e.Undelivered() {
		return true
	}
	for _, c := range []*record.ExportCounts{e.Logs, e.Metrics} {
		if c != nil && c.Undelivered() {
			return true
		}
	}
	return false
}

// sentLine is "12 spans sent" or, with anything undelivered, every
// count: "10 spans sent, 2 in doubt, 5 unsent"; logs and metrics follow
// when the exporter was given any.
func sentLine(e record.Export, what string) string {
	v := countsText(e.ExportCounts, what)
	if e.Logs != nil {
		v += "; " + countsText(*e.Logs, "log records")
	}
	if e.Metrics != nil {
		v += "; " + countsText(*e.Metrics, "data points")
	}
	return v
}

func countsText(c record.ExportCounts, what string) string {
	v := fmt.Sprintf("%d %s sent", c.Sent, what)
	if c.Failed > 0 {
		v += fmt.Sprintf(", %d failed", c.Failed)
	}
	if c.InDoubt > 0 {
		v += fmt.Sprintf(", %d in doubt", c.InDoubt)
	}
	if c.Left > 0 {
		v += fmt.Sprintf(", %d unsent", c.Left)
	}
	if c.Dropped > 0 {
		v += fmt.Sprintf(", %d dropped", c.Dropped)
	}
	return v
}

// sessionRef is the session's id as export takes it.
func sessionRef(s *record.Session) string {
	if len(s.ID) >= 8 {
		return s.ID[:8]
	}
	if s.ID == "" {
		return "last"
	}
	return s.ID
}
