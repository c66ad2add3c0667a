package llmstandin

import (
	"crypto/rand"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"strings"
)

// Response is what the stand-in writes for one request: a JSON body, or,
// when Events is non-nil, a text/event-stream of them. Config.Respond may
// change it before it is written.
type Response struct {
	Status int
	Header http.Header
	// Body is the whole body of a non-streamed answer.
	Body []byte
	// Events are the server-sent events of a streamed answer, written and
	// flushed one by one.
	Events []Event
	// Separator ends each event ("\n\n"; Gemini's API uses "\r\n\r\n").
	Separator string
}

// Event is one server-sent event.
type Event struct {
	// Name is the "event:" field; empty writes only "data:" (OpenAI chat
	// completions and Gemini name none).
	Name string
	Data []byte
}

// route maps a request to the API it is for.
func route(req *http.Request) API {
	p := req.URL.Path
	if strings.HasSuffix(p, "/api/hello") && (req.Method == http.MethodHead || req.Method == http.MethodGet) {
		return AnthropicHello
	}
	if req.Method != http.MethodPost {
		return Unknown
	}
	switch {
	case strings.HasSuffix(p, "/messages/count_tokens"):
		return AnthropicCountTokens
	case strings.HasSuffix(p, "/messages"):
		return AnthropicMessages
	case strings.HasSuffix(p, "/chat/completions"):
		return OpenAIChat
	case strings.HasSuffix(p, "/responses"):
		return OpenAIResponses
	case strings.HasSuffix(p, "/embeddings"):
		return OpenAIEmbeddings
	case strings.Contains(p, "/models/"):
		_, method, _ := strings.Cut(p[strings.LastIndex(p, "/")+1:], ":")
		switch method {
		case "generateContent":
			return GeminiGenerate
		case "streamGenerateContent":
			return GeminiStream
		case "countTokens":
			return GeminiCountTokens
		case "embedContent", "batchEmbedContents":
			return GeminiEmbed
		}
	}
	return Unknown
}

