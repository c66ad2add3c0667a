package capture

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// The benchmarks compare the same requests sent directly to a loopback
// upstream and through the proxy (spans recorded into a TracerProvider
// with no exporter): the difference is the proxy's cost. Run them side
// by side on a quiet machine:
//
//	go test ./capture -run '^$' -bench . -benchtime 2000x

const benchChat = `{"id":"chatcmpl-b","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there."},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}`

// benchChunk is one chat stream chunk, 200-odd bytes as OpenAI's are.
const benchChunk = "data: {\"id\":\"chatcmpl-b\",\"object\":\"chat.completion.chunk\",\"created\":1764547200,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_b\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" token\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n"

func benchUpstream(b *testing.B, chunks int) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if chunks == 0 {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, benchChat)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		for i := 0; i < chunks; i++ {
			_, _ = io.WriteString(w, benchChunk)
			if i%16 == 0 {
				fl.Flush()
			}
		}
		_, _ = io.WriteString(w, "data: [DONE]\n\n")
	}))
	b.Cleanup(srv.Close)
	return srv
}

func benchProxy(b *testing.B, upstream string) *Proxy {
	u, _ := url.Parse(upstream + "/v1")
	tp := sdktrace.NewTracerProvider()
	p := New(Config{Routes: []Route{{Provider: Providers[0], Target: u}}, Tracer: tp.Tracer("bench")})
	if err := p.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	return p
}

func benchPost(b *testing.B, client *http.Client, u, body string) int64 {
	res, err := client.Post(u, "application/json", strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	n, err := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 {
		b.Fatalf("status %d, %v", res.StatusCode, err)
	}
	return n
}

// BenchmarkRequest is one non-streaming chat completion, keep-alive.
func BenchmarkRequest(b *testing.B) {
	up := benchUpstream(b, 0)
	p := benchProxy(b, up.URL)
	body := `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello."}]}`
	for _, tt := range []struct{ name, url string }{
		{"direct", up.URL + "/v1/chat/completions"},
		{"proxy", p.URL("openai") + "/chat/completions"},
	} {
		b.Run(tt.name, func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			benchPost(b, client, tt.url, body) // connect first
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				benchPost(b, client, tt.url, body)
			}
		})
	}
}

// BenchmarkStream is a chat stream of 10,000 chunks (about 2.4 MB), read
// whole: throughput through the proxy, usage option asked for and taken
// out, against direct.
func BenchmarkStream(b *testing.B) {
	up := benchUpstream(b, 10000)
	p := benchProxy(b, up.URL)
	body := `{"model":"gpt-4o-mini","stream":true,"messages":[]}`
	for _, tt := range []struct{ name, url string }{
		{"direct", up.URL + "/v1/chat/completions"},
		{"proxy", p.URL("openai") + "/chat/completions"},
	} {
		b.Run(tt.name, func(b *testing.B) {
			client := &http.Client{}
			n := benchPost(b, client, tt.url, body)
			b.SetBytes(n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if got := benchPost(b, client, tt.url, body); got != n {
					b.Fatal(fmt.Sprintf("read %d bytes, then %d", n, got))
				}
			}
		})
	}
}

// BenchmarkFirstChunk is the time from sending a chat stream request to
// reading its first event (time to first token as the client sees it,
// with an upstream that answers at once), direct and through the proxy.
func BenchmarkFirstChunk(b *testing.B) {
	up := benchUpstream(b, 3)
	p := benchProxy(b, up.URL)
	body := `{"model":"gpt-4o-mini","stream":true,"messages":[]}`
	for _, tt := range []struct{ name, url string }{
		{"direct", up.URL + "/v1/chat/completions"},
		{"proxy", p.URL("openai") + "/chat/completions"},
	} {
		b.Run(tt.name, func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			benchPost(b, client, tt.url, body)
			var first time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				res, err := client.Post(tt.url, "application/json", strings.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				line, err := bufio.NewReader(res.Body).ReadString('\n')
				if err != nil || !strings.HasPrefix(line, "data: ") {
					b.Fatalf("first line %q, %v", line, err)
				}
				first += time.Since(start)
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
			b.ReportMetric(float64(first.Microseconds())/float64(b.N), "µs-to-first-chunk")
		})
	}
}
