package exporter

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Upstream is an exporter that our own environment asks for.
type Upstream struct {
	// Spec names it for the summary: otlp or otlpgrpc (by the traces
	// protocol, else the first signal's) and the traces endpoint (else the
	// first signal's).
	Spec Spec
	// Source names the variables it came from, for the summary.
	Source string
	// Endpoints are where each signal goes; nil for a signal not sent.
	Endpoints [3]*SignalEndpoint
}

// New builds the upstream exporter.
func (u Upstream) New() (Exporter, error) {
	return NewOTLP(u.Endpoints[Traces], u.Endpoints[Logs], u.Endpoints[Metrics], nil)
}

// UpstreamFromEnv reads the standard OTLP exporter variables of our own
// environment, for each signal (OTEL_EXPORTER_OTLP_{TRACES,LOGS,METRICS}_
// ENDPOINT, _HEADERS, _PROTOCOL, _COMPRESSION, _TIMEOUT; the per-signal
// variable wins over OTEL_EXPORTER_OTLP_*), and returns the exporter they
// describe, so that `agentops run` inside an instrumented job sends the
// session's traces, logs and metrics where the job sends its own. A signal
// whose OTEL_<SIGNAL>_EXPORTER is set without otlp (none, console) is not
// sent. ok is false when no signal has an endpoint.
//
// The headers are used as they are: when we run under another agentops
// session, they hold that session's receiver token, which is exactly what
// our upstream exporter needs.
func UpstreamFromEnv(env []string) (u Upstream, ok bool) {
	m := envMap(env)
	var sources []string
	for _, sig := range Signals {
		up := strings.ToUpper(sig.String())
		get := func(name string) (string, string) {
			if v := strings.TrimSpace(m["OTEL_EXPORTER_OTLP_"+up+"_"+name]); v != "" {
				return v, "OTEL_EXPORTER_OTLP_" + up + "_" + name
			}
			return strings.TrimSpace(m["OTEL_EXPORTER_OTLP_"+name]), "OTEL_EXPORTER_OTLP_" + name
		}
		if v, set := m["OTEL_"+up+"_EXPORTER"]; set && strings.TrimSpace(v) != "" && !strings.Contains(v, "otlp") {
			continue
		}
		protocol, _ := get("PROTOCOL")
		grpc := protocol == "grpc"
		endpoint, source := "", ""
		if v := strings.TrimSpace(m["OTEL_EXPORTER_OTLP_"+up+"_ENDPOINT"]); v != "" {
			// The per-signal endpoint is used as is (exporter spec).
			endpoint, source = v, "OTEL_EXPORTER_OTLP_"+up+"_ENDPOINT"
		} else if v := strings.TrimSpace(m["OTEL_EXPORTER_OTLP_ENDPOINT"]); v != "" {
			endpoint, source = v, "OTEL_EXPORTER_OTLP_ENDPOINT"
			if !grpc {
				endpoint = strings.TrimRight(v, "/") + "/v1/" + sig.String()
			}
		}
		if endpoint == "" {
			continue
		}
		if !strings.Contains(endpoint, "://") {
			endpoint = "http://" + endpoint
		}
		headers, _ := get("HEADERS")
		e := &SignalEndpoint{URL: endpoint, GRPC: grpc, JSON: protocol == "http/json", Headers: ParseHeaders(headers)}
		// The SDK default is no compression; keep it for what the user configured.
		e.Compression = "none"
		if c, _ := get("COMPRESSION"); c != "" {
			e.Compression = c
		}
		if t, _ := get("TIMEOUT"); t != "" {
			if ms, err := strconv.Atoi(t); err == nil && ms > 0 {
				e.Timeout = time.Duration(ms) * time.Millisecond
			}
		}
		u.Endpoints[sig] = e
		if !slices.Contains(sources, source) {
			sources = append(sources, source)
		}
		if u.Spec.Name == "" {
			u.Spec = Spec{Name: "otlp", Target: endpoint}
			if grpc {
				u.Spec.Name = "otlpgrpc"
			}
		}
	}
	if len(sources) == 0 {
		return Upstream{}, false
	}
	u.Source = strings.Join(sources, ", ")
	return u, true
}

// ParseHeaders parses the OTEL_EXPORTER_OTLP_HEADERS format: "k=v,k2=v2"
// with percent-encoded values (OpenTelemetry environment specification).
func ParseHeaders(v string) map[string]string {
	out := map[string]string{}
	for _, item := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(item, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			continue
		}
		if dec, err := url.PathUnescape(strings.TrimSpace(val)); err == nil {
			val = dec
		}
		out[k] = strings.TrimSpace(val)
	}
	return out
}
