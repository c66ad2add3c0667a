package pricing

import (
	"os/exec"
	"strings"
	"testing"
)

// TestProgramLeavesOutTheReferenceValidator: the JSON Schema library the
// tests check our feed schema check against loads its meta-schemas at
// program start (4 ms, 1.7 MB), which every `agentops run` would pay. It
// must stay a test-only dependency.
func TestProgramLeavesOutTheReferenceValidator(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not in PATH: install Go (CI's .ci/run has it)")
	}
	out, err := exec.Command(goBin, "list", "-deps", "github.com/agentops-dev/agentops").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/santhosh-tekuri/jsonschema") {
			t.Fatalf("agentops imports %s: its init costs every run milliseconds", pkg)
		}
	}
}

// TestTableModels: `agentops version` names the embedded table's size from
// TableModels rather than decoding the table.
func TestTableModels(t *testing.T) {
	if got := Default().Len(); got != TableModels {
		t.Errorf("the embedded table has %d models, TableModels says %d: update it", got, TableModels)
	}
}
