package capture

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Attribute keys of our own on a captured call's span.
const (
	// AttrCapture marks a span the capture proxy made.
	AttrCapture = "agentops.capture"
	// AttrOutcome says how the call ended: ok, http_error, stream_cut,
	// cancelled, unreachable or refused.
	AttrOutcome = "agentops.capture.outcome"
	// AttrUsageMissing says why a call has no usage: the call is still an
	// LLM call, never one of zero tokens.
	AttrUsageMissing = "agentops.capture.usage_missing"
	// AttrUsageRequested is set when the proxy asked an OpenAI chat stream
	// for its usage (stream_options.include_usage) on the client's behalf.
	AttrUsageRequested = "agentops.capture.usage_requested"
)

// Outcomes of a call.
const (
	OutcomeOK          = "ok"
	OutcomeHTTPError   = "http_error"
	OutcomeStreamCut   = "stream_cut"
	OutcomeCancelled   = "cancelled"
	OutcomeUnreachable = "unreachable"
	OutcomeRefused     = "refused"
)

// maxRequestParse bounds the request body read to find the model and
// the prompt; a larger body is forwarded as it streams, unread.
const maxRequestParse = 64 << 20

// call is one request through the proxy and, when it is an LLM call, its
// span.
type call struct {
	p     *Proxy
	route *Route
	// path is the request path after the route, joined to the upstream's.
	path string
	ep   Endpoint
	llm  bool

	start  time.Time
	span   trace.Span
	req    *http.Request
	body   []byte // the request body, when read
	model  string
	stream bool
	// injected is set when we added stream_options.include_usage.
	injected bool
	prompt   string
	secrets  []string

	mu         sync.Mutex
	status     int
	firstChunk time.Time
	res        result
	outcome    string
	errMsg     string
	errType    string
	usageWhy   string
	reqIDs     map[string]string
	ended      bool
	// anthropic keeps the parts of an Anthropic usage as they arrive.
	anthropic struct{ input, output, cacheRead, cacheCreation, cacheCreation1h, webSearches int64 }
}

// result is what a response said about the call.
type result struct {
	usage         usage
	model, id     string
	finish        []string
	completion    strings.Builder
	errType, errM string
}

// usage is a call's token usage, in the GenAI conventions' meaning:
// input includes the cache reads and writes, output the reasoning.
type usage struct {
	seen                                               bool
	input, output, cacheRead, cacheCreation, reasoning int64
	// cacheCreation1h is the part of cacheCreation written for an hour;
	// webSearches the searches the provider ran (Anthropic reports both).
	cacheCreation1h, webSearches int64
}

func (p *Proxy) newCall(r *http.Request, route *Route, path string) *call {
	c := &call{p: p, route: route, path: path, start: time.Now(), req: r}
	c.secrets = secretsOf(r)
	c.ep, c.llm = endpointFor(route.API, path)
	if r.Header.Get(MarkHeader) != "" {
		// A nested session's proxy recorded this call already.
		c.llm = false
	}
	if !c.llm || p.cfg.Tracer == nil || r.Method != http.MethodPost {
		c.llm = false
		return c
	}
	c.readRequest(r)
	parent := propagation.TraceContext{}.Extract(p.cfg.Parent, propagation.HeaderCarrier(r.Header))
	if !trace.SpanContextFromContext(parent).IsValid() {
		parent = p.cfg.Parent
	}
	_, c.span = p.cfg.Tracer.Start(parent, strings.TrimSpace(c.ep.Operation+" "+c.model),
		trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(c.start))
	p.calls.Add(1)
	return c
}

// recorded says whether the call has a span.
func (c *call) recorded() bool { return c.span != nil }

// readRequest reads the request body (up to maxRequestParse) for the
// model, the stream flag and the prompt, and puts it back for the
// upstream, asking an OpenAI chat stream for its usage when the client
// did not.
func (c *call) readRequest(r *http.Request) {
	if c.ep.Format == FormatGemini || c.ep.Format == FormatGeminiEmbed {
		c.model, c.stream = geminiPath(c.path)
	}
	if r.Body == nil || r.Body == http.NoBody || r.Header.Get("Content-Encoding") != "" {
		return
	}
	head, err := io.ReadAll(io.LimitReader(r.Body, maxRequestParse+1))
	if err != nil || len(head) > maxRequestParse {
		// Too big to read, or the client failed mid-body: forward what
		// came and the rest as it comes; the upstream sees the same.
		r.Body = readCloser{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
		return
	}
	c.body = head
	c.parseRequest()
	if c.injected {
		head = injectUsage(head)
		r.ContentLength = int64(len(head))
		r.Header.Set("Content-Length", strconv.Itoa(len(head)))
	}
	r.Body = io.NopCloser(bytes.NewReader(head))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(head)), nil }
}

