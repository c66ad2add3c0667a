package pricing

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	jsoniter "github.com/json-iterator/go"
	"regexp"
	"slices"
	"sync"
	"time"
)

// The genai-prices v2 feed (pydantic/genai-prices, prices/new_data/v2/):
// a list of providers, each with the rules that recognise it and its
// models. data.schema.json is the reference; the types below read the
// parts that price a call and ignore descriptions, pricing URLs and usage
// extractors (we get usage from spans, not from response bodies).
type feedProvider struct {
	feedProviderHead
	Models []feedModel `json:"models"`
}

// feedProviderHead is a provider without its models.
type feedProviderHead struct {
	ID            string      `json:"id"`
	Name          string      `json:"name"`
	APIPattern    string      `json:"api_pattern"`
	ProviderMatch *feedClause `json:"provider_match"`
	ModelMatch    *feedClause `json:"model_match"`
	Fallback      []string    `json:"fallback_model_providers"`
}

// feedProviderLazy is a provider whose models are decoded when first
// looked at (see decodeFeedLazy).
type feedProviderLazy struct {
	feedProviderHead
	Models []json.RawMessage `json:"models"`
}

type feedModel struct {
	ID            string          `json:"id"`
	Match         *feedClause     `json:"match"`
	ContextWindow int64           `json:"context_window"`
	Deprecated    bool            `json:"deprecated"`
	Prices        json.RawMessage `json:"prices"`
}

// feedClause is one match rule: exactly one of its fields is set.
type feedClause struct {
	Equals     *string      `json:"equals"`
	StartsWith *string      `json:"starts_with"`
	EndsWith   *string      `json:"ends_with"`
	Contains   *string      `json:"contains"`
	Regex      *string      `json:"regex"`
	Or         []feedClause `json:"or"`
	And        []feedClause `json:"and"`
}

type feedConditional struct {
	Constraint *struct {
		StartDate *string `json:"start_date"`
		StartTime *string `json:"start_time"`
		EndTime   *string `json:"end_time"`
	} `json:"constraint"`
	Prices map[string]json.RawMessage `json:"prices"`
}

type feedRate struct {
	Base  *float64 `json:"base"`
	Tiers []struct {
		Start *int64   `json:"start"`
		Price *float64 `json:"price"`
	} `json:"tiers"`
}

// feed is a decoded price table: its providers in the feed's order, which
// is the order the rules are tried in.
type feed struct {
	providers []*provider
	byID      map[string]*provider
	models    int
}

type provider struct {
	id, name      string
	apiPattern    string
	api           *regexp.Regexp
	providerMatch *matcher
	modelMatch    *matcher
	fallback      []string
	// models are the provider's models, in the feed's order; read them
	// with modelList, as lazy may hold them still undecoded.
	models []*model
	lazy   *lazyModels
	// always marks the models of an old flat --prices file: they have no
	// provider, so they are tried first for every call, by name.
	always bool
}

type model struct {
	id            string
	match         matcher
	contextWindow int64
	deprecated    bool
	// prices holds at least one price set; with several, the last one in
	// force at the call's time applies (see pricesAt).
	prices []Conditional
}

// lazyModels are a provider's models as the feed has them, decoded on
// first use.
type lazyModels struct {
	once   sync.Once
	n      int
	raw    []json.RawMessage
	models []*model
	err    error
}

// modelCount is the number of the provider's models, decoded or not.
func (p *provider) modelCount() int {
	if p.lazy != nil {
		return p.lazy.n
	}
	return len(p.models)
}

// modelList is the provider's models, decoded now if they were not yet.
func (p *provider) modelList() []*model {
	if p.lazy == nil {
		return p.models
	}
	l := p.lazy
	l.once.Do(func() {
		l.models, l.err = compileRawModels(l.raw)
		l.raw = nil
	})
	if l.err != nil {
		// Only the embedded table is decoded lazily, and a test decodes
		// every model of it.
		panic(fmt.Sprintf("price table, provider %q: %v", p.id, l.err))
	}
	return l.models
}

