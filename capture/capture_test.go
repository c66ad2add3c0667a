package capture

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// rig is a proxy in front of an upstream, recording spans.
type rig struct {
	proxy *Proxy
	rec   *tracetest.SpanRecorder
	// got is the last request the upstream received.
	mu  sync.Mutex
	got []receivedRequest
}

type receivedRequest struct {
	method, path, query string
	header              http.Header
	body                []byte
}

func newRig(t *testing.T, upstream http.Handler, mod ...func(*Config)) *rig {
	t.Helper()
	r := &rig{rec: tracetest.NewSpanRecorder()}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, receivedRequest{req.Method, req.URL.Path, req.URL.RawQuery, req.Header.Clone(), body})
		r.mu.Unlock()
		req.Body = io.NopCloser(bytes.NewReader(body))
		upstream.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return r.start(t, srv.URL, mod...)
}

func (r *rig) start(t *testing.T, upstream string, mod ...func(*Config)) *rig {
	t.Helper()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.rec))
	var routes []Route
	for _, p := range Providers {
		u, _ := url.Parse(upstream + map[string]string{APIOpenAI: "/v1", APIAnthropic: "", APIGemini: ""}[p.API])
		routes = append(routes, Route{Provider: p, Target: u})
	}
	cfg := Config{Routes: routes, Tracer: tp.Tracer("test")}
	for _, m := range mod {
		m(&cfg)
	}
	r.proxy = New(cfg)
	if err := r.proxy.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.proxy.Shutdown(context.Background()) })
	return r
}

func (r *rig) last(t *testing.T) receivedRequest {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.got) == 0 {
		t.Fatal("the upstream received nothing")
	}
	return r.got[len(r.got)-1]
}

// spans are the ended spans, once the proxy is shut down.
func (r *rig) spans(t *testing.T) []sdktrace.ReadOnlySpan {
	t.Helper()
	if err := r.proxy.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	return r.rec.Ended()
}

func (r *rig) onlySpan(t *testing.T) map[string]attribute.Value {
	t.Helper()
	spans := r.spans(t)
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	return attrs(spans[0])
}

func attrs(s sdktrace.ReadOnlySpan) map[string]attribute.Value {
	m := map[string]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value
	}
	return m
}