type readCloser struct {
	io.Reader
	io.Closer
}

// parseRequest reads the request JSON for what the span needs.
func (c *call) parseRequest() {
	var req struct {
		Model         string          `json:"model"`
		Stream        bool            `json:"stream"`
		StreamOptions json.RawMessage `json:"stream_options"`
		Messages      json.RawMessage `json:"messages"`
		Input         json.RawMessage `json:"input"`
		Prompt        json.RawMessage `json:"prompt"`
		Contents      json.RawMessage `json:"contents"`
		Requests      json.RawMessage `json:"requests"`
	}
	if json.Unmarshal(c.body, &req) != nil {
		return
	}
	if req.Model != "" {
		c.model = req.Model
	}
	c.stream = c.stream || req.Stream
	// Only a stream without stream_options is asked for its usage: one
	// the client configured itself is its own business.
	if c.ep.Format == FormatChat && req.Stream && len(req.StreamOptions) == 0 {
		c.injected = true
	}
	if c.p.cfg.NoContent {
		return
	}
	for _, raw := range []json.RawMessage{req.Messages, req.Input, req.Prompt, req.Contents, req.Requests} {
		if len(raw) > 0 && string(raw) != "null" {
			c.prompt = clip(string(raw), c.p.cfg.MaxContent)
			break
		}
	}
}

// injectUsage adds "stream_options":{"include_usage":true} to a JSON
// object, before its closing brace, leaving every other byte as it was.
func injectUsage(body []byte) []byte {
	end := bytes.LastIndexByte(body, '}')
	if end < 0 {
		return body
	}
	inner := bytes.TrimSpace(body[:end])
	sep := ","
	if bytes.HasSuffix(inner, []byte("{")) {
		sep = ""
	}
	out := make([]byte, 0, len(body)+40)
	out = append(out, body[:end]...)
	out = append(out, sep+`"stream_options":{"include_usage":true}`...)
	return append(out, body[end:]...)
}

// geminiPath reads the model and the stream flag from a Gemini path:
// .../models/{model}:{method}.
func geminiPath(path string) (model string, stream bool) {
	i := strings.LastIndex(path, "/models/")
	if i < 0 {
		return "", false
	}
	model, method, _ := strings.Cut(path[i+len("/models/"):], ":")
	return model, method == "streamGenerateContent"
}

// prepareOut adjusts the outgoing request: when we asked for the usage
// chunk, the response must come unencoded for us to take it out again.
func (c *call) prepareOut(out *http.Request) {
	if c.injected {
		out.Header.Del("Accept-Encoding")
	}
}

// refused answers the call itself when the Gate refuses it.
func (c *call) refused(w http.ResponseWriter) bool {
	if !c.llm || c.p.cfg.Gate == nil {
		return false
	}
	err := c.p.cfg.Gate(c.route.System)
	if err == nil {
		return false
	}
	c.mu.Lock()
	c.outcome, c.errMsg, c.errType, c.status = OutcomeRefused, err.Error(), "agentops_limit", http.StatusTooManyRequests
	c.usageWhy = "refused by agentops before it was sent: " + err.Error()
	c.mu.Unlock()
	writeRefusal(w, c.route.API, err.Error())
	return true
}

// response starts reading the upstream's response.
func (c *call) response(res *http.Response) {
	c.mu.Lock()
	c.status = res.StatusCode
	c.reqIDs = requestIDs(res.Header)
	c.mu.Unlock()
	if !c.llm || res.StatusCode == http.StatusSwitchingProtocols {
		return
	}
	res.Body = newTap(c, res)
	if c.injected && isSSE(res.Header) && res.Header.Get("Content-Encoding") == "" {
		// Taking the usage chunk out changes the length.
		res.Header.Del("Content-Length")
		res.ContentLength = -1
	}
}

