package events_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/pricing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// sessionRoot is the span id the fixtures' top spans name as parent: the
// agentops session span, which the child never sends.
const sessionRoot = "b7ad6b7169203331"

// fixtureSpans decodes an OTLP JSON fixture into its spans, in order.
func fixtureSpans(t *testing.T, name string) []ptrace.Span {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(b)
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	var spans []ptrace.Span
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		sss := td.ResourceSpans().At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			for k := 0; k < sss.At(j).Spans().Len(); k++ {
				spans = append(spans, sss.At(j).Spans().At(k))
			}
		}
	}
	return spans
}

// run does what the session does with received spans.
func run(spans []ptrace.Span) ([]events.Event, events.Totals, *events.Lineage) {
	var evs []events.Event
	lin := &events.Lineage{}
	for _, s := range spans {
		evs = append(evs, events.FromSpan(s)...)
		lin.Add(s.SpanID(), s.ParentSpanID())
	}
	return evs, events.Finish(evs, lin, pricing.Default()), lin
}

type want struct {
	llmCalls, wrappers int
	in, out, cacheRead int64
	cost               float64
	unpriced           int
	tools, toolErrors  int
	agents, actions    int
	errors, propagated int
	models             []string
	conventions        []string
	// repeated counts the events that repeat one counted from another source.
	repeated int
}

