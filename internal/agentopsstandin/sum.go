package agentopsstandin

import (
	"sort"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Pricer prices a span's prompt and completion tokens for a model, as the
// backend's calculate_prompt_cost + calculate_completion_cost do for a
// span that reports no gen_ai.usage.total_cost.
type Pricer func(model string, promptTokens, completionTokens int64) float64

// TraceSums is what the backend shows of one trace.
type TraceSums struct {
	TraceID string
	Spans   int
	// Title is the name of the trace's oldest span (argMin(SpanName,
	// Timestamp), models/traces.py), TitleStatus that span's status and
	// TitleKind its agentops.span.kind.
	Title       string
	TitleStatus ptrace.StatusCode
	TitleKind   string
	// Tags are the oldest span's agentops.tags.
	Tags []string
	// Sessions counts the spans the dashboard draws as a session: a name
	// ending in ".session" (span-processing.ts).
	Sessions int
	// Token sums over every span, the only names the backend reads.
	PromptTokens, CompletionTokens, CacheReadTokens, ReasoningTokens, TotalTokens int64
	// Cost sums gen_ai.usage.total_cost where a span has it, else the
	// price of its prompt and completion tokens.
	Cost float64
	// Kinds counts the spans by the ".kind" suffix of their names the
	// dashboard types them by (agent, tool, task, workflow, operation).
	Kinds map[string]int
}

// Sums adds up what the stand-in received, per trace, ordered by trace id.
func (s *Server) Sums(p Pricer) []TraceSums { return Sum(s.Traces(), p) }

// Sum adds up td as the backend does: grouped by trace id, summed over
// every span with no dedupe (traces.py:279-299, 414-445).
func Sum(td ptrace.Traces, p Pricer) []TraceSums {
	byTrace := map[pcommon.TraceID]*TraceSums{}
	oldest := map[pcommon.TraceID]pcommon.Timestamp{}
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				t := byTrace[sp.TraceID()]
				if t == nil {
					t = &TraceSums{TraceID: sp.TraceID().String(), Kinds: map[string]int{}}
					byTrace[sp.TraceID()] = t
				}
				addSpan(t, sp, p)
				if ts, seen := oldest[sp.TraceID()]; !seen || sp.StartTimestamp() < ts {
					oldest[sp.TraceID()] = sp.StartTimestamp()
					t.Title, t.TitleStatus = sp.Name(), sp.Status().Code()
					t.TitleKind = attrString(sp.Attributes(), "agentops.span.kind")
					t.Tags = nil
					if v, ok := sp.Attributes().Get("agentops.tags"); ok && v.Type() == pcommon.ValueTypeSlice {
						for _, e := range v.Slice().AsRaw() {
							if s, ok := e.(string); ok {
								t.Tags = append(t.Tags, s)
							}
						}
					}
				}
			}
		}
	}
	out := make([]TraceSums, 0, len(byTrace))
	for _, t := range byTrace {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TraceID < out[j].TraceID })
	return out
}

func addSpan(t *TraceSums, sp ptrace.Span, p Pricer) {
	a := sp.Attributes()
	t.Spans++
	name := sp.Name()
	if strings.HasSuffix(name, ".session") {
		t.Sessions++
	}
	for _, kind := range []string{"agent", "tool", "task", "workflow", "operation"} {
		if strings.HasSuffix(name, "."+kind) {
			t.Kinds[kind]++
		}
	}
	prompt := attrInt(a, "gen_ai.usage.prompt_tokens")
	completion := attrInt(a, "gen_ai.usage.completion_tokens")
	t.PromptTokens += prompt
	t.CompletionTokens += completion
	t.CacheReadTokens += attrInt(a, "gen_ai.usage.cache_read_input_tokens")
	t.ReasoningTokens += attrInt(a, "gen_ai.usage.reasoning_tokens")
	t.TotalTokens += attrInt(a, "gen_ai.usage.total_tokens")
	if v, ok := a.Get("gen_ai.usage.total_cost"); ok && v.AsString() != "" {
		t.Cost += attrFloat(v)
		return
	}
	if p != nil && (prompt > 0 || completion > 0) {
		model := attrString(a, "gen_ai.response.model")
		if model == "" {
			model = attrString(a, "gen_ai.request.model")
		}
		t.Cost += p(model, prompt, completion)
	}
}

// The backend reads attributes as ClickHouse strings and converts them
// (toInt64OrZero, toFloat64OrZero): any type that renders as a number.
func attrInt(a pcommon.Map, key string) int64 {
	v, ok := a.Get(key)
	if !ok {
		return 0
	}
	return int64(attrFloat(v))
}

func attrFloat(v pcommon.Value) float64 {
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return float64(v.Int())
	case pcommon.ValueTypeDouble:
		return v.Double()
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v.AsString()), 64)
	if err != nil {
		return 0
	}
	return f
}

func attrString(a pcommon.Map, key string) string {
	if v, ok := a.Get(key); ok {
		return v.AsString()
	}
	return ""
}
