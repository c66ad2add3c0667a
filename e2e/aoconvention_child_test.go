package e2e

import (
	"context"
	"fmt"
	"os"

	"go.opentelemetry.io/contrib/propagators/envcar"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/agentops-dev/agentops/exporter"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// aoNode is a span of a convention session and the spans under it.
type aoNode struct {
	name     string
	attrs    []attribute.KeyValue
	children []aoNode
	failed   bool
}

// withCost is n stating its own cost, as OpenInference's llm.cost.total.
func withCost(n aoNode, usd float64) aoNode {
	n.attrs = append(n.attrs, attribute.Float64("llm.cost.total", usd))
	return n
}

func kv(k string, v any) attribute.KeyValue {
	switch v := v.(type) {
	case int:
		return attribute.Int(k, v)
	case float64:
		return attribute.Float64(k, v)
	default:
		return attribute.String(k, fmt.Sprint(v))
	}
}

func attrs(pairs ...any) []attribute.KeyValue {
	var out []attribute.KeyValue
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, kv(pairs[i].(string), pairs[i+1]))
	}
	return out
}

// genAIChat is a chat call in the current GenAI names.
func genAIChat(name, model string, in, out, cacheRead, reasoning int) aoNode {
	return aoNode{name: name, attrs: attrs("gen_ai.operation.name", "chat", "gen_ai.provider.name", "openai",
		"gen_ai.request.model", model, "gen_ai.response.model", model,
		"gen_ai.usage.input_tokens", in, "gen_ai.usage.output_tokens", out,
		"gen_ai.usage.cache_read.input_tokens", cacheRead, "gen_ai.usage.reasoning.output_tokens", reasoning)}
}

func oiLLM(name, model string, in, out, cacheRead int) aoNode {
	return aoNode{name: name, attrs: attrs("openinference.span.kind", "LLM", "llm.model_name", model, "llm.provider", "openai",
		"llm.token_count.prompt", in, "llm.token_count.completion", out, "llm.token_count.total", in+out,
		"llm.token_count.prompt_details.cache_read", cacheRead)}
}

func traceloopChat(model string, in, out int) aoNode {
	return traceloopLLM("openai.chat", model, in, out)
}

func traceloopLLM(name, model string, in, out int) aoNode {
	return aoNode{name: name, attrs: attrs("llm.request.type", "chat", "gen_ai.system", "openai",
		"gen_ai.request.model", model, "gen_ai.response.model", model,
		"gen_ai.usage.prompt_tokens", in, "gen_ai.usage.completion_tokens", out, "llm.usage.total_tokens", in+out)}
}

func with(n aoNode, children ...aoNode) aoNode {
	n.children = append(n.children, children...)
	return n
}

