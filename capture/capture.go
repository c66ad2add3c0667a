// Package capture is the session's LLM capture proxy: a reverse proxy on
// loopback that the child's provider clients reach through their base-URL
// variables (OPENAI_BASE_URL, ANTHROPIC_BASE_URL, ...). It forwards every
// request, byte for byte and unbuffered, to where the client would have
// gone, and turns each LLM call into an OpenTelemetry GenAI client span in
// the session's TracerProvider, with the usage read from the response. It
// captures agents that have no OpenTelemetry SDK at all.
//
// Keys (Authorization, x-api-key, x-goog-api-key, key query parameters)
// are forwarded and never recorded: a span carries no request header and
// no query string, and upstream error messages are scrubbed of the keys
// the request carried.
package capture

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// DefaultMaxContent bounds the bytes of prompt and completion content
// kept on a span.
const DefaultMaxContent = 16 << 10

// Config configures a capture proxy.
type Config struct {
	// Addr is the listen address; empty means 127.0.0.1:0.
	Addr string
	// Routes are the variables to serve (see Plan).
	Routes []Route
	// Tracer makes the calls' spans; nil records nothing (a pure proxy).
	Tracer trace.Tracer
	// Parent holds the span a call without a traceparent header is
	// parented under (the session span).
	Parent context.Context
	// Env is our own environment ("K=V" list), read for HTTPS_PROXY,
	// HTTP_PROXY and NO_PROXY on the upstream side; nil means none.
	Env []string
	// NoContent keeps prompts and completions off the spans.
	NoContent bool
	// MaxContent bounds the bytes kept of each prompt and completion; 0
	// means DefaultMaxContent.
	MaxContent int
	// Gate, when set, is asked before each LLM call is forwarded, with the
	// provider's gen_ai.provider.name. A non-nil error refuses the call:
	// the client gets a 429 in its provider's error format, with
	// x-should-retry: false so that the official SDKs do not retry, and
	// the error's text as the message. The budget limits use it.
	Gate func(provider string) error
	// Nested marks the requests we forward with MarkHeader, for a proxy
	// of an outer session in front of our upstream not to record them
	// again (the outer session receives our spans).
	Nested bool
	// Transport replaces the upstream transport (tests); nil means one
	// built from Env that verifies TLS.
	Transport http.RoundTripper
}

// MarkHeader is set by a nested session's proxy on what it forwards; a
// proxy that receives it forwards the call without recording it, and
// removes the header.
const MarkHeader = "X-Agentops-Captured"

// Proxy is a running capture proxy.
type Proxy struct {
	cfg    Config
	prefix string
	routes map[string]*Route
	rp     *httputil.ReverseProxy
	srv    *http.Server
	ln     net.Listener

	// base is the context of every request; cancelled to cut what is
	// still in flight when Shutdown's deadline passes.
	base   context.Context
	cancel context.CancelFunc

	inflight sync.WaitGroup
	calls    atomic.Int64
	once     sync.Once
	done     chan struct{}
}

