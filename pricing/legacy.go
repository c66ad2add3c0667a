package pricing

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// flatPrice is an entry of the old flat table (tokencost's and LiteLLM's
// model_prices.json), in USD per token.
type flatPrice struct {
	Input         *float64 `json:"input_cost_per_token"`
	Output        *float64 `json:"output_cost_per_token"`
	CacheRead     *float64 `json:"cache_read_input_token_cost"`
	CacheCreation *float64 `json:"cache_creation_input_token_cost"`
	Reasoning     *float64 `json:"output_cost_per_reasoning_token"`
}

// decodeFlat reads the old flat shape, which --prices files had before
// the genai-prices table: {"model name": {"input_cost_per_token": ...,
// "output_cost_per_token": ...}, ...}. Its models name no provider, so
// they are tried first for every call, by their name, lower-cased, as it
// is or as any form of the call's model id (see feed.forms). A missing
// cache or reasoning price charges those tokens as input or output, as
// the old table did.
func decodeFlat(b []byte) (*feed, error) {
	var raw map[string]flatPrice
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	p := &provider{id: "prices-file", name: "--prices file", always: true}
	for _, name := range slices.Sorted(maps.Keys(raw)) {
		fp := raw[name]
		if fp.Input == nil && fp.Output == nil {
			return nil, fmt.Errorf("model %q needs input_cost_per_token and output_cost_per_token", name)
		}
		var ps PriceSet
		for _, f := range []struct {
			v   *float64
			dst **Rate
		}{{fp.Input, &ps.Input}, {fp.Output, &ps.Output}, {fp.CacheRead, &ps.CacheRead},
			{fp.CacheCreation, &ps.CacheWrite}, {fp.Reasoning, &ps.Reasoning}} {
			if f.v != nil {
				if *f.v < 0 {
					return nil, fmt.Errorf("model %q: negative price", name)
				}
				*f.dst = &Rate{Base: *f.v * 1e6}
			}
		}
		key := strings.ToLower(strings.TrimSpace(name))
		p.models = append(p.models, &model{id: name, match: matcher{kind: matchEquals, text: key}, prices: []Conditional{{Prices: ps}}})
	}
	return &feed{providers: []*provider{p}, byID: map[string]*provider{p.id: p}, models: len(p.models)}, nil
}
