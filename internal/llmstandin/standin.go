// Package llmstandin is a stand-in for the LLM providers' HTTP APIs, for
// tests: real clients (the provider SDKs, Claude Code, Codex, Gemini CLI)
// are pointed at it by their usual base-URL settings and get answers shaped
// exactly as the real APIs shape them, streaming included, with canned text
// and token usage. Every request it receives is kept for assertions.
//
// It serves, on one handler:
//   - Anthropic: POST /v1/messages (JSON and SSE), POST /v1/messages/count_tokens,
//     HEAD or GET /api/hello (Claude Code's connection warm-up);
//   - OpenAI: POST /v1/chat/completions (JSON and SSE, the usage chunk when
//     stream_options.include_usage is set), POST /v1/responses (JSON and SSE),
//     POST /v1/embeddings;
//   - Gemini: POST /v1beta/models/{model}:generateContent,
//     :streamGenerateContent (?alt=sse), :countTokens, :embedContent,
//     :batchEmbedContents.
//
// Paths are matched by suffix, so a base URL with a prefix (a gateway's
// /api/v1) works too. Anything else is answered 404 in the error shape of
// the provider the path looks like, and recorded, so a test can see what a
// client asked for.
package llmstandin

import (
	"net/http"
	"net/http/httptest"
	"sync"
)

// API names the endpoint a request was for.
type API string

// The endpoints the stand-in answers.
const (
	AnthropicMessages    API = "anthropic.messages"
	AnthropicCountTokens API = "anthropic.count_tokens"
	// AnthropicHello is the HEAD /api/hello Claude Code sends to its base
	// URL to warm the connection before its first call.
	AnthropicHello    API = "anthropic.hello"
	OpenAIChat        API = "openai.chat_completions"
	OpenAIResponses   API = "openai.responses"
	OpenAIEmbeddings  API = "openai.embeddings"
	GeminiGenerate    API = "gemini.generate_content"
	GeminiStream      API = "gemini.stream_generate_content"
	GeminiCountTokens API = "gemini.count_tokens"
	GeminiEmbed       API = "gemini.embed_content"
	Unknown           API = "unknown"
)

// Provider is the provider an API belongs to: "anthropic", "openai",
// "gemini", or "" for Unknown.
func (a API) Provider() string {
	switch a {
	case AnthropicMessages, AnthropicCountTokens, AnthropicHello:
		return "anthropic"
	case OpenAIChat, OpenAIResponses, OpenAIEmbeddings:
		return "openai"
	case GeminiGenerate, GeminiStream, GeminiCountTokens, GeminiEmbed:
		return "gemini"
	}
	return ""
}

// Generates reports whether a call of the API is an LLM call that a client's
// telemetry would count (generation or embedding; token counting is not).
func (a API) Generates() bool {
	switch a {
	case AnthropicMessages, OpenAIChat, OpenAIResponses, OpenAIEmbeddings,
		GeminiGenerate, GeminiStream, GeminiEmbed:
		return true
	}
	return false
}

// Usage is the token usage a reply reports, in the provider-neutral meaning
// of the GenAI semantic conventions: Input includes CacheRead and
// CacheCreation, Output includes Reasoning. Each API renders it in its own
// convention (Anthropic's input_tokens excludes the cache; OpenAI's
// prompt_tokens and Gemini's promptTokenCount include it).
type Usage struct {
	Input         int
	Output        int
	CacheRead     int
	CacheCreation int
	Reasoning     int
}

// Reply is what the stand-in answers one call with.
type Reply struct {
	// Text is the assistant's answer.
	Text string
	// Usage is the token usage reported for the call.
	Usage Usage
	// Model is the response model; empty echoes the requested one.
	Model string
	// StopReason overrides the API's normal stop reason ("end_turn",
	// "stop", "STOP", "completed").
	StopReason string
	// ToolCalls are tool uses the answer asks for, after Text (Anthropic
	// messages only, for now: tool_use blocks and stop_reason tool_use).
	ToolCalls []ToolCall
}

