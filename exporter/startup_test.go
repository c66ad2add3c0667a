package exporter

import (
	"os/exec"
	"strings"
	"testing"
)

// TestProgramLeavesOutHeavyInits: packages whose init functions every
// agentops command would pay for at start-up, though few runs use what
// they do, stay out of the program (tests may use them). The Prometheus
// client registers its process and Go collectors in an init function
// (~0.7 ms: the Pushgateway push writes the text format itself); the SDK's
// OTLP exporters bring the otlp protobuf registries and grpc-gateway (the
// exporters send pdata themselves).
func TestProgramLeavesOutHeavyInits(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not in PATH: install Go (CI's .ci/run has it)")
	}
	out, err := exec.Command(goBin, "list", "-deps", "github.com/agentops-dev/agentops").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, heavy := range []string{
			"github.com/prometheus/",
			"go.opentelemetry.io/otel/exporters/",
			"go.opentelemetry.io/proto/otlp",
			"github.com/grpc-ecosystem/",
		} {
			if strings.HasPrefix(pkg, heavy) {
				t.Errorf("agentops imports %s: its init functions cost every command start-up time", pkg)
			}
		}
	}
}
