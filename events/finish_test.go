package events

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// TestFinishCountsEachCallOnce covers the shapes of nested LLM spans the
// golden fixtures do not: usage reported only at one level, or nowhere.
func TestFinishCountsEachCallOnce(t *testing.T) {
	type span struct {
		id, parent byte
		in, out    int64
	}
	tests := []struct {
		name            string
		spans           []span
		calls, wrappers int
		in, out         int64
		counted         []byte // span ids counted as the call
	}{
		{"usage at both levels", []span{{1, 0, 100, 10}, {2, 1, 100, 10}}, 1, 1, 100, 10, []byte{2}},
		{"usage only on the wrapper", []span{{1, 0, 100, 10}, {2, 1, 0, 0}}, 1, 1, 100, 10, []byte{1}},
		{"usage only on the leaf", []span{{1, 0, 0, 0}, {2, 1, 100, 10}}, 1, 1, 100, 10, []byte{2}},
		{"usage nowhere", []span{{1, 0, 0, 0}, {2, 1, 0, 0}}, 1, 1, 0, 0, []byte{2}},
		{"three levels, usage in the middle", []span{{1, 0, 100, 10}, {2, 1, 100, 10}, {3, 2, 0, 0}}, 1, 2, 100, 10, []byte{2}},
		{"two calls under one agent-level LLM span", []span{{1, 0, 300, 30}, {2, 1, 100, 10}, {3, 1, 200, 20}}, 2, 1, 300, 30, []byte{2, 3}},
		{"siblings, no nesting", []span{{1, 0, 100, 10}, {2, 0, 200, 20}}, 2, 0, 300, 30, []byte{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var evs []Event
			var lin Lineage
			// Children first, as they arrive.
			for i := len(tt.spans) - 1; i >= 0; i-- {
				s := tt.spans[i]
				id, parent := pcommon.SpanID{7: s.id}, pcommon.SpanID{}
				if s.parent != 0 {
					parent[7] = s.parent
				}
				lin.Add(id, parent)
				evs = append(evs, Event{Kind: KindLLM, SpanID: id.String(),
					LLM: &LLM{RequestModel: "m", InputTokens: s.in, OutputTokens: s.out}})
			}
			tot := Finish(evs, &lin, nil)
			if tot.LLMCalls != tt.calls || tot.WrapperLLMSpans != tt.wrappers || tot.InputTokens != tt.in || tot.OutputTokens != tt.out {
				t.Errorf("got %d calls (+%d not counted), %d in / %d out; want %d (+%d), %d / %d",
					tot.LLMCalls, tot.WrapperLLMSpans, tot.InputTokens, tot.OutputTokens, tt.calls, tt.wrappers, tt.in, tt.out)
			}
			var counted []byte
			for i := len(evs) - 1; i >= 0; i-- {
				if l := evs[i].LLM; !l.Wrapper && !l.Duplicate {
					counted = append(counted, byte(hexID(evs[i].SpanID)))
				}
			}
			if string(counted) != string(tt.counted) {
				t.Errorf("counted spans %v, want %v", counted, tt.counted)
			}
		})
	}
}
