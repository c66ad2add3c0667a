package receiver

import (
	"context"
	"encoding/binary"
	"net"
	"net/http"
	"sync/atomic"
)

// net/http serves each HTTP/2 request on a goroutine of its own, which may
// start only after the connection has closed. So that Drain need not wait
// a quiet period for such goroutines after every HTTP/2 connection closes,
// the receiver counts the streams a client opened (reading the frame
// headers of what it sent) and the requests started for them: when the two
// agree at close, nothing is left to start.

// h2Streams reads the frame headers of a client's side of an HTTP/2
// connection (RFC 9113, 4.1) and counts the streams opened: HEADERS frames
// on a stream id above every one before (a client's stream ids only grow).
// Only the connection's reading goroutine calls feed.
type h2Streams struct {
	skip   int // bytes of the preface or of a frame's payload still to skip
	hdr    [9]byte
	hdrN   int
	lastID uint32
	opened atomic.Int64
}

func newH2Streams() *h2Streams { return &h2Streams{skip: len("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")} }

func (s *h2Streams) feed(p []byte) {
	for len(p) > 0 {
		if s.skip > 0 {
			n := min(s.skip, len(p))
			s.skip -= n
			p = p[n:]
			continue
		}
		n := copy(s.hdr[s.hdrN:], p)
		s.hdrN += n
		p = p[n:]
		if s.hdrN < len(s.hdr) {
			return
		}
		s.hdrN = 0
		const frameHeaders = 0x1
		id := binary.BigEndian.Uint32(s.hdr[5:]) & 0x7fffffff
		if s.hdr[3] == frameHeaders && id > s.lastID {
			s.lastID = id
			s.opened.Add(1)
		}
		s.skip = int(s.hdr[0])<<16 | int(s.hdr[1])<<8 | int(s.hdr[2])
	}
}

type connKey struct{}

// withConn puts the connection in its requests' context (http.Server.ConnContext).
func withConn(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// requestStarted counts a request in flight and, on HTTP/2, as started for
// its connection: one step under r.mu, so that Drain never sees it in
// neither count.
func (r *Receiver) requestStarted(req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if sc, ok := req.Context().Value(connKey{}).(*sniffConn); ok {
		sc.started++
		if sc.pending > 0 {
			sc.pending--
			r.pendingH2--
		}
	}
	r.inFlight++
	r.signalLocked()
}

// h2ClosedLocked counts the requests of a closed HTTP/2 connection that
// have not started yet, and reports whether there are none; r.mu is held.
// A connection it cannot count for counts as one request that never starts:
// Drain then waits for quiet.
func (r *Receiver) h2ClosedLocked(sc *sniffConn) (none bool) {
	if sc == nil || sc.streams == nil {
		r.pendingH2++
		return false
	}
	if n := sc.streams.opened.Load() - sc.started; n > 0 {
		sc.pending = n
		r.pendingH2 += n
	}
	return sc.pending == 0
}
