// Package receiver is an embedded OTLP receiver: one port serves OTLP/HTTP
// (protobuf and JSON, optionally gzip-compressed) and OTLP/gRPC, for traces,
// logs and metrics, and every decoded batch is handed to a Sink. It knows
// nothing about sessions or the CLI.
package receiver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Sink consumes decoded telemetry. Implementations must be safe for
// concurrent use: batches arrive from concurrent requests. A returned error
// makes the receiver answer with a retryable failure. A Sink may keep the
// batch: it shares no memory with the receiver's reused buffers. A Sink
// that is also a TracesSink gets trace batches as received instead, and
// decodes them only if it needs pdata.
type Sink interface {
	ConsumeTraces(ctx context.Context, td ptrace.Traces) error
	ConsumeLogs(ctx context.Context, ld plog.Logs) error
	ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error
}

// DefaultMaxBodyBytes is the largest request body (or gRPC message)
// accepted, measured after decompression.
const DefaultMaxBodyBytes = 64 << 20

// Config configures a Receiver. The zero value listens on an ephemeral
// loopback port without authentication.
type Config struct {
	// Addr is the listen address; empty means 127.0.0.1:0.
	Addr string
	// Token, when set, is the bearer token every request must carry: the
	// Authorization header over HTTP, the authorization metadata over gRPC.
	Token string
	// MaxBodyBytes limits the decompressed request body; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Routes are extra HTTP handlers, by http.ServeMux pattern, served on
	// the same port next to the OTLP paths: endpoints the receiver's user
	// adds (a session answers the AgentOps SDK's key exchange there). They
	// are waited for by Drain like exports, and check authorization
	// themselves: Token guards only the OTLP paths.
	Routes map[string]http.Handler
	// MaxInFlightBytes limits the decompressed OTLP/HTTP bodies and gRPC
	// messages held at once across all requests; past it a request gets a
	// retryable 503, or UNAVAILABLE with RetryInfo over gRPC.
	// 0 means DefaultMaxInFlightBytes; it is raised to MaxBodyBytes if
	// lower, so that the largest request can always be taken alone.
	MaxInFlightBytes int64
}

// Receiver is an OTLP receiver bound to one port.
type Receiver struct {
	cfg  Config
	sink Sink
	ln   net.Listener
	srv  *http.Server

	mu          sync.Mutex
	inFlight    int       // requests being served
	openConns   int       // connections accepted and not yet closed
	lastActive  time.Time // when a request last started or finished
	changed     chan struct{}
	refusals    map[string]int // answer ("HTTP 401") → count
	lastH2Close time.Time      // when an HTTP/2 connection last closed
	pendingH2   int64          // requests of closed HTTP/2 connections not started yet

	inflight budget // bytes of request bodies held

	serveDone chan struct{}
	startOnce sync.Once
	stopOnce  sync.Once
}

// New returns a receiver that will deliver to sink once started.
func New(cfg Config, sink Sink) *Receiver {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxInFlightBytes <= 0 {
		cfg.MaxInFlightBytes = DefaultMaxInFlightBytes
	}
	cfg.MaxInFlightBytes = max(cfg.MaxInFlightBytes, cfg.MaxBodyBytes)
	return &Receiver{cfg: cfg, sink: sink, changed: make(chan struct{}), serveDone: make(chan struct{}),
		inflight: budget{max: cfg.MaxInFlightBytes}}
}

// Start binds the listen address and starts serving in the background.
func (r *Receiver) Start(ctx context.Context) error {
	err := errors.New("receiver already started")
	r.startOnce.Do(func() {
		var lc net.ListenConfig
		// Plain TCP: Go listens with Multipath TCP by default where the
		// kernel has it, which costs a probe socket at start-up and buys
		// nothing for a child on the same machine.
		lc.SetMultipathTCP(false)
		var ln net.Listener
		ln, err = lc.Listen(ctx, "tcp", r.cfg.Addr)
		if err != nil {
			err = fmt.Errorf("listen on %s: %w", r.cfg.Addr, err)
			close(r.serveDone)
			return
		}
		r.ln = r.countAccepts(ln)
		// One port for every encoding: HTTP/1.1 carries OTLP/HTTP, and
		// cleartext HTTP/2 with prior knowledge carries gRPC (and OTLP/HTTP
		// from clients that choose h2c). Requests are told apart by
		// Content-Type in handler.
		var protocols http.Protocols
		protocols.SetHTTP1(true)
		protocols.SetUnencryptedHTTP2(true)
		r.srv = &http.Server{
			Handler:           r.track(r.handler()),
			Protocols:         &protocols,
			ReadHeaderTimeout: 10 * time.Second,
			ConnState:         r.trackConn,
			ConnContext:       withConn,
		}
		go func() {
			defer close(r.serveDone)
			_ = r.srv.Serve(r.ln)
		}()
	})
	return err
}