// requestBody is what the stand-in reads of a request body, across APIs.
type requestBody struct {
	Model         string `json:"model"`
	Stream        bool   `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Input      json.RawMessage `json:"input"`
	Dimensions int             `json:"dimensions"`
	Requests   []any           `json:"requests"` // Gemini batchEmbedContents
}

// ServeHTTP answers one request as the provider's API would.
func (s *Server) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(req.Body, 64<<20))
	r := Request{
		API:    route(req),
		Method: req.Method,
		Path:   req.URL.Path,
		Query:  req.URL.RawQuery,
		Header: req.Header.Clone(),
		Body:   body,
	}
	var rb requestBody
	if r.API != Unknown && r.API != AnthropicHello && r.API.Provider() != "gemini" {
		if err := json.Unmarshal(body, &rb); err != nil {
			s.answer(w, &r, errorResponse(r, http.StatusBadRequest, "invalid_request_error", "the body is not JSON: "+err.Error()))
			return
		}
	}
	r.Model, r.Stream = rb.Model, rb.Stream
	r.IncludeUsage = rb.StreamOptions != nil && rb.StreamOptions.IncludeUsage
	if r.API.Provider() == "gemini" {
		r.Model = geminiModel(req.URL.Path)
		r.Stream = r.API == GeminiStream
	}
	if s.cfg.APIKey != "" && !hasKey(req, s.cfg.APIKey) {
		s.begin(&r)
		s.answer(w, &r, errorResponse(r, http.StatusUnauthorized, "authentication_error", "invalid x-api-key"))
		return
	}
	s.begin(&r)
	var resp Response
	switch r.API {
	case AnthropicMessages:
		resp = anthropicMessages(&r)
	case AnthropicHello:
		resp = jsonResponse(map[string]string{"message": "hello"})
	case AnthropicCountTokens:
		resp = jsonResponse(map[string]int{"input_tokens": s.countTokens()})
	case OpenAIChat:
		resp = openAIChat(&r)
	case OpenAIResponses:
		resp = openAIResponses(&r)
	case OpenAIEmbeddings:
		resp = openAIEmbeddings(&r, rb)
	case GeminiGenerate, GeminiStream:
		resp = geminiGenerate(&r)
	case GeminiCountTokens:
		resp = jsonResponse(map[string]int{"totalTokens": s.countTokens()})
	case GeminiEmbed:
		resp = geminiEmbed(&r, body)
	default:
		resp = errorResponse(r, http.StatusNotFound, "not_found_error", "the LLM stand-in does not serve "+req.Method+" "+req.URL.Path)
	}
	s.answer(w, &r, resp)
}

// countTokens answers a token-counting request with the input of the reply
// the next call would get, so a client's estimate and its call agree.
func (s *Server) countTokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.replies < len(s.cfg.Replies):
		return s.cfg.Replies[s.replies].Usage.Input
	case s.cfg.Reply != nil:
		return s.cfg.Reply.Usage.Input
	}
	return DefaultReplies["anthropic"].Usage.Input
}

// answer lets Config.Respond see the response, writes it and records the
// request.
func (s *Server) answer(w http.ResponseWriter, r *Request, resp Response) {
	if resp.Status == 0 {
		resp.Status = http.StatusOK
	}
	if resp.Header == nil {
		resp.Header = http.Header{}
	}
	switch r.API.Provider() {
	case "anthropic":
		r.RequestID = "req_011C" + randomID(base62, 20)
		resp.Header.Set("request-id", r.RequestID)
	case "openai":
		r.RequestID = "req_" + randomID(hexDigits, 32)
		resp.Header.Set("x-request-id", r.RequestID)
		resp.Header.Set("openai-version", "2020-10-01")
	}
	if s.cfg.Respond != nil {
		s.cfg.Respond(*r, &resp)
	}
	r.Status = resp.Status
	s.finish(*r)
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	if resp.Events == nil {
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(resp.Status)
		_, _ = w.Write(resp.Body)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(resp.Status)
	sep := resp.Separator
	if sep == "" {
		sep = "\n\n"
	}
	flusher, _ := w.(http.Flusher)
	for _, ev := range resp.Events {
		var b strings.Builder
		if ev.Name != "" {
			b.WriteString("event: " + ev.Name + "\n")
		}
		b.WriteString("data: ")
		b.Write(ev.Data)
		b.WriteString(sep)
		if _, err := io.WriteString(w, b.String()); err != nil {
			return
		}
		if flusher != nil {
			flusher.Flush()
		}
	}
}

// hasKey reports whether the request carries key in any of the places the
// providers read it from.
func hasKey(req *http.Request, key string) bool {
	return req.Header.Get("x-api-key") == key ||
		req.Header.Get("Authorization") == "Bearer "+key ||
		req.Header.Get("x-goog-api-key") == key ||
		req.URL.Query().Get("key") == key
}

// errorResponse is an error in the shape of the provider the request was for.
func errorResponse(r Request, status int, kind, msg string) Response {
	switch r.API.Provider() {
	case "openai":
		return Response{Status: status, Body: mustJSON(map[string]any{
			"error": map[string]any{"message": msg, "type": kind, "param": nil, "code": nil}})}
	case "gemini":
		return Response{Status: status, Body: mustJSON(map[string]any{
			"error": map[string]any{"code": status, "message": msg, "status": geminiStatus(status)}})}
	}
	return Response{Status: status, Body: mustJSON(map[string]any{
		"type": "error", "error": map[string]any{"type": kind, "message": msg}})}
}

func jsonResponse(v any) Response { return Response{Body: mustJSON(v)} }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("llmstandin: " + err.Error())
	}
	return b
}

const (
	base62    = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	hexDigits = "0123456789abcdef"
)

// randomID returns n random characters of alphabet.
func randomID(alphabet string, n int) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("llmstandin: " + err.Error())
		}
		b[i] = alphabet[v.Int64()]
	}
	return string(b)
}

// pieces splits an answer into the deltas a stream sends (up to three,
// at spaces), so clients see more than one delta as they do from the real
// APIs. Joined, they give text back.
func pieces(text string) []string {
	words := strings.SplitAfter(text, " ")
	if len(words) < 3 {
		return []string{text}
	}
	n := len(words) / 3
	return []string{
		strings.Join(words[:n], ""),
		strings.Join(words[n:2*n], ""),
		strings.Join(words[2*n:], ""),
	}
}
