package exporter

import (
	"os/exec"
	"strings"
	"testing"
)

// goListDeps is every package pkg links, itself included.
func goListDeps(t *testing.T, pkg string) []string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not in PATH: install Go (CI's .ci/run has it)")
	}
	out, err := exec.Command(goBin, "list", "-deps", pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	return strings.Fields(string(out))
}

// TestProgramLeavesOutHeavyInits: packages whose init functions every
// agentops command would pay for at start-up, though few runs use what
// they do, stay out of the program (tests may use them). The Prometheus
// client registers its process and Go collectors in an init function
// (~0.7 ms: the Pushgateway push writes the text format itself); the SDK's
// OTLP exporters bring the otlp protobuf registries and grpc-gateway (the
// exporters send pdata themselves).
func TestProgramLeavesOutHeavyInits(t *testing.T) {
	for _, pkg := range goListDeps(t, "github.com/agentops-dev/agentops") {
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

// TestExporterLeavesOutGRPC: the exporters speak OTLP/gRPC and OTLP/HTTP
// without grpc-go, the protobuf runtime, genproto or pdata's *otlp packages
// (which import grpc-go): linked in, their init work and page faults cost
// every agentops start-up ~1.7 ms (issue 16). Tests still use them: a
// grpc-go server is the interoperability check.
func TestExporterLeavesOutGRPC(t *testing.T) {
	for _, pkg := range goListDeps(t, "github.com/agentops-dev/agentops/exporter") {
		for _, heavy := range []string{
			"google.golang.org/grpc",
			"google.golang.org/protobuf/",
			"google.golang.org/genproto/",
			"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp",
			"go.opentelemetry.io/collector/pdata/plog/plogotlp",
			"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp",
			"golang.org/x/net/trace",
		} {
			if strings.HasPrefix(pkg, heavy) {
				t.Errorf("the exporter package links %s: its start-up cost is paid by every agentops command", pkg)
			}
		}
	}
}
