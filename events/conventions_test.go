package events

import (
	"encoding/json"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// TestEveryAliasIsRead sets each attribute name of the convention table,
// alone, on an LLM span and checks it lands in its field: a typo in the
// table shows here.
func TestEveryAliasIsRead(t *testing.T) {
	k := fieldKeys
	ints := map[string]struct {
		keys []string
		get  func(*LLM) int64
	}{
		"input":          {k.InputTokens, func(l *LLM) int64 { return l.InputTokens }},
		"output":         {k.OutputTokens, func(l *LLM) int64 { return l.OutputTokens }},
		"total":          {k.TotalTokens, func(l *LLM) int64 { return l.TotalTokens }},
		"cache read":     {k.CacheReadTokens, func(l *LLM) int64 { return l.CacheReadTokens }},
		"cache creation": {k.CacheCreationTokens, func(l *LLM) int64 { return l.CacheCreationTokens }},
		"reasoning":      {k.ReasoningTokens, func(l *LLM) int64 { return l.ReasoningTokens }},
		"cache 1h":       {k.CacheCreation1hTokens, func(l *LLM) int64 { return l.CacheCreation1hTokens }},
		"web searches":   {k.WebSearches, func(l *LLM) int64 { return l.WebSearches }},
	}
	for field, c := range ints {
		for _, key := range c.keys {
			span := llmSpan()
			putAlias(span, key, int64(7))
			if got := c.get(fromSpanLLM(t, span)); got != 7 {
				t.Errorf("%s: %s = 7 read as %d", field, key, got)
			}
		}
	}
	strs := map[string]struct {
		keys []string
		get  func(*LLM) string
	}{
		"provider":       {k.Provider, func(l *LLM) string { return l.Provider }},
		"server":         {k.Server, func(l *LLM) string { return l.Server }},
		"request model":  {k.RequestModel, func(l *LLM) string { return l.RequestModel }},
		"response model": {k.ResponseModel, func(l *LLM) string { return l.ResponseModel }},
		"prompt":         {k.Prompt, func(l *LLM) string { return l.Prompt }},
		"completion":     {k.Completion, func(l *LLM) string { return l.Completion }},
	}
	for field, c := range strs {
		for _, key := range c.keys {
			span := llmSpan()
			putAlias(span, key, "x-7")
			if got := c.get(fromSpanLLM(t, span)); got != "x-7" {
				t.Errorf("%s: %s read as %q", field, key, got)
			}
		}
	}
	for _, key := range append(append([]string{}, k.Cost...), k.CostParts...) {
		span := llmSpan()
		putAlias(span, key, 0.25)
		if l := fromSpanLLM(t, span); l.CostUSD == nil || *l.CostUSD != 0.25 || l.CostSource != "span" {
			t.Errorf("cost: %s not read as a reported cost", key)
		}
	}
}

// TestServerKeepsNoSecrets: a URL's query and user info (where API keys
// travel) never reach the event, which is stored and exported.
func TestServerKeepsNoSecrets(t *testing.T) {
	for in, want := range map[string]string{
		"https://generativelanguage.googleapis.com/v1beta/models/gemini-3.5-flash:generateContent?key=AIzaSECRET": "https://generativelanguage.googleapis.com/v1beta/models/gemini-3.5-flash:generateContent",
		"https://user:SECRET@api.openai.com/v1/chat/completions#SECRET":                                           "https://api.openai.com/v1/chat/completions",
		"api.anthropic.com": "api.anthropic.com",
		"https://":          "",
	} {
		span := llmSpan()
		span.Attributes().PutStr("url.full", in)
		if got := fromSpanLLM(t, span).Server; got != want {
			t.Errorf("url.full %q: Server = %q, want %q", in, got, want)
		}
	}
}

func TestKindRules(t *testing.T) {
	for _, r := range kindRules {
		for val, want := range r.kinds {
			if val == "*" {
				val = "something-else"
			}
			span := ptrace.NewSpan()
			span.Attributes().PutStr(r.attr, val)
			evs := FromSpan(span)
			if want == "" {
				if len(evs) != 0 {
					t.Errorf("%s=%s: got %v, want no event", r.attr, val, evs)
				}
				continue
			}
			if len(evs) != 1 || evs[0].Kind != want || evs[0].Convention != r.convention {
				t.Errorf("%s=%s: got %+v, want one %s event of %s", r.attr, val, evs, want, r.convention)
			}
		}
	}
}

// putAlias sets the attribute a fieldKeys entry names to v: an
// "attr#member" entry as a JSON object holding member, "attr#" as a JSON
// string, as MLflow encodes them.
func putAlias(span ptrace.Span, key string, v any) {
	attr, member, isJSON := strings.Cut(key, "#")
	if !isJSON {
		_ = span.Attributes().PutEmpty(key).FromRaw(v)
		return
	}
	var b []byte
	if member == "" {
		b, _ = json.Marshal(v)
	} else {
		b, _ = json.Marshal(map[string]any{member: v})
	}
	span.Attributes().PutStr(attr, string(b))
}

func llmSpan() ptrace.Span {
	span := ptrace.NewSpan()
	span.Attributes().PutStr("openinference.span.kind", "LLM")
	return span
}

func fromSpanLLM(t *testing.T, span ptrace.Span) *LLM {
	t.Helper()
	evs := FromSpan(span)
	if len(evs) != 1 || evs[0].LLM == nil {
		t.Fatalf("not one LLM event: %+v", evs)
	}
	return evs[0].LLM
}

func TestAmbiguousSpans(t *testing.T) {
	tests := []struct {
		name  string
		attrs map[string]any
		want  Kind // "" for no event
	}{
		{"gen_ai.system alone is no LLM call", map[string]any{"gen_ai.system": "crewai"}, ""},
		{"a model with an agent name is the LLM call", map[string]any{"gen_ai.agent.name": "a", "gen_ai.request.model": "gpt-4o"}, KindLLM},
		{"explicit kind wins over GenAI attributes", map[string]any{"traceloop.span.kind": "tool", "gen_ai.request.model": "gpt-4o"}, KindTool},
		{"plain HTTP span", map[string]any{"http.request.method": "POST"}, ""},
	}
	for _, tt := range tests {
		span := ptrace.NewSpan()
		_ = span.Attributes().FromRaw(tt.attrs)
		evs := FromSpan(span)
		var got Kind
		if len(evs) > 0 {
			got = evs[0].Kind
		}
		if got != tt.want || len(evs) > 1 {
			t.Errorf("%s: got %d events, first %q; want %q", tt.name, len(evs), got, tt.want)
		}
	}
}
