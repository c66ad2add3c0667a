package store

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/record"
)

// TestMarshalIndentAsEncodingJSON: the records the store writes are
// indented byte for byte as json.MarshalIndent indents them, and what it
// refuses is refused.
func TestMarshalIndentAsEncodingJSON(t *testing.T) {
	start := time.Date(2026, 12, 1, 14, 0, 0, 123, time.FixedZone("", 3600))
	cost := 0.25
	values := map[string]any{
		"meta":         Meta{ID: "x<&>", Command: []string{"sh", "-c", "echo \"hi\"\n"}, Start: start, PID: 7, Lock: LockDir},
		"empty record": &record.Session{},
		"record": &record.Session{SchemaVersion: record.SchemaVersion, ID: "id", Command: []string{}, Start: start, End: start.Add(time.Second),
			ReceiverRefused: map[string]int{"HTTP 401": 2, "gRPC Unauthenticated": 1}, Tags: []string{"a", "\u2028"},
			Events:  []events.Event{{Kind: events.KindLLM, Name: "chat", LLM: &events.LLM{CostUSD: &cost, InputTokens: 3}}, {Kind: events.KindTool, Tool: &events.Tool{}}},
			Capture: &record.Capture{Vars: nil}, Budget: &record.Budget{MaxCostUSD: 1e-9, OnExceed: "stop"}},
		"not a Marshaler": map[string]any{"a": []int{1, 2}, "b": map[string]any{}},
	}
	for name, v := range values {
		want, wantErr := json.MarshalIndent(v, "", "  ")
		got, err := marshalIndent(v)
		if wantErr != nil || err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: marshalIndent (err %v):\n%s\njson.MarshalIndent (err %v):\n%s", name, err, got, wantErr, want)
		}
	}
	if _, err := marshalIndent(&record.Session{Totals: events.Totals{CostUSD: math.NaN()}}); err == nil {
		t.Error("a NaN cost was written")
	}
}
