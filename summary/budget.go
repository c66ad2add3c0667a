package summary

import (
	"strings"
	"time"

	"github.com/agentops-dev/agentops/budget"
	"github.com/agentops-dev/agentops/record"
)

// budgetFact shows each limit the session had beside what it used, and
// whether one was exceeded: "$0.0101 of $0.0020 · 48 of 10 LLM calls".
func budgetFact(s *record.Session) (fact, bool) {
	b := s.Budget
	if b == nil {
		return fact{}, false
	}
	t := s.Totals
	var parts []string
	if b.MaxCostUSD > 0 {
		p := budget.USD(t.CostUSD, b.MaxCostUSD) + " of " + budget.USD(b.MaxCostUSD, b.MaxCostUSD)
		if b.UnpricedCalls > 0 {
			p += " (+ " + plural(b.UnpricedCalls, "unpriced call") + ")"
		}
		parts = append(parts, p)
	}
	if b.MaxTokens > 0 {
		parts = append(parts, formatInt(t.InputTokens+t.OutputTokens)+" of "+formatInt(b.MaxTokens)+" tokens")
	}
	if b.MaxLLMCalls > 0 {
		parts = append(parts, formatInt(int64(t.LLMCalls))+" of "+formatInt(int64(b.MaxLLMCalls))+" LLM calls")
	}
	if b.MaxDuration != "" {
		parts = append(parts, formatDuration(s.Duration().Round(time.Millisecond))+" of "+b.MaxDuration)
	}
	f := fact{label: "budget", value: strings.Join(parts, " · "), tone: toneNormal}
	switch {
	case b.Exceeded != nil && b.Stopped:
		f.lead, f.tone = "exceeded, agent stopped · ", toneBad
	case b.Exceeded != nil:
		f.lead, f.tone = "exceeded · ", toneWarn
	case b.UnpricedCalls > 0:
		f.lead, f.tone = "not verifiable · ", toneWarn
	default:
		f.lead, f.tone = "within · ", toneGood
	}
	return f, true
}
