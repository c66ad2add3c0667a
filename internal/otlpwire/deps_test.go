package otlpwire

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLinksNoGRPCOrProtobuf: otlpwire is what lets the receiver and the
// exporter speak OTLP/gRPC without grpc-go and the protobuf runtime, whose
// init work every start of the CLI pays for; it links none of them, nor
// pdata (tests may).
func TestLinksNoGRPCOrProtobuf(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not in PATH: install Go (CI's .ci/run has it)")
	}
	out, err := exec.Command(goBin, "list", "-deps", "github.com/agentops-dev/agentops/internal/otlpwire").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, heavy := range []string{"google.golang.org/grpc", "google.golang.org/protobuf", "google.golang.org/genproto", "go.opentelemetry.io/collector/pdata"} {
			if strings.HasPrefix(pkg, heavy) {
				t.Errorf("otlpwire imports %s", pkg)
			}
		}
	}
}