// aoConventions are the sessions TestAgentOpsShowsTheSummary runs, one per
// convention, each an agent with LLM calls and tools under it.
var aoConventions = map[string]aoNode{
	"gen_ai": with(aoNode{name: "invoke_agent researcher", attrs: attrs("gen_ai.operation.name", "invoke_agent", "gen_ai.agent.name", "researcher")},
		genAIChat("chat gpt-4o", "gpt-4o", 1234, 567, 200, 0),
		genAIChat("chat o3-mini", "o3-mini", 900, 1200, 0, 800),
		aoNode{name: "execute_tool search", attrs: attrs("gen_ai.operation.name", "execute_tool", "gen_ai.tool.name", "search")},
		aoNode{name: "execute_tool fetch", attrs: attrs("gen_ai.operation.name", "execute_tool", "gen_ai.tool.name", "fetch"), failed: true},
	),
	"openinference": with(aoNode{name: "research", attrs: attrs("openinference.span.kind", "CHAIN")},
		with(aoNode{name: "agent", attrs: attrs("openinference.span.kind", "AGENT", "agent.name", "planner")},
			oiLLM("ChatCompletion", "gpt-4o-mini", 800, 90, 100),
			// A call that states its own cost: the summary and AgentOps take it.
			withCost(oiLLM("ChatCompletion", "gpt-4o", 300, 40, 0), 0.0125),
			aoNode{name: "search", attrs: attrs("openinference.span.kind", "TOOL", "tool.name", "search")},
		),
	),
	"traceloop": with(aoNode{name: "plan.workflow", attrs: attrs("traceloop.span.kind", "workflow", "traceloop.entity.name", "plan")},
		with(aoNode{name: "draft.task", attrs: attrs("traceloop.span.kind", "task", "traceloop.entity.name", "draft")},
			traceloopChat("gpt-4o", 1500, 300),
			traceloopChat("gpt-4o-mini", 700, 70),
		),
		aoNode{name: "get_weather.tool", attrs: attrs("traceloop.span.kind", "tool", "traceloop.entity.name", "get_weather")},
	),
	// Frameworks wrapping the provider's instrumented call: LangChain in
	// GenAI names over the OpenAI instrumentation, OpenInference LangChain
	// over OpenInference OpenAI, a wrapper with no usage over a call with
	// it, a streamed call whose provider span missed the usage under a
	// wrapper that has it, and OpenLLMetry's LangChain over its OpenAI,
	// both in the deprecated usage names the backend reads (it would add
	// them up twice).
	"wrapper": with(aoNode{name: "invoke_agent writer", attrs: attrs("gen_ai.operation.name", "invoke_agent", "gen_ai.agent.name", "writer")},
		with(genAIChat("ChatOpenAI", "gpt-4o", 1234, 567, 0, 0), genAIChat("chat gpt-4o", "gpt-4o", 1234, 567, 0, 0)),
		with(oiLLM("ChatOpenAI", "gpt-4o-mini", 2000, 150, 500), oiLLM("ChatCompletion", "gpt-4o-mini", 2000, 150, 500)),
		with(aoNode{name: "RunnableSequence", attrs: attrs("gen_ai.operation.name", "chat", "gen_ai.request.model", "gpt-4o")}, genAIChat("chat gpt-4o", "gpt-4o", 640, 80, 0, 0)),
		with(genAIChat("ChatAnthropic", "claude-3-7-sonnet-20250219", 3000, 400, 0, 0),
			aoNode{name: "chat claude-3-7-sonnet-20250219", attrs: attrs("gen_ai.operation.name", "chat", "gen_ai.provider.name", "anthropic", "gen_ai.request.model", "claude-3-7-sonnet-20250219")}),
		with(traceloopLLM("ChatOpenAI.chat", "gpt-4o", 1000, 100), traceloopLLM("openai.chat", "gpt-4o", 1000, 100)),
	),
}

// aoConventionChild sends the session AGENTOPS_E2E_CONVENTION names, with
// the OpenTelemetry Go SDK configured from the injected environment, and
// writes what it sent (OTLP JSON) to AGENTOPS_E2E_SENT. It exits with
// AGENTOPS_E2E_EXIT.
func aoConventionChild() int {
	tree, ok := aoConventions[os.Getenv("AGENTOPS_E2E_CONVENTION")]
	if !ok {
		fmt.Fprintln(os.Stderr, "unknown AGENTOPS_E2E_CONVENTION")
		return 70
	}
	ctx := context.Background()
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 70
	}
	sent := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithSyncer(sent))
	ctx = propagation.TraceContext{}.Extract(ctx, &envcar.Carrier{})
	aoEmit(ctx, tp.Tracer("convention"), tree)
	// Read before Shutdown, which empties the in-memory exporter.
	td := exporter.TracesFromSpans(sent.GetSpans().Snapshots())
	if err := tp.Shutdown(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 70
	}
	b, _ := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	if err := os.WriteFile(os.Getenv("AGENTOPS_E2E_SENT"), b, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 70
	}
	var code int
	fmt.Sscan(os.Getenv("AGENTOPS_E2E_EXIT"), &code)
	return code
}

func aoEmit(ctx context.Context, tr trace.Tracer, n aoNode) {
	ctx, sp := tr.Start(ctx, n.name, trace.WithAttributes(n.attrs...))
	for _, c := range n.children {
		aoEmit(ctx, tr, c)
	}
	if n.failed {
		sp.SetStatus(codes.Error, "tool failed")
	}
	sp.End()
}
