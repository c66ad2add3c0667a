package pricing

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentops-dev/agentops/events"
)

func TestEmbeddedTable(t *testing.T) {
	tbl := Default()
	if tbl.Len() != 1309 || tbl.Providers() != 36 {
		t.Fatalf("embedded table has %d models of %d providers, want genai-prices' 1309 of 36", tbl.Len(), tbl.Providers())
	}
	if !strings.Contains(License, "MIT License") || !strings.Contains(License, "Pydantic") {
		t.Error("the table's MIT licence is not embedded with it")
	}
	if src := tbl.Source(); src != "genai-prices "+TableDate {
		t.Errorf("Source = %q, want the table's name and date %s", src, TableDate)
	}
	if err := validateFeed(embedded); err != nil {
		t.Errorf("the embedded table fails its own schema: %v", err)
	}
}

// TestTableNotDecodedUntilUsed: making the table and naming it decodes
// nothing, so `agentops run -- true` pays nothing for prices.
func TestTableNotDecodedUntilUsed(t *testing.T) {
	for name, tbl := range map[string]*Table{
		"default": Default(),
		"newest":  Newest(t.TempDir()),
		"merged":  Default().Merge(Newest(t.TempDir())),
	} {
		_ = tbl.Source()
		if tbl.loaded.Load() {
			t.Errorf("%s: Source decoded the table", name)
		}
		tbl.Preload()
		if !tbl.loaded.Load() || tbl.Len() == 0 {
			t.Errorf("%s: Preload did not decode it", name)
		}
	}
}

func TestLookup(t *testing.T) {
	tbl := Default()
	tests := []struct {
		name, model, provider, server string
		wantProvider, wantModel       string
	}{
		{"bare", "gpt-5.2", "", "", "openai", "gpt-5.2"},
		{"dated", "gpt-5.2-2025-12-11", "", "", "openai", "gpt-5.2"},
		{"case", "GPT-5.2", "OpenAI", "", "openai", "gpt-5.2"},
		{"provider prefix", "openai/gpt-5.2", "", "", "openai", "gpt-5.2"},
		{"provider prefix, provider given", "openai/gpt-5.2", "openai", "", "openai", "gpt-5.2"},
		{"anthropic prefix", "anthropic/claude-sonnet-4-6", "", "", "anthropic", "claude-sonnet-4-6"},
		{"undated claude", "claude-sonnet-4-5", "anthropic", "", "anthropic", "claude-sonnet-4-5"},
		{"dated claude", "claude-sonnet-4-5-20250929", "anthropic", "", "anthropic", "claude-sonnet-4-5"},
		{"dotted claude", "claude-sonnet-4.6", "", "", "anthropic", "claude-sonnet-4-6"},
		{"inferred from the model id", "claude-sonnet-4-5-20250929", "", "", "anthropic", "claude-sonnet-4-5"},
		{"bedrock, provider given", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "aws.bedrock", "", "aws", "regional.anthropic.claude-sonnet-4-5-20250929-v1:0"},
		{"bedrock, inferred from the id", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "", "", "aws", "regional.anthropic.claude-sonnet-4-5-20250929-v1:0"},
		{"bedrock global", "global.anthropic.claude-sonnet-4-5-20250929-v1:0", "", "", "aws", "global.anthropic.claude-sonnet-4-5-20250929-v1:0"},
		{"bedrock by server", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "", "https://bedrock-runtime.us-east-1.amazonaws.com/model/x/converse", "aws", "regional.anthropic.claude-sonnet-4-5-20250929-v1:0"},
		{"vertex", "claude-opus-4-6@20260101", "gcp.vertex_ai", "", "google", "claude-opus-4-6"},
		{"vertex id, provider inferred", "claude-opus-4-6@20260101", "", "", "anthropic", "claude-opus-4-6"},
		// The feed's rule for Google's claude-4-sonnet: contains "claude-sonnet-4".
		{"vertex, the feed's broad rule", "claude-sonnet-4-5@20250929", "gcp.vertex_ai", "", "google", "claude-4-sonnet"},
		{"vertex, google's fallback to anthropic", "claude-haiku-4-5@20251001", "gcp.vertex_ai", "", "anthropic", "claude-haiku-4-5"},
		{"gemini", "gemini-3.5-flash", "gcp.gemini", "", "google", "gemini-3.5-flash"},
		{"gemini resource name", "models/gemini-3.5-flash", "", "", "google", "gemini-3.5-flash"},
		{"gemini by server", "gemini-3.5-flash", "", "generativelanguage.googleapis.com", "google", "gemini-3.5-flash"},
		{"openrouter id", "anthropic/claude-sonnet-4.5", "openrouter", "", "openrouter", "anthropic/claude-sonnet-4.5"},
		{"openrouter prefix", "openrouter/anthropic/claude-sonnet-4.5", "", "", "openrouter", "anthropic/claude-sonnet-4.5"},
		{"openai client at openrouter", "anthropic/claude-sonnet-4.5", "openai", "https://openrouter.ai/api/v1/chat/completions", "openrouter", "anthropic/claude-sonnet-4.5"},
		{"openrouter server, bare host", "google/gemini-3.5-flash", "", "openrouter.ai", "openrouter", "google/gemini-3.5-flash"},
		{"anthropic by server", "claude-sonnet-4-5", "", "api.anthropic.com", "anthropic", "claude-sonnet-4-5"},
		{"azure semconv name", "gpt-5.2", "azure.ai.openai", "", "openai", "gpt-5.2"},
		{"x_ai semconv name", "grok-4", "x_ai", "", "x-ai", "grok-4-0709"},
		{"gcp.gen_ai semconv name", "gemini-3.5-flash", "gcp.gen_ai", "", "google", "gemini-3.5-flash"},
		{"unknown provider name", "gpt-5.2", "my-gateway", "", "openai", "gpt-5.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := tbl.Lookup(tt.model, tt.provider, tt.server)
			if !ok || m.Provider != tt.wantProvider || m.Model != tt.wantModel {
				t.Errorf("Lookup(%q, %q, %q) = %s/%s (%v, via %s); want %s/%s",
					tt.model, tt.provider, tt.server, m.Provider, m.Model, ok, m.Via, tt.wantProvider, tt.wantModel)
			}
		})
	}
	for _, unknown := range []string{"my-local-model", "", "llama-in-my-garage:7b", "openai/"} {
		if m, ok := tbl.Lookup(unknown, "openai", ""); ok {
			t.Errorf("Lookup(%q) = %s/%s, want no match", unknown, m.Provider, m.Model)
		}
	}
}