// The expected numbers are worked out by hand from the fixtures and the
// embedded price table (USD per token), so a change in either shows here
// and not only in a golden file.
var conventionTests = map[string]want{
	// invoke_agent > [chat wrapper > chat leaf > POST], 2 × execute_tool
	// search (one fails, and the agent re-raises it), chat gpt-4.1-mini,
	// embeddings.
	"gen_ai": {
		llmCalls: 3, wrappers: 1, in: 1200 + 800 + 50, out: 300 + 150, cacheRead: 200,
		cost: 1000*2.5e-6 + 200*1.25e-6 + 300*1e-5 + // gpt-4o-2024-08-06, cache read at its own price
			800*4e-7 + 150*1.6e-6 + // gpt-4.1-mini
			50*2e-8, // text-embedding-3-small
		tools: 2, toolErrors: 1, agents: 1, errors: 1, propagated: 1,
		models:      []string{"gpt-4.1-mini", "gpt-4o-2024-08-06", "text-embedding-3-small"},
		conventions: []string{"gen_ai"},
	},
	// gen_ai.system, prompt_tokens/completion_tokens (as int, string and
	// double), no operation name, content in span events and attributes.
	"gen_ai_deprecated": {
		llmCalls: 2, in: 400 + 250, out: 60 + 40,
		cost:  400*5e-7 + 60*1.5e-6 + 250*2.5e-7 + 40*1.25e-6, // gpt-3.5-turbo-0125, claude-3-haiku-20240307
		tools: 1, models: []string{"claude-3-haiku-20240307", "gpt-3.5-turbo-0125"},
		conventions: []string{"gen_ai"},
	},
	// workflow > agent > task > [ChatOpenAI.chat wrapper > openai.chat,
	// tool, openai.chat, anthropic.chat with cache reported beside input:
	// the input counts it, once].
	"traceloop": {
		llmCalls: 3, wrappers: 1, in: 900 + 300 + 10 + 4000 + 1000, out: 120 + 80 + 200, cacheRead: 4000,
		cost: 900*1.5e-7 + 120*6e-7 + // gpt-4o-mini-2024-07-18
			300*1.5e-7 + 80*6e-7 + // gpt-4o-mini
			10*3e-6 + 4000*3e-7 + 1000*3.75e-6 + 200*1.5e-5, // claude-3-5-sonnet-20241022
		tools: 1, agents: 1, actions: 2,
		models:      []string{"claude-3-5-sonnet-20241022", "gpt-4o-mini", "gpt-4o-mini-2024-07-18"},
		conventions: []string{"traceloop"},
	},
	// AGENT > CHAIN > [LLM wrapper > LLM leaf reporting its own cost, TOOL,
	// EMBEDDING, RETRIEVER, LLM of a model no table prices].
	"openinference": {
		llmCalls: 3, wrappers: 1, in: 1500 + 300 + 100, out: 250 + 20, cacheRead: 1000,
		cost:     0.0049 + 300*2e-8, // reported by the span; text-embedding-3-small
		unpriced: 1, tools: 1, agents: 1, actions: 2,
		models:      []string{"claude-3-5-sonnet-20241022", "my-finetuned-llama", "text-embedding-3-small"},
		conventions: []string{"openinference"},
	},
	// Real spans of ai 7.0.173 with @ai-sdk/otel's LegacyOpenTelemetry and
	// its mock models (generateText with a tool, 2 steps; embedMany of 2
	// values): the outer ai.generateText and ai.embedMany repeat their
	// children's sums and are actions, never calls.
	"vercel_ai_legacy": {
		llmCalls: 4, in: 100 + 150 + 8 + 8, out: 20 + 10, cacheRead: 40 + 100,
		cost: 60*1.5e-7 + 40*7.5e-8 + 20*6e-7 + 50*1.5e-7 + 100*7.5e-8 + 10*6e-7 + // gpt-4o-mini-2024-07-18
			16*2e-8, // text-embedding-3-small
		tools: 1, actions: 2,
		models:      []string{"gpt-4o-mini-2024-07-18", "text-embedding-3-small"},
		conventions: []string{"ai_sdk"},
	},
	// The same program with @ai-sdk/otel's OpenTelemetry (GenAI format):
	// invoke_agent > step N > chat | execute_tool; the embeddings root
	// reports no usage above its two calls.
	"vercel_ai_v7": {
		llmCalls: 4, wrappers: 1, in: 100 + 150 + 8 + 8, out: 20 + 10, cacheRead: 40 + 100,
		cost:  60*1.5e-7 + 40*7.5e-8 + 20*6e-7 + 50*1.5e-7 + 100*7.5e-8 + 10*6e-7 + 16*2e-8,
		tools: 1, agents: 1, actions: 2,
		models:      []string{"gpt-4o-mini-2024-07-18", "text-embedding-3-small"},
		conventions: []string{"gen_ai"},
	},
	// The framework fixtures below are built from the attribute names in
	// each framework's source (no Python here to run them; LangSmith's and
	// Mastra's are what their OTel exporters write).
	//
	// pydantic-ai: invoke_agent's gen_ai.aggregated_usage.* and the chat
	// spans' gen_ai.usage.details.* are never summed; operation.cost is the
	// calls' reported cost.
	"pydantic_ai": {
		llmCalls: 2, in: 150 + 170, out: 25 + 15, cost: 0.000625 + 0.000575,
		tools: 1, agents: 1, models: []string{"gpt-4o-2024-08-06"}, conventions: []string{"gen_ai"},
	},
	// MLflow: JSON-encoded mlflow.spanType, mlflow.chat.tokenUsage,
	// mlflow.llm.model and mlflow.llm.cost (the second call's cost).
	"mlflow": {
		llmCalls: 2, in: 500 + 600, out: 50 + 20, cacheRead: 200,
		cost:  300*1.5e-7 + 200*7.5e-8 + 50*6e-7 + 0.000102, // gpt-4o-mini, then reported
		tools: 1, agents: 1, actions: 1, models: []string{"gpt-4o-mini"}, conventions: []string{"mlflow"},
	},
	// Strands on Bedrock: input excludes the cache (its total says so),
	// gen_ai.usage.cache_write_input_tokens; the agent's accumulated usage
	// is not counted again.
	"strands": {
		llmCalls: 2, in: 10 + 1000 + 20 + 3000, out: 60 + 200, cacheRead: 3000,
		cost:  10*3e-6 + 1000*3.75e-6 + 60*1.5e-5 + 20*3e-6 + 3000*3e-7 + 200*1.5e-5,
		tools: 1, agents: 1, models: []string{"us.anthropic.claude-sonnet-4-20250514-v1:0"}, conventions: []string{"gen_ai"},
	},
	// LangSmith: prompt and retriever runs, which it exports as chat and
	// embeddings operations, are actions; cache reads in
	// gen_ai.usage.input_token_details.
	"langsmith": {
		llmCalls: 2, in: 300 + 350, out: 30 + 12, cacheRead: 100,
		cost:  200*1.5e-7 + 100*7.5e-8 + 30*6e-7 + 350*1.5e-7 + 12*6e-7, // gpt-4o-mini-2024-07-18
		tools: 1, actions: 3, models: []string{"gpt-4o-mini-2024-07-18"}, conventions: []string{"langsmith"},
	},
	// Mastra: the model_generation is the call; its model_steps repeat
	// their part of its usage and are actions.
	"mastra": {
		llmCalls: 1, in: 900, out: 70, cost: 900*1.5e-7 + 70*6e-7,
		tools: 1, agents: 1, actions: 3, models: []string{"gpt-4o-mini"}, conventions: []string{"mastra"},
	},
	// session > agent > workflow > operation > [llm (wrapper) > openai.chat,
	// failing tool], task.
	"agentops": {
		llmCalls: 1, wrappers: 1, in: 2000, out: 500,
		cost:  2000*2.5e-6 + 500*1e-5, // gpt-4o-2024-08-06
		tools: 1, toolErrors: 1, agents: 1, actions: 3, errors: 1,
		models:      []string{"gpt-4o-2024-08-06"},
		conventions: []string{"agentops", "traceloop"},
	},
}

