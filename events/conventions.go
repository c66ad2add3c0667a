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
	// json says the value is JSON-encoded (MLflow encodes every attribute:
	// mlflow.spanType arrives as "\"LLM\"").
	json bool
}

// kindRules decide a span's kind; the first that matches wins. The explicit
// span-kind attributes come first: they are the instrumentation's own
// statement and win over the GenAI attributes it may set as well. A value a
// rule does not know falls through to the next rules: an agent's own
// gen_ai.operation.name (Gemini CLI's llm_call, ...) must not hide a span
// that carries a model and usage.
var kindRules = []kindRule{
	{convention: "agentops", attr: "agentops.span.kind", kinds: map[string]Kind{
		"session": "", "agent": KindAgent, "workflow": KindAction, "task": KindAction,
		"operation": KindAction, "tool": KindTool, "llm": KindLLM,
	}},
	{convention: "openinference", attr: "openinference.span.kind", kinds: map[string]Kind{
		"llm": KindLLM, "embedding": KindLLM, "tool": KindTool, "agent": KindAgent,
		"chain": KindAction, "retriever": KindAction, "reranker": KindAction,
		"guardrail": KindAction, "evaluator": KindAction,
	}},
	{convention: "traceloop", attr: "traceloop.span.kind", kinds: map[string]Kind{
		"workflow": KindAction, "task": KindAction, "agent": KindAgent, "tool": KindTool,
	}},
	// Claude Code (traces beta): every span names its type, in 2.1.332
	// without the claude_code. prefix its docs give it. An interaction is
	// what Claude Code itself calls invoke_agent.
	{convention: "claude_code", attr: "span.type", kinds: map[string]Kind{
		"llm_request": KindLLM, "tool": KindTool, "interaction": KindAgent,
		"tool.execution": KindAction, "tool.blocked_on_user": KindAction, "hook": KindAction,
		"claude_code.llm_request": KindLLM, "claude_code.tool": KindTool,
		"claude_code.interaction": KindAgent, "claude_code.tool.execution": KindAction,
		"claude_code.tool.blocked_on_user": KindAction, "claude_code.hook": KindAction,
	}},
	// Vercel AI SDK, legacy ai.* spans (v3-v6, v7 LegacyOpenTelemetry). The
	// outer generateText/streamText/... spans repeat the sum of their
	// doGenerate/doStream children's usage: they are actions, never calls.
	{convention: "ai_sdk", attr: "ai.operationId", kinds: map[string]Kind{
		"ai.generatetext": KindAction, "ai.streamtext": KindAction,
		"ai.generateobject": KindAction, "ai.streamobject": KindAction,
		"ai.generatetext.dogenerate": KindLLM, "ai.streamtext.dostream": KindLLM,
		"ai.generateobject.dogenerate": KindLLM, "ai.streamobject.dostream": KindLLM,
		"ai.toolcall": KindTool,
		"ai.embed":    KindAction, "ai.embedmany": KindAction, "ai.rerank": KindAction,
		"ai.embed.doembed": KindLLM, "ai.embedmany.doembed": KindLLM,
	}},
	// LangSmith's OTel export sets gen_ai.operation.name from its run type
	// too, but maps retriever and prompt runs to embeddings and chat: its
	// own kind comes first.
	{convention: "langsmith", attr: "langsmith.span.kind", kinds: map[string]Kind{
		"llm": KindLLM, "chat_model": KindLLM, "embedding": KindLLM, "tool": KindTool,
		"retriever": KindAction, "prompt": KindAction, "chain": KindAction, "parser": KindAction,
	}},
	{convention: "mlflow", attr: "mlflow.spanType", json: true, kinds: map[string]Kind{
		"llm": KindLLM, "chat_model": KindLLM, "embedding": KindLLM, "agent": KindAgent,
		"tool": KindTool, "chain": KindAction, "retriever": KindAction, "parser": KindAction,
		"reranker": KindAction, "guardrail": KindAction, "evaluator": KindAction, "unknown": KindAction,
	}},
	// Mastra: model_step and model_chunk are parts of one model_generation.
	{convention: "mastra", attr: "mastra.span.type", kinds: map[string]Kind{
		"model_generation": KindLLM, "agent_run": KindAgent, "tool_call": KindTool,
		"mcp_tool_call": KindTool, "workflow_run": KindAction, "model_step": KindAction,
		"model_chunk": KindAction, "workflow_step": KindAction, "generic": KindAction,
	}},
	{convention: "gen_ai", attr: "gen_ai.operation.name", kinds: map[string]Kind{
		"chat": KindLLM, "text_completion": KindLLM, "generate_content": KindLLM,
		"embeddings": KindLLM, "completion": KindLLM,
		"execute_tool": KindTool, "invoke_agent": KindAgent, "create_agent": KindAgent,
		"invoke_workflow": KindAction, "agent_step": KindAction, "plan": KindAction, "retrieval": KindAction,
		// Gemini CLI's own operation names (GeminiCliOperation).
		"llm_call": KindLLM, "tool_call": KindTool, "agent_call": KindAgent,
		"user_prompt": KindAction, "system_prompt": KindAction, "schedule_tool_calls": KindAction,
	}},
	{convention: "traceloop", attr: "llm.request.type", kinds: map[string]Kind{
		"chat": KindLLM, "completion": KindLLM, "embedding": KindLLM, "rerank": KindLLM,
	}},
	// Older GenAI instrumentations set no operation name. A model says
	// LLM call (the semantic conventions require it on one); gen_ai.system
	// alone does not, as some frameworks set it on every span they make.
	{convention: "gen_ai", attr: "gen_ai.tool.name", kinds: map[string]Kind{"*": KindTool}},
	{convention: "gen_ai", attr: "gen_ai.request.model", kinds: map[string]Kind{"*": KindLLM}},
	// Usage without a model: Codex's response spans (the model is in its
	// sse_event log, which correlate.go merges in).
	{convention: "gen_ai", attr: "gen_ai.usage.input_tokens", kinds: map[string]Kind{"*": KindLLM}},
	{convention: "gen_ai", attr: "gen_ai.usage.output_tokens", kinds: map[string]Kind{"*": KindLLM}},
	{convention: "gen_ai", attr: "gen_ai.agent.name", kinds: map[string]Kind{"*": KindAgent}},
	// Any other operation name: a step of the agent.
	{convention: "gen_ai", attr: "gen_ai.operation.name", kinds: map[string]Kind{"*": KindAction}},
}

