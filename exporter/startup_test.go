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

// withoutGRPC are grpc-go, the protobuf runtime, genproto, pdata's *otlp
// packages (which import grpc-go) and x/net/trace (grpc-go's): linked in,
// their init work and page faults cost every agentops start-up ~1.7 ms
// (issue 16). The receiver and the exporters speak OTLP/gRPC over net/http's
// HTTP/2 with internal/otlpwire instead; tests still use them, a grpc-go
// client or server being the interoperability check.
var withoutGRPC = []string{
	"google.golang.org/grpc",
	"google.golang.org/protobuf/",
	"google.golang.org/genproto/",
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp",
	"go.opentelemetry.io/collector/pdata/plog/plogotlp",
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp",
	"golang.org/x/net/trace",
}

// TestProgramLeavesOutHeavyInits: packages whose init functions every
// agentops command would pay for at start-up, though few runs use what
// they do, stay out of the program (tests may use them). The Prometheus
// client registers its process and Go collectors in an init function
// (~0.7 ms: the Pushgateway push writes the text format itself); the SDK's
// OTLP exporters bring the otlp protobuf registries and grpc-gateway (the
// exporters send pdata themselves); and withoutGRPC.
func TestProgramLeavesOutHeavyInits(t *testing.T) {
	heavies := append([]string{
		"github.com/prometheus/",
		"go.opentelemetry.io/otel/exporters/",
		"go.opentelemetry.io/proto/otlp",
		"github.com/grpc-ecosystem/",
	}, withoutGRPC...)
	for _, pkg := range goListDeps(t, "github.com/agentops-dev/agentops") {
		for _, heavy := range heavies {
			if strings.HasPrefix(pkg, heavy) {
				t.Errorf("agentops imports %s: its init functions cost every command start-up time", pkg)
			}
		}
	}
}

// TestExporterLeavesOutGRPC: the exporter package itself links none of
// withoutGRPC (it says which package is at fault when the program's test
// fails).
func TestExporterLeavesOutGRPC(t *testing.T) {
	for _, pkg := range goListDeps(t, "github.com/agentops-dev/agentops/exporter") {
		for _, heavy := range withoutGRPC {
			if strings.HasPrefix(pkg, heavy) {
				t.Errorf("the exporter package links %s: its start-up cost is paid by every agentops command", pkg)
			}
		}
	}
}