func TestConventions(t *testing.T) {
	for name, w := range conventionTests {
		t.Run(name, func(t *testing.T) {
			evs, tot, lin := run(fixtureSpans(t, name))
			checkTotals(t, tot, evs, w)
			if n := lin.Missing(sessionRoot); n != 0 {
				t.Errorf("Missing = %d, want 0: the fixture is a whole trace", n)
			}
			golden(t, name, map[string]any{"events": evs, "totals": tot})
		})
	}
}

// TestArrivalOrder checks that the counting rules do not depend on the
// order spans arrive in: parents first, children first, or shuffled.
func TestArrivalOrder(t *testing.T) {
	for name, w := range conventionTests {
		spans := fixtureSpans(t, name)
		slices.Reverse(spans)
		_, tot, _ := run(spans)
		t.Run(name, func(t *testing.T) { checkTotals(t, tot, nil, w) })
	}
}

func checkTotals(t *testing.T, tot events.Totals, evs []events.Event, w want) {
	t.Helper()
	if tot.LLMCalls != w.llmCalls || tot.WrapperLLMSpans != w.wrappers {
		t.Errorf("LLM calls = %d (+%d wrappers), want %d (+%d)", tot.LLMCalls, tot.WrapperLLMSpans, w.llmCalls, w.wrappers)
	}
	if tot.InputTokens != w.in || tot.OutputTokens != w.out || tot.CacheReadTokens != w.cacheRead {
		t.Errorf("tokens = %d in / %d out / %d cache read, want %d / %d / %d",
			tot.InputTokens, tot.OutputTokens, tot.CacheReadTokens, w.in, w.out, w.cacheRead)
	}
	if math.Abs(tot.CostUSD-w.cost) > 1e-12 || tot.UnpricedCalls != w.unpriced {
		t.Errorf("cost = $%.10f with %d unpriced, want $%.10f with %d", tot.CostUSD, tot.UnpricedCalls, w.cost, w.unpriced)
	}
	toolErrors := 0
	for _, tl := range tot.Tools {
		toolErrors += tl.Errors
	}
	if tot.ToolCalls != w.tools || toolErrors != w.toolErrors {
		t.Errorf("tools = %d calls %d errors, want %d, %d", tot.ToolCalls, toolErrors, w.tools, w.toolErrors)
	}
	if tot.Agents != w.agents || tot.Actions != w.actions || tot.Errors != w.errors {
		t.Errorf("agents/actions/errors = %d/%d/%d, want %d/%d/%d", tot.Agents, tot.Actions, tot.Errors, w.agents, w.actions, w.errors)
	}
	if tot.RepeatedEvents != w.repeated {
		t.Errorf("repeated events = %d, want %d", tot.RepeatedEvents, w.repeated)
	}
	var models []string
	for _, m := range tot.Models {
		models = append(models, m.Model)
	}
	slices.Sort(models)
	if !slices.Equal(models, w.models) {
		t.Errorf("models = %v, want %v", models, w.models)
	}
	if evs == nil {
		return
	}
	propagated := 0
	conventions := map[string]bool{}
	for _, e := range evs {
		if e.Error != nil && e.Error.Propagated {
			propagated++
		}
		if e.Convention != "" {
			conventions[e.Convention] = true
		}
	}
	if propagated != w.propagated {
		t.Errorf("propagated errors = %d, want %d", propagated, w.propagated)
	}
	var got []string
	for c := range conventions {
		got = append(got, c)
	}
	slices.Sort(got)
	if !slices.Equal(got, w.conventions) {
		t.Errorf("conventions = %v, want %v", got, w.conventions)
	}
}

// golden compares v, as indented JSON, with testdata/<name>.golden.json;
// -update rewrites the file.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./events -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("events differ from %s (go test ./events -update, then review the diff):\n%s", path, got)
	}
}
