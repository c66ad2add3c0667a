package events

// usageMeaning is what a convention's token counts mean, where it differs
// from the GenAI semantic conventions.
type usageMeaning struct {
	// inputExcludesCache: the input count is the uncached part alone, the
	// cache reads and writes are reported beside it (Anthropic's API
	// usage, Claude Code).
	inputExcludesCache bool
	// outputExcludesReasoning: the output count leaves out the reasoning
	// tokens reported beside it (Gemini's candidatesTokenCount beside
	// thoughtsTokenCount), which are billed as output.
	outputExcludesReasoning bool
}

// normaliseUsage gives l's counts the GenAI meaning, once, where the event
// is read: InputTokens includes the cache reads and writes, OutputTokens
// the reasoning. Counting and pricing then see one meaning.
//
// An input said to be inclusive is still read as exclusive when the numbers
// say so: an input smaller than its own cache part cannot include it, and a
// reported total that is input + output + cache, with a cache, adds up
// only if the input left the cache out. Instrumentations that pass
// Anthropic's usage through under GenAI names (OpenLLMetry's, Strands on
// Bedrock) are read right that way.
//
// Counts that cannot be true are dropped first (see sanitize), so that no
// sum here overflows.
func normaliseUsage(l *LLM, m usageMeaning) {
	l.InvalidValues += dropInvalidTokens(l)
	cache := l.CacheReadTokens + l.CacheCreationTokens
	if cache > 0 && (m.inputExcludesCache || l.InputTokens < cache ||
		(l.TotalTokens > 0 && l.TotalTokens == l.InputTokens+l.OutputTokens+cache)) {
		l.InputTokens += cache
	}
	if m.outputExcludesReasoning {
		l.OutputTokens += l.ReasoningTokens
	}
}