// exclusiveInput names the input-token attributes whose count excludes the
// cache reads and writes reported beside it (Claude Code's bare names follow
// Anthropic's API usage): fill adds the cache to them, so an event's input
// has one meaning, the GenAI one. Other conventions are read as inclusive
// unless the numbers themselves say otherwise (see normaliseUsage).
var exclusiveInput = map[string]bool{
	"input_tokens": true,
}

// fieldKeys lists, for every event field, the attributes that carry it,
// first present wins.
var fieldKeys = struct {
	Operation, Provider, Server, RequestModel, ResponseModel  []string
	InputTokens, OutputTokens, TotalTokens                    []string
	CacheReadTokens, CacheCreationTokens, ReasoningTokens     []string
	CacheCreation1hTokens, WebSearches                        []string
	Cost, CostParts, UsageMissing                             []string
	Prompt, Completion                                        []string
	ToolName, ToolArguments, ToolResult                       []string
	AgentName, Input, Output                                  []string
	ErrorType                                                 []string
	RequestID, ResponseID, ToolCallID, ActionType             []string
	PromptMessages, CompletionMessages                        []messageKeys
	PromptEvents, CompletionEvents                            []eventKey
	ExceptionEvent, ExceptionType, ExceptionMessage, ExcStack string
}{
	Operation: []string{"gen_ai.operation.name", "llm.request.type", "gen_ai.request.type"},
	Provider:  []string{"gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system", "ai.model.provider", "mlflow.llm.provider#"},
	// HTTP semantic conventions: the full URL, else the host alone.
	Server:        []string{"url.full", "server.address"},
	RequestModel:  []string{"gen_ai.request.model", "llm.request.model", "llm.model_name", "ai.model.id", "mlflow.llm.model#", "model"},
	ResponseModel: []string{"gen_ai.response.model", "llm.response.model", "ai.response.model"},
	// Bare input_tokens & co. are Claude Code's (span.type
	// claude_code.llm_request); they come last so that no other
	// convention's span is read by them.
	InputTokens: []string{"gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens",
		"llm.usage.prompt_tokens", "llm.token_count.prompt", "ai.usage.inputTokens", "ai.usage.promptTokens",
		"ai.usage.tokens", "mlflow.chat.tokenUsage#input_tokens", "input_tokens"},
	OutputTokens: []string{"gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens",
		"llm.usage.completion_tokens", "llm.token_count.completion", "ai.usage.outputTokens",
		"ai.usage.completionTokens", "mlflow.chat.tokenUsage#output_tokens", "output_tokens"},
	TotalTokens: []string{"gen_ai.usage.total_tokens", "llm.usage.total_tokens", "llm.token_count.total",
		"ai.usage.totalTokens", "mlflow.chat.tokenUsage#total_tokens"},
	CacheReadTokens: []string{"gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens",
		"gen_ai.usage.input_tokens.cached", "llm.usage.cache_read_input_tokens",
		"llm.token_count.prompt_details.cache_read", "ai.usage.cachedInputTokens",
		"ai.usage.inputTokenDetails.cacheReadTokens", "mlflow.chat.tokenUsage#cache_read_input_tokens",
		"gen_ai.usage.input_token_details#cache_read",
		"cache_read_tokens"},
	CacheCreationTokens: []string{"gen_ai.usage.cache_creation.input_tokens", "gen_ai.usage.cache_creation_input_tokens",
		"gen_ai.usage.input_tokens.cache_write", "llm.usage.cache_creation_input_tokens",
		"llm.token_count.prompt_details.cache_write", "gen_ai.usage.cache_write.input_tokens",
		"gen_ai.usage.cache_write_input_tokens",
		"ai.usage.inputTokenDetails.cacheWriteTokens", "mlflow.chat.tokenUsage#cache_creation_input_tokens",
		"cache_creation_tokens"},
	ReasoningTokens: []string{"gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens",
		"gen_ai.usage.output_tokens.reasoning", "llm.usage.reasoning_tokens",
		"llm.token_count.completion_details.reasoning", "codex.usage.reasoning_output_tokens",
		"ai.usage.reasoningTokens", "ai.usage.outputTokenDetails.reasoningTokens",
		"gen_ai.usage.output_token_details#reasoning"},
	// No semantic convention names these yet: a capture of the provider's
	// response (Anthropic's usage.cache_creation.ephemeral_1h_input_tokens
	// and usage.server_tool_use.web_search_requests) sets ours.
	CacheCreation1hTokens: []string{"agentops.usage.cache_creation_1h.input_tokens"},
	WebSearches:           []string{"agentops.usage.web_search_requests"},
	// A cost the span reports itself, in USD: a total, else the sum of parts.
	Cost: []string{"gen_ai.usage.cost", "llm.cost.total", "gen_ai.usage.total_cost", "llm.usage.cost",
		"operation.cost", "mlflow.llm.cost#total_cost"},
	CostParts: []string{"llm.cost.prompt", "llm.cost.completion", "gen_ai.usage.input_cost", "gen_ai.usage.output_cost"},
	// Why a call has no usage: the capture proxy says (a failed, cut or
	// cancelled call), so that it is never read as zero tokens.
	UsageMissing: []string{"agentops.capture.usage_missing"},
	Prompt: []string{"gen_ai.input.messages", "gen_ai.prompt", "llm.prompts",
		"traceloop.entity.input", "agentops.entity.input", "input.value", "ai.prompt.messages", "ai.prompt",
		"mlflow.spanInputs"},
	Completion: []string{"gen_ai.output.messages", "gen_ai.completion",
		"traceloop.entity.output", "agentops.entity.output", "output.value", "ai.response.text",
		"ai.response.object", "mlflow.spanOutputs"},
	ToolName: []string{"gen_ai.tool.name", "tool.name", "traceloop.entity.name", "agentops.entity.name",
		"ai.toolCall.name", "tool_name", "gen_ai.serialized.name"},
	ToolArguments: []string{"gen_ai.tool.call.arguments", "traceloop.entity.input", "agentops.entity.input",
		"input.value", "tool.parameters", "ai.toolCall.args"},
	ToolResult: []string{"gen_ai.tool.call.result", "tool.result", "traceloop.entity.output",
		"agentops.entity.output", "output.value", "ai.toolCall.result"},
	AgentName: []string{"gen_ai.agent.name", "agent.name", "traceloop.entity.name", "agentops.entity.name"},
	ActionType: []string{"agentops.span.kind", "openinference.span.kind", "traceloop.span.kind",
		"span.type", "ai.operationId", "langsmith.span.kind", "mastra.span.type", "mlflow.spanType#",
		"gen_ai.operation.name"},
	// Ids shared by the sources that report one call. request_id is Claude
	// Code's (the provider's request-id header); the captured calls carry
	// the header as HTTP semconv says, a string array.
	RequestID: []string{"request_id", "http.response.header.request-id", "http.response.header.x-request-id",
		"gen_ai.request.id"},
	ResponseID: []string{"gen_ai.response.id", "ai.response.id", "response_id"},
	ToolCallID: []string{"gen_ai.tool.call.id", "tool_use_id", "gen_ai.tool.call_id", "gen_ai.tool_call.id",
		"ai.toolCall.id", "call_id", "tool_call_id"},
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
