// Package budget decides whether a session has spent more than its limits
// allow: cost, tokens, LLM calls and wall time. It is pure: the session
// feeds it running figures and acts on its verdict.
package budget

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/agentops-dev/agentops/events"
)

// Limits are a session's budgets; a zero field sets no limit.
type Limits struct {
	// MaxCostUSD bounds the cost of the LLM calls, MaxTokens their input
	// plus output tokens, MaxLLMCalls their number.
	MaxCostUSD  float64
	MaxTokens   int64
	MaxLLMCalls int
	// MaxDuration bounds the child's wall time.
	MaxDuration time.Duration
	// UnpricedExceeds makes an unpriced call exceed a cost budget: its cost
	// is unknown, so the budget cannot be shown to hold. Otherwise such a
	// call is reported (Verdict.Unpriced) but does not stop the session.
	UnpricedExceeds bool
}

// Any reports whether some limit is set.
func (l Limits) Any() bool {
	return l.MaxCostUSD > 0 || l.MaxTokens > 0 || l.MaxLLMCalls > 0 || l.MaxDuration > 0
}

// Exceeded says which budget a session went over and by how much.
type Exceeded struct {
	// Budget is "cost", "tokens", "llm_calls" or "duration".
	Budget string `json:"budget"`
	// Spent and Limit are the figures as people read them: "$2.03", "$2.00".
	Spent string `json:"spent"`
	Limit string `json:"limit"`
}

// Reason is the end reason of a session stopped by the budget.
func (e Exceeded) Reason() string {
	what := map[string]string{"tokens": " tokens", "llm_calls": " LLM calls"}[e.Budget]
	verb := map[string]string{"llm_calls": "made", "duration": "ran"}[e.Budget]
	if verb == "" {
		verb = "spent"
	}
	return fmt.Sprintf("budget: %s%s %s, limit %s", e.Spent, what, verb, e.Limit)
}

// Check returns the first budget s (after elapsed wall time) exceeds, or
// nil. A figure equal to its limit is within it.
func (l Limits) Check(s events.Spend, elapsed time.Duration) *Exceeded {
	switch {
	case l.MaxCostUSD > 0 && s.CostUSD > l.MaxCostUSD:
		return &Exceeded{Budget: "cost", Spent: USD(s.CostUSD, l.MaxCostUSD), Limit: USD(l.MaxCostUSD, l.MaxCostUSD)}
	case l.MaxCostUSD > 0 && l.UnpricedExceeds && s.UnpricedCalls > 0:
		return &Exceeded{Budget: "cost", Spent: fmt.Sprintf("%s + %s of unknown cost", USD(s.CostUSD, l.MaxCostUSD), plural(s.UnpricedCalls, "unpriced call")), Limit: USD(l.MaxCostUSD, l.MaxCostUSD)}
	case l.MaxTokens > 0 && s.Tokens() > l.MaxTokens:
		return &Exceeded{Budget: "tokens", Spent: grouped(s.Tokens()), Limit: grouped(l.MaxTokens)}
	case l.MaxLLMCalls > 0 && s.LLMCalls > l.MaxLLMCalls:
		return &Exceeded{Budget: "llm_calls", Spent: strconv.Itoa(s.LLMCalls), Limit: strconv.Itoa(l.MaxLLMCalls)}
	case l.MaxDuration > 0 && elapsed > l.MaxDuration:
		return &Exceeded{Budget: "duration", Spent: elapsed.Round(time.Millisecond).String(), Limit: l.MaxDuration.String()}
	}
	return nil
}

// Unpriced reports whether a cost budget is blind to some calls of s: set
// when MaxCostUSD is and s has unpriced calls.
func (l Limits) Unpriced(s events.Spend) bool { return l.MaxCostUSD > 0 && s.UnpricedCalls > 0 }

// USD renders v, a figure of a cost budget of limit: in cents, or with four
// decimals when the limit is under a dollar, so that a figure and its
// limit read alike ("$0.0101 spent, limit $0.0020").
func USD(v, limit float64) string {
	if limit < 1 {
		return fmt.Sprintf("$%.4f", v)
	}
	return fmt.Sprintf("$%.2f", v)
}

func grouped(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 && r != '-' && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// ErrBadLimit is wrapped by ParseCost's and the other parsers' errors.
var ErrBadLimit = errors.New("bad budget")

// ParseCost reads a cost limit in USD: "2", "2.50" or "$2.50".
func ParseCost(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimPrefix(strings.TrimSpace(s), "$"), 64)
	if err != nil || v <= 0 || v != v || v > 1e12 {
		return 0, fmt.Errorf("%w: %q is not a cost in USD above 0 (e.g. 2.50)", ErrBadLimit, s)
	}
	return v, nil
}

// ParseCount reads a token or call limit: a positive integer, with
// optional _ or , separators and a k or M suffix ("200k", "1_000_000").
func ParseCount(s string) (int64, error) {
	t := strings.NewReplacer("_", "", ",", "").Replace(strings.TrimSpace(s))
	mult := int64(1)
	switch {
	case strings.HasSuffix(t, "k"), strings.HasSuffix(t, "K"):
		mult, t = 1_000, t[:len(t)-1]
	case strings.HasSuffix(t, "M"), strings.HasSuffix(t, "m"):
		mult, t = 1_000_000, t[:len(t)-1]
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil || v <= 0 || v > (1<<62)/mult {
		return 0, fmt.Errorf("%w: %q is not a count above 0 (e.g. 200000 or 200k)", ErrBadLimit, s)
	}
	return v * mult, nil
}
