package capture

// This file is the one place that says which provider APIs the capture
// proxy stands in front of: the base-URL variable each provider's clients
// read, where they go when it is unset, and which paths of each API are LLM
// calls and how their usage is read. The README shows the same table.

// Provider is one provider API whose clients honour a base-URL variable.
type Provider struct {
	// Var is the environment variable the provider's clients read their
	// base URL from.
	Var string
	// Route is the first path segment of the proxy's URL for this variable.
	Route string
	// System is the gen_ai.provider.name of its calls.
	System string
	// API names the shape of its requests and responses (see apis).
	API string
	// Upstream is where clients go when Var is unset: the provider's public
	// endpoint, in the variable's own convention (OpenAI's includes /v1,
	// Anthropic's does not).
	Upstream string
	// OnlyWith, when not empty, lists variables of which one must be set
	// for Var to be set in the child: a client whose behaviour changes when
	// Var is set (its auth detection) is left alone otherwise.
	OnlyWith []string
	// Why says why OnlyWith is needed, for the summary and the README.
	Why string
}

// Providers is the table of base-URL variables the session points at the
// capture proxy. OLLAMA_HOST is deliberately absent: the same variable is
// the bind address of `ollama serve`, which would then try to bind ours.
var Providers = []Provider{
	{
		Var: "OPENAI_BASE_URL", Route: "openai", System: "openai", API: APIOpenAI,
		Upstream: "https://api.openai.com/v1",
	},
	{
		Var: "ANTHROPIC_BASE_URL", Route: "anthropic", System: "anthropic", API: APIAnthropic,
		Upstream: "https://api.anthropic.com",
	},
	{
		Var: "GOOGLE_GEMINI_BASE_URL", Route: "gemini", System: "gcp.gemini", API: APIGemini,
		Upstream: "https://generativelanguage.googleapis.com",
		// Gemini CLI (0.61.0, tried) picks its "gateway" auth when the
		// variable is set, and with only GEMINI_API_KEY and no auth
		// chosen in its settings then refuses to run ("Invalid auth
		// method selected"). A user who set the variable has an auth that
		// works with it: only then is it pointed at the proxy.
		OnlyWith: []string{"GOOGLE_GEMINI_BASE_URL"},
		Why:      "set only when you set it yourself: Gemini CLI changes its auth when the variable appears (--capture-var GOOGLE_GEMINI_BASE_URL=gemini to capture anyway)",
	},
}

// The API shapes.
const (
	APIOpenAI    = "openai"
	APIAnthropic = "anthropic"
	APIGemini    = "gemini"
)

// Endpoint is one path of an API that is an LLM call.
type Endpoint struct {
	// Suffix is matched against the end of the request path (after the
	// base URL's own path; a Gemini path ends with the method, after ':').
	Suffix string
	// Operation is the gen_ai.operation.name of the call.
	Operation string
	// Format says how its request and response are read.
	Format Format
}

// Format names how an endpoint's request and response are read.
type Format string

// The formats the proxy reads.
const (
	FormatChat        Format = "openai.chat"        // OpenAI chat completions (JSON or SSE chunks)
	FormatResponses   Format = "openai.responses"   // OpenAI responses (JSON or SSE response.* events)
	FormatCompletions Format = "openai.completions" // OpenAI legacy completions
	FormatEmbeddings  Format = "openai.embeddings"  // OpenAI embeddings
	FormatMessages    Format = "anthropic.messages" // Anthropic messages (JSON or SSE message_* events)
	FormatGemini      Format = "gemini.generate"    // Gemini generateContent / streamGenerateContent
	FormatGeminiEmbed Format = "gemini.embed"       // Gemini embedContent / batchEmbedContents
)

// apis lists, per API shape, the paths that are LLM calls. Other paths
// (model lists, files, count_tokens) are forwarded without a span.
var apis = map[string][]Endpoint{
	APIOpenAI: {
		{"/chat/completions", "chat", FormatChat},
		{"/responses", "chat", FormatResponses},
		{"/completions", "text_completion", FormatCompletions},
		{"/embeddings", "embeddings", FormatEmbeddings},
	},
	APIAnthropic: {
		{"/v1/messages", "chat", FormatMessages},
	},
	APIGemini: {
		{":generateContent", "generate_content", FormatGemini},
		{":streamGenerateContent", "generate_content", FormatGemini},
		{":embedContent", "embeddings", FormatGeminiEmbed},
		{":batchEmbedContents", "embeddings", FormatGeminiEmbed},
	},
}

// endpointFor returns the endpoint of api that path is, if any.
func endpointFor(api, path string) (Endpoint, bool) {
	for _, e := range apis[api] {
		if hasSuffix(path, e.Suffix) {
			return e, true
		}
	}
	return Endpoint{}, false
}

func hasSuffix(path, suffix string) bool {
	for len(path) > 1 && path[len(path)-1] == '/' {
		path = path[:len(path)-1]
	}
	return len(path) >= len(suffix) && path[len(path)-len(suffix):] == suffix
}

// KnownAPI reports whether name is an API shape the proxy reads.
func KnownAPI(name string) bool { _, ok := apis[name]; return ok }