// decodeFeed reads a genai-prices v2 feed (the slim or the full file),
// every model checked.
func decodeFeed(b []byte) (*feed, error) {
	var raw []feedProvider
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&raw); err != nil {
		return nil, err
	}
	f := &feed{byID: make(map[string]*provider, len(raw))}
	for i := range raw {
		p, err := compileProvider(&raw[i].feedProviderHead)
		if err == nil {
			p.models, err = compileModels(raw[i].Models)
		}
		if err != nil {
			return nil, fmt.Errorf("provider %q: %w", raw[i].ID, err)
		}
		if err := f.add(p, len(p.models)); err != nil {
			return nil, err
		}
	}
	if len(f.providers) == 0 {
		return nil, fmt.Errorf("no providers")
	}
	return f, nil
}

// trustedJSON decodes the embedded table: json-iterator (already in the
// program, by pdata) in its encoding/json-compatible mode is 3 times as
// fast, and the test that decodes the table both ways shows it reads it as
// encoding/json does. Price files of the user's and fetched feeds are
// decoded by encoding/json, whose errors people see.
var trustedJSON = jsoniter.ConfigCompatibleWithStandardLibrary

// decodeFeedLazy reads a feed known to be valid (the embedded one, which
// the tests decode whole): the providers now, each provider's models when
// a lookup first needs them. Decoding the models is most of the work, and
// a call is priced from one or two providers of the 36: `agentops run`
// decodes the table when its first LLM call needs a price, with people
// waiting for the summary when the child was quick.
func decodeFeedLazy(b []byte) (*feed, error) {
	var raw []feedProviderLazy
	if err := trustedJSON.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	f := &feed{byID: make(map[string]*provider, len(raw))}
	for i := range raw {
		p, err := compileProvider(&raw[i].feedProviderHead)
		if err != nil {
			return nil, fmt.Errorf("provider %q: %w", raw[i].ID, err)
		}
		p.lazy = &lazyModels{n: len(raw[i].Models), raw: raw[i].Models}
		if err := f.add(p, len(raw[i].Models)); err != nil {
			return nil, err
		}
	}
	if len(f.providers) == 0 {
		return nil, fmt.Errorf("no providers")
	}
	return f, nil
}

// add appends provider p, which has n models.
func (f *feed) add(p *provider, n int) error {
	if _, dup := f.byID[p.id]; dup {
		return fmt.Errorf("provider %q listed twice", p.id)
	}
	f.providers = append(f.providers, p)
	f.byID[p.id] = p
	f.models += n
	return nil
}

func compileModels(fms []feedModel) ([]*model, error) {
	ms := make([]*model, 0, len(fms))
	for i := range fms {
		m, err := compileModel(&fms[i])
		if err != nil {
			return nil, fmt.Errorf("model %q: %w", fms[i].ID, err)
		}
		ms = append(ms, m)
	}
	return ms, nil
}

func compileRawModels(raw []json.RawMessage) ([]*model, error) {
	fms := make([]feedModel, len(raw))
	for i, b := range raw {
		if err := trustedJSON.Unmarshal(b, &fms[i]); err != nil {
			return nil, fmt.Errorf("model #%d: %w", i, err)
		}
	}
	return compileModels(fms)
}

func compileProvider(fp *feedProviderHead) (*provider, error) {
	if fp.ID == "" {
		return nil, fmt.Errorf("no id")
	}
	p := &provider{id: fp.ID, name: fp.Name, apiPattern: fp.APIPattern, fallback: fp.Fallback}
	if fp.APIPattern != "" {
		// Python's re.match: anchored at the start of the URL
		// (genai_prices/data_snapshot.py, find_provider).
		re, err := regexp.Compile(`^(?:` + fp.APIPattern + `)`)
		if err != nil {
			return nil, fmt.Errorf("api_pattern: %w", err)
		}
		p.api = re
	}
	var err error
	if p.providerMatch, err = compileOptional(fp.ProviderMatch); err != nil {
		return nil, fmt.Errorf("provider_match: %w", err)
	}
	if p.modelMatch, err = compileOptional(fp.ModelMatch); err != nil {
		return nil, fmt.Errorf("model_match: %w", err)
	}
	return p, nil
}

func compileOptional(c *feedClause) (*matcher, error) {
	if c == nil {
		return nil, nil
	}
	m, err := compileClause(c)
	return &m, err
}

