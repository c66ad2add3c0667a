package budget

import (
	"errors"
	"testing"
	"time"

	"github.com/agentops-dev/agentops/events"
)

func TestCheck(t *testing.T) {
	spend := events.Spend{LLMCalls: 12, InputTokens: 150_000, OutputTokens: 60_000, CostUSD: 2.034}
	tests := []struct {
		name   string
		limits Limits
		spend  events.Spend
		want   string // the reason, empty for within budget
	}{
		{"none", Limits{}, spend, ""},
		{"cost over", Limits{MaxCostUSD: 2}, spend, "budget: $2.03 spent, limit $2.00"},
		{"cost within", Limits{MaxCostUSD: 2.05}, spend, ""},
		{"cost equal is within", Limits{MaxCostUSD: 2.034}, spend, ""},
		{"small cost", Limits{MaxCostUSD: 0.001}, events.Spend{CostUSD: 0.0042}, "budget: $0.0042 spent, limit $0.0010"},
		{"sub-dollar limit", Limits{MaxCostUSD: 0.5}, events.Spend{CostUSD: 0.51234}, "budget: $0.5123 spent, limit $0.5000"},
		{"tokens", Limits{MaxTokens: 200_000}, spend, "budget: 210,000 tokens spent, limit 200,000"},
		{"calls", Limits{MaxLLMCalls: 10}, spend, "budget: 12 LLM calls made, limit 10"},
		{"first of several", Limits{MaxTokens: 1, MaxLLMCalls: 1}, spend, "budget: 210,000 tokens spent, limit 1"},
		{"unpriced ignored", Limits{MaxCostUSD: 5}, events.Spend{CostUSD: 1, UnpricedCalls: 2}, ""},
		{"unpriced exceeds", Limits{MaxCostUSD: 5, UnpricedExceeds: true}, events.Spend{CostUSD: 1, UnpricedCalls: 2},
			"budget: $1.00 + 2 unpriced calls of unknown cost spent, limit $5.00"},
		{"unpriced without cost budget", Limits{MaxTokens: 10, UnpricedExceeds: true}, events.Spend{UnpricedCalls: 2}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if e := tt.limits.Check(tt.spend, time.Second); e != nil {
				got = e.Reason()
			}
			if got != tt.want {
				t.Fatalf("Check = %q, want %q", got, tt.want)
			}
		})
	}
	d := Limits{MaxDuration: time.Minute}
	if e := d.Check(events.Spend{}, 61*time.Second); e == nil || e.Reason() != "budget: 1m1s ran, limit 1m0s" {
		t.Fatalf("duration: %+v", e)
	}
	if e := d.Check(events.Spend{}, time.Minute); e != nil {
		t.Fatalf("duration at the limit: %+v", e)
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]float64{"2": 2, "$2.50": 2.5, " 0.01 ": 0.01} {
		if got, err := ParseCost(in); err != nil || got != want {
			t.Errorf("ParseCost(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "0", "-1", "abc", "NaN", "1e300"} {
		if _, err := ParseCost(in); !errors.Is(err, ErrBadLimit) {
			t.Errorf("ParseCost(%q) = %v, want ErrBadLimit", in, err)
		}
	}
	for in, want := range map[string]int64{"200000": 200000, "200k": 200000, "1_000_000": 1000000, "2M": 2000000, "1,500": 1500} {
		if got, err := ParseCount(in); err != nil || got != want {
			t.Errorf("ParseCount(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "0", "-5", "1.5", "k", "99999999999999999999"} {
		if _, err := ParseCount(in); !errors.Is(err, ErrBadLimit) {
			t.Errorf("ParseCount(%q) = %v, want ErrBadLimit", in, err)
		}
	}
}
