package run

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"sort"
	"strings"

	"github.com/agentops-dev/agentops/receiver"
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

// selfTarget returns the first exporter whose target is the receiver's own
// listen address: its exports would come back to the session as the
// child's telemetry and be exported again, without end (with --no-auth,
// 100 spans became 94,210 calls in 5 s). An ephemeral port (:0) cannot be
// named in advance.
func selfTarget(listen string, exporters []string) (string, bool) {
	lhost, port, err := net.SplitHostPort(listen)
	if err != nil || port == "0" || port == "" {
		return "", false
	}
	defaults := map[string]string{"otlp": "http://localhost:4318", "otlpgrpc": "http://localhost:4317"}
	for _, spec := range exporters {
		name, target, _ := strings.Cut(spec, "=")
		if target == "" {
			target = defaults[name]
		}
		u, err := url.Parse(target)
		if err != nil || u.Host == "" {
			continue
		}
		tport := u.Port()
		if tport == "" {
			tport = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		if tport == port && sameHost(lhost, u.Hostname()) {
			return spec, true
		}
	}
	return "", false
}

// sameHost reports whether a connection to host reaches a listener bound to
// listenHost on this machine.
func sameHost(listenHost, host string) bool {
	if strings.EqualFold(listenHost, host) {
		return true
	}
	local := func(h string) bool {
		ip := net.ParseIP(h)
		return strings.EqualFold(h, "localhost") || ip != nil && ip.IsLoopback()
	}
	wildcard := listenHost == "" || listenHost == "0.0.0.0" || listenHost == "::"
	return local(host) && (local(listenHost) || wildcard)
}

// warnListen tells the user when --listen exposes the receiver beyond this
// machine, and how bad that is without the session token.
func warnListen(w io.Writer, addr string, noAuth bool) {
	// An address that does not parse fails to listen a moment later, with
	// its own error and hint; warning about exposure first would mislead.
	if _, _, err := net.SplitHostPort(addr); err != nil || isLoopback(addr) {
		return
	}
	fmt.Fprintf(w, "agentops: warning: --listen %s is not a loopback address: other machines can reach the session's OTLP receiver", addr)
	if noAuth {
		fmt.Fprintln(w, ", and with --no-auth anyone who can reach it can add telemetry to this session. Use --listen 127.0.0.1:0 unless the agent runs elsewhere.")
		return
	}
	fmt.Fprintln(w, " (they still need the session's bearer token). Use --listen 127.0.0.1:0 unless the agent runs elsewhere.")
}

// warnRefused tells the user the receiver turned requests away, and what
// the commonest causes mean: otherwise a child whose telemetry was refused
// looks like one that sent none.
func warnRefused(w io.Writer, refused map[string]int) {
	if len(refused) == 0 {
		return
	}
	answers := make([]string, 0, len(refused))
	for a := range refused {
		answers = append(answers, a)
	}
	sort.Strings(answers)
	parts := make([]string, len(answers))
	auth, deep, busy := false, false, false
	for i, a := range answers {
		parts[i] = fmt.Sprintf("%d × %s", refused[a], a)
		busy = busy || a == "HTTP 503" || a == "gRPC Unavailable"
		auth = auth || a == "HTTP 401" || a == "gRPC Unauthenticated"
		deep = deep || strings.HasSuffix(a, receiver.RefusedTooDeep)
	}
	fmt.Fprintf(w, "agentops: warning: the OTLP receiver refused requests: %s.", strings.Join(parts, ", "))
	if auth {
		fmt.Fprint(w, " Unauthenticated ones lacked the session token: make the child's exporter send OTEL_EXPORTER_OTLP_HEADERS as injected, or use --no-auth.")
	}
	if busy {
		fmt.Fprint(w, " 503/UNAVAILABLE ones were asked to come back later (Retry-After) while the session could not take more; an OpenTelemetry SDK sends them again, so they are not lost unless the child gave up.")
	}
	if deep {
		fmt.Fprintf(w, " Too deeply nested ones held a value of more than %d levels of maps and arrays, and were refused whole: send such values as JSON strings.", receiver.MaxNesting)
	}
	fmt.Fprintln(w)
}
