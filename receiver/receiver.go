// Package receiver is an embedded OTLP receiver: it accepts OTLP/HTTP
// (protobuf and JSON, optionally gzip-compressed) on a loopback port and hands
// every decoded batch to a Sink. It knows nothing about sessions or the CLI.
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
// makes the receiver answer with a retryable failure.
type Sink interface {
	ConsumeTraces(ctx context.Context, td ptrace.Traces) error
	ConsumeLogs(ctx context.Context, ld plog.Logs) error
	ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error
}

// DefaultMaxBodyBytes is the largest request body accepted, measured after
// decompression.
const DefaultMaxBodyBytes = 64 << 20

// Config configures a Receiver. The zero value listens on an ephemeral
// loopback port without authentication.
type Config struct {
	// Addr is the listen address; empty means 127.0.0.1:0.
	Addr string
	// Token, when set, is the bearer token every request must carry in its
	// Authorization header.
	Token string
	// MaxBodyBytes limits the decompressed request body; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
}

// Receiver is an OTLP receiver bound to one port.
type Receiver struct {
	cfg  Config
	sink Sink
	ln   net.Listener
	srv  *http.Server

	mu          sync.Mutex
	activeConns map[net.Conn]bool // connections currently carrying a request
	lastActive  time.Time         // when the last request finished
	changed     chan struct{}

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
	return &Receiver{cfg: cfg, sink: sink, activeConns: map[net.Conn]bool{}, changed: make(chan struct{}), serveDone: make(chan struct{})}
}

// Start binds the listen address and starts serving in the background.
func (r *Receiver) Start(ctx context.Context) error {
	err := errors.New("receiver already started")
	r.startOnce.Do(func() {
		var lc net.ListenConfig
		r.ln, err = lc.Listen(ctx, "tcp", r.cfg.Addr)
		if err != nil {
			err = fmt.Errorf("listen on %s: %w", r.cfg.Addr, err)
			close(r.serveDone)
			return
		}
		r.srv = &http.Server{
			Handler:           r.handler(),
			ReadHeaderTimeout: 10 * time.Second,
			ConnState:         r.trackConn,
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

// Endpoint is the base URL an OTLP/HTTP client should use; valid after Start.
func (r *Receiver) Endpoint() string { return "http://" + r.Addr() }

// trackConn counts connections that are in the middle of a request, so Drain
// knows when in-flight exports have finished.
func (r *Receiver) trackConn(c net.Conn, state http.ConnState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	wasActive := r.activeConns[c]
	switch state {
	case http.StateActive:
		r.activeConns[c] = true
	case http.StateIdle, http.StateClosed, http.StateHijacked:
		delete(r.activeConns, c)
		if !wasActive {
			return
		}
		r.lastActive = time.Now()
	default:
		return
	}
	close(r.changed)
	r.changed = make(chan struct{})
}

// Drain waits until no request is in flight and none has started for quiet,
// or until ctx is done. Call it after the child has exited: its last exports
// may still be on the wire.
func (r *Receiver) Drain(ctx context.Context, quiet time.Duration) error {
	for {
		r.mu.Lock()
		active, last, changed := len(r.activeConns), r.lastActive, r.changed
		r.mu.Unlock()
		if active == 0 {
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
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
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
		err = r.srv.Shutdown(ctx)
		<-r.serveDone
	})
	return err
}
