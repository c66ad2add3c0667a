// Package pricing estimates the cost of LLM calls from a per-token price
// table. The default table is embedded: a copy of the model_prices.json
// that the tokencost package (AgentOps-AI/tokencost) ships, itself derived
// from LiteLLM's table, as of TableDate. Its MIT licence travels with it in
// data/model_prices.LICENSE. Prices change: users extend or override the
// table with a file of the same shape (agentops run --prices FILE).
package pricing

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/agentops-dev/agentops/events"
)

// TableDate is the date of the embedded price table.
const TableDate = "2025-09-05"

// TableSource names where the embedded price table comes from.
const TableSource = "tokencost model_prices.json"

//go:embed data/model_prices.json
var embedded []byte

// License is the licence of the embedded price table (MIT), which must
// travel with it.
//
//go:embed data/model_prices.LICENSE
var License string

// Price is one model's entry in the table, in USD per token. The JSON field
// names are the table's own.
type Price struct {
	Input  *float64 `json:"input_cost_per_token"`
	Output *float64 `json:"output_cost_per_token"`
	// CacheRead and CacheCreation price input tokens read from or written
	// to the prompt cache; nil means they cost as much as other input.
	CacheRead     *float64 `json:"cache_read_input_token_cost,omitempty"`
	CacheCreation *float64 `json:"cache_creation_input_token_cost,omitempty"`
	// Reasoning prices reasoning output tokens; nil means as other output.
	Reasoning *float64 `json:"output_cost_per_reasoning_token,omitempty"`
	Provider  string   `json:"litellm_provider,omitempty"`
	Mode      string   `json:"mode,omitempty"`
}

// Table maps model names to prices and finds a model's price under the
// many names providers and SDKs give it (see Lookup).
type Table struct {
	// Source says where the prices came from, for people.
	Source string

	// The embedded table is parsed on first use, not at start-up: parsing
	// it costs milliseconds every `agentops run` would pay even when no
	// call needs a price.
	once   sync.Once
	load   func() map[string]Price
	prices map[string]Price // keyed by lower-cased model name

	lookups lookups
}

// table returns the prices, loading them on first use.
func (t *Table) table() map[string]Price {
	t.once.Do(func() {
		if t.load != nil {
			t.prices, t.load = t.load(), nil
		}
	})
	return t.prices
}

// ErrBadTable is returned by Load for a price file that is not of the
// expected shape.
var ErrBadTable = errors.New("not a price table")

// Default returns the embedded price table, parsed when first used.
func Default() *Table {
	return &Table{
		Source: "tokencost " + TableDate,
		load: func() map[string]Price {
			t, err := Load(bytes.NewReader(embedded))
			if err != nil {
				panic("embedded price table: " + err.Error()) // tested; cannot happen
			}
			return t.prices
		},
	}
}

// Load reads a price table: a JSON object mapping model names to objects
// with input_cost_per_token and output_cost_per_token (embedding models may
// omit the output price).
func Load(r io.Reader) (*Table, error) {
	var raw map[string]Price
	if err := json.NewDecoder(r).Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadTable, err)
	}
	t := &Table{prices: make(map[string]Price, len(raw))}
	for name, p := range raw {
		if p.Input == nil && p.Output == nil {
			return nil, fmt.Errorf("%w: model %q needs input_cost_per_token and output_cost_per_token", ErrBadTable, name)
		}
		t.prices[strings.ToLower(strings.TrimSpace(name))] = p
	}
	return t, nil
}

// LoadFile reads a price table from a file.
func LoadFile(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := Load(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	t.Source = path
	return t, nil
}

// Merge returns a table with t's prices overridden and extended by o's.
func (t *Table) Merge(o *Table) *Table {
	m := &Table{Source: t.Source, load: func() map[string]Price {
		tp, op := t.table(), o.table()
		prices := make(map[string]Price, len(tp)+len(op))
		for k, p := range tp {
			prices[k] = p
		}
		for k, p := range op {
			prices[k] = p
		}
		return prices
	}}
	if o.Source != "" {
		m.Source = o.Source + " over " + t.Source
	}
	return m
}

// Len is the number of models in the table.
func (t *Table) Len() int { return len(t.table()) }

// Preload parses the table now if it has not been yet, so that pricing
// the first call later costs nothing. Safe to call concurrently with
// anything else.
func (t *Table) Preload() { t.table() }

// Usage is what an LLM call consumed. InputTokens includes the cache
// tokens and OutputTokens the reasoning tokens, as the GenAI semantic
// conventions and OpenAI report them; counts that do not fit (Anthropic
// reports input without cache tokens) are read as additional.
type Usage struct {
	InputTokens, OutputTokens            int64
	CacheReadTokens, CacheCreationTokens int64
	ReasoningTokens                      int64
}

// Cost is the price of u in USD.
func (p Price) Cost(u Usage) float64 {
	in, out := or(p.Input, 0), or(p.Output, 0)
	cacheRead, cacheCreation, reasoning := or(p.CacheRead, in), or(p.CacheCreation, in), or(p.Reasoning, out)
	uncached := u.InputTokens
	if cached := u.CacheReadTokens + u.CacheCreationTokens; uncached >= cached {
		uncached -= cached
	}
	plainOut := u.OutputTokens
	if plainOut >= u.ReasoningTokens {
		plainOut -= u.ReasoningTokens
	}
	return float64(uncached)*in + float64(u.CacheReadTokens)*cacheRead +
		float64(u.CacheCreationTokens)*cacheCreation +
		float64(plainOut)*out + float64(u.ReasoningTokens)*reasoning
}

func or(p *float64, def float64) float64 {
	if p == nil {
		return def
	}
	return *p
}

// Price estimates the cost of an LLM call: the price of its response
// model, else of its request model. It implements events.Pricer.
func (t *Table) Price(l events.LLM) (float64, bool) {
	u := Usage{l.InputTokens, l.OutputTokens, l.CacheReadTokens, l.CacheCreationTokens, l.ReasoningTokens}
	for _, model := range []string{l.ResponseModel, l.RequestModel} {
		if model == "" {
			continue
		}
		if _, p, ok := t.cachedLookup(model, l.Provider); ok {
			return p.Cost(u), true
		}
	}
	return 0, false
}
