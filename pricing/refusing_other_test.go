//go:build !unix

package pricing

import (
	"net"
	"testing"
)

// refusingAddr is a loopback address nobody listens on (the port of a
// closed listener: another server may be given it later).
func refusingAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
