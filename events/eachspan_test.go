package events_test

import (
	"slices"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/events"
)

func TestEachSpanVisitsEverySpanInOrder(t *testing.T) {
	td := ptrace.NewTraces()
	var want []string
	for _, res := range []string{"a", "b"} {
		rs := td.ResourceSpans().AppendEmpty()
		for _, scope := range []string{"1", "2"} {
			spans := rs.ScopeSpans().AppendEmpty().Spans()
			for _, n := range []string{"x", "y"} {
				spans.AppendEmpty().SetName(res + scope + n)
				want = append(want, res+scope+n)
			}
		}
	}
	td.ResourceSpans().AppendEmpty() // a resource without scopes
	var got []string
	events.EachSpan(td, func(sp ptrace.Span) { got = append(got, sp.Name()) })
	if !slices.Equal(got, want) {
		t.Errorf("EachSpan visited %v, want %v", got, want)
	}
}