func post(t *testing.T, u, body string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

func wantInt(t *testing.T, a map[string]attribute.Value, key string, want int64) {
	t.Helper()
	if got := a[key].AsInt64(); got != want || a[key].Type() != attribute.INT64 {
		t.Errorf("%s = %v, want %d", key, a[key].Emit(), want)
	}
}

func wantStr(t *testing.T, a map[string]attribute.Value, key, want string) {
	t.Helper()
	if got := a[key].Emit(); got != want {
		t.Errorf("%s = %q, want %q", key, got, want)
	}
}

// openAIChatStream answers as the OpenAI API does: with
// stream_options.include_usage, every chunk has "usage":null and a last
// chunk with no choices carries the usage.
func openAIChatStream(w http.ResponseWriter, r *http.Request) {
	var req struct {
		StreamOptions *struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
	}
	_ = json.NewDecoder(r.Body).Decode(&req)
	usage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("x-request-id", "req_123")
	null := ""
	if usage {
		null = `,"usage":null`
	}
	for i, tok := range []string{"Hel", "lo"} {
		fin := "null"
		if i == 1 {
			fin = `"stop"`
		}
		fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{\"content\":%q},\"finish_reason\":%s}]%s}\n\n", tok, fin, null)
		w.(http.Flusher).Flush()
	}
	if usage {
		fmt.Fprint(w, `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","model":"gpt-4o-mini-2024-07-18","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":2,"total_tokens":14,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":0}}}`+"\n\n")
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
}

func TestChatStreamUsageIsAskedForAndHidden(t *testing.T) {
	r := newRig(t, http.HandlerFunc(openAIChatStream))
	body := `{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}`
	_, got := post(t, r.proxy.URL("openai")+"/chat/completions", body, "Authorization", "Bearer sk-secret-123456")

	// What the client receives is what the API sends a stream that did
	// not ask for its usage.
	direct := httptest.NewRecorder()
	openAIChatStream(direct, httptest.NewRequest("POST", "/", strings.NewReader(body)))
	if string(got) != direct.Body.String() {
		t.Errorf("client received\n%s\nwant\n%s", got, direct.Body.String())
	}
	up := r.last(t)
	if want := `{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}],"stream_options":{"include_usage":true}}`; string(up.body) != want {
		t.Errorf("upstream received %s, want %s", up.body, want)
	}
	if up.path != "/v1/chat/completions" || up.header.Get("Authorization") != "Bearer sk-secret-123456" {
		t.Errorf("upstream got path %q auth %q", up.path, up.header.Get("Authorization"))
	}
	a := r.onlySpan(t)
	wantInt(t, a, "gen_ai.usage.input_tokens", 12)
	wantInt(t, a, "gen_ai.usage.output_tokens", 2)
	wantInt(t, a, "gen_ai.usage.cache_read.input_tokens", 4)
	wantStr(t, a, "gen_ai.request.model", "gpt-4o-mini")
	wantStr(t, a, "gen_ai.response.model", "gpt-4o-mini-2024-07-18")
	wantStr(t, a, "gen_ai.response.id", "chatcmpl-1")
	wantStr(t, a, "gen_ai.provider.name", "openai")
	wantStr(t, a, "http.response.header.x-request-id", `["req_123"]`)
	wantStr(t, a, AttrOutcome, OutcomeOK)
	if !strings.Contains(a["gen_ai.output.messages"].AsString(), "Hello") {
		t.Errorf("completion %q", a["gen_ai.output.messages"].AsString())
	}
	if a["gen_ai.response.time_to_first_chunk"].AsFloat64() <= 0 {
		t.Errorf("no time to first chunk")
	}
}

func TestChatStreamThatAskedItselfIsUntouched(t *testing.T) {
	r := newRig(t, http.HandlerFunc(openAIChatStream))
	body := `{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[]}`
	_, got := post(t, r.proxy.URL("openai")+"/chat/completions", body)
	direct := httptest.NewRecorder()
	openAIChatStream(direct, httptest.NewRequest("POST", "/", strings.NewReader(body)))
	if string(got) != direct.Body.String() {
		t.Errorf("client received\n%s\nwant\n%s", got, direct.Body.String())
	}
	if string(r.last(t).body) != body {
		t.Errorf("upstream received %s", r.last(t).body)
	}
	a := r.onlySpan(t)
	wantInt(t, a, "gen_ai.usage.input_tokens", 12)
	if _, ok := a[AttrUsageRequested]; ok {
		t.Error("usage_requested set on a stream that asked itself")
	}
}

// TestAnthropicCacheLifetimeAndSearches: the one-hour part of the cache
// writes and the web searches, which are priced apart, reach the span.
func TestAnthropicCacheLifetimeAndSearches(t *testing.T) {
	resp := `{"id":"msg_3","type":"message","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn",` +
		`"usage":{"input_tokens":10,"cache_creation_input_tokens":200,"cache_read_input_tokens":300,"output_tokens":7,` +
		`"cache_creation":{"ephemeral_5m_input_tokens":150,"ephemeral_1h_input_tokens":50},"server_tool_use":{"web_search_requests":2}}}`
	r := newRig(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, resp)
	}))
	post(t, r.proxy.URL("anthropic")+"/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[]}`, "x-api-key", "sk-ant-key-000000")
	a := r.onlySpan(t)
	wantInt(t, a, "gen_ai.usage.input_tokens", 510)
	wantInt(t, a, "gen_ai.usage.cache_creation.input_tokens", 200)
	wantInt(t, a, "agentops.usage.cache_creation_1h.input_tokens", 50)
	wantInt(t, a, "agentops.usage.web_search_requests", 2)
}

