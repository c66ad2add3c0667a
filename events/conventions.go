package events

// This file is the one place that says which span attribute means what in
// each instrumentation convention agentops understands. Adding a
// convention, or a renamed attribute, is a few lines here:
//
//   - gen_ai: OpenTelemetry GenAI semantic conventions, current names and
//     the deprecated ones still emitted by older instrumentations
//     (gen_ai.system, gen_ai.usage.prompt_tokens, gen_ai.prompt, ...).
//     https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/
//   - traceloop: OpenLLMetry / Traceloop SDK (traceloop.span.kind,
//     llm.request.type, llm.usage.total_tokens, gen_ai.prompt.N.*,
//     traceloop.entity.*).
//   - openinference: Arize OpenInference / Phoenix (openinference.span.kind,
//     llm.model_name, llm.token_count.*, tool.name, input.value, llm.cost.*).
//   - agentops: the AgentOps SDK's own spans (agentops.span.kind,
//     agentops.entity.*); its LLM spans come from OpenLLMetry instrumentors.
//
// A span's kind is decided by kindRules, in order: the first rule whose
// attribute the span carries with a known value wins. Its fields are read
// from the attribute lists in fieldKeys, first present wins, so each list
// is ordered current name first, deprecated and other conventions after.

// kindRule maps the values of one attribute to an event kind.
type kindRule struct {
	convention string
	attr       string
	// kinds is keyed by the lower-cased attribute value; "*" matches any
	// value. A Kind of "" means "known, but not an event" (a session span).
	kinds map[string]Kind
}

// kindRules decide a span's kind; the first that matches wins. The explicit
// span-kind attributes come first: they are the instrumentation's own
// statement and win over the GenAI attributes it may set as well.
var kindRules = []kindRule{
	{"agentops", "agentops.span.kind", map[string]Kind{
		"session": "", "agent": KindAgent, "workflow": KindAction, "task": KindAction,
		"operation": KindAction, "tool": KindTool, "llm": KindLLM,
	}},
	{"openinference", "openinference.span.kind", map[string]Kind{
		"llm": KindLLM, "embedding": KindLLM, "tool": KindTool, "agent": KindAgent,
		"chain": KindAction, "retriever": KindAction, "reranker": KindAction,
		"guardrail": KindAction, "evaluator": KindAction,
	}},
	{"traceloop", "traceloop.span.kind", map[string]Kind{
		"workflow": KindAction, "task": KindAction, "agent": KindAgent, "tool": KindTool,
	}},
	{"gen_ai", "gen_ai.operation.name", map[string]Kind{
		"chat": KindLLM, "text_completion": KindLLM, "generate_content": KindLLM,
		"embeddings": KindLLM, "completion": KindLLM,
		"execute_tool": KindTool, "invoke_agent": KindAgent, "create_agent": KindAgent,
		"*": KindAction,
	}},
	{"traceloop", "llm.request.type", map[string]Kind{
		"chat": KindLLM, "completion": KindLLM, "embedding": KindLLM, "rerank": KindLLM,
	}},
	// Older GenAI instrumentations set no operation name. A model says
	// LLM call (the semantic conventions require it on one); gen_ai.system
	// alone does not, as some frameworks set it on every span they make.
	{"gen_ai", "gen_ai.tool.name", map[string]Kind{"*": KindTool}},
	{"gen_ai", "gen_ai.request.model", map[string]Kind{"*": KindLLM}},
	{"gen_ai", "gen_ai.agent.name", map[string]Kind{"*": KindAgent}},
}

