// Package pricing estimates the cost of LLM calls from the genai-prices
// table (pydantic/genai-prices, its v2 feed): per-model prices of 36
// providers, with the rules that recognise a provider and a model id,
// long-context price tiers, price changes on dates, and cache and
// reasoning rates. A copy of the feed is embedded (TableCommit of
// TableDate) with its MIT licence, data/genai-prices.LICENSE;
// `agentops prices update` downloads the live feed into the state
// directory (see Update and Newest), and users extend or override either
// with a file (agentops run --prices FILE) in the feed's shape or the old
// flat shape of tokencost's model_prices.json.
//
// The rules follow the upstream packages, cited where they apply
// (packages/python/genai_prices, packages/js/src in that repository).
package pricing

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agentops-dev/agentops/events"
)

// The embedded table: prices/new_data/v2/data_slim.json of
// pydantic/genai-prices at TableCommit, of TableDate.
const (
	TableSource = "genai-prices"
	TableCommit = "47df840a5ab10bbcffb8e5ac01b9899032245d1b"
	TableDate   = "2026-08-21"
	// TableModels is the number of models of the embedded table, for
	// `agentops version`, which would otherwise decode the whole table
	// (milliseconds) to count them; a test keeps it true.
	TableModels = 1309
	// FeedURL is the live feed the upstream packages update from: the
	// full data.json, of the same shape as the embedded slim file.
	FeedURL = "https://raw.githubusercontent.com/pydantic/genai-prices/refs/heads/main/prices/new_data/v2/data.json"
)

//go:embed data/genai-prices.json
var embedded []byte

// License is the licence of the embedded price table (MIT), which must
// travel with it.
//
//go:embed data/genai-prices.LICENSE
var License string

// Table finds the price of an LLM call. Its zero value has no prices; use
// Default, Newest, Load or LoadFile.
type Table struct {
	// The table is decoded on first use, not at start-up: decoding it
	// costs milliseconds that every `agentops run` would pay even when no
	// call needs a price.
	once   sync.Once
	load   func() (*feed, string)
	feed   *feed
	source string
	loaded atomic.Bool
	// peek names the table without loading it, for Source before use.
	peek func() string

	lookups lookups
}

func (t *Table) table() *feed {
	t.once.Do(func() {
		if t.load != nil {
			t.feed, t.source = t.load()
			t.load = nil
		}
		if t.feed == nil {
			t.feed = &feed{byID: map[string]*provider{}}
		}
		t.loaded.Store(true)
	})
	return t.feed
}

// Source names the table, for people: "genai-prices 2026-08-21" (the
// built-in table's date), "genai-prices 2026-12-01 10:15Z update", or a
// --prices file over either. Once the table is in use it names the one
// actually used.
func (t *Table) Source() string {
	if t.loaded.Load() || t.peek == nil {
		t.table()
		return t.source
	}
	return t.peek()
}

// ErrBadTable is returned by Load for a price file that is neither a
// genai-prices feed nor a flat table of the old shape.
var ErrBadTable = errors.New("not a price table")

// builtinSource names the embedded table.
var builtinSource = TableSource + " " + TableDate

// Default returns the embedded price table, decoded when first used.
func Default() *Table {
	return &Table{
		load: func() (*feed, string) {
			f, err := decodeFeedLazy(embedded)
			if err != nil {
				panic("embedded price table: " + err.Error()) // tested; cannot happen
			}
			return f, builtinSource
		},
		peek: func() string { return builtinSource },
	}
}

// Load reads a price table: a genai-prices v2 feed (a JSON list of
// providers), or the old flat shape, a JSON object mapping model names to
// {"input_cost_per_token": ..., "output_cost_per_token": ...} in USD per
// token (see decodeFlat).
func Load(r io.Reader) (*Table, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	f, err := decode(b)
	if err != nil {
		return nil, err
	}
	t := &Table{feed: f}
	t.once.Do(func() { t.loaded.Store(true) })
	return t, nil
}

func decode(b []byte) (*feed, error) {
	b = bytes.TrimSpace(b)
	var f *feed
	var err error
	switch {
	case len(b) > 0 && b[0] == '[':
		if f, err = decodeFeed(b); err == nil {
			err = knownKeys(f)
		}
	case len(b) > 0 && b[0] == '{':
		f, err = decodeFlat(b)
	default:
		err = errors.New("want a genai-prices feed (a JSON list of providers) or a JSON object of model prices")
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadTable, err)
	}
	return f, nil
}

// LoadFile reads a price table from a file.
func LoadFile(path string) (*Table, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	t := &Table{feed: f, source: path}
	t.once.Do(func() { t.loaded.Store(true) })
	return t, nil
}