// ToolCall is a tool use in a reply.
type ToolCall struct {
	// ID is the tool use id; empty gets a generated toolu_… id.
	ID    string
	Name  string
	Input map[string]any
}

// DefaultReplies are the answers of a zero Config, by provider: the numbers
// the end-to-end tests expect to see counted.
var DefaultReplies = map[string]Reply{
	"anthropic": {Text: "Hello! How can I help you today?", Usage: Usage{Input: 120, Output: 9}},
	"openai":    {Text: "Hello! How can I help you today?", Usage: Usage{Input: 300, Output: 12}},
	"gemini":    {Text: "Hello! How can I help you today?", Usage: Usage{Input: 200, Output: 11}},
}

// Config sets the stand-in's answers. The zero value answers every call
// with DefaultReplies.
type Config struct {
	// Replies are used in order, one per generating call (Generates); when
	// they run out, Reply (or the provider's DefaultReplies entry) is used.
	Replies []Reply
	// Reply, when non-zero, answers calls Replies does not.
	Reply *Reply
	// ReplyFunc, when set, decides every generating call's reply and wins
	// over Replies and Reply.
	ReplyFunc func(Request) Reply
	// APIKey, when set, is required (x-api-key, Authorization: Bearer,
	// x-goog-api-key or ?key=); a request without it is answered 401 in the
	// provider's error shape.
	APIKey string
	// Respond, when set, sees every response before it is written and may
	// change it (status, headers, body, SSE events): the hook fault modes
	// build on.
	Respond func(Request, *Response)
}

// Request is one request the stand-in received, and what it answered.
type Request struct {
	// Seq numbers the requests from 1 in arrival order.
	Seq    int
	API    API
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
	// Model is the requested model (body "model", or the Gemini path).
	Model string
	// Stream says the client asked for a streamed answer.
	Stream bool
	// IncludeUsage says an OpenAI chat stream asked for the usage chunk.
	IncludeUsage bool
	// Status is the HTTP status answered.
	Status int
	// RequestID is the provider request id answered (request-id for
	// Anthropic, x-request-id for OpenAI; empty for Gemini, which has none).
	RequestID string
	// ResponseID is the id of the answer (msg_…, chatcmpl-…, resp_…, Gemini's responseId).
	ResponseID string
	// Reply is what was answered, for generating calls.
	Reply Reply
}

// Server is the stand-in: an http.Handler that records what it receives.
type Server struct {
	cfg Config

	mu       sync.Mutex
	requests []Request
	replies  int // generating calls answered from cfg.Replies
}

// New returns a stand-in answering as cfg says.
func New(cfg Config) *Server {
	return &Server{cfg: cfg}
}

// NewServer starts a stand-in on a loopback httptest.Server; the caller
// closes it. Its URL is the base URL clients take (Anthropic and Gemini
// append their paths; OpenAI clients want URL + "/v1").
func NewServer(cfg Config) (*Server, *httptest.Server) {
	s := New(cfg)
	return s, httptest.NewServer(s)
}

// Requests returns a copy of every request received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Calls returns the generating requests (LLM calls) received so far.
func (s *Server) Calls() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.API.Generates() && r.Status == http.StatusOK {
			out = append(out, r)
		}
	}
	return out
}

// Reset forgets the requests received and restarts Config.Replies.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests, s.replies = nil, 0
}

// begin numbers a request and picks its reply.
func (s *Server) begin(r *Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r.Seq = len(s.requests) + 1
	s.requests = append(s.requests, Request{Seq: r.Seq}) // placeholder, filled by finish
	if !r.API.Generates() {
		return
	}
	switch {
	case s.cfg.ReplyFunc != nil:
		r.Reply = s.cfg.ReplyFunc(*r)
	case s.replies < len(s.cfg.Replies):
		r.Reply = s.cfg.Replies[s.replies]
		s.replies++
	case s.cfg.Reply != nil:
		r.Reply = *s.cfg.Reply
	default:
		r.Reply = DefaultReplies[r.API.Provider()]
	}
	if r.Reply.Model == "" {
		r.Reply.Model = r.Model
	}
}

// finish records the request as answered.
func (s *Server) finish(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[r.Seq-1] = r
}
