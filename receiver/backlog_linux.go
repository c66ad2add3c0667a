package receiver

import (
	"net"
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
