package compare

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/record"
)

func session(calls int, cost float64, errs int, unpriced int, state record.EndState, d time.Duration) *record.Session {
	start := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	return &record.Session{ID: "s", Start: start, End: start.Add(d), EndState: state, Totals: events.Totals{
		LLMCalls: calls, InputTokens: int64(calls) * 100, OutputTokens: int64(calls) * 10, CostUSD: cost, Errors: errs, UnpricedCalls: unpriced,
	}}
}

func TestGates(t *testing.T) {
	base := session(10, 1.00, 0, 0, record.Success, time.Minute)
	next := session(15, 1.20, 2, 0, record.Fail, 90*time.Second)
	d := Sessions(base, next, "a", "b")
	tests := []struct {
		gate    string
		tripped bool
	}{
		// Relative change: cost +20%, tokens +50%, duration +50%.
		{"cost>+10%", true}, {"cost>+20%", false}, {"cost>=+20%", true}, {"cost<+25%", true}, {"cost<=+19%", false},
		{"cost==+20%", true}, {"cost!=+20%", false}, {"tokens>-50%", true}, {"duration>+49%", true},
		// Change: 5 more calls, 2 more errors, 30s longer, $0.20 more.
		{"llm_calls>+5", false}, {"llm_calls>=+5", true}, {"errors>+1", true}, {"duration>+30s", false},
		{"duration>=+30s", true}, {"cost>+$0.10", true}, {"llm_calls<-1", false},
		// The new session's own figure.
		{"errors>0", true}, {"errors==2", true}, {"cost>1.50", false}, {"cost>$1.10", true}, {"duration>1m", true},
		{"tool_calls>0", false}, {"input_tokens>=1500", true}, {"output_tokens<150", false},
		{"end_state!=Success", true}, {"end_state==Success", false}, {"end_state==Fail", true},
		{" cost > +10% ", true},
	}
	for _, tt := range tests {
		g, err := ParseGate(tt.gate)
		if err != nil {
			t.Errorf("ParseGate(%q): %v", tt.gate, err)
			continue
		}
		if r := g.Eval(d); r.Tripped != tt.tripped {
			t.Errorf("%s: tripped %v, want %v (%s)", tt.gate, r.Tripped, tt.tripped, r.Detail)
		}
	}
}

func TestGateFromZero(t *testing.T) {
	d := Sessions(session(0, 0, 0, 0, record.Success, time.Second), session(3, 0.5, 1, 0, record.Success, time.Second), "a", "b")
	for gate, want := range map[string]bool{"errors>+100%": true, "cost>+1000%": true, "llm_calls<+10%": false, "tool_calls>+0%": false} {
		g, _ := ParseGate(gate)
		if r := g.Eval(d); r.Tripped != want {
			t.Errorf("%s from zero: tripped %v, want %v (%s)", gate, r.Tripped, want, r.Detail)
		}
	}
	if m, _ := d.Metric(Errors); !math.IsInf(m.Percent(), 1) || m.Relative != nil {
		t.Errorf("errors 0 → 1: %+v", m)
	}
}

// A cost gate cannot pass when a side's cost is unknown.
func TestCostGateUnpriced(t *testing.T) {
	d := Sessions(session(10, 1, 0, 0, record.Success, time.Second), session(10, 0.5, 0, 4, record.Success, time.Second), "a", "b")
	g, _ := ParseGate("cost>+10%")
	r := g.Eval(d)
	if !r.Tripped || !strings.Contains(r.Detail, "4 unpriced calls in the new session") {
		t.Errorf("gate on unpriced cost: %+v", r)
	}
	g, _ = ParseGate("llm_calls>+5")
	if r := g.Eval(d); r.Tripped {
		t.Errorf("non-cost gate tripped by unpriced calls: %+v", r)
	}
}

func TestParseGateErrors(t *testing.T) {
	for expr, why := range map[string]string{
		"":                "no comparison",
		"cost":            "no comparison",
		">5":              "no comparison",
		"cost>>5":         "is not a number",
		"cost=>5":         "unknown comparison",
		"cost>":           "no value",
		"price>5":         `unknown metric "price"`,
		"cost>10%":        "needs its sign",
		"cost>+ten%":      "is not a number",
		"duration>+soon":  "is not a number",
		"end_state>Fail":  "== or != only",
		"end_state==Done": "Success, Fail or Indeterminate",
		"errors>+1+1":     "is not a number",
		"cost>+Inf%":      "is not a number",
	} {
		_, err := ParseGate(expr)
		if !errors.Is(err, ErrBadGate) || !strings.Contains(err.Error(), why) || !strings.Contains(err.Error(), "METRIC OP VALUE") {
			t.Errorf("ParseGate(%q) = %v, want ErrBadGate saying %q and the grammar", expr, err, why)
		}
	}
	gates, err := ParseGates([]string{"cost>+10%,errors>0", "llm_calls>+5"})
	if err != nil || len(gates) != 3 {
		t.Fatalf("ParseGates: %d gates, %v", len(gates), err)
	}
}
