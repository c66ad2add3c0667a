package run

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/agentops-dev/agentops/budget"
	"github.com/agentops-dev/agentops/session"
)

// BudgetOptions are the --max-* flags and what exceeding them does. Each
// has an AGENTOPS_* variable for CI templates; the flag wins.
type BudgetOptions struct {
	MaxCost, MaxTokens, MaxLLMCalls, MaxDuration string
	OnBudget                                     string
	UnpricedExceeds                              bool
}

// budgetEnv maps each budget flag to its environment variable.
var budgetEnv = []struct{ flag, env string }{
	{"max-cost", "AGENTOPS_MAX_COST"},
	{"max-tokens", "AGENTOPS_MAX_TOKENS"},
	{"max-llm-calls", "AGENTOPS_MAX_LLM_CALLS"},
	{"max-duration", "AGENTOPS_MAX_DURATION"},
	{"on-budget", "AGENTOPS_ON_BUDGET"},
	{"unpriced-exceeds", "AGENTOPS_UNPRICED_EXCEEDS"},
}

func addBudgetFlags(c *cobra.Command, o *BudgetOptions) {
	f := c.Flags()
	f.StringVar(&o.MaxCost, "max-cost", "", "stop the agent once its LLM calls cost more than this many USD, e.g. 2.50 ($AGENTOPS_MAX_COST)")
	f.StringVar(&o.MaxTokens, "max-tokens", "", "stop the agent once its LLM calls used more input+output tokens than this, e.g. 200k ($AGENTOPS_MAX_TOKENS)")
	f.StringVar(&o.MaxLLMCalls, "max-llm-calls", "", "stop the agent once it made more LLM calls than this ($AGENTOPS_MAX_LLM_CALLS)")
	f.StringVar(&o.MaxDuration, "max-duration", "", "stop the agent once it ran longer than this, e.g. 15m ($AGENTOPS_MAX_DURATION)")
	f.StringVar(&o.OnBudget, "on-budget", "stop", "what an exceeded budget does: stop (SIGTERM to the agent, SIGKILL after --kill-after; the session ends as Fail) or warn ($AGENTOPS_ON_BUDGET)")
	f.BoolVar(&o.UnpricedExceeds, "unpriced-exceeds", false, "count an LLM call whose model has no price as exceeding --max-cost (default: warn that the budget cannot see it) ($AGENTOPS_UNPRICED_EXCEEDS)")
}

// fromEnv fills the budget flags the command line left unset from their
// environment variables.
func (o *BudgetOptions) fromEnv(c *cobra.Command, getenv func(string) string) error {
	for _, b := range budgetEnv {
		v := getenv(b.env)
		if v == "" || c.Flags().Changed(b.flag) {
			continue
		}
		if err := c.Flags().Set(b.flag, v); err != nil {
			return fmt.Errorf("$%s=%q: %w", b.env, v, err)
		}
	}
	return nil
}

// limits parses the budget flags; an error names the flag and an example.
func (o *BudgetOptions) limits() (budget.Limits, session.BudgetAction, error) {
	var l budget.Limits
	var err error
	if o.MaxCost != "" {
		if l.MaxCostUSD, err = budget.ParseCost(o.MaxCost); err != nil {
			return l, "", fmt.Errorf("--max-cost: %w", err)
		}
	}
	if o.MaxTokens != "" {
		if l.MaxTokens, err = budget.ParseCount(o.MaxTokens); err != nil {
			return l, "", fmt.Errorf("--max-tokens: %w", err)
		}
	}
	if o.MaxLLMCalls != "" {
		n, err := budget.ParseCount(o.MaxLLMCalls)
		if err != nil || n > 1<<31 {
			return l, "", fmt.Errorf("--max-llm-calls: %w", budget.ErrBadLimit)
		}
		l.MaxLLMCalls = int(n)
	}
	if o.MaxDuration != "" {
		d, err := time.ParseDuration(o.MaxDuration)
		if err != nil || d <= 0 {
			return l, "", fmt.Errorf("--max-duration %q: %w: use a duration above 0 like 90s or 15m", o.MaxDuration, budget.ErrBadLimit)
		}
		l.MaxDuration = d
	}
	l.UnpricedExceeds = o.UnpricedExceeds
	a := session.BudgetAction(o.OnBudget)
	switch a {
	case session.BudgetStop, session.BudgetWarn:
	default:
		return l, "", fmt.Errorf("--on-budget %q: use stop or warn", o.OnBudget)
	}
	if o.UnpricedExceeds && l.MaxCostUSD == 0 {
		return l, "", fmt.Errorf("--unpriced-exceeds needs --max-cost: it decides how that budget treats calls without a price")
	}
	return l, a, nil
}

// budgetNotice prints, once each, what the budget watch tells the user
// while the agent runs.
func budgetNotice(w io.Writer, killAfter time.Duration) func(session.BudgetNotice) {
	return func(n session.BudgetNotice) {
		switch {
		case n.Exceeded != nil && n.Action == session.BudgetWarn:
			fmt.Fprintf(w, "agentops: %s (--on-budget warn: the agent keeps running)\n", n.Exceeded.Reason())
		case n.Exceeded != nil:
			kill := "SIGKILL after " + killAfter.String()
			if killAfter <= 0 {
				kill = "never SIGKILL (--kill-after 0)"
			}
			fmt.Fprintf(w, "agentops: %s: stopping the agent (SIGTERM, %s)\n", n.Exceeded.Reason(), kill)
		case n.UnpricedCalls > 0:
			fmt.Fprintf(w, "agentops: warning: --max-cost cannot see the cost of %s: no price for their model (add it with --prices, or --unpriced-exceeds to stop on them)\n",
				callCount(n.UnpricedCalls))
		}
	}
}

func callCount(n int) string {
	if n == 1 {
		return "1 LLM call"
	}
	return strconv.Itoa(n) + " LLM calls"
}