func TestNonStreamingShapes(t *testing.T) {
	tests := []struct {
		name, route, path, req, resp string
		ct                           string
		want                         map[string]int64
		model, id                    string
	}{
		{"openai chat", "openai", "/chat/completions", `{"model":"gpt-4o","messages":[]}`,
			`{"id":"chatcmpl-9","model":"gpt-4o-2024-08-06","choices":[{"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":100,"completion_tokens":20,"prompt_tokens_details":{"cached_tokens":60},"completion_tokens_details":{"reasoning_tokens":5}}}`,
			"", map[string]int64{"input_tokens": 100, "output_tokens": 20, "cache_read.input_tokens": 60, "reasoning.output_tokens": 5}, "gpt-4o-2024-08-06", "chatcmpl-9"},
		{"openai responses", "openai", "/responses", `{"model":"gpt-5","input":"hi"}`,
			`{"id":"resp_1","model":"gpt-5-2025-08-07","status":"completed","output":[{"type":"message","content":[{"type":"output_text","text":"ok"}]}],"usage":{"input_tokens":30,"output_tokens":9,"input_tokens_details":{"cached_tokens":10},"output_tokens_details":{"reasoning_tokens":7}}}`,
			"", map[string]int64{"input_tokens": 30, "output_tokens": 9, "cache_read.input_tokens": 10, "reasoning.output_tokens": 7}, "gpt-5-2025-08-07", "resp_1"},
		{"openai embeddings", "openai", "/embeddings", `{"model":"text-embedding-3-small","input":"hi"}`,
			`{"object":"list","data":[{"embedding":[0.1]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":2,"total_tokens":2}}`,
			"", map[string]int64{"input_tokens": 2, "output_tokens": 0}, "text-embedding-3-small", ""},
		{"anthropic messages", "anthropic", "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[]}`,
			`{"id":"msg_1","type":"message","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","usage":{"input_tokens":10,"cache_creation_input_tokens":200,"cache_read_input_tokens":300,"output_tokens":7}}`,
			"", map[string]int64{"input_tokens": 510, "output_tokens": 7, "cache_read.input_tokens": 300, "cache_creation.input_tokens": 200}, "claude-sonnet-4-5-20250929", "msg_1"},
		{"gemini generate", "gemini", "/v1beta/models/gemini-2.5-flash:generateContent", `{"contents":[]}`,
			`{"candidates":[{"content":{"parts":[{"text":"ok"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":40,"candidatesTokenCount":8,"cachedContentTokenCount":16,"thoughtsTokenCount":30},"modelVersion":"gemini-2.5-flash","responseId":"r-1"}`,
			"", map[string]int64{"input_tokens": 40, "output_tokens": 38, "cache_read.input_tokens": 16, "reasoning.output_tokens": 30}, "gemini-2.5-flash", "r-1"},
		{"gemini stream as a JSON array", "gemini", "/v1beta/models/gemini-2.5-flash:streamGenerateContent", `{"contents":[]}`,
			"[{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"o\"}]}}],\"usageMetadata\":{\"promptTokenCount\":40}},\n{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"k\"}]},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":40,\"candidatesTokenCount\":2},\"modelVersion\":\"gemini-2.5-flash\"}]",
			"", map[string]int64{"input_tokens": 40, "output_tokens": 2}, "gemini-2.5-flash", ""},
		{"gemini stream as SSE", "gemini", "/v1beta/models/gemini-2.5-pro:streamGenerateContent", `{"contents":[]}`,
			"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"o\"}]}}],\"usageMetadata\":{\"promptTokenCount\":5}}\r\n\r\ndata: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"k\"}]},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":5,\"candidatesTokenCount\":3},\"modelVersion\":\"gemini-2.5-pro\"}\r\n\r\n",
			"text/event-stream", map[string]int64{"input_tokens": 5, "output_tokens": 3}, "gemini-2.5-pro", ""},
		{"anthropic stream", "anthropic", "/v1/messages", `{"model":"claude-haiku-4-5","stream":true,"messages":[]}`,
			"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_2\",\"model\":\"claude-haiku-4-5-20251001\",\"usage\":{\"input_tokens\":25,\"cache_read_input_tokens\":100,\"output_tokens\":1}}}\n\n" +
				"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"ok\"}}\n\n" +
				"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":15}}\n\n" +
				"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
			"text/event-stream", map[string]int64{"input_tokens": 125, "output_tokens": 15, "cache_read.input_tokens": 100}, "claude-haiku-4-5-20251001", "msg_2"},
		{"openai responses stream", "openai", "/responses", `{"model":"gpt-5","stream":true,"input":"hi"}`,
			"event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_2\",\"model\":\"gpt-5-2025-08-07\",\"status\":\"in_progress\",\"usage\":null}}\n\n" +
				"event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"ok\"}\n\n" +
				"event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"resp_2\",\"model\":\"gpt-5-2025-08-07\",\"status\":\"completed\",\"usage\":{\"input_tokens\":8,\"output_tokens\":3,\"output_tokens_details\":{\"reasoning_tokens\":1}}}}\n\n",
			"text/event-stream", map[string]int64{"input_tokens": 8, "output_tokens": 3, "reasoning.output_tokens": 1}, "gpt-5-2025-08-07", "resp_2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", first(tt.ct, "application/json"))
				w.Header().Set("request-id", "req_x")
				_, _ = io.WriteString(w, tt.resp)
			}))
			_, got := post(t, r.proxy.URL(tt.route)+tt.path, tt.req, "x-api-key", "sk-ant-key-000000")
			if string(got) != tt.resp {
				t.Errorf("client received %q", got)
			}
			if string(r.last(t).body) != tt.req {
				t.Errorf("upstream received %s, want %s", r.last(t).body, tt.req)
			}
			a := r.onlySpan(t)
			for k, v := range tt.want {
				wantInt(t, a, "gen_ai.usage."+k, v)
			}
			wantStr(t, a, "gen_ai.response.model", tt.model)
			if tt.id != "" {
				wantStr(t, a, "gen_ai.response.id", tt.id)
			}
			wantStr(t, a, "http.response.header.request-id", `["req_x"]`)
			wantStr(t, a, AttrCapture, "true")
			if _, ok := a[AttrUsageMissing]; ok {
				t.Errorf("usage missing: %s", a[AttrUsageMissing].AsString())
			}
			for k, v := range a {
				if strings.Contains(v.Emit(), "sk-ant-key") {
					t.Errorf("the key is in %s", k)
				}
			}
		})
	}
}