// day is a call time after every date-bounded change the tests rely on.
var day = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// The expected costs are worked out by hand from the embedded table's
// rates (USD per million tokens; per thousand requests or searches), as
// the comments say.
func TestPriceCost(t *testing.T) {
	tbl := Default()
	tests := []struct {
		name string
		llm  events.LLM
		want float64
	}{
		// claude-sonnet-4-5: input 3, cache write 3.75, 1h write 6, cache read 0.3,
		// output 15; above 200k input tokens 6, 7.5, 12, 0.6 and 22.5, on all tokens.
		{"below the 200k tier, cache reads and writes",
			events.LLM{RequestModel: "claude-sonnet-4-5", InputTokens: 150_000, CacheReadTokens: 50_000,
				CacheCreationTokens: 20_000, CacheCreation1hTokens: 5_000, OutputTokens: 2_000},
			(80_000*3 + 50_000*0.3 + 15_000*3.75 + 5_000*6 + 2_000*15) / 1e6},
		{"at the tier's start: still the base rate",
			events.LLM{RequestModel: "claude-sonnet-4-5", InputTokens: 200_000, OutputTokens: 1_000},
			(200_000*3 + 1_000*15) / 1e6},
		{"above the 200k tier, cache reads and writes",
			events.LLM{RequestModel: "claude-sonnet-4-5", InputTokens: 250_000, CacheReadTokens: 50_000,
				CacheCreationTokens: 20_000, CacheCreation1hTokens: 5_000, OutputTokens: 2_000},
			(180_000*6 + 50_000*0.6 + 15_000*7.5 + 5_000*12 + 2_000*22.5) / 1e6},
		{"web searches", events.LLM{RequestModel: "claude-sonnet-4-5", InputTokens: 1_000, OutputTokens: 100, WebSearches: 3},
			(1_000*3+100*15)/1e6 + 3*10.0/1000},
		// claude-sonnet-4-6: tiered until 2026-03-12, flat from 2026-03-13 on.
		{"before a date-bounded change",
			events.LLM{RequestModel: "claude-sonnet-4-6", InputTokens: 300_000, OutputTokens: 1_000,
				Time: time.Date(2026, 3, 12, 23, 59, 59, 0, time.UTC)},
			(300_000*6 + 1_000*22.5) / 1e6},
		{"from the day of a date-bounded change",
			events.LLM{RequestModel: "claude-sonnet-4-6", InputTokens: 300_000, OutputTokens: 1_000,
				Time: time.Date(2026, 3, 13, 0, 0, 0, 0, time.UTC)},
			(300_000*3 + 1_000*15) / 1e6},
		// gpt-5.2: input 1.75, cache read 0.175, output 14; no cache-write price.
		{"cached part of input", events.LLM{RequestModel: "gpt-5.2", InputTokens: 10_000, CacheReadTokens: 4_000, OutputTokens: 500},
			(6_000*1.75 + 4_000*0.175 + 500*14) / 1e6},
		{"cache writes without their own price are input",
			events.LLM{RequestModel: "gpt-5.2", InputTokens: 10_000, CacheCreationTokens: 3_000, OutputTokens: 500},
			(10_000*1.75 + 500*14) / 1e6},
		// gemini-3.5-flash: input 1.5, cache read 0.15, output 9; reasoning as output.
		{"reasoning without its own price is output",
			events.LLM{RequestModel: "gemini-3.5-flash", InputTokens: 2_000, CacheReadTokens: 1_000, OutputTokens: 300, ReasoningTokens: 100},
			(1_000*1.5 + 1_000*0.15 + 300*9) / 1e6},
		// perplexity sonar-deep-research: input 2, output 8, reasoning 3, web searches 5/k.
		{"reasoning rate", events.LLM{Provider: "perplexity", RequestModel: "sonar-deep-research", InputTokens: 1_000,
			OutputTokens: 5_000, ReasoningTokens: 3_000, WebSearches: 4},
			(1_000*2+2_000*8+3_000*3)/1e6 + 4*5.0/1000},
		// perplexity sonar: input 1, output 1, 12 per thousand requests.
		{"per-request price", events.LLM{Provider: "perplexity", RequestModel: "sonar", InputTokens: 1_000, OutputTokens: 500},
			(1_000*1+500*1)/1e6 + 12.0/1000},
		// deepseek-chat: 0.27 in, 1.1 out from 00:30 to 16:30 UTC; 0.135 and 0.55 otherwise.
		{"daily price, peak", events.LLM{RequestModel: "deepseek-chat", InputTokens: 1_000_000, OutputTokens: 1_000_000,
			Time: time.Date(2026, 12, 1, 16, 29, 59, 0, time.UTC)}, 0.27 + 1.1},
		{"daily price, off-peak", events.LLM{RequestModel: "deepseek-chat", InputTokens: 1_000_000, OutputTokens: 1_000_000,
			Time: time.Date(2026, 12, 1, 16, 30, 0, 0, time.UTC)}, 0.135 + 0.55},
		// The same model from two providers: Anthropic's 3/15, Bedrock's regional 3.3/16.5.
		{"anthropic's rate", events.LLM{Provider: "anthropic", RequestModel: "claude-sonnet-4-5-20250929", InputTokens: 100_000},
			100_000 * 3 / 1e6},
		{"bedrock's regional rate", events.LLM{Provider: "aws.bedrock", RequestModel: "us.anthropic.claude-sonnet-4-5-20250929-v1:0", InputTokens: 100_000},
			100_000 * 3.3 / 1e6},
		{"response model wins", events.LLM{RequestModel: "gpt-5.2", ResponseModel: "gpt-5.2-pro", InputTokens: 1_000_000},
			21},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.llm.Time.IsZero() {
				tt.llm.Time = day
			}
			got, ok := tbl.Price(tt.llm)
			if !ok || math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("Price = %v, %v; want %v", got, ok, tt.want)
			}
		})
	}
}

