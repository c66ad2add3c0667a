package pricing

import (
	"errors"
	"maps"
	"slices"
	"time"
)

// Rate is one price in USD: per million tokens, or per thousand for the
// counts (requests, web searches). With Tiers, a call whose input tokens
// exceed a tier's Start pays that tier's price on all of its tokens of
// this kind, not only on those above Start (the "cliff" of Anthropic's,
// Google's and OpenAI's long-context prices).
type Rate struct {
	Base  float64
	Tiers []Tier
}

// Tier is a price that applies from Start input tokens on.
type Tier struct {
	Start int64
	Price float64
}

// At is the rate of a call with inputTokens input tokens: the highest
// tier whose Start the input exceeds, else Base. As upstream's
// calc_unit_price (genai_prices/types.py) and calcTieredPrice
// (packages/js/src/engine.ts): "exceeds" is strictly greater.
func (r *Rate) At(inputTokens int64) float64 {
	for i := len(r.Tiers) - 1; i >= 0; i-- {
		if inputTokens > r.Tiers[i].Start {
			return r.Tiers[i].Price
		}
	}
	return r.Base
}

// PriceSet is what a model costs while it is in force. A nil rate is not
// charged: its tokens are charged as their more general kind (a cache read
// without a cache-read price is input, reasoning without a reasoning price
// is output).
type PriceSet struct {
	Input, Output *Rate
	CacheRead     *Rate
	// CacheWrite prices cache writes, CacheWrite5m and CacheWrite1h those
	// with a five-minute and a one-hour lifetime when they differ.
	CacheWrite, CacheWrite5m, CacheWrite1h *Rate
	Reasoning                              *Rate
	// Requests (per thousand calls) and WebSearches (per thousand
	// searches) are charged on top of the tokens.
	Requests, WebSearches *Rate
	// Other holds the feed's prices for what usage never reports to us
	// (audio, image and video tokens, citations, ...), by their feed key:
	// shown, not charged.
	Other map[string]Rate
}

// Conditional is a price set and when it is in force: always (zero
// Since, not Daily), from Since on, or every day from DailyFrom to DailyTo
// (UTC, DailyTo excluded; may wrap past midnight).
type Conditional struct {
	Since              time.Time
	Daily              bool
	DailyFrom, DailyTo time.Duration
	Prices             PriceSet
}

func (c *Conditional) active(t time.Time) bool {
	switch {
	case c.Daily:
		t = t.UTC()
		d := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
			time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
		if c.DailyTo < c.DailyFrom {
			return d >= c.DailyFrom || d < c.DailyTo
		}
		return d >= c.DailyFrom && d < c.DailyTo
	case !c.Since.IsZero():
		return !t.Before(c.Since)
	}
	return true
}

// pricesAt picks the price set in force at t: the last one whose
// constraint holds, else the first (genai_prices/types.py
// ModelInfo.get_prices; packages/js/src/engine.ts getActiveModelPrice).
// Start dates are UTC midnights, as the JS package reads them.
func pricesAt(ps []Conditional, t time.Time) *PriceSet {
	return &ps[inForce(ps, t)].Prices
}

func inForce(ps []Conditional, t time.Time) int {
	for i := len(ps) - 1; i >= 0; i-- {
		if ps[i].active(t) {
			return i
		}
	}
	return 0
}

// Usage is what an LLM call consumed, with genai-prices' meaning:
// InputTokens includes the cache reads and writes, CacheWriteTokens the
// one-hour writes, OutputTokens the reasoning tokens.
type Usage struct {
	InputTokens, OutputTokens         int64
	CacheReadTokens, CacheWriteTokens int64
	CacheWrite1hTokens                int64
	ReasoningTokens                   int64
	WebSearches                       int64
}

// ErrUsage is returned by Cost for usage whose parts exceed their whole
// (more cache tokens than input tokens, say): no price is right for it.
var ErrUsage = errors.New("usage parts exceed their whole")

// Cost is the price of u in USD. Each token is charged once, at the rate
// of the most specific kind the price set prices: a cache read at the
// cache-read rate if there is one, else as input. This is upstream's
// decomposition into leaf values (genai_prices/decompose.py
// compute_leaf_values over the unit tree of prices/units.yml): a priced
// kind's count minus its priced sub-kinds' counts. Tiers are chosen by the
// call's whole input (calc_unit_price's total_input_tokens). A price set
// with a per-request price charges one request.
func (p *PriceSet) Cost(u Usage) (float64, error) {
	if u.InputTokens < 0 || u.OutputTokens < 0 || u.CacheReadTokens < 0 || u.CacheWriteTokens < 0 ||
		u.CacheWrite1hTokens < 0 || u.ReasoningTokens < 0 || u.WebSearches < 0 {
		return 0, ErrUsage
	}
	var usd float64
	charge := func(r *Rate, n int64) {
		if r != nil && n != 0 {
			usd += r.At(u.InputTokens) * float64(n)
		}
	}

	// cache writes: the one-hour and five-minute parts when priced apart.
	var w1h, w5m int64
	if p.CacheWrite1h != nil {
		w1h = u.CacheWrite1hTokens
	}
	if p.CacheWrite5m != nil {
		w5m = u.CacheWriteTokens - u.CacheWrite1hTokens
	}
	writes := u.CacheWriteTokens - w1h - w5m // at the general cache-write rate
	if writes < 0 || w5m < 0 {
		return 0, ErrUsage
	}
	var cacheWrite int64 // the cache-write tokens charged apart from input
	if p.CacheWrite != nil {
		cacheWrite = u.CacheWriteTokens
	} else {
		cacheWrite, writes = w1h+w5m, 0
	}
	var cacheRead int64
	if p.CacheRead != nil {
		cacheRead = u.CacheReadTokens
	}
	input := u.InputTokens - cacheRead - cacheWrite
	var reasoning int64
	if p.Reasoning != nil {
		reasoning = u.ReasoningTokens
	}
	output := u.OutputTokens - reasoning
	if input < 0 || output < 0 {
		return 0, ErrUsage
	}
	charge(p.Input, input)
	charge(p.CacheRead, cacheRead)
	charge(p.CacheWrite, writes)
	charge(p.CacheWrite5m, w5m)
	charge(p.CacheWrite1h, w1h)
	charge(p.Output, output)
	charge(p.Reasoning, reasoning)
	usd /= 1e6
	if p.Requests != nil {
		usd += p.Requests.At(u.InputTokens) / 1000
	}
	if p.WebSearches != nil {
		usd += p.WebSearches.At(u.InputTokens) * float64(u.WebSearches) / 1000
	}
	return usd, nil
}

// NamedRate is a rate with the feed's name for it (input_mtok, ...).
type NamedRate struct {
	Key  string
	Rate Rate
}

// rateKeys is the order Rates lists the charged rates in.
var rateKeys = []string{"input_mtok", "cache_read_mtok", "cache_write_mtok", "cache_write_5m_mtok",
	"cache_write_1h_mtok", "output_mtok", "output_reasoning_mtok", "requests_kcount", "web_searches_kcount"}

// Rates lists the set's rates by their feed key: the charged ones in a
// fixed order, then the others (see PriceSet.Other) sorted.
func (p *PriceSet) Rates() []NamedRate {
	var out []NamedRate
	for _, k := range rateKeys {
		if r := *priceKeys[k](p); r != nil {
			out = append(out, NamedRate{k, *r})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(p.Other)) {
		out = append(out, NamedRate{k, p.Other[k]})
	}
	return out
}
