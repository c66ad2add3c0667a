package run

import (
	"fmt"
	"strings"

	"github.com/agentops-dev/agentops/envinject"
)

// agentTelemetryHelp is the table of the agents' own telemetry switches
// for run --help, drawn from envinject's table so the two cannot differ.
func agentTelemetryHelp() string {
	var b strings.Builder
	b.WriteString("Agents that need a switch of their own to send OpenTelemetry get it, unless\n")
	b.WriteString("you set that variable yourself (yours wins); --no-agent-telemetry sets none:\n\n")
	for _, sw := range envinject.AgentSwitches {
		value := sw.Value
		if sw.ByProtocol != nil {
			value = "grpc|http"
		}
		fmt.Fprintf(&b, "  %-12s %s=%s\n", sw.Agent, sw.Var, value)
	}
	fmt.Fprintf(&b, "  %-12s -c otel.exporter=…, -c otel.trace_exporter=…, -c otel.metrics_exporter=…\n", "Codex")
	b.WriteString("               (arguments, when the command is codex: it reads no OTEL_* variable;\n")
	b.WriteString("               an otel.* -c of yours wins; config.toml is never edited)")
	return b.String()
}