// TestUnpriced: what the table cannot price is unpriced, never $0.
func TestUnpriced(t *testing.T) {
	tbl := Default()
	for name, l := range map[string]events.LLM{
		"unknown model":         {RequestModel: "my-local-model", InputTokens: 10},
		"no model":              {InputTokens: 10},
		"cache beyond input":    {RequestModel: "gpt-5.2", InputTokens: 3, CacheReadTokens: 2000},
		"reasoning beyond out":  {Provider: "perplexity", RequestModel: "sonar-deep-research", OutputTokens: 3, ReasoningTokens: 4},
		"1h writes beyond all":  {RequestModel: "claude-sonnet-4-5", InputTokens: 100, CacheCreationTokens: 10, CacheCreation1hTokens: 20},
		"negative input tokens": {RequestModel: "gpt-5.2", InputTokens: -1},
	} {
		if usd, ok := tbl.Price(l); ok {
			t.Errorf("%s: priced at $%v; want unpriced", name, usd)
		}
	}
}

func TestLoadFileOverridesAndExtends(t *testing.T) {
	dir := t.TempDir()
	flat := filepath.Join(dir, "flat.json")
	feed := filepath.Join(dir, "feed.json")
	write := func(path, body string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The old flat shape, in USD per token.
	write(flat, `{
  "gpt-5.2": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6},
  "My-Local-Model": {"input_cost_per_token": 0, "output_cost_per_token": 0}
}`)
	// The genai-prices shape: a provider of our own, and openai's gpt-5.2 at
	// another price (its other models stay).
	write(feed, `[
  {"id": "mylab", "name": "My lab", "api_pattern": "http://127\\.0\\.0\\.1:8000", "model_match": {"starts_with": "lab-"},
   "models": [{"id": "lab-1", "match": {"equals": "lab-1"}, "prices": {"input_mtok": 0.5, "output_mtok": 1}}]},
  {"id": "openai", "name": "OpenAI", "api_pattern": "https://api\\.openai\\.com",
   "models": [{"id": "gpt-5.2", "match": {"starts_with": "gpt-5.2"}, "prices": {"input_mtok": 1, "output_mtok": 3}}]}
]`)
	for _, c := range []struct {
		file            string
		model, provider string
		want            float64
	}{
		{flat, "gpt-5.2", "", 1000*1e-6 + 1000*2e-6},
		{flat, "openai/gpt-5.2", "openai", 1000*1e-6 + 1000*2e-6},
		{flat, "my-local-model", "", 0},
		{flat, "claude-sonnet-4-5", "", 1000*3e-6 + 1000*15e-6},
		{feed, "gpt-5.2", "openai", 1000*1e-6 + 1000*3e-6},
		{feed, "lab-1", "", 1000*0.5e-6 + 1000*1e-6},
		{feed, "gpt-5.4", "openai", 1000*2.5e-6 + 1000*15e-6},
	} {
		user, err := LoadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		tbl := Default().Merge(user)
		got, ok := tbl.Price(events.LLM{RequestModel: c.model, Provider: c.provider, InputTokens: 1000, OutputTokens: 1000, Time: day})
		if !ok || math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: %s = %v, %v; want %v", filepath.Base(c.file), c.model, got, ok, c.want)
		}
		if src := tbl.Source(); !strings.Contains(src, c.file) || !strings.Contains(src, TableDate) {
			t.Errorf("Source = %q, want it to name %s over the built-in table", src, c.file)
		}
	}
}

