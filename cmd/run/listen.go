package run

import (
	"fmt"
	"io"
	"net"
	"strings"
)

// isLoopback reports whether a listen address binds only loopback
// interfaces. An empty host binds every interface, and a host name other
// than localhost may resolve anywhere.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// warnListen tells the user when --listen exposes the receiver beyond this
// machine, and how bad that is without the session token.
func warnListen(w io.Writer, addr string, noAuth bool) {
	if isLoopback(addr) {
		return
	}
	fmt.Fprintf(w, "agentops: warning: --listen %s is not a loopback address: other machines can reach the session's OTLP receiver", addr)
	if noAuth {
		fmt.Fprintln(w, ", and with --no-auth anyone who can reach it can add telemetry to this session. Use --listen 127.0.0.1:0 unless the agent runs elsewhere.")
		return
	}
	fmt.Fprintln(w, " (they still need the session's bearer token). Use --listen 127.0.0.1:0 unless the agent runs elsewhere.")
}
