//go:build unix

package pricing

import (
	"net"
	"strconv"
	"syscall"
	"testing"
)

// refusingAddr is a loopback address that refuses connections for the
// whole test: a socket bound to the port but not listening holds the port,
// so no server the test starts next can be given it (a closed listener's
// port can be, and then the "server down" case meets a live server).
func refusingAddr(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
}
