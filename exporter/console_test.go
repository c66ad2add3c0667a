package exporter

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestConsolePrintsSpans(t *testing.T) {
	var buf bytes.Buffer
	exp, err := New(context.Background(), Spec{Name: "console"}, Settings{Console: &buf})
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.ExportTraces(context.Background(), sampleTraces()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"[span] agent-a chat gpt-4o 1ms", "scope-agent-b", "parent 0909090909090909", "ERROR rate limited", "gen_ai.request.model=gpt-4o"} {
		if !strings.Contains(out, want) {
			t.Errorf("console output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "[span]"); n != 6 {
		t.Errorf("%d spans printed, want 6", n)
	}
}
