package pricing

import (
	"regexp"
	"strings"
)

// Lookup finds the price of model, as named by provider (a
// gen_ai.provider.name or gen_ai.system value; may be empty). It returns
// the table key that matched. Names are tried from the most to the least
// specific, so a dated or regional entry wins when the table has one:
//
//	the name as given, case-insensitively
//	without path prefixes:   openrouter/anthropic/claude-x → anthropic/claude-x → claude-x
//	without Bedrock region and vendor: us.anthropic.claude-x-v2:0 → anthropic.claude-x-v2:0 → claude-x-v2:0
//	without version suffix:  claude-x-v2:0 → claude-x, llama3:latest → llama3
//	Vertex AI's @ as a dash:  claude-x@20240229 → claude-x-20240229
//	without date suffix:     gpt-4o-2024-08-06 → gpt-4o, claude-x-20241022 → claude-x, claude-x@20240229 → claude-x
//	with -latest:            claude-3-5-sonnet → claude-3-5-sonnet-latest
//
// and each of them first with the provider's table prefix (azure/gpt-4o
// for provider azure.ai.openai), then without.
func (t *Table) Lookup(model, provider string) (key string, p Price, ok bool) {
	prices := t.table()
	prefix := providerPrefix(provider)
	for _, v := range variants(model) {
		if prefix != "" && !strings.HasPrefix(v, prefix+"/") {
			if p, ok := prices[prefix+"/"+v]; ok {
				return prefix + "/" + v, p, true
			}
		}
		if p, ok := prices[v]; ok {
			return v, p, true
		}
	}
	return "", Price{}, false
}

var (
	// Bedrock cross-region inference profiles prefix the model id.
	regionPrefixes = []string{"us.", "eu.", "apac.", "us-gov.", "global."}
	// Bedrock model ids start with the vendor.
	vendors        = []string{"anthropic.", "meta.", "amazon.", "ai21.", "cohere.", "mistral.", "deepseek.", "writer.", "openai.", "qwen."}
	versionSuffix  = regexp.MustCompile(`(-v\d+)?(:[a-z0-9.]+)?$`)
	dateSuffix     = regexp.MustCompile(`[-@](\d{4}-\d{2}-\d{2}|\d{8}|\d{4})$`)
	providerTables = map[string]string{
		"openai": "openai", "anthropic": "anthropic", "azure.ai.openai": "azure", "az.ai.openai": "azure",
		"azure": "azure", "aws.bedrock": "bedrock", "bedrock": "bedrock", "gcp.gemini": "gemini",
		"gemini": "gemini", "google": "gemini", "gcp.vertex_ai": "vertex_ai", "vertex_ai": "vertex_ai",
		"mistral_ai": "mistral", "mistralai": "mistral", "mistral": "mistral", "groq": "groq",
		"deepseek": "deepseek", "x_ai": "xai", "xai": "xai", "cohere": "cohere", "perplexity": "perplexity",
		"together_ai": "together_ai", "fireworks_ai": "fireworks_ai", "openrouter": "openrouter",
	}
)

func providerPrefix(provider string) string {
	return providerTables[strings.ToLower(strings.TrimSpace(provider))]
}

// variants lists the names to try for model, most specific first.
func variants(model string) []string {
	var out []string
	add := func(s string) {
		if s == "" {
			return
		}
		for _, o := range out {
			if o == s {
				return
			}
		}
		out = append(out, s)
	}
	n := strings.ToLower(strings.TrimSpace(model))
	add(n)
	n = strings.TrimPrefix(n, "models/") // the Gemini API's resource names
	add(n)
	for {
		_, rest, ok := strings.Cut(n, "/")
		if !ok {
			break
		}
		n = rest
		add(n)
	}
	for _, r := range regionPrefixes {
		if rest, ok := strings.CutPrefix(n, r); ok {
			n = rest
			add(n)
			break
		}
	}
	for _, v := range vendors {
		if rest, ok := strings.CutPrefix(n, v); ok {
			n = rest
			add(n)
			break
		}
	}
	n = versionSuffix.ReplaceAllString(n, "")
	add(n)
	add(strings.Replace(n, "@", "-", 1)) // Vertex AI names versions claude-x@20240229
	n = dateSuffix.ReplaceAllString(n, "")
	add(n)
	add(n + "-latest")
	return out
}