// fieldKeys lists, for every event field, the attributes that carry it,
// first present wins.
var fieldKeys = struct {
	Operation, Provider, Server, RequestModel, ResponseModel  []string
	InputTokens, OutputTokens, TotalTokens                    []string
	CacheReadTokens, CacheCreationTokens, ReasoningTokens     []string
	CacheCreation1hTokens, WebSearches                        []string
	Cost, CostParts                                           []string
	Prompt, Completion                                        []string
	ToolName, ToolArguments, ToolResult                       []string
	AgentName, Input, Output                                  []string
	ErrorType                                                 []string
	PromptMessages, CompletionMessages                        []messageKeys
	PromptEvents, CompletionEvents                            []eventKey
	ExceptionEvent, ExceptionType, ExceptionMessage, ExcStack string
}{
	Operation: []string{"gen_ai.operation.name", "llm.request.type", "gen_ai.request.type"},
	Provider:  []string{"gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system"},
	// HTTP semantic conventions: the full URL, else the host alone.
	Server:        []string{"url.full", "server.address"},
	RequestModel:  []string{"gen_ai.request.model", "llm.request.model", "llm.model_name"},
	ResponseModel: []string{"gen_ai.response.model", "llm.response.model"},
	InputTokens: []string{"gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens",
		"llm.usage.prompt_tokens", "llm.token_count.prompt"},
	OutputTokens: []string{"gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens",
		"llm.usage.completion_tokens", "llm.token_count.completion"},
	TotalTokens: []string{"gen_ai.usage.total_tokens", "llm.usage.total_tokens", "llm.token_count.total"},
	CacheReadTokens: []string{"gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens",
		"gen_ai.usage.input_tokens.cached", "llm.usage.cache_read_input_tokens",
		"llm.token_count.prompt_details.cache_read"},
	CacheCreationTokens: []string{"gen_ai.usage.cache_creation.input_tokens", "gen_ai.usage.cache_creation_input_tokens",
		"gen_ai.usage.input_tokens.cache_write", "llm.usage.cache_creation_input_tokens",
		"llm.token_count.prompt_details.cache_write"},
	ReasoningTokens: []string{"gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens",
		"gen_ai.usage.output_tokens.reasoning", "llm.usage.reasoning_tokens",
		"llm.token_count.completion_details.reasoning"},
	// No semantic convention names these yet: a capture of the provider's
	// response (Anthropic's usage.cache_creation.ephemeral_1h_input_tokens
	// and usage.server_tool_use.web_search_requests) sets ours.
	CacheCreation1hTokens: []string{"agentops.usage.cache_creation_1h.input_tokens"},
	WebSearches:           []string{"agentops.usage.web_search_requests"},
	// A cost the span reports itself, in USD: a total, else the sum of parts.
	Cost:      []string{"gen_ai.usage.cost", "llm.cost.total", "gen_ai.usage.total_cost", "llm.usage.cost"},
	CostParts: []string{"llm.cost.prompt", "llm.cost.completion", "gen_ai.usage.input_cost", "gen_ai.usage.output_cost"},
	Prompt: []string{"gen_ai.input.messages", "gen_ai.prompt", "llm.prompts",
		"traceloop.entity.input", "agentops.entity.input", "input.value"},
	Completion: []string{"gen_ai.output.messages", "gen_ai.completion",
		"traceloop.entity.output", "agentops.entity.output", "output.value"},
	ToolName: []string{"gen_ai.tool.name", "tool.name", "traceloop.entity.name", "agentops.entity.name"},
	ToolArguments: []string{"gen_ai.tool.call.arguments", "traceloop.entity.input", "agentops.entity.input",
		"input.value", "tool.parameters"},
	ToolResult: []string{"gen_ai.tool.call.result", "tool.result", "traceloop.entity.output",
		"agentops.entity.output", "output.value"},
	AgentName: []string{"gen_ai.agent.name", "agent.name", "traceloop.entity.name", "agentops.entity.name"},
	Input:     []string{"traceloop.entity.input", "agentops.entity.input", "input.value"},
	Output:    []string{"traceloop.entity.output", "agentops.entity.output", "output.value"},
	ErrorType: []string{"error.type", "exception.type"},
	// Indexed message attributes: <prefix><N><role>, <prefix><N><content>.
	PromptMessages: []messageKeys{
		{"gen_ai.prompt.", ".role", ".content"},
		{"llm.input_messages.", ".message.role", ".message.content"},
	},
	CompletionMessages: []messageKeys{
		{"gen_ai.completion.", ".role", ".content"},
		{"llm.output_messages.", ".message.role", ".message.content"},
	},
	// Span events carrying content (GenAI semconv before gen_ai.input.messages).
	PromptEvents:     []eventKey{{"gen_ai.content.prompt", "gen_ai.prompt"}},
	CompletionEvents: []eventKey{{"gen_ai.content.completion", "gen_ai.completion"}},
	// OpenTelemetry exception semantic conventions.
	ExceptionEvent:   "exception",
	ExceptionType:    "exception.type",
	ExceptionMessage: "exception.message",
	ExcStack:         "exception.stacktrace",
}

// messageKeys describes indexed message attributes such as
// gen_ai.prompt.0.role / gen_ai.prompt.0.content.
type messageKeys struct{ prefix, role, content string }

// eventKey names a span event and the attribute holding its content.
type eventKey struct{ event, attr string }