func (c *call) firstByte() {
	c.mu.Lock()
	if c.firstChunk.IsZero() {
		c.firstChunk = time.Now()
	}
	c.mu.Unlock()
}

// bodyEnded is told by the response tap how reading the body ended: err
// nil for the whole body.
func (c *call) bodyEnded(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err == nil:
	case err == errClientGone || c.req.Context().Err() != nil:
		c.outcome = OutcomeCancelled
		c.usageWhy = "the client closed the connection before the response ended"
	default:
		c.outcome, c.errType = OutcomeStreamCut, "stream_cut"
		c.errMsg = "the upstream cut the response off: " + err.Error()
		c.usageWhy = "the response ended before its usage"
	}
}

// errClientGone is how the body ended when the client stopped reading it.
var errClientGone = errors.New("the client went away")

func (c *call) noteUsageWhy(why string) {
	c.mu.Lock()
	c.usageWhy = why
	c.mu.Unlock()
}

func (c *call) cancelled() {
	c.mu.Lock()
	c.outcome = OutcomeCancelled
	c.usageWhy = "the client cancelled the request before the upstream answered"
	c.mu.Unlock()
}

func (c *call) unreachable(err error) {
	c.mu.Lock()
	c.outcome, c.errType = OutcomeUnreachable, "unreachable"
	c.errMsg = "upstream " + c.route.Target.Host + " could not be reached: " + describeNetErr(err)
	c.usageWhy = "the upstream could not be reached"
	c.mu.Unlock()
}

func describeNetErr(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Op + ": " + op.Err.Error()
	}
	return err.Error()
}

// end ends the call's span with what is known; safe to call twice.
func (c *call) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended || c.span == nil {
		return
	}
	c.ended = true
	sp := c.span
	if c.outcome == OutcomeRefused {
		c.endRefused()
		return
	}
	attrs := []attribute.KeyValue{
		attribute.Bool(AttrCapture, true),
		attribute.String("gen_ai.operation.name", c.ep.Operation),
		attribute.String("gen_ai.provider.name", c.route.System),
		attribute.String("http.request.method", c.req.Method),
		attribute.String("server.address", c.route.Target.Hostname()),
		attribute.String("url.path", joinPath(c.route.Target.Path, c.path)),
		// Without the query: Gemini's ?key= is a secret.
		attribute.String("url.full", c.route.Target.Scheme+"://"+c.route.Target.Host+joinPath(c.route.Target.Path, c.path)),
	}
	if port := c.route.Target.Port(); port != "" {
		if n, err := strconv.Atoi(port); err == nil {
			attrs = append(attrs, attribute.Int("server.port", n))
		}
	}
	if c.model != "" {
		attrs = append(attrs, attribute.String("gen_ai.request.model", c.model))
	}
	if c.stream {
		attrs = append(attrs, attribute.Bool("gen_ai.request.stream", true))
	}
	if c.injected {
		attrs = append(attrs, attribute.Bool(AttrUsageRequested, true))
	}
	if c.status != 0 {
		attrs = append(attrs, attribute.Int("http.response.status_code", c.status))
	}
	for k, v := range c.reqIDs {
		attrs = append(attrs, attribute.StringSlice("http.response.header."+k, []string{v}))
	}
	r := &c.res
	if r.model != "" {
		attrs = append(attrs, attribute.String("gen_ai.response.model", r.model))
	}
	if r.id != "" {
		attrs = append(attrs, attribute.String("gen_ai.response.id", r.id))
	}
	if len(r.finish) > 0 {
		attrs = append(attrs, attribute.StringSlice("gen_ai.response.finish_reasons", r.finish))
	}
	if !c.firstChunk.IsZero() && c.stream {
		attrs = append(attrs, attribute.Float64("gen_ai.response.time_to_first_chunk", c.firstChunk.Sub(c.start).Seconds()))
	}
	if !c.p.cfg.NoContent {
		if c.prompt != "" {
			attrs = append(attrs, attribute.String("gen_ai.input.messages", c.prompt))
		}
		if r.completion.Len() > 0 {
			attrs = append(attrs, attribute.String("gen_ai.output.messages", outputMessages(r.completion.String(), r.finish, c.p.cfg.MaxContent)))
		}
	}
	outcome := c.outcome
	if outcome == "" && c.status >= 400 {
		outcome = OutcomeHTTPError
		c.errType = strconv.Itoa(c.status)
		c.errMsg = fmt.Sprintf("HTTP %d", c.status)
		if r.errM != "" {
			c.errMsg += ": " + r.errM
		}
		if r.errType != "" {
			c.errType = r.errType
		}
		c.usageWhy = fmt.Sprintf("the upstream answered HTTP %d", c.status)
	}
	if outcome == "" && r.errM != "" {
		// An error event inside a stream that otherwise ended well.
		outcome, c.errType, c.errMsg = OutcomeHTTPError, first(r.errType, "stream_error"), r.errM
	}
	if outcome == "" {
		outcome = OutcomeOK
	}
	attrs = append(attrs, attribute.String(AttrOutcome, outcome))
	if u := r.usage; u.seen {
		attrs = append(attrs,
			attribute.Int64("gen_ai.usage.input_tokens", u.input),
			attribute.Int64("gen_ai.usage.output_tokens", u.output))
		if u.cacheRead > 0 {
			attrs = append(attrs, attribute.Int64("gen_ai.usage.cache_read.input_tokens", u.cacheRead))
		}
		if u.cacheCreation > 0 {
			attrs = append(attrs, attribute.Int64("gen_ai.usage.cache_creation.input_tokens", u.cacheCreation))
		}
		if u.reasoning > 0 {
			attrs = append(attrs, attribute.Int64("gen_ai.usage.reasoning.output_tokens", u.reasoning))
		}
		// No semantic convention names these yet: events reads ours.
		if u.cacheCreation1h > 0 {
			attrs = append(attrs, attribute.Int64("agentops.usage.cache_creation_1h.input_tokens", u.cacheCreation1h))
		}
		if u.webSearches > 0 {
			attrs = append(attrs, attribute.Int64("agentops.usage.web_search_requests", u.webSearches))
		}
	} else {
		why := c.usageWhy
		if why == "" {
			why = "the response carried no usage"
		}
		attrs = append(attrs, attribute.String(AttrUsageMissing, why))
	}
	if c.errMsg != "" {
		msg := scrub(c.errMsg, c.secrets)
		attrs = append(attrs, attribute.String("error.type", c.errType))
		sp.SetStatus(codes.Error, msg)
	}
	sp.SetAttributes(attrs...)
	sp.End()
}

