package pricing

import (
	"fmt"
	"os/exec"
	"reflect"
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

// TestEmbeddedLazyIsWhole: the embedded table, whose providers' models are
// decoded when a lookup first needs them (by json-iterator), decodes whole
// without an error (modelList would panic at run time otherwise), and to
// the same providers, models and prices as decoding it eagerly with
// encoding/json, as a price file is.
func TestEmbeddedLazyIsWhole(t *testing.T) {
	lazy, err := decodeFeedLazy(embedded)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := decodeFeed(embedded)
	if err != nil {
		t.Fatal(err)
	}
	if len(lazy.providers) != len(whole.providers) || lazy.models != whole.models {
		t.Fatalf("lazy: %d providers, %d models; whole: %d, %d", len(lazy.providers), lazy.models, len(whole.providers), whole.models)
	}
	for i, lp := range lazy.providers {
		wp := whole.providers[i]
		lms, wms := lp.modelList(), wp.modelList()
		if lp.id != wp.id || len(lms) != len(wms) || lp.modelCount() != len(wms) {
			t.Fatalf("provider %d: %s with %d models, want %s with %d", i, lp.id, len(lms), wp.id, len(wms))
		}
		optKey := func(m *matcher) string {
			if m == nil {
				return "none"
			}
			return matcherKey(*m)
		}
		if lp.name != wp.name || lp.apiPattern != wp.apiPattern || !reflect.DeepEqual(lp.fallback, wp.fallback) ||
			optKey(lp.providerMatch) != optKey(wp.providerMatch) || optKey(lp.modelMatch) != optKey(wp.modelMatch) {
			t.Errorf("provider %s decodes differently lazily", lp.id)
		}
		for j := range lms {
			if lms[j].id != wms[j].id || matcherKey(lms[j].match) != matcherKey(wms[j].match) || !reflect.DeepEqual(lms[j].prices, wms[j].prices) ||
				lms[j].contextWindow != wms[j].contextWindow || lms[j].deprecated != wms[j].deprecated {
				t.Errorf("%s model %d: %s differs from %s", lp.id, j, lms[j].id, wms[j].id)
			}
		}
	}
}

// matcherKey writes a match rule out, to compare two.
func matcherKey(m matcher) string {
	k := fmt.Sprintf("%d %q", m.kind, m.text)
	if m.re != nil {
		k += " re " + m.re.String()
	}
	for _, sub := range m.subs {
		k += " (" + matcherKey(sub) + ")"
	}
	return k
}