func TestGzipResponseIsPassedAsSentAndRead(t *testing.T) {
	resp := `{"id":"chatcmpl-z","model":"gpt-4o","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}`
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	_, _ = io.WriteString(zw, resp)
	_ = zw.Close()
	r := newRig(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Header.Get("Accept-Encoding") != "gzip" {
			http.Error(w, "want the client's Accept-Encoding", 400)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(zipped.Bytes())
	}))
	req, _ := http.NewRequest("POST", r.proxy.URL("openai")+"/chat/completions", strings.NewReader(`{"model":"gpt-4o"}`))
	req.Header.Set("Accept-Encoding", "gzip") // so that the client does not decode it
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Equal(got, zipped.Bytes()) || res.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("client received %d bytes, encoding %q; want the upstream's %d gzip bytes", len(got), res.Header.Get("Content-Encoding"), zipped.Len())
	}
	a := r.onlySpan(t)
	wantInt(t, a, "gen_ai.usage.input_tokens", 3)
	wantInt(t, a, "gen_ai.usage.output_tokens", 4)
}

func TestUpstreamErrorReachesClientAsSent(t *testing.T) {
	body := `{"error":{"message":"Rate limit reached for sk-abc...wxyz","type":"rate_limit_error","code":"rate_limit_exceeded"}}`
	r := newRig(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "3")
		w.WriteHeader(429)
		_, _ = io.WriteString(w, body)
	}))
	res, got := post(t, r.proxy.URL("openai")+"/chat/completions", `{"model":"gpt-4o","stream":true}`, "Authorization", "Bearer sk-abc-real-key")
	if res.StatusCode != 429 || string(got) != body || res.Header.Get("Retry-After") != "3" {
		t.Errorf("client got %d %q retry-after %q", res.StatusCode, got, res.Header.Get("Retry-After"))
	}
	spans := r.spans(t)
	a := attrs(spans[0])
	wantStr(t, a, AttrOutcome, OutcomeHTTPError)
	wantStr(t, a, "error.type", "rate_limit_error")
	wantInt(t, a, "http.response.status_code", 429)
	if spans[0].Status().Code != codes.Error || strings.Contains(spans[0].Status().Description, "sk-abc") {
		t.Errorf("status %v %q", spans[0].Status().Code, spans[0].Status().Description)
	}
	if !strings.Contains(a[AttrUsageMissing].AsString(), "429") {
		t.Errorf("usage_missing %q", a[AttrUsageMissing].AsString())
	}
}

func TestUpstreamDownClosesTheConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	r := (&rig{rec: tracetest.NewSpanRecorder()}).start(t, "http://"+addr)
	req, _ := http.NewRequest("POST", r.proxy.URL("openai")+"/chat/completions", strings.NewReader(`{"model":"gpt-4o"}`))
	_, err = http.DefaultClient.Do(req)
	if err == nil {
		t.Fatal("the client got a response from an upstream that is down")
	}
	// Direct, the client would have failed to connect: either way a
	// transport error, no HTTP status.
	_, direct := http.Post("http://"+addr+"/v1/chat/completions", "application/json", strings.NewReader("{}"))
	t.Logf("through the proxy: %v; direct: %v", err, direct)
	spans := r.spans(t)
	a := attrs(spans[0])
	wantStr(t, a, AttrOutcome, OutcomeUnreachable)
	if !strings.Contains(spans[0].Status().Description, "could not be reached") {
		t.Errorf("status %q", spans[0].Status().Description)
	}
}

func TestStreamCutMidway(t *testing.T) {
	r := newRig(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_c\",\"model\":\"claude\",\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n")
		w.(http.Flusher).Flush()
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	req, _ := http.NewRequest("POST", r.proxy.URL("anthropic")+"/v1/messages", strings.NewReader(`{"model":"claude","stream":true}`))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err == nil {
		t.Errorf("the client read a whole body (%q) from a stream that was cut", got)
	}
	if !strings.Contains(string(got), "message_start") {
		t.Errorf("the client did not get the events before the cut: %q", got)
	}
	spans := r.spans(t)
	a := attrs(spans[0])
	wantStr(t, a, AttrOutcome, OutcomeStreamCut)
	if spans[0].Status().Code != codes.Error {
		t.Error("a cut stream is not an error")
	}
	// What arrived is kept: message_start had the input.
	wantInt(t, a, "gen_ai.usage.input_tokens", 5)
}

func TestClientCancelCancelsUpstream(t *testing.T) {
	upstreamGone := make(chan struct{})
	started := make(chan struct{})
	r := newRig(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"id\":\"c\",\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n")
		w.(http.Flusher).Flush()
		close(started)
		<-req.Context().Done()
		close(upstreamGone)
	}))
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", r.proxy.URL("openai")+"/chat/completions", strings.NewReader(`{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true}}`))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = bufio.NewReader(res.Body).ReadString('\n')
	<-started
	cancel()
	res.Body.Close()
	<-upstreamGone // the upstream saw its request cancelled
	spans := r.spans(t)
	a := attrs(spans[0])
	wantStr(t, a, AttrOutcome, OutcomeCancelled)
	if spans[0].Status().Code == codes.Error {
		t.Error("a call the client cancelled is not the upstream's error")
	}
	if _, ok := a[AttrUsageMissing]; !ok {
		t.Error("no usage_missing on a cancelled call")
	}
}

func TestTraceparentParentsTheCall(t *testing.T) {
	r := newRig(t, http.HandlerFunc(openAIChatStream))
	const tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	post(t, r.proxy.URL("openai")+"/chat/completions", `{"model":"m"}`, "traceparent", tp)
	if r.last(t).header.Get("traceparent") != tp {
		t.Error("traceparent not forwarded")
	}
	s := r.spans(t)[0]
	if s.Parent().TraceID().String() != "0af7651916cd43dd8448eb211c80319c" || s.Parent().SpanID().String() != "b7ad6b7169203331" {
		t.Errorf("parent %v", s.Parent())
	}
}

func TestGateRefusesInTheProvidersFormat(t *testing.T) {
	for _, tt := range []struct{ route, path, want string }{
		{"openai", "/chat/completions", `"code":"agentops_limit_reached"`},
		{"anthropic", "/v1/messages", `"type":"rate_limit_error"`},
		{"gemini", "/v1beta/models/g:generateContent", `"status":"RESOURCE_EXHAUSTED"`},
	} {
		t.Run(tt.route, func(t *testing.T) {
			r := newRig(t, http.HandlerFunc(openAIChatStream), func(c *Config) {
				c.Gate = func(p string) error { return fmt.Errorf("the session's --max-cost budget is spent (%s)", p) }
			})
			res, got := post(t, r.proxy.URL(tt.route)+tt.path, `{"model":"m"}`)
			if res.StatusCode != 429 || !strings.Contains(string(got), tt.want) || !strings.Contains(string(got), "budget is spent") || res.Header.Get("X-Should-Retry") != "false" {
				t.Errorf("got %d %s", res.StatusCode, got)
			}
			r.mu.Lock()
			n := len(r.got)
			r.mu.Unlock()
			if n != 0 {
				t.Error("a refused call reached the upstream")
			}
			s := r.spans(t)[0]
			a := attrs(s)
			if _, ok := a["gen_ai.operation.name"]; ok {
				t.Error("a refused call is an LLM call")
			}
			wantStr(t, a, AttrOutcome, OutcomeRefused)
			if r.proxy.Calls() != 0 {
				t.Errorf("calls %d", r.proxy.Calls())
			}
		})
	}
}