// endRefused ends the span of a call the Gate refused: it was never
// sent, so it is not an LLM call (no gen_ai.operation.name, no model
// attribute to count it by), only an error saying why.
func (c *call) endRefused() {
	c.p.calls.Add(-1)
	c.span.SetName("agentops.capture.refused " + c.model)
	c.span.SetAttributes(
		attribute.Bool(AttrCapture, true),
		attribute.String(AttrOutcome, OutcomeRefused),
		attribute.String("gen_ai.provider.name", c.route.System),
		attribute.String("agentops.capture.request_model", c.model),
		attribute.Int("http.response.status_code", c.status),
		attribute.String("error.type", c.errType))
	c.span.SetStatus(codes.Error, c.errMsg)
	c.span.End()
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func joinPath(base, rest string) string {
	return strings.TrimSuffix(base, "/") + "/" + strings.TrimPrefix(rest, "/")
}

// requestIDs are the provider's request ids of a response, for the
// cross-source rule to match the call with an agent's own report of it.
func requestIDs(h http.Header) map[string]string {
	out := map[string]string{}
	for _, k := range []string{"request-id", "x-request-id"} {
		if v := h.Get(k); v != "" {
			out[k] = v
		}
	}
	return out
}

// outputMessages renders a completion as gen_ai.output.messages.
func outputMessages(text string, finish []string, limit int) string {
	msg := map[string]any{"role": "assistant", "parts": []map[string]string{{"type": "text", "content": clip(text, limit)}}}
	if len(finish) > 0 {
		msg["finish_reason"] = finish[0]
	}
	b, _ := json.Marshal([]any{msg})
	return string(b)
}

// clip shortens s to at most limit bytes, on a rune boundary.
func clip(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	i := limit
	for i > 0 && (s[i]&0xC0) == 0x80 {
		i--
	}
	return s[:i] + "…"
}
