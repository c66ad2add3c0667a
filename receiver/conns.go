package receiver

import (
	"bytes"
	"maps"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// plainCountingListener counts a connection as open once Accept has it.
// Where the accept queue cannot be read (not Linux) Drain never relies on
// the count alone, so the moment between the two does not matter there.
type plainCountingListener struct {
	net.Listener
	r *Receiver
}

func (l *plainCountingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.r.mu.Lock()
	l.r.connOpenedLocked()
	l.r.mu.Unlock()
	return newSniffConn(c), nil
}

// sniffConn notes whether a connection speaks HTTP/2 (gRPC, or OTLP/HTTP
// over h2c). net/http serves each HTTP/2 request on a goroutine of its own,
// which may start only after the connection has closed; an HTTP/1 request
// is served before its connection closes.
type sniffConn struct {
	net.Conn
	sniffed atomic.Bool
	h2      atomic.Bool
	streams *h2Streams // HTTP/2 only; set and fed by the reading goroutine

	// Guarded by the Receiver's mu (see requestStarted).
	started, pending int64
}

func newSniffConn(c net.Conn) *sniffConn { return &sniffConn{Conn: c} }

// http2Preface starts every HTTP/2 connection with prior knowledge (RFC 9113, 3.4).
var http2Preface = []byte("PRI * HTTP/2.0")

func (c *sniffConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && !c.sniffed.Load() {
		c.sniffed.Store(true)
		c.h2.Store(bytes.HasPrefix(p[:n], http2Preface[:min(n, len(http2Preface))]))
		if c.h2.Load() {
			c.streams = newH2Streams()
		}
	}
	if n > 0 && c.streams != nil {
		c.streams.feed(p[:n])
	}
	return n, err
}

// CloseWrite keeps net/http's graceful HTTP/1 close working.
func (c *sniffConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// connOpenedLocked counts an accepted connection; r.mu must be held.
func (r *Receiver) connOpenedLocked() {
	r.openConns++
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *Receiver) connClosed(h2 bool, sc *sniffConn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.openConns--
	if h2 && r.h2ClosedLocked(sc) {
		// Every stream it opened has its request started: nothing waits.
		r.signalLocked()
		return
	}
	if h2 {
		// Its last requests may not have started yet: Drain waits for quiet.
		r.lastActive = time.Now()
		r.lastH2Close = r.lastActive
	}
	close(r.changed)
	r.changed = make(chan struct{})
}

// trackConn uncounts closed connections (HTTP/1 and HTTP/2 alike: net/http
// reports StateClosed for both), so Drain knows when every client has hung
// up. Connections are counted when accepted (countAccepts).
func (r *Receiver) trackConn(c net.Conn, state http.ConnState) {
	if state == http.StateClosed || state == http.StateHijacked {
		sc, _ := c.(*sniffConn)
		r.connClosed(sc == nil || sc.h2.Load(), sc)
	}
}

// refused counts one refused request by its answer.
func (r *Receiver) refused(answer string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refusals == nil {
		r.refusals = map[string]int{}
	}
	r.refusals[answer]++
}

// Refusals counts the requests the receiver refused so far, by answer
// ("HTTP 401", "gRPC Unauthenticated", ...). A session shows them, because
// a child that sends the wrong token or a broken payload otherwise only
// looks like a child that sent nothing.
func (r *Receiver) Refusals() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.refusals)
}
