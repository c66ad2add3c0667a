package pricing

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentops-dev/agentops/events"
)

func TestDefaultTable(t *testing.T) {
	tbl := Default()
	if tbl.Len() < 1000 {
		t.Fatalf("embedded table has %d models, want the whole tokencost table", tbl.Len())
	}
	if !strings.Contains(License, "MIT License") {
		t.Error("the table's MIT licence is not embedded with it")
	}
	if !strings.Contains(tbl.Source, TableDate) {
		t.Errorf("Source = %q, want it to state the table's date %s", tbl.Source, TableDate)
	}
}

func TestLookup(t *testing.T) {
	tbl := Default()
	tests := []struct {
		model, provider, want string
	}{
		{"gpt-4o", "", "gpt-4o"},
		{"GPT-4o", "openai", "openai/gpt-4o"},
		{"gpt-4o-2024-08-06", "", "gpt-4o-2024-08-06"},
		{"gpt-4o-mini-2024-07-18", "", "gpt-4o-mini-2024-07-18"},
		{"gpt-4.1-mini-2099-01-01", "", "gpt-4.1-mini"},
		{"openai/gpt-4o-2024-08-06", "", "openai/gpt-4o-2024-08-06"},
		{"gpt-4o", "azure.ai.openai", "azure/gpt-4o"},
		{"claude-3-5-sonnet-20241022", "", "claude-3-5-sonnet-20241022"},
		{"claude-3-5-sonnet", "", "claude-3-5-sonnet-latest"},
		{"anthropic.claude-3-5-sonnet-20241022-v2:0", "aws.bedrock", "anthropic.claude-3-5-sonnet-20241022-v2:0"},
		{"us.anthropic.claude-3-5-sonnet-20241022-v2:0", "", "us.anthropic.claude-3-5-sonnet-20241022-v2:0"},
		{"eu.anthropic.claude-3-5-sonnet-20991022-v2:0", "", "claude-3-5-sonnet-latest"},
		{"claude-3-opus@20240229", "gcp.vertex_ai", "vertex_ai/claude-3-opus@20240229"},
		{"claude-3-opus@20240229", "", "claude-3-opus-20240229"},
		{"openrouter/anthropic/claude-3-5-sonnet-20241022", "", "anthropic/claude-3-5-sonnet-20241022"},
		{"my-gateway/claude-3-5-sonnet-20241022", "", "claude-3-5-sonnet-20241022"},
		{"models/gemini-2.5-pro", "gcp.gemini", "gemini/gemini-2.5-pro"},
		{"gemini-2.5-pro", "", "gemini-2.5-pro"},
	}
	for _, tt := range tests {
		t.Run(tt.model+"/"+tt.provider, func(t *testing.T) {
			key, _, ok := tbl.Lookup(tt.model, tt.provider)
			if !ok || key != tt.want {
				t.Errorf("Lookup(%q, %q) = %q, %v; want %q", tt.model, tt.provider, key, ok, tt.want)
			}
		})
	}
	for _, unknown := range []string{"my-local-model", "", "llama-in-my-garage:7b"} {
		if key, _, ok := tbl.Lookup(unknown, "openai"); ok {
			t.Errorf("Lookup(%q) = %q, want no price", unknown, key)
		}
	}
}

func TestPriceCost(t *testing.T) {
	tbl := Default()
	tests := []struct {
		name string
		llm  events.LLM
		want float64
	}{
		// gpt-4o: $2.50 / $10 per million, cache read $1.25.
		{"plain", events.LLM{RequestModel: "gpt-4o", InputTokens: 1000, OutputTokens: 100}, 1000*2.5e-6 + 100*1e-5},
		{"cached part of input", events.LLM{RequestModel: "gpt-4o", InputTokens: 1000, CacheReadTokens: 400, OutputTokens: 100},
			600*2.5e-6 + 400*1.25e-6 + 100*1e-5},
		// Anthropic reports input without the cache: 3 uncached + 2000 read + 500 written.
		{"cache beside input", events.LLM{RequestModel: "claude-3-5-sonnet-20241022", InputTokens: 3, CacheReadTokens: 2000, CacheCreationTokens: 500, OutputTokens: 10},
			3*3e-6 + 2000*3e-7 + 500*3.75e-6 + 10*1.5e-5},
		// gemini-2.5-flash prices reasoning at its own rate (2.5e-6, same as output here).
		{"reasoning", events.LLM{RequestModel: "gemini-2.5-flash", InputTokens: 100, OutputTokens: 50, ReasoningTokens: 30}, 100*3e-7 + 20*2.5e-6 + 30*2.5e-6},
		{"response model wins", events.LLM{RequestModel: "gpt-4o", ResponseModel: "gpt-4o-2024-05-13", InputTokens: 1000}, 1000 * 5e-6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tbl.Price(tt.llm)
			if !ok || math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("Price = %v, %v; want %v", got, ok, tt.want)
			}
		})
	}
	if _, ok := tbl.Price(events.LLM{RequestModel: "my-local-model", InputTokens: 10}); ok {
		t.Error("an unknown model got a price; it must stay unpriced")
	}
}

func TestLoadFileOverridesAndExtends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prices.json")
	err := os.WriteFile(path, []byte(`{
  "gpt-4o": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6},
  "my-local-model": {"input_cost_per_token": 0, "output_cost_per_token": 0}
}`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	user, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tbl := Default().Merge(user)
	if got, _ := tbl.Price(events.LLM{RequestModel: "gpt-4o", InputTokens: 1000, OutputTokens: 1000}); math.Abs(got-0.003) > 1e-12 {
		t.Errorf("overridden gpt-4o cost = %v, want 0.003", got)
	}
	if got, ok := tbl.Price(events.LLM{RequestModel: "my-local-model", InputTokens: 1000}); !ok || got != 0 {
		t.Errorf("added model cost = %v, %v; want a real $0", got, ok)
	}
	if _, ok := tbl.Price(events.LLM{RequestModel: "claude-3-5-sonnet-20241022", InputTokens: 1}); !ok {
		t.Error("merging a file dropped the embedded prices")
	}
	if !strings.Contains(tbl.Source, path) {
		t.Errorf("Source = %q, want it to name %s", tbl.Source, path)
	}
}

func TestLoadRejectsBadShape(t *testing.T) {
	for name, body := range map[string]string{
		"not json":       `nope`,
		"missing prices": `{"m": {"mode": "chat"}}`,
		"array":          `[1,2]`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Load(strings.NewReader(body)); err == nil {
				t.Error("Load accepted it")
			}
		})
	}
}

// FuzzLoad: a price file never panics the loader, and what loads prices
// without panicking either.
func FuzzLoad(f *testing.F) {
	f.Add(`{"m": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6}}`)
	f.Add(`{"m": {"input_cost_per_token": 1e-6, "cache_read_input_token_cost": null}}`)
	f.Add(`{"": {"output_cost_per_token": -1}}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, body string) {
		tbl, err := Load(strings.NewReader(body))
		if err != nil {
			return
		}
		for _, name := range []string{"m", "", "gpt-4o", "us.anthropic.x-v1:0"} {
			_, _ = tbl.Price(events.LLM{RequestModel: name, InputTokens: 5, OutputTokens: 3, CacheReadTokens: 9, ReasoningTokens: 4})
		}
	})
}