func TestLoadRejectsBadShape(t *testing.T) {
	for name, body := range map[string]string{
		"not json":           `nope`,
		"flat without price": `{"m": {"mode": "chat"}}`,
		"numbers":            `[1,2]`,
		"no providers":       `[]`,
		"two match ops":      `[{"id": "p", "models": [{"id": "m", "match": {"equals": "a", "contains": "b"}, "prices": {}}]}]`,
		"bad regex":          `[{"id": "p", "models": [{"id": "m", "match": {"regex": "("}, "prices": {}}]}]`,
		"negative price":     `[{"id": "p", "models": [{"id": "m", "match": {"equals": "m"}, "prices": {"input_mtok": -1}}]}]`,
		"unknown price key":  `[{"id": "p", "models": [{"id": "m", "match": {"equals": "m"}, "prices": {"inptu_mtok": 1}}]}]`,
		"bad date":           `[{"id": "p", "models": [{"id": "m", "match": {"equals": "m"}, "prices": [{"constraint": {"start_date": "soon"}, "prices": {}}]}]}]`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Load(strings.NewReader(body)); !errors.Is(err, ErrBadTable) {
				t.Errorf("Load = %v, want ErrBadTable", err)
			}
		})
	}
}

// FuzzLoad: a price file never panics the loader, and what loads prices
// without panicking either.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"flat.json", "feed.json"} {
		if b, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			f.Add(string(b))
		}
	}
	f.Add(`{"m": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6}}`)
	f.Add(`[{"id": "p", "models": [{"id": "m", "match": {"or": [{"regex": "^m"}, {"and": [{"contains": "x"}]}]}, "prices": [{"prices": {"input_mtok": {"base": 1, "tiers": [{"start": 5, "price": 2}]}}}, {"constraint": {"start_time": "23:00:00Z", "end_time": "01:00:00Z"}, "prices": {"output_mtok": 3}}]}]}]`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, body string) {
		tbl, err := Load(strings.NewReader(body))
		if err != nil {
			return
		}
		for _, name := range []string{"m", "", "gpt-5.2", "us.anthropic.x-v1:0", "a/b/c", "x@1"} {
			_, _ = tbl.Price(events.LLM{RequestModel: name, InputTokens: 5, OutputTokens: 3, CacheReadTokens: 2, ReasoningTokens: 1, Time: day})
		}
	})
}
