package exporter

import (
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Upstream is an exporter that our own environment asks for.
type Upstream struct {
	Spec     Spec
	Settings Settings
	// Source names the variable it came from, for the summary.
	Source string
}

// UpstreamFromEnv reads the standard OTLP exporter variables of our own
// environment (OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _HEADERS, _PROTOCOL,
// _COMPRESSION, _TIMEOUT; the per-signal variable wins) and returns the
// exporter they describe, so that `agentops run` inside an instrumented job
// sends the session where the job sends its own spans. ok is false when
// no endpoint is set.
//
// The headers are used as they are: when we run under another agentops
// session, they hold that session's receiver token, which is exactly what
// our upstream exporter needs.
func UpstreamFromEnv(env []string) (u Upstream, ok bool) {
	m := envMap(env)
	get := func(name string) (string, string) {
		if v := strings.TrimSpace(m["OTEL_EXPORTER_OTLP_TRACES_"+name]); v != "" {
			return v, "OTEL_EXPORTER_OTLP_TRACES_" + name
		}
		return strings.TrimSpace(m["OTEL_EXPORTER_OTLP_"+name]), "OTEL_EXPORTER_OTLP_" + name
	}
	protocol, _ := get("PROTOCOL")
	endpoint, source := "", ""
	if v := strings.TrimSpace(m["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]); v != "" {
		// The per-signal endpoint is used as is (exporter spec).
		endpoint, source = v, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	} else if v := strings.TrimSpace(m["OTEL_EXPORTER_OTLP_ENDPOINT"]); v != "" {
		endpoint, source = v, "OTEL_EXPORTER_OTLP_ENDPOINT"
		if protocol != "grpc" {
			endpoint = strings.TrimRight(v, "/") + "/v1/traces"
		}
	}
	if endpoint == "" {
		return Upstream{}, false
	}
	u.Source = source
	u.Spec = Spec{Name: "otlp", Target: endpoint}
	if protocol == "grpc" {
		u.Spec.Name = "otlpgrpc"
	}
	u.Settings.Protocol = protocol
	headers, _ := get("HEADERS")
	u.Settings.Headers = ParseHeaders(headers)
	if c, _ := get("COMPRESSION"); c != "" {
		u.Settings.Compression = c
	} else {
		// The SDK default is no compression; keep it for what the user configured.
		u.Settings.Compression = "none"
	}
	if t, _ := get("TIMEOUT"); t != "" {
		if ms, err := strconv.Atoi(t); err == nil && ms > 0 {
			u.Settings.Timeout = time.Duration(ms) * time.Millisecond
		}
	}
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
