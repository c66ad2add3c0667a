package pricing

import (
	"fmt"
	"regexp"
	"strings"
)

type matchKind uint8

const (
	matchEquals matchKind = iota
	matchStartsWith
	matchEndsWith
	matchContains
	matchRegex
	matchOr
	matchAnd
)

// matcher is a compiled match rule. As upstream (genai_prices/types.py
// Clause*, packages/js/src/engine.ts matchLogic), the string rules compare
// case-insensitively; a regex is searched for (not anchored) in the text,
// which callers lower-case first as Provider.find_model does.
type matcher struct {
	kind matchKind
	text string // lower-cased
	re   *regexp.Regexp
	subs []matcher
}

func compileClause(c *feedClause) (matcher, error) {
	set := 0
	for _, p := range []*string{c.Equals, c.StartsWith, c.EndsWith, c.Contains, c.Regex} {
		if p != nil {
			set++
		}
	}
	if c.Or != nil {
		set++
	}
	if c.And != nil {
		set++
	}
	if set != 1 {
		return matcher{}, fmt.Errorf("a match rule has exactly one of equals, starts_with, ends_with, contains, regex, or, and")
	}
	switch {
	case c.Equals != nil:
		return matcher{kind: matchEquals, text: strings.ToLower(*c.Equals)}, nil
	case c.StartsWith != nil:
		return matcher{kind: matchStartsWith, text: strings.ToLower(*c.StartsWith)}, nil
	case c.EndsWith != nil:
		return matcher{kind: matchEndsWith, text: strings.ToLower(*c.EndsWith)}, nil
	case c.Contains != nil:
		return matcher{kind: matchContains, text: strings.ToLower(*c.Contains)}, nil
	case c.Regex != nil:
		re, err := regexp.Compile(*c.Regex)
		if err != nil {
			return matcher{}, fmt.Errorf("regex: %w", err)
		}
		return matcher{kind: matchRegex, re: re}, nil
	}
	m := matcher{kind: matchOr}
	subs := c.Or
	if c.And != nil {
		m.kind, subs = matchAnd, c.And
	}
	for i := range subs {
		sub, err := compileClause(&subs[i])
		if err != nil {
			return matcher{}, err
		}
		m.subs = append(m.subs, sub)
	}
	return m, nil
}

// match reports whether s, lower-cased, satisfies the rule.
func (m *matcher) match(s string) bool {
	switch m.kind {
	case matchEquals:
		return s == m.text
	case matchStartsWith:
		return strings.HasPrefix(s, m.text)
	case matchEndsWith:
		return strings.HasSuffix(s, m.text)
	case matchContains:
		return strings.Contains(s, m.text)
	case matchRegex:
		return m.re.MatchString(s)
	case matchOr:
		for i := range m.subs {
			if m.subs[i].match(s) {
				return true
			}
		}
		return false
	case matchAnd:
		for i := range m.subs {
			if !m.subs[i].match(s) {
				return false
			}
		}
		return true
	}
	return false
}

// semconvProviders maps the GenAI semantic conventions' well-known
// gen_ai.provider.name values that the feed's provider_match rules miss
// or take for another provider ("azure.ai.openai" contains "openai") to
// the feed's provider ids. The others (openai, anthropic, aws.bedrock,
// gcp.vertex_ai, gcp.gemini, mistral_ai, cohere, deepseek, groq,
// perplexity) the feed recognises itself.
var semconvProviders = map[string]string{
	"azure.ai.openai":    "azure",
	"azure.ai.inference": "azure",
	"az.ai.openai":       "azure",
	"az.ai.inference":    "azure",
	"gcp.gen_ai":         "google",
	"x_ai":               "x-ai",
	"fireworks_ai":       "fireworks",
	"together_ai":        "together",
}

// providerNamed finds the provider a provider name means: an id, else the
// first provider whose provider_match takes the name
// (genai_prices/data_snapshot.py find_provider_by_id).
func (f *feed) providerNamed(name string) *provider {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" {
		return nil
	}
	if id, ok := semconvProviders[name]; ok {
		if p := f.byID[id]; p != nil {
			return p
		}
	}
	if p := f.byID[name]; p != nil {
		return p
	}
	for _, p := range f.providers {
		if p.providerMatch != nil && p.providerMatch.match(name) {
			return p
		}
	}
	return nil
}

// providerAt finds the provider whose api_pattern matches the URL a call
// was sent to (data_snapshot.py find_provider). A bare host, as
// server.address gives it, is read as https://host/.
func (f *feed) providerAt(server string) *provider {
	if server == "" {
		return nil
	}
	if !strings.Contains(server, "://") {
		server = "https://" + server + "/"
	}
	for _, p := range f.providers {
		if p.api != nil && p.api.MatchString(server) {
			return p
		}
	}
	return nil
}

// providerOfModel finds the first provider whose model_match takes the
// model id (data_snapshot.py find_provider, its last resort).
func (f *feed) providerOfModel(ref string) *provider {
	for _, p := range f.providers {
		if p.modelMatch != nil && p.modelMatch.match(ref) {
			return p
		}
	}
	return nil
}

// find is Provider.find_model: the provider's first model whose rule takes
// ref, else the first in its fallback providers' models (one step only).
func (f *feed) find(p *provider, ref string) (*provider, *model) {
	for _, m := range p.modelList() {
		if m.match.match(ref) {
			return p, m
		}
	}
	for _, id := range p.fallback {
		if fp := f.byID[id]; fp != nil && fp != p {
			for _, m := range fp.modelList() {
				if m.match.match(ref) {
					return fp, m
				}
			}
		}
	}
	return nil, nil
}

