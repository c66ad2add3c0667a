// Package envinject computes the environment of the wrapped child: the
// parent's environment with the OpenTelemetry SDK settings that point the
// child's own SDK at the session's embedded receiver and parent its spans
// under the session span. It is pure: no I/O, no globals.
package envinject

import (
	"fmt"
	"sort"
	"strings"
)

// Facts are what the session knows that the child's environment must carry.
type Facts struct {
	// Endpoint is the base URL of the embedded receiver, e.g. http://127.0.0.1:4318.
	Endpoint string
	// Protocol is the OTLP protocol the child should use ("http/protobuf",
	// "http/json" or "grpc"). Empty keeps an inherited OTEL_EXPORTER_OTLP_PROTOCOL
	// or falls back to http/protobuf.
	Protocol string
	// Headers are sent by the child's exporter with every request (the
	// receiver's bearer token). When non-empty they replace inherited headers,
	// which belong to the user's upstream collector, not to us.
	Headers map[string]string
	// TraceParent is the W3C traceparent of the session root span.
	TraceParent string
	// TraceState is the W3C tracestate to pass along, if any.
	TraceState string
	// SessionID is the AgentOps session id.
	SessionID string
	// ResourceAttributes are merged into OTEL_RESOURCE_ATTRIBUTES; on a key
	// clash ours win, every other user attribute is kept.
	ResourceAttributes map[string]string
	// BaseURLs are provider base-URL variables (OPENAI_BASE_URL, ...)
	// pointed at the session's capture proxy: each replaces the parent's
	// value, which the proxy forwards to.
	BaseURLs map[string]string
	// AgentOpsEndpoint, when set, is where the child's own AgentOps SDK is
	// pointed (AGENTOPS_API_ENDPOINT, and AGENTOPS_EXPORTER_ENDPOINT with
	// /v1/traces), replacing inherited values: the session answers the
	// SDK's key exchange and takes its spans, so they join the session
	// instead of going around it to AgentOps.
	AgentOpsEndpoint string
	// NoAgentSwitches leaves out AgentSwitches (run --no-agent-telemetry).
	NoAgentSwitches bool
	// Defaults are set only when the parent environment has no value for them
	// (for example OTEL_BSP_SCHEDULE_DELAY, so a child that exits without
	// flushing has still sent most spans).
	Defaults map[string]string
}

// Variables that the user's environment may carry for their own upstream and
// that would route the child's telemetry away from the session.
var overridden = []string{
	"OTEL_EXPORTER_OTLP_ENDPOINT",
	"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
	"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
	"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
	"OTEL_EXPORTER_OTLP_PROTOCOL",
	"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
	"OTEL_EXPORTER_OTLP_LOGS_PROTOCOL",
	"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
	"OTEL_TRACES_EXPORTER",
	"TRACEPARENT",
	"TRACESTATE",
	"OTEL_RESOURCE_ATTRIBUTES",
	"AGENTOPS_SESSION_ID",
}

// The AgentOps SDK's endpoint variables, replaced when the session stands
// in for AgentOps (Facts.AgentOpsEndpoint).
var agentOpsVars = []string{"AGENTOPS_API_ENDPOINT", "AGENTOPS_EXPORTER_ENDPOINT"}

// Variables dropped when we inject headers: the user's upstream credentials
// must not leak to the embedded receiver, and per-signal headers would win
// over ours in the SDKs.
var headerVars = []string{
	"OTEL_EXPORTER_OTLP_HEADERS",
	"OTEL_EXPORTER_OTLP_TRACES_HEADERS",
	"OTEL_EXPORTER_OTLP_LOGS_HEADERS",
	"OTEL_EXPORTER_OTLP_METRICS_HEADERS",
}