func compileModel(fm *feedModel) (*model, error) {
	if fm.ID == "" {
		return nil, fmt.Errorf("no id")
	}
	if fm.Match == nil {
		return nil, fmt.Errorf("no match rule")
	}
	mt, err := compileClause(fm.Match)
	if err != nil {
		return nil, fmt.Errorf("match: %w", err)
	}
	m := &model{id: fm.ID, match: mt, contextWindow: fm.ContextWindow, deprecated: fm.Deprecated}
	if m.prices, err = decodePrices(fm.Prices); err != nil {
		return nil, fmt.Errorf("prices: %w", err)
	}
	return m, nil
}

// decodePrices reads a model's prices: one price set, or a list of price
// sets with constraints.
func decodePrices(b json.RawMessage) ([]Conditional, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '[' {
		var set map[string]json.RawMessage
		if err := json.Unmarshal(b, &set); err != nil || set == nil {
			return nil, fmt.Errorf("want a price set or a list of them")
		}
		ps, err := decodePriceSet(set)
		if err != nil {
			return nil, err
		}
		return []Conditional{{Prices: ps}}, nil
	}
	var list []feedConditional
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("empty list")
	}
	out := make([]Conditional, 0, len(list))
	for i, fc := range list {
		if fc.Prices == nil {
			return nil, fmt.Errorf("#%d: no prices", i)
		}
		ps, err := decodePriceSet(fc.Prices)
		if err != nil {
			return nil, fmt.Errorf("#%d: %w", i, err)
		}
		c := Conditional{Prices: ps}
		if k := fc.Constraint; k != nil {
			switch {
			case k.StartDate != nil:
				if c.Since, err = time.Parse(time.DateOnly, *k.StartDate); err != nil {
					return nil, fmt.Errorf("#%d: start_date: %w", i, err)
				}
			case k.StartTime != nil && k.EndTime != nil:
				if c.DailyFrom, err = timeOfDay(*k.StartTime); err != nil {
					return nil, fmt.Errorf("#%d: start_time: %w", i, err)
				}
				if c.DailyTo, err = timeOfDay(*k.EndTime); err != nil {
					return nil, fmt.Errorf("#%d: end_time: %w", i, err)
				}
				c.Daily = true
			default:
				return nil, fmt.Errorf("#%d: constraint needs start_date, or start_time and end_time", i)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// timeOfDay reads a UTC time of day such as "00:30:00Z" as the time since
// midnight.
func timeOfDay(s string) (time.Duration, error) {
	for _, layout := range []string{"15:04:05Z07:00", "15:04:05", "15:04Z07:00", "15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC()
			return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second, nil
		}
	}
	return 0, fmt.Errorf("%q is not a time of day", s)
}

// priceKeys maps the feed's price keys to the PriceSet fields we charge.
var priceKeys = map[string]func(*PriceSet) **Rate{
	"input_mtok":            func(p *PriceSet) **Rate { return &p.Input },
	"output_mtok":           func(p *PriceSet) **Rate { return &p.Output },
	"cache_read_mtok":       func(p *PriceSet) **Rate { return &p.CacheRead },
	"cache_write_mtok":      func(p *PriceSet) **Rate { return &p.CacheWrite },
	"cache_write_5m_mtok":   func(p *PriceSet) **Rate { return &p.CacheWrite5m },
	"cache_write_1h_mtok":   func(p *PriceSet) **Rate { return &p.CacheWrite1h },
	"output_reasoning_mtok": func(p *PriceSet) **Rate { return &p.Reasoning },
	"requests_kcount":       func(p *PriceSet) **Rate { return &p.Requests },
	"web_searches_kcount":   func(p *PriceSet) **Rate { return &p.WebSearches },
}

// otherPriceKeys are the feed schema's other price keys (ModelPrice in
// data.schema.json; prices/units.yml upstream).
var otherPriceKeys = map[string]bool{
	"input_audio_mtok": true, "cache_audio_read_mtok": true, "output_audio_mtok": true,
	"input_text_mtok": true, "output_text_mtok": true, "cache_text_read_mtok": true,
	"cache_text_write_mtok": true, "cache_text_write_5m_mtok": true, "cache_text_write_1h_mtok": true,
	"cache_audio_write_mtok": true, "cache_audio_write_5m_mtok": true,
	"cache_audio_write_1h_mtok": true, "input_image_mtok": true, "output_image_mtok": true,
	"cache_image_read_mtok": true, "cache_image_write_mtok": true, "cache_image_write_5m_mtok": true,
	"cache_image_write_1h_mtok": true, "input_video_mtok": true, "output_video_mtok": true,
	"cache_video_read_mtok": true, "cache_video_write_mtok": true, "cache_video_write_5m_mtok": true,
	"cache_video_write_1h_mtok": true, "input_tool_mtok": true, "input_text_tool_mtok": true,
	"input_audio_tool_mtok": true, "input_image_tool_mtok": true, "input_video_tool_mtok": true,
	"output_text_reasoning_mtok": true, "output_audio_reasoning_mtok": true,
	"output_image_reasoning_mtok": true, "output_video_reasoning_mtok": true,
	"output_citation_mtok": true, "output_text_citation_mtok": true,
	"output_audio_citation_mtok": true, "output_image_citation_mtok": true,
	"output_video_citation_mtok": true, "input_mchars": true, "input_text_messages_kcount": true,
	"audio_hours": true, "input_audio_hours": true, "output_audio_hours": true, "input_gpixels": true,
	"input_document_kpages": true, "input_annotated_document_kpages": true,
	"rerank_searches_kcount": true, "social_searches_kcount": true, "storage_searches_kcount": true,
	"code_executions_kcount": true,
}

// knownKeys reports the first price key of f that the feed's schema does
// not name: in a file of the user's own, a typo.
func knownKeys(f *feed) error {
	for _, p := range f.providers {
		for _, m := range p.modelList() {
			for _, c := range m.prices {
				for key := range c.Prices.Other {
					if !otherPriceKeys[key] {
						return fmt.Errorf("model %q: unknown price key %q", m.id, key)
					}
				}
			}
		}
	}
	return nil
}

func decodePriceSet(raw map[string]json.RawMessage) (PriceSet, error) {
	var ps PriceSet
	for key, v := range raw {
		if string(bytes.TrimSpace(v)) == "null" {
			continue
		}
		r, err := decodeRate(v)
		if err != nil {
			return PriceSet{}, fmt.Errorf("%s: %w", key, err)
		}
		if field, ok := priceKeys[key]; ok {
			*field(&ps) = r
			continue
		}
		// Audio, image, video, citation, ... prices: usage never reports
		// these counts to us, so they price nothing; kept to be shown. So
		// are keys newer than the schema we know, which the feed's schema
		// allows (upstream warns about and drops them); a --prices file
		// is checked for typos by knownKeys.
		if ps.Other == nil {
			ps.Other = map[string]Rate{}
		}
		ps.Other[key] = *r
	}
	return ps, nil
}

// decodeRate reads a price: a number, or {base, tiers: [{start, price}]}.
// Like the upstream packages (genai_prices/types.py TieredPrices and
// _validate_model_price_value), prices are not negative, tiers start at 0
// or later, and tiers are sorted by their start.
func decodeRate(b json.RawMessage) (*Rate, error) {
	var n float64
	if err := json.Unmarshal(b, &n); err == nil {
		if n < 0 {
			return nil, fmt.Errorf("negative price %v", n)
		}
		return &Rate{Base: n}, nil
	}
	var fr feedRate
	if err := json.Unmarshal(b, &fr); err != nil || fr.Base == nil {
		return nil, fmt.Errorf("want a number or {base, tiers}")
	}
	r := &Rate{Base: *fr.Base}
	if r.Base < 0 {
		return nil, fmt.Errorf("negative price %v", r.Base)
	}
	for _, t := range fr.Tiers {
		if t.Start == nil || t.Price == nil || *t.Start < 0 || *t.Price < 0 {
			return nil, fmt.Errorf("tier needs a start ≥ 0 and a price ≥ 0")
		}
		r.Tiers = append(r.Tiers, Tier{Start: *t.Start, Price: *t.Price})
	}
	slices.SortStableFunc(r.Tiers, func(a, b Tier) int { return cmp.Compare(a.Start, b.Start) })
	return r, nil
}
