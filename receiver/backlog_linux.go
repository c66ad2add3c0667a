package receiver

import (
	"errors"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// acceptQueueEmpty reports whether no connection is waiting in ln's accept
// queue: one a client opened, wrote to and closed before the server got to
// accept it. For a listening socket Linux reports the accept queue length
// as tcpi_unacked (tcp_get_info in net/ipv4/tcp.c). Unknown means not empty.
func acceptQueueEmpty(ln net.Listener) bool {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	empty := false
	_ = rc.Control(func(fd uintptr) {
		info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
		empty = err == nil && info.Unacked == 0
	})
	return empty
}

// countingListener counts a connection as open in the same critical section
// (r.mu) that takes it off the accept queue. Drain reads the queue length
// and the count under r.mu too, so it never sees a connection in neither:
// with a plain Accept there is a moment after the kernel has handed the
// connection over and before it is counted. It accepts on a duplicate of
// the listening socket held as an *os.File, because the runtime poller
// lets a file's RawConn wait for readability (a net.Listener's does not).
type countingListener struct {
	file *os.File
	rc   syscall.RawConn
	addr net.Addr
	r    *Receiver
}

// countAccepts wraps ln so that accepted connections are counted; it takes
// ln over.
func (r *Receiver) countAccepts(ln net.Listener) net.Listener {
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return &plainCountingListener{Listener: ln, r: r}
	}
	lrc, err := tl.SyscallConn()
	if err != nil {
		return &plainCountingListener{Listener: ln, r: r}
	}
	dup, derr := -1, error(nil)
	_ = lrc.Control(func(fd uintptr) { dup, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0) })
	if derr != nil || dup < 0 {
		return &plainCountingListener{Listener: ln, r: r}
	}
	// The duplicate shares the socket, already non-blocking, so os.NewFile
	// registers it with the poller.
	f := os.NewFile(uintptr(dup), "otlp-listener")
	rc, err := f.SyscallConn()
	if err != nil {
		_ = f.Close()
		return &plainCountingListener{Listener: ln, r: r}
	}
	addr := ln.Addr()
	_ = ln.Close()
	return &countingListener{file: f, rc: rc, addr: addr, r: r}
}

// Accept waits in the runtime poller until a connection is queued, then
// takes it with a non-blocking accept4 under r.mu.
func (l *countingListener) Accept() (net.Conn, error) {
	for {
		nfd, aerr := -1, error(nil)
		err := l.rc.Read(func(fd uintptr) bool {
			l.r.mu.Lock()
			defer l.r.mu.Unlock()
			nfd, _, aerr = unix.Accept4(int(fd), unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
			if errors.Is(aerr, unix.EAGAIN) {
				return false // nothing queued: wait in the poller
			}
			if aerr == nil {
				l.r.connOpenedLocked()
			}
			return true
		})
		if err != nil {
			return nil, err
		}
		switch {
		case aerr == nil:
		case errors.Is(aerr, unix.ECONNABORTED), errors.Is(aerr, unix.EINTR):
			continue // the client gave up while queued
		default:
			return nil, os.NewSyscallError("accept4", aerr)
		}
		f := os.NewFile(uintptr(nfd), "tcp")
		c, err := net.FileConn(f) // dups the descriptor
		_ = f.Close()
		if err != nil {
			l.r.connClosed(false, nil)
			return nil, err
		}
		return newSniffConn(c), nil
	}
}

// Close closes the listening socket; a pending Accept returns an error.
func (l *countingListener) Close() error { return l.file.Close() }

// Addr is the listening address.
func (l *countingListener) Addr() net.Addr { return l.addr }

// SyscallConn gives acceptQueueEmpty the listening socket.
func (l *countingListener) SyscallConn() (syscall.RawConn, error) { return l.rc, nil }
