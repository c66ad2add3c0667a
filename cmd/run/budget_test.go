package run

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/agentops-dev/agentops/budget"
	"github.com/agentops-dev/agentops/iostreams"
	"github.com/agentops-dev/agentops/session"
)

func TestBudgetFlagsAndEnvironment(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    budget.Limits
		action  session.BudgetAction
		wantErr string
	}{
		{name: "none", args: []string{"--", "x"}, action: session.BudgetStop},
		{name: "flags", args: []string{"--max-cost", "$2.50", "--max-tokens", "200k", "--max-llm-calls", "40", "--max-duration", "15m", "--on-budget", "warn", "--", "x"},
			want: budget.Limits{MaxCostUSD: 2.5, MaxTokens: 200_000, MaxLLMCalls: 40, MaxDuration: 15 * time.Minute}, action: session.BudgetWarn},
		{name: "environment", env: map[string]string{"AGENTOPS_MAX_COST": "3", "AGENTOPS_MAX_TOKENS": "1M", "AGENTOPS_ON_BUDGET": "warn", "AGENTOPS_UNPRICED_EXCEEDS": "true"},
			args: []string{"--", "x"}, want: budget.Limits{MaxCostUSD: 3, MaxTokens: 1_000_000, UnpricedExceeds: true}, action: session.BudgetWarn},
		{name: "the flag wins", env: map[string]string{"AGENTOPS_MAX_COST": "3", "AGENTOPS_ON_BUDGET": "warn"},
			args: []string{"--max-cost", "1", "--on-budget", "stop", "--", "x"}, want: budget.Limits{MaxCostUSD: 1}, action: session.BudgetStop},
		{name: "bad environment", env: map[string]string{"AGENTOPS_UNPRICED_EXCEEDS": "maybe"}, args: []string{"--", "x"}, wantErr: "$AGENTOPS_UNPRICED_EXCEEDS"},
		{name: "bad cost", args: []string{"--max-cost", "free", "--", "x"}, wantErr: "--max-cost"},
		{name: "unpriced without cost", args: []string{"--unpriced-exceeds", "--", "x"}, wantErr: "--unpriced-exceeds needs --max-cost"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, b := range budgetEnv {
				t.Setenv(b.env, tt.env[b.env])
			}
			ios := &iostreams.IOStreams{In: &bytes.Buffer{}, Out: io.Discard, ErrOut: io.Discard}
			var got *Options
			c := NewCmdRun(ios, func(o *Options) error { got = o; return nil })
			c.SetArgs(tt.args)
			c.SetOut(io.Discard)
			c.SetErr(io.Discard)
			err := c.Execute()
			var l budget.Limits
			var a session.BudgetAction
			if err == nil {
				l, a, err = got.Budget.limits()
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if l != tt.want || a != tt.action {
				t.Errorf("limits %+v %s, want %+v %s", l, a, tt.want, tt.action)
			}
		})
	}
}