// Merge returns a table with t's prices overridden and extended by o's:
// o's providers are tried first, and a provider both have lists o's
// models before t's (its other rules are o's where o states them).
func (t *Table) Merge(o *Table) *Table {
	src := func() string {
		if s := o.Source(); s != "" {
			return s + " over " + t.Source()
		}
		return t.Source()
	}
	return &Table{
		load: func() (*feed, string) { return mergeFeeds(t.table(), o.table()), src() },
		peek: src,
	}
}

func mergeFeeds(base, over *feed) *feed {
	m := &feed{byID: map[string]*provider{}}
	add := func(p *provider) {
		m.providers = append(m.providers, p)
		m.byID[p.id] = p
		m.models += p.modelCount()
	}
	for _, op := range over.providers {
		bp := base.byID[op.id]
		if bp == nil {
			add(op)
			continue
		}
		p := *bp
		p.models = append(append([]*model{}, op.modelList()...), bp.modelList()...)
		p.lazy = nil
		if op.name != "" {
			p.name = op.name
		}
		if op.api != nil {
			p.api, p.apiPattern = op.api, op.apiPattern
		}
		if op.providerMatch != nil {
			p.providerMatch = op.providerMatch
		}
		if op.modelMatch != nil {
			p.modelMatch = op.modelMatch
		}
		if op.fallback != nil {
			p.fallback = op.fallback
		}
		add(&p)
	}
	for _, bp := range base.providers {
		if m.byID[bp.id] == nil {
			add(bp)
		}
	}
	return m
}

// Len is the number of models in the table.
func (t *Table) Len() int { return t.table().models }

// Providers is the number of providers in the table.
func (t *Table) Providers() int { return len(t.table().providers) }

// Preload decodes the table now if it has not been yet, so that pricing
// the first call later costs nothing. Safe to call concurrently with
// anything else.
func (t *Table) Preload() { t.table() }

// Lookup finds what model (a gen_ai.request.model or .response.model)
// matches, for a call to provider (a gen_ai.provider.name; may be empty)
// at server (the URL or host it was sent to; may be empty).
func (t *Table) Lookup(model, provider, server string) (Match, bool) {
	return t.table().lookup(model, provider, server)
}

// Price estimates the cost of an LLM call: the price of its response
// model, else of its request model, in force at the call's time (now when
// it has none). Its usage has genai-prices' meaning, which events keeps:
// input tokens include the cache reads and writes. Usage whose parts
// exceed their whole, or a model the table does not know, is unpriced. It
// implements events.Pricer.
func (t *Table) Price(l events.LLM) (float64, bool) {
	u := Usage{
		InputTokens: l.InputTokens, OutputTokens: l.OutputTokens,
		CacheReadTokens: l.CacheReadTokens, CacheWriteTokens: l.CacheCreationTokens,
		CacheWrite1hTokens: l.CacheCreation1hTokens, ReasoningTokens: l.ReasoningTokens,
		WebSearches: l.WebSearches,
	}
	at := l.Time
	if at.IsZero() {
		at = time.Now()
	}
	for _, name := range [2]string{l.ResponseModel, l.RequestModel} {
		if name == "" {
			continue
		}
		if m := t.cachedLookup(name, l.Provider, l.Server); m != nil {
			usd, err := pricesAt(m.prices, at).Cost(u)
			return usd, err == nil
		}
	}
	return 0, false
}

// InForce is the index in Prices of the price set in force at t.
func (m Match) InForce(t time.Time) int {
	if len(m.Prices) == 0 {
		return -1
	}
	return inForce(m.Prices, t)
}

// PricesAt is the price set of the match in force at t.
func (m Match) PricesAt(t time.Time) PriceSet {
	if m.m == nil {
		return PriceSet{}
	}
	return *pricesAt(m.m.prices, t)
}

// MarshalJSON writes a rate as the feed does: a number, or {base, tiers}.
func (r Rate) MarshalJSON() ([]byte, error) {
	if len(r.Tiers) == 0 {
		return json.Marshal(r.Base)
	}
	type tier struct {
		Start int64   `json:"start"`
		Price float64 `json:"price"`
	}
	ts := make([]tier, len(r.Tiers))
	for i, t := range r.Tiers {
		ts[i] = tier(t)
	}
	return json.Marshal(struct {
		Base  float64 `json:"base"`
		Tiers []tier  `json:"tiers"`
	}{r.Base, ts})
}

// UnmarshalJSON reads a rate as the feed writes it.
func (r *Rate) UnmarshalJSON(b []byte) error {
	d, err := decodeRate(b)
	if err != nil {
		return err
	}
	*r = *d
	return nil
}