// New prepares a proxy; Start listens.
func New(cfg Config) *Proxy {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.MaxContent == 0 {
		cfg.MaxContent = DefaultMaxContent
	}
	if cfg.Parent == nil {
		cfg.Parent = context.Background()
	}
	if cfg.Transport == nil {
		cfg.Transport = lazyTransport(sync.OnceValue(func() *http.Transport { return NewTransport(cfg.Env) }))
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	p := &Proxy{cfg: cfg, prefix: "/" + hex.EncodeToString(b), routes: map[string]*Route{}, done: make(chan struct{})}
	for i := range cfg.Routes {
		p.routes[cfg.Routes[i].Route] = &cfg.Routes[i]
	}
	p.base, p.cancel = context.WithCancel(context.Background())
	p.rp = &httputil.ReverseProxy{
		Rewrite:   p.rewrite,
		Transport: cfg.Transport,
		// 0: ReverseProxy flushes every read of a response that streams
		// (text/event-stream, or no Content-Length) and buffers one whose
		// length is known, which arrives whole anyway.
		FlushInterval:  0,
		ModifyResponse: p.modifyResponse,
		ErrorHandler:   p.errorHandler,
		ErrorLog:       discardLog,
	}
	p.srv = &http.Server{
		Handler:           http.HandlerFunc(p.serve),
		ReadHeaderTimeout: time.Minute,
		BaseContext:       func(net.Listener) context.Context { return p.base },
		ErrorLog:          discardLog,
	}
	return p
}

// Start listens and serves in the background.
func (p *Proxy) Start(ctx context.Context) error {
	// Plain TCP, as the receiver: the agent is on this machine.
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	ln, err := lc.Listen(ctx, "tcp", p.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", p.cfg.Addr, err)
	}
	p.ln = ln
	go func() {
		defer close(p.done)
		_ = p.srv.Serve(ln)
	}()
	return nil
}

// URL is the base URL the child's variable for route gets.
func (p *Proxy) URL(route string) string {
	return "http://" + p.ln.Addr().String() + p.prefix + "/" + route
}

// Vars maps each served variable to the proxy URL the child gets.
func (p *Proxy) Vars() map[string]string {
	out := map[string]string{}
	for _, r := range p.cfg.Routes {
		out[r.Var] = p.URL(r.Route)
	}
	return out
}

// Calls counts the LLM calls recorded so far.
func (p *Proxy) Calls() int64 { return p.calls.Load() }

// Shutdown stops accepting connections and waits for the calls in flight
// (a grandchild may still be streaming); when ctx ends first, it cuts
// them, cancelling their upstream requests, and waits for their spans to
// end. Safe to call more than once.
func (p *Proxy) Shutdown(ctx context.Context) error {
	if p.ln == nil {
		return nil
	}
	var err error
	p.once.Do(func() {
		_ = p.srv.Shutdown(ctx)
		idle := make(chan struct{})
		go func() { p.inflight.Wait(); close(idle) }()
		select {
		case <-idle:
		case <-ctx.Done():
			err = fmt.Errorf("capture proxy: calls still in flight were cut: %w", ctx.Err())
			p.cancel()
			_ = p.srv.Close()
			<-idle
		}
		p.cancel()
		<-p.done
	})
	return err
}

// serve is the proxy's handler: it finds the route, records the call
// and hands the request to the reverse proxy.
func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	p.inflight.Add(1)
	defer p.inflight.Done()
	rest, ok := strings.CutPrefix(r.URL.Path, p.prefix+"/")
	name, _, _ := strings.Cut(rest, "/")
	route := p.routes[name]
	if !ok || route == nil {
		http.Error(w, "agentops capture proxy: no such route "+r.URL.Path+" (the base URL the session set looks like "+p.URL("openai")+")", http.StatusNotFound)
		return
	}
	c := p.newCall(r, route, strings.TrimPrefix(rest, name))
	defer c.end()
	if c.refused(w) {
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), callKey{}, c))
	p.rp.ServeHTTP(w, r)
}

type callKey struct{}

func callOf(r *http.Request) *call {
	c, _ := r.Context().Value(callKey{}).(*call)
	return c
}

// rewrite points the outgoing request at the route's upstream. It keeps
// what the client sent: forwarding headers the client set itself are put
// back (ReverseProxy strips them), none of ours is added.
func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	c := callOf(pr.In)
	pr.Out.URL.Path, pr.Out.URL.RawPath = c.path, ""
	pr.SetURL(c.route.Target)
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
		if v, ok := pr.In.Header[h]; ok {
			pr.Out.Header[h] = v
		}
	}
	pr.Out.Header.Del(MarkHeader)
	if p.cfg.Nested && c.recorded() {
		pr.Out.Header.Set(MarkHeader, "1")
	}
	c.prepareOut(pr.Out)
}

func (p *Proxy) modifyResponse(res *http.Response) error {
	if c := callOf(res.Request); c != nil {
		c.response(res)
	}
	return nil
}

// errorHandler answers a request the upstream did not: when the client
// is gone it only records that; otherwise it closes the client's
// connection without a response, which is what the client would have
// met connecting directly to an upstream that cannot be reached (its
// SDK reports a connection error and retries as it would have).
func (p *Proxy) errorHandler(w http.ResponseWriter, r *http.Request, err error) {
	c := callOf(r)
	if c == nil {
		panic(http.ErrAbortHandler)
	}
	if r.Context().Err() != nil {
		c.cancelled()
		return
	}
	c.unreachable(err)
	c.end()
	panic(http.ErrAbortHandler)
}

var errNoUpstream = errors.New("no upstream")