// Addr is the bound address (host:port); valid after Start.
func (r *Receiver) Addr() string { return r.ln.Addr().String() }

// Endpoint is the base URL an OTLP client should use, over HTTP or gRPC;
// valid after Start. The http scheme also tells gRPC exporters to connect
// without TLS.
//
// A wildcard listen address (0.0.0.0, ::) is no address to connect to:
// the endpoint names loopback in its place.
func (r *Receiver) Endpoint() string { return "http://" + connectAddr(r.cfg.Addr, r.Addr()) }

// connectAddr is where a client on this machine reaches a listener bound
// to bound (the listener's address), asked for as listen.
func connectAddr(listen, bound string) string {
	host, port, err := net.SplitHostPort(bound)
	if err != nil {
		return bound
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
		return bound
	}
	lhost, _, _ := net.SplitHostPort(listen)
	if ip := net.ParseIP(lhost); ip != nil && ip.To4() == nil {
		return net.JoinHostPort("::1", port)
	}
	return net.JoinHostPort("127.0.0.1", port)
}

// track counts requests in flight, so Drain knows when the last exports
// have been handled, whatever protocol carried them.
func (r *Receiver) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.requestStarted(req)
		defer r.activity(-1)
		h.ServeHTTP(w, req)
	})
}

func (r *Receiver) activity(delta int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inFlight += delta
	r.signalLocked()
}

// signalLocked notes activity and wakes Drain; r.mu is held.
func (r *Receiver) signalLocked() {
	r.lastActive = time.Now()
	close(r.changed)
	r.changed = make(chan struct{})
}

// Drain waits until no request is in flight and none has started or ended
// for quiet, counting from the call at the earliest, or until ctx is done.
// Call it after the child has exited: its last exports may still be on the
// wire or in the socket buffers.
//
// It returns as soon as every connection is closed and none waits to be
// accepted, without waiting for quiet: a client that has exited has closed
// its sockets, and the server closes an HTTP/1 connection only after it has
// read and handled every request buffered on it, so nothing more can arrive.
// The quiet period is for clients that keep a connection open (a grandchild
// still running, a forked worker that inherited the socket), and for the
// quiet after an HTTP/2 (gRPC) connection closes with requests not started:
// net/http starts each of them on a goroutine of its own, which may not
// have run yet (h2streams.go counts them; when one never starts, for a
// stream net/http refused, the quiet period ends the wait).
func (r *Receiver) Drain(ctx context.Context, quiet time.Duration) error {
	start := time.Now()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		r.mu.Lock()
		active, open, last, changed := r.inFlight, r.openConns, r.lastActive, r.changed
		// Read under r.mu: accepting a connection and counting it is one
		// step under the same lock (countAccepts). Requests of a closed
		// HTTP/2 connection that have not started are waited for, up to
		// quiet after it closed.
		hungUp := active == 0 && open == 0 && acceptQueueEmpty(r.ln) &&
			(r.pendingH2 == 0 || time.Since(r.lastH2Close) >= quiet)
		r.mu.Unlock()
		if hungUp {
			return nil
		}
		if active > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-changed:
			}
			continue
		}
		if last.Before(start) {
			last = start
		}
		wait := quiet - time.Since(last)
		if wait <= 0 {
			return nil
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-changed:
			timer.Stop()
		case <-timer.C:
			return nil
		}
	}
}

// Shutdown stops accepting connections and waits for in-flight requests, up
// to ctx's deadline. It is safe to call more than once.
func (r *Receiver) Shutdown(ctx context.Context) error {
	var err error
	r.stopOnce.Do(func() {
		if r.srv == nil {
			return
		}
		// Shutdown waits for the handlers of OTLP/HTTP requests and of
		// gRPC streams alike (net/http's HTTP/2 counts a connection with
		// streams in progress as active). Past the deadline, cut whatever
		// is left: a Sink stuck in an export is left running rather than
		// the session.
		err = r.srv.Shutdown(ctx)
		if err != nil {
			_ = r.srv.Close()
		}
		<-r.serveDone
	})
	return err
}
