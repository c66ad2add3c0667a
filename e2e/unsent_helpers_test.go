package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/agentops-dev/agentops/exporter"
)

// runExport runs `agentops export args...` with env added to ours, wants
// exit code want, and returns its stderr.
func runExport(t *testing.T, env []string, want int, args ...string) string {
	t.Helper()
	cmd := exec.Command(agentopsBin, append([]string{"export"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("agentops export: %v", err)
	}
	if code != want {
		t.Errorf("agentops export %v: exit %d, want %d:\n%s", args, code, want, out.String())
	}
	return out.String()
}

// readUnsent reads an unsent record and the spans it names: left (and
// failed) ones, and those in doubt.
func readUnsent(t *testing.T, path string) (left, failed, inDoubt []span) {
	t.Helper()
	rec, err := exporter.ReadUnsent(path)
	if err != nil {
		t.Fatal(err)
	}
	read := func(bs []exporter.UnsentBatch) []span {
		var out []span
		for _, b := range bs {
			if b.Signal != "traces" {
				continue
			}
			r := b.Ref(filepath.Dir(path))
			f, err := os.Open(r.File)
			if err != nil {
				t.Fatal(err)
			}
			batch, err := exporter.ReadRef(f, r, exporter.Traces)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, flatten(batch.Traces)...)
		}
		return out
	}
	return read(rec.Left), read(rec.Failed), read(rec.InDoubt)
}

// unsentItems counts the items of each signal an unsent record names, by
// list: left, failed, in doubt.
func unsentItems(t *testing.T, path string) map[string][3]int64 {
	t.Helper()
	rec, err := exporter.ReadUnsent(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][3]int64{}
	for i, l := range [][]exporter.UnsentBatch{rec.Left, rec.Failed, rec.InDoubt} {
		for _, b := range l {
			c := out[b.Signal]
			c[i] += b.Items
			out[b.Signal] = c
		}
	}
	return out
}
