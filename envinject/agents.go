package envinject

import (
	"path/filepath"
	"strings"
)

// AgentSwitch is one setting an agent needs before it emits OpenTelemetry
// at all. The switches are set for every child (a wrapper script may start
// the agent), each only when the user's environment has no value for it:
// theirs wins.
type AgentSwitch struct {
	// Agent names the agent the switch is for, for the documentation.
	Agent string
	// Var is the environment variable.
	Var string
	// Value is what it is set to.
	Value string
	// ByProtocol, when set, chooses Value by the OTLP protocol the child
	// is asked for (a variable of the agent's own that
	// OTEL_EXPORTER_OTLP_PROTOCOL does not set).
	ByProtocol map[string]string
	// Why says what the switch does.
	Why string
}

// AgentSwitches are the agents' own telemetry switches. Sources: Claude
// Code's monitoring docs (code.claude.com/docs/en/monitoring-usage),
// Gemini CLI's packages/core/src/telemetry/config.ts, both checked against
// the released CLIs (e2e/agents).
var AgentSwitches = []AgentSwitch{
	{Agent: "Claude Code", Var: "CLAUDE_CODE_ENABLE_TELEMETRY", Value: "1", Why: "Claude Code sends no telemetry without it"},
	{Agent: "Claude Code", Var: "OTEL_LOGS_EXPORTER", Value: "otlp", Why: "its usage and cost are in log events (claude_code.api_request)"},
	{Agent: "Claude Code", Var: "OTEL_METRICS_EXPORTER", Value: "otlp", Why: "its token and cost counters"},
	{Agent: "Claude Code", Var: "CLAUDE_CODE_ENHANCED_TELEMETRY_BETA", Value: "1", Why: "its spans (claude_code.interaction, llm_request, tool), with OTEL_TRACES_EXPORTER=otlp"},
	{Agent: "Claude Code", Var: "OTEL_LOGS_EXPORT_INTERVAL", Value: "1000", Why: "its log batch delay in ms (default 5000), short as the SDK ones are"},
	{Agent: "Claude Code", Var: "OTEL_TRACES_EXPORT_INTERVAL", Value: "1000", Why: "its span batch delay in ms (default 5000)"},
	{Agent: "Gemini CLI", Var: "GEMINI_TELEMETRY_ENABLED", Value: "true", Why: "Gemini CLI sends no telemetry without it"},
	{Agent: "Gemini CLI", Var: "GEMINI_TELEMETRY_TRACES_ENABLED", Value: "true", Why: "the token counts on its spans"},
	{Agent: "Gemini CLI", Var: "GEMINI_TELEMETRY_OTLP_PROTOCOL", ByProtocol: map[string]string{"grpc": "grpc", "http/protobuf": "http", "http/json": "http"},
		Why: "it ignores OTEL_EXPORTER_OTLP_PROTOCOL: grpc for grpc, else http (OTLP/JSON)"},
}

// switchValue is the value of sw for a child asked for protocol.
func (sw AgentSwitch) switchValue(protocol string) string {
	if sw.ByProtocol != nil {
		return sw.ByProtocol[protocol]
	}
	return sw.Value
}

// CodexCommand is the base name of the command whose telemetry is set by
// argument, not environment: Codex reads no OTEL_* variable, only its
// config.toml [otel] table, which -c overrides for one run.
const CodexCommand = "codex"

// codexExporters are the -c keys Codex reads its exporters from
// (codex-rs/otel/src/config.rs: exporter is the logs exporter), with the
// OTLP/HTTP path of each signal: Codex uses the endpoint as given.
var codexExporters = []struct{ key, path string }{
	{"otel.exporter", "/v1/logs"},
	{"otel.trace_exporter", "/v1/traces"},
	{"otel.metrics_exporter", "/v1/metrics"},
}

// ChildArgs returns the child's arguments: args unchanged, except for
// Codex (a command named codex, at any path), which gets -c overrides
// pointing its three exporters at the session, each with the session's
// headers, placed before the user's arguments. An exporter the user
// overrides with their own -c is left to them. The user's config.toml is
// never touched: -c lasts for this run only.
func ChildArgs(command string, args []string, f Facts) []string {
	if filepath.Base(command) != CodexCommand || f.Endpoint == "" {
		return args
	}
	protocol := "binary"
	if f.Protocol == "http/json" {
		protocol = "json"
	}
	headers := ""
	for i, k := range sortedKeys(f.Headers) {
		if i > 0 {
			headers += ","
		}
		headers += tomlKey(k) + "=" + tomlString(f.Headers[k])
	}
	var out []string
	for _, e := range codexExporters {
		if userOverrides(args, e.key) {
			continue
		}
		table := "endpoint=" + tomlString(strings.TrimRight(f.Endpoint, "/")+e.path) + ",protocol=" + tomlString(protocol)
		if headers != "" {
			table += ",headers={" + headers + "}"
		}
		out = append(out, "-c", e.key+"={otlp-http={"+table+"}}")
	}
	return append(out, args...)
}

// userOverrides reports whether args already override key with -c or
// --config (as "-c key=…", "-ckey=…", "--config key=…" or
// "--config=key=…"), or a key inside it.
func userOverrides(args []string, key string) bool {
	for i, a := range args {
		var v string
		switch {
		case a == "--":
			return false
		case a == "-c" || a == "--config":
			if i+1 < len(args) {
				v = args[i+1]
			}
		case strings.HasPrefix(a, "--config="):
			v = strings.TrimPrefix(a, "--config=")
		case strings.HasPrefix(a, "-c"):
			v = strings.TrimPrefix(a, "-c")
		default:
			continue
		}
		k, _, _ := strings.Cut(v, "=")
		k = strings.TrimSpace(k)
		if k == key || strings.HasPrefix(k, key+".") || k == "otel" {
			return true
		}
	}
	return false
}

// tomlString is s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\u00`)
			b.WriteByte(hexDigit(byte(r) >> 4))
			b.WriteByte(hexDigit(byte(r) & 0xf))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func hexDigit(b byte) byte { return "0123456789abcdef"[b] }

// tomlKey is k as a TOML key: bare when it can be, else quoted.
func tomlKey(k string) string {
	for _, r := range k {
		if !(r == '-' || r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return tomlString(k)
		}
	}
	if k == "" {
		return `""`
	}
	return k
}
