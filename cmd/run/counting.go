package run

import (
	"fmt"
	"io"

	"github.com/agentops-dev/agentops/events"
)

// warnCounting says what the counting set aside as impossible or repeated
// telemetry, so that totals that look low (or a bad SDK) can be explained.
func warnCounting(w io.Writer, t events.Totals) {
	if t.DuplicateSpans > 0 {
		fmt.Fprintf(w, "agentops: %d span%s arrived again (same trace and span id, an SDK's retry?): counted once\n",
			t.DuplicateSpans, plural(t.DuplicateSpans))
	}
	if t.CycleSpans > 0 {
		fmt.Fprintf(w, "agentops: %d span%s named parents that form a cycle: counted as leaves\n",
			t.CycleSpans, plural(t.CycleSpans))
	}
	if t.InvalidValues > 0 {
		fmt.Fprintf(w, "agentops: %d token count%s or cost%s were impossible (negative, not finite, over %d tokens or $%d a call): read as absent\n",
			t.InvalidValues, plural(t.InvalidValues), plural(t.InvalidValues), events.MaxTokens, events.MaxCostUSD)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