// modelForm is a way to read a model id: the text to match and the
// provider its shape names, if any.
type modelForm struct {
	ref  string
	from *provider
	how  string
}

// bedrockID is Amazon Bedrock's model id shape: an optional cross-region
// inference prefix, the vendor, the model, a version suffix
// (us.anthropic.claude-sonnet-4-5-20250929-v1:0).
var bedrockID = lazyRegexp(`^(?:(?:us|eu|apac|au|jp|ca|us-gov|global)\.)?(anthropic|amazon|meta|mistral|cohere|ai21|deepseek|openai|qwen|writer|twelvelabs)\.(.+?)(?:-v\d+(?::\d+)?)?(?::\d+)?$`)

// forms lists the ways to read a model id, from the most to the least
// literal. The feed's rules are written for the ids each provider's API
// takes; ids also arrive with a router's or a gateway's provider prefix
// (openrouter/anthropic/claude-sonnet-4.5, openai/gpt-5.2, LiteLLM's
// bedrock/...) or in Bedrock's shape, which name the provider as well.
// upstream does the first for LiteLLM only (data_snapshot.py
// find_provider_model); here any prefix naming a provider counts.
func (f *feed) forms(ref string) []modelForm {
	ref = strings.TrimPrefix(ref, "models/") // the Gemini API's resource names
	out := []modelForm{{ref: ref}}
	if m := bedrockID().FindStringSubmatch(ref); m != nil {
		out[0].from, out[0].how = f.byID["aws"], "bedrock model id"
	}
	for rest := ref; ; {
		prefix, after, ok := strings.Cut(rest, "/")
		if !ok || after == "" {
			break
		}
		form := modelForm{ref: after, how: "model id prefix " + prefix + "/"}
		form.from = f.providerNamed(prefix)
		if form.from == nil {
			form.how = "model id without " + prefix + "/"
		}
		out = append(out, form)
		rest = after
	}
	last := out[len(out)-1].ref
	if m := bedrockID().FindStringSubmatch(last); m != nil {
		// The model without Bedrock's region, vendor and version, as its
		// vendor sells it.
		out = append(out, modelForm{ref: m[2], from: f.providerNamed(m[1]), how: "bedrock model id, vendor " + m[1]})
	}
	if base, _, ok := strings.Cut(last, "@"); ok && base != "" {
		// Vertex AI names versions claude-opus-4-6@20260101.
		out = append(out, modelForm{ref: base, how: "model id without @version"})
	}
	return out
}

// Match is what a model id matched in the table, and how.
type Match struct {
	// Provider and Model are the feed's ids of what matched.
	Provider, ProviderName, Model string
	// As is the form of the model id that matched, Via says how the
	// provider was chosen ("provider name", "server", "model id", ...).
	As, Via       string
	ContextWindow int64
	Deprecated    bool
	// Prices are the model's price sets; see Conditional.
	Prices []Conditional

	m *model
}

// lookup finds the model a call used. The providers are tried in
// upstream's order (data_snapshot.py find_provider): the provider named
// by the call, the provider of the URL it was sent to, and the provider
// whose model_match takes the model id. Upstream stops at the first
// provider it recognises and fails when that provider lacks the model;
// here the next is tried, so an OpenAI client pointed at OpenRouter
// (provider "openai", server openrouter.ai) still finds OpenRouter's
// model, and an unknown provider name still finds the model's own.
// Every form of the model id (see forms) is tried with each provider,
// the literal id first.
func (f *feed) lookup(modelID, providerName, server string) (Match, bool) {
	ref := strings.ToLower(strings.TrimSpace(modelID))
	if ref == "" {
		return Match{}, false
	}
	named := f.providerNamed(providerName)
	at := f.providerAt(server)
	for _, form := range f.forms(ref) {
		for _, p := range f.providers {
			if p.always {
				if _, m := f.find(p, form.ref); m != nil {
					return newMatch(p, m, form.ref, "--prices file"), true
				}
			}
		}
		try := [...]struct {
			p   *provider
			how string
		}{
			{named, "provider name " + providerName},
			{at, "server " + server},
			{form.from, form.how},
			{f.providerOfModel(form.ref), "model id"},
		}
		for _, c := range try {
			if c.p == nil {
				continue
			}
			if p, m := f.find(c.p, form.ref); m != nil {
				via := c.how
				if p != c.p {
					via += ", fallback of " + c.p.id
				}
				return newMatch(p, m, form.ref, via), true
			}
		}
	}
	// Last, when no rule names a provider that has the model: the model
	// vendors' own lists (the providers with a model_match rule: OpenAI,
	// Anthropic, Google, ...), so text-embedding-3-small without a
	// provider is OpenAI's. Upstream gives up here.
	for _, form := range f.forms(ref) {
		for _, p := range f.providers {
			if p.modelMatch == nil {
				continue
			}
			if fp, m := f.find(p, form.ref); m != nil {
				return newMatch(fp, m, form.ref, "model listed by "+p.id), true
			}
		}
	}
	return Match{}, false
}

func newMatch(p *provider, m *model, as, via string) Match {
	return Match{
		Provider: p.id, ProviderName: p.name, Model: m.id, As: as, Via: via,
		ContextWindow: m.contextWindow, Deprecated: m.deprecated, Prices: m.prices, m: m,
	}
}
