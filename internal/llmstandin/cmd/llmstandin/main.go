// Command llmstandin serves the LLM stand-in (package llmstandin) on a
// loopback port, for tests whose client runs in a process of its own. It
// prints its base URL on stdout once listening and, with -log, appends one
// JSON line per request received (API, path, model, ids, reply).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"

	"github.com/agentops-dev/agentops/internal/llmstandin"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (loopback)")
	text := flag.String("text", "", "answer text (default: the stand-in's)")
	in := flag.Int("input-tokens", -1, "input tokens every call reports (default: per provider)")
	out := flag.Int("output-tokens", -1, "output tokens every call reports (default: per provider)")
	cacheRead := flag.Int("cache-read-tokens", 0, "cache-read tokens (included in -input-tokens)")
	logPath := flag.String("log", "", "append a JSON line per request to this file")
	flag.Parse()

	cfg := llmstandin.Config{}
	if *text != "" || *in >= 0 || *out >= 0 {
		r := llmstandin.DefaultReplies["anthropic"]
		if *text != "" {
			r.Text = *text
		}
		if *in >= 0 {
			r.Usage.Input = *in
		}
		if *out >= 0 {
			r.Usage.Output = *out
		}
		r.Usage.CacheRead = *cacheRead
		cfg.Reply = &r
	}
	if *logPath != "" {
		f, err := os.OpenFile(*logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, "llmstandin:", err)
			os.Exit(1)
		}
		var mu sync.Mutex
		enc := json.NewEncoder(f)
		cfg.Respond = func(r llmstandin.Request, resp *llmstandin.Response) {
			mu.Lock()
			defer mu.Unlock()
			_ = enc.Encode(map[string]any{
				"seq": r.Seq, "api": r.API, "method": r.Method, "path": r.Path, "model": r.Model,
				"stream": r.Stream, "status": resp.Status, "request_id": r.RequestID,
				"response_id": r.ResponseID, "input_tokens": r.Reply.Usage.Input, "output_tokens": r.Reply.Usage.Output,
			})
		}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "llmstandin:", err)
		os.Exit(1)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	if err := http.Serve(ln, llmstandin.New(cfg)); err != nil {
		fmt.Fprintln(os.Stderr, "llmstandin:", err)
		os.Exit(1)
	}
}
