package events

import "math"

// Bounds of the numbers an LLM event may report. A value past them (or
// negative, or not a finite number) is no count a provider made: an SDK's
// bug or a hostile child's. It is read as absent, and counted in
// LLM.InvalidValues and Totals.InvalidValues, so one bad span cannot make
// a session's total cost -$230 trillion.
const (
	// MaxTokens bounds one call's token counts: a billion, a thousand
	// times the largest context window sold.
	MaxTokens = 1_000_000_000
	// MaxCostUSD bounds one call's cost.
	MaxCostUSD = 10_000
)

// sanitize reads the invalid numbers of an LLM event as absent. Token
// counts are bounded where they are read (tokenCount); this catches the
// rest, whatever built the event.
func sanitize(e *Event) {
	l := e.LLM
	if e.Kind != KindLLM || l == nil {
		return
	}
	l.InvalidValues += dropInvalidTokens(l)
	if l.CostUSD != nil && !validCost(*l.CostUSD) {
		l.CostUSD, l.CostSource = nil, ""
		l.InvalidValues++
	}
}

// dropInvalidTokens zeroes the token counts of l that are out of bounds,
// and counts them.
func dropInvalidTokens(l *LLM) int {
	n := 0
	for _, v := range []*int64{&l.InputTokens, &l.OutputTokens, &l.TotalTokens, &l.CacheReadTokens,
		&l.CacheCreationTokens, &l.CacheCreation1hTokens, &l.ReasoningTokens, &l.WebSearches} {
		if *v < 0 || *v > MaxTokens {
			*v = 0
			n++
		}
	}
	return n
}

func validCost(usd float64) bool {
	return !math.IsNaN(usd) && usd >= 0 && usd <= MaxCostUSD
}

// tokenCount converts a reported number to a count; an impossible one
// (not finite, negative, beyond int64) becomes -1, which sanitize and
// normaliseUsage read as invalid.
func tokenCount(f float64) int64 {
	if math.IsNaN(f) || f < 0 || f > math.MaxInt64/2 {
		return -1
	}
	return int64(math.Round(f))
}

// satAdd adds two non-negative counts, saturating at math.MaxInt64.
func satAdd(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// satAddUSD adds two costs, saturating at the largest finite float.
func satAddUSD(a, b float64) float64 {
	if s := a + b; !math.IsInf(s, 0) && !math.IsNaN(s) {
		return s
	}
	return math.MaxFloat64
}
