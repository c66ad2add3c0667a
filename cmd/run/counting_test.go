package run

import (
	"bytes"
	"strings"
	"testing"

	"github.com/agentops-dev/agentops/events"
)

func TestWarnCounting(t *testing.T) {
	var b bytes.Buffer
	warnCounting(&b, events.Totals{})
	if b.Len() != 0 {
		t.Fatalf("warned of nothing: %q", b.String())
	}
	warnCounting(&b, events.Totals{DuplicateSpans: 999, CycleSpans: 1, InvalidValues: 3})
	for _, want := range []string{"999 spans arrived again", "1 span named parents that form a cycle", "3 token counts or costs were impossible"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("warnings %q lack %q", b.String(), want)
		}
	}
}