// ChildEnv returns the child's environment, given the parent's in
// os.Environ form ("KEY=value"). Order of the parent's variables is kept;
// injected variables follow in a fixed order.
func ChildEnv(parent []string, f Facts) []string {
	drop := map[string]bool{}
	for _, k := range overridden {
		drop[k] = true
	}
	for k := range f.BaseURLs {
		drop[k] = true
	}
	if len(f.Headers) > 0 {
		for _, k := range headerVars {
			drop[k] = true
		}
	}
	if f.AgentOpsEndpoint != "" {
		for _, k := range agentOpsVars {
			drop[k] = true
		}
	}
	inherited := map[string]string{}
	out := make([]string, 0, len(parent)+16)
	for _, kv := range parent {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		inherited[k] = v
		if drop[k] {
			continue
		}
		out = append(out, kv)
	}

	protocol := f.Protocol
	if protocol == "" {
		protocol = inherited["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"]
	}
	if protocol == "" {
		protocol = inherited["OTEL_EXPORTER_OTLP_PROTOCOL"]
	}
	if protocol == "" {
		protocol = "http/protobuf"
	}
	add := func(k, v string) { out = append(out, k+"="+v) }
	add("OTEL_EXPORTER_OTLP_ENDPOINT", f.Endpoint)
	add("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
	add("OTEL_TRACES_EXPORTER", "otlp")
	if len(f.Headers) > 0 {
		add("OTEL_EXPORTER_OTLP_HEADERS", encodeList(f.Headers))
	}
	if f.TraceParent != "" {
		add("TRACEPARENT", f.TraceParent)
		if f.TraceState != "" {
			add("TRACESTATE", f.TraceState)
		}
	}
	if attrs := MergeResourceAttributes(inherited["OTEL_RESOURCE_ATTRIBUTES"], f.ResourceAttributes); attrs != "" {
		add("OTEL_RESOURCE_ATTRIBUTES", attrs)
	}
	if f.SessionID != "" {
		add("AGENTOPS_SESSION_ID", f.SessionID)
	}
	for _, k := range sortedKeys(f.BaseURLs) {
		add(k, f.BaseURLs[k])
	}
	if f.AgentOpsEndpoint != "" {
		// The Python SDK builds URLs as f"{endpoint}{path}" and posts its
		// spans to the exporter endpoint as given (agentops/config.py).
		base := strings.TrimRight(f.AgentOpsEndpoint, "/")
		add("AGENTOPS_API_ENDPOINT", base)
		add("AGENTOPS_EXPORTER_ENDPOINT", base+"/v1/traces")
	}
	for _, k := range sortedKeys(f.Defaults) {
		if _, set := inherited[k]; !set && !drop[k] {
			add(k, f.Defaults[k])
		}
	}
	if !f.NoAgentSwitches {
		for _, sw := range AgentSwitches {
			_, set := inherited[sw.Var]
			if v := sw.switchValue(protocol); v != "" && !set && !drop[sw.Var] {
				add(sw.Var, v)
			}
		}
	}
	return bypassProxy(out, inherited, f)
}

// proxyVars are the variables that send a child's HTTP through a proxy.
var proxyVars = []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"}

// bypassProxy adds the hosts of our loopback endpoints (the receiver and
// the capture proxy) to NO_PROXY and no_proxy when the parent has a
// proxy set, so the child's exports and captured calls do not go through
// it (a proxy cannot reach our loopback, or would see the token). Each
// spelling keeps the user's value, or takes the other spelling's when
// the user set only one, since clients read one or the other.
func bypassProxy(env []string, inherited map[string]string, f Facts) []string {
	proxied := false
	for _, k := range proxyVars {
		if inherited[k] != "" {
			proxied = true
		}
	}
	if !proxied {
		return env
	}
	var hosts []string
	for _, u := range append([]string{f.Endpoint, f.AgentOpsEndpoint}, mapValues(f.BaseURLs)...) {
		if h := urlHost(u); h != "" && !contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	if len(hosts) == 0 {
		return env
	}
	for _, k := range []string{"NO_PROXY", "no_proxy"} {
		user, ok := inherited[k]
		if !ok {
			user = inherited[map[string]string{"NO_PROXY": "no_proxy", "no_proxy": "NO_PROXY"}[k]]
		}
		list := user
		for _, h := range hosts {
			if !listHas(user, h) {
				if strings.TrimSpace(list) != "" {
					list += ","
				}
				list += h
			}
		}
		if _, had := inherited[k]; had {
			env = replaceVar(env, k, list)
		} else {
			env = append(env, k+"="+list)
		}
	}
	return env
}

// urlHost is the host of a URL such as http://127.0.0.1:4318/x, without
// the port or IPv6 brackets.
func urlHost(u string) string {
	_, rest, ok := strings.Cut(u, "://")
	if !ok {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	if strings.HasPrefix(host, "[") {
		h, _, _ := strings.Cut(host[1:], "]")
		return h
	}
	h, _, _ := strings.Cut(host, ":")
	return h
}

// listHas reports whether a NO_PROXY list has host as an entry.
func listHas(list, host string) bool {
	for _, e := range strings.Split(list, ",") {
		if strings.TrimSpace(e) == host {
			return true
		}
	}
	return false
}

func replaceVar(env []string, k, v string) []string {
	for i, kv := range env {
		if strings.HasPrefix(kv, k+"=") {
			env[i] = k + "=" + v
		}
	}
	return env
}

func mapValues(m map[string]string) []string {
	var vs []string
	for _, k := range sortedKeys(m) {
		vs = append(vs, m[k])
	}
	return vs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Warnings are what the user should know of the child's environment
// before it runs, given the parent's.
func Warnings(parent []string) []string {
	var out []string
	for _, kv := range parent {
		k, v, _ := strings.Cut(kv, "=")
		if k == "OTEL_SDK_DISABLED" && strings.EqualFold(strings.TrimSpace(v), "true") {
			// Kept: removing it would also switch on frameworks' own
			// telemetry that reads it (CrewAI's goes to its vendor), and
			// exporters built with their own endpoint still send
			// OTEL_EXPORTER_OTLP_HEADERS, our token included.
			out = append(out, "OTEL_SDK_DISABLED=true is set and kept: the command's OpenTelemetry SDKs will send agentops "+
				"no spans, logs or metrics (only captured LLM calls and the session span are seen); unset it for this run to observe the agent")
		}
	}
	return out
}

// MergeResourceAttributes merges ours into the user's OTEL_RESOURCE_ATTRIBUTES
// value (a W3C-baggage-like "k=v,k2=v2" list, values percent-encoded). The
// user's attributes keep their order and encoding; ours are appended, and on a
// key clash ours replace theirs.
func MergeResourceAttributes(user string, ours map[string]string) string {
	var parts []string
	for _, item := range strings.Split(user, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, _, _ := strings.Cut(item, "=")
		if _, clash := ours[strings.TrimSpace(k)]; clash {
			continue
		}
		parts = append(parts, item)
	}
	if len(ours) > 0 {
		parts = append(parts, encodeList(ours))
	}
	return strings.Join(parts, ",")
}

// encodeList renders a map as "k=v,k2=v2", sorted by key, with values
// percent-encoded as the OpenTelemetry environment specification requires for
// OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS.
func encodeList(m map[string]string) string {
	var b strings.Builder
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(percentEncode(m[k]))
	}
	return b.String()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// percentEncode escapes every byte outside RFC 3986's unreserved set (plus
// ':', '/' and '@', which no decoder misreads), so commas, equals signs and
// spaces in a value cannot split the list.
func percentEncode(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~', c == ':', c == '/', c == '@':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
