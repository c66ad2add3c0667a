package receiver

import (
	"maps"
	"net"
	"net/http"
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
	if err == nil {
		l.r.mu.Lock()
		l.r.connOpenedLocked()
		l.r.mu.Unlock()
	}
	return c, err
}

// connOpenedLocked counts an accepted connection; r.mu must be held.
func (r *Receiver) connOpenedLocked() {
	r.openConns++
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *Receiver) connClosed() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.openConns--
	close(r.changed)
	r.changed = make(chan struct{})
}

// trackConn uncounts closed connections (HTTP/1 and HTTP/2 alike: net/http
// reports StateClosed for both), so Drain knows when every client has hung
// up. Connections are counted when accepted (countAccepts).
func (r *Receiver) trackConn(_ net.Conn, state http.ConnState) {
	if state == http.StateClosed || state == http.StateHijacked {
		r.connClosed()
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