func TestWebSocketUpgradeIsPassedThrough(t *testing.T) {
	r := newRig(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Header.Get("Upgrade") != "websocket" {
			http.Error(w, "no upgrade", 400)
			return
		}
		conn, brw, _ := w.(http.Hijacker).Hijack()
		defer conn.Close()
		fmt.Fprint(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		brw.Flush()
		line, _ := brw.ReadString('\n')
		fmt.Fprint(brw, "echo "+line)
		brw.Flush()
	}))
	u, _ := url.Parse(r.proxy.URL("openai") + "/responses")
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", u.Path, u.Host)
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != 101 {
		t.Fatalf("upgrade: %v %v", res, err)
	}
	fmt.Fprint(conn, "hello\n")
	line, _ := br.ReadString('\n')
	if line != "echo hello\n" {
		t.Errorf("through the upgraded connection: %q", line)
	}
}

func TestLargeRequestBodyPassesWhole(t *testing.T) {
	r := newRig(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"x","usage":{"prompt_tokens":1,"completion_tokens":1}}`)
	}))
	big := `{"model":"gpt-4o","messages":[{"role":"user","content":"` + strings.Repeat("a", 20<<20) + `"}]}`
	res, _ := post(t, r.proxy.URL("openai")+"/chat/completions", big)
	if res.StatusCode != 200 || string(r.last(t).body) != big {
		t.Fatalf("status %d, upstream got %d bytes of %d", res.StatusCode, len(r.last(t).body), len(big))
	}
	a := r.onlySpan(t)
	if n := len(a["gen_ai.input.messages"].AsString()); n > DefaultMaxContent+8 {
		t.Errorf("prompt kept %d bytes, cap %d", n, DefaultMaxContent)
	}
}

func TestNoContent(t *testing.T) {
	r := newRig(t, http.HandlerFunc(openAIChatStream), func(c *Config) { c.NoContent = true })
	post(t, r.proxy.URL("openai")+"/chat/completions", `{"model":"m","stream":true,"messages":[{"role":"user","content":"secret plan"}]}`)
	a := r.onlySpan(t)
	if _, ok := a["gen_ai.input.messages"]; ok {
		t.Error("prompt kept")
	}
	if _, ok := a["gen_ai.output.messages"]; ok {
		t.Error("completion kept")
	}
	wantInt(t, a, "gen_ai.usage.input_tokens", 12)
}

func TestOtherPathsAreForwardedWithoutASpan(t *testing.T) {
	r := newRig(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.WriteString(w, `{"data":[]}`)
	}))
	res, err := http.Get(r.proxy.URL("openai") + "/models?limit=2")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := r.last(t); got.path != "/v1/models" || got.query != "limit=2" {
		t.Errorf("upstream got %s?%s", got.path, got.query)
	}
	if n := len(r.spans(t)); n != 0 {
		t.Errorf("%d spans for a model list", n)
	}
}

func TestUnknownRouteIs404(t *testing.T) {
	r := newRig(t, http.NotFoundHandler())
	u, _ := url.Parse(r.proxy.URL("openai"))
	res, err := http.Get("http://" + u.Host + "/v1/chat/completions")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Errorf("status %d", res.StatusCode)
	}
}

func TestNestedMarkIsRemovedAndNotRecorded(t *testing.T) {
	r := newRig(t, http.HandlerFunc(openAIChatStream))
	post(t, r.proxy.URL("openai")+"/chat/completions", `{"model":"m"}`, MarkHeader, "1")
	if r.last(t).header.Get(MarkHeader) != "" {
		t.Error("the mark reached the upstream")
	}
	if n := len(r.spans(t)); n != 0 {
		t.Errorf("%d spans for a call an inner session recorded", n)
	}
}
