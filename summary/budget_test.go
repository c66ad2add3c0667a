package summary

import (
	"strings"
	"testing"
	"time"

	"github.com/agentops-dev/agentops/budget"
	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/record"
)

func TestBudgetLine(t *testing.T) {
	start := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	s := &record.Session{Start: start, End: start.Add(90 * time.Second), EndState: record.Fail,
		Totals: events.Totals{LLMCalls: 48, InputTokens: 48_000, OutputTokens: 4_800, CostUSD: 2.034}}
	tests := []struct {
		name string
		b    *record.Budget
		want string
	}{
		{"stopped", &record.Budget{MaxCostUSD: 2, MaxTokens: 500_000, OnExceed: "stop", Stopped: true,
			Exceeded: &budget.Exceeded{Budget: "cost", Spent: "$2.03", Limit: "$2.00"}},
			"budget     exceeded, agent stopped · $2.03 of $2.00 · 52,800 of 500,000 tokens"},
		{"warned", &record.Budget{MaxLLMCalls: 40, MaxDuration: "1m0s", OnExceed: "warn",
			Exceeded: &budget.Exceeded{Budget: "llm_calls", Spent: "48", Limit: "40"}},
			"budget     exceeded · 48 of 40 LLM calls · 1m30s of 1m0s"},
		{"within", &record.Budget{MaxCostUSD: 5, OnExceed: "stop"}, "budget     within · $2.03 of $5.00"},
		{"blind", &record.Budget{MaxCostUSD: 0.5, OnExceed: "stop", UnpricedCalls: 3}, "budget     not verifiable · $2.0340 of $0.5000 (+ 3 unpriced calls)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.Budget = tt.b
			if got := Plain(s); !strings.Contains(got, tt.want) {
				t.Errorf("plain summary lacks %q:\n%s", tt.want, got)
			}
			if got := Markdown(s); !strings.Contains(got, "| budget | "+strings.TrimSpace(strings.TrimPrefix(tt.want, "budget"))) {
				t.Errorf("markdown summary lacks the budget line:\n%s", got)
			}
		})
	}
	s.Budget = nil
	if strings.Contains(Plain(s), "budget") {
		t.Error("a budget line without budgets")
	}
}
