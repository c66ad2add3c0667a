package diff

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentops-dev/agentops/cmd/exitcode"
	"github.com/agentops-dev/agentops/compare"
	"github.com/agentops-dev/agentops/iostreams"
	"github.com/agentops-dev/agentops/record"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/diff -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test ./cmd/diff -update, then review the diff):\n%s", path, got)
	}
}

// run runs DiffRun on two fixtures with gates; it returns stdout, the
// step summary written and the exit code.
func run(t *testing.T, a, b string, markdown bool, gates ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	step := filepath.Join(t.TempDir(), "step.md")
	opts := &Options{
		IO: &iostreams.IOStreams{In: &bytes.Buffer{}, Out: &out, ErrOut: &errOut},
		A:  filepath.Join("testdata", a), B: filepath.Join("testdata", b),
		StoreDir: t.TempDir(), Markdown: markdown, FailIf: gates, StepSummary: step,
	}
	err := DiffRun(opts)
	code := 0
	var ee *exitcode.Error
	if errors.As(err, &ee) {
		code = ee.Code
	} else if err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(step)
	// Fixture paths differ between machines only in their directory.
	return strings.ReplaceAll(out.String(), "testdata"+string(filepath.Separator), ""), string(md), code
}

func TestDiffGolden(t *testing.T) {
	tests := []struct {
		name, a, b string
		gates      []string
		code       int
	}{
		{name: "identical", a: "baseline.json", b: "baseline.json", gates: []string{"cost>+10%", "errors>0"}, code: 0},
		// Cost up, a new tool (get_weather), a model removed (gpt-4o-mini),
		// a new error, the end state Fail.
		{name: "regression", a: "baseline.json", b: "regression.json",
			gates: []string{"cost>+10%", "tokens>+20%", "errors>0", "llm_calls>+5", "end_state!=Success", "duration>1h"}, code: 1},
		{name: "improvement", a: "regression.json", b: "baseline.json", gates: []string{"cost>+10%,errors>0"}, code: 0},
		// A document of an older shape: no schema_version, no prices, no
		// per-model providers or unpriced counts.
		{name: "old_schema", a: "old_schema.json", b: "regression.json", gates: []string{"llm_calls>+5"}, code: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, md, code := run(t, tt.a, tt.b, false, tt.gates...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d", code, tt.code)
			}
			golden(t, "diff_"+tt.name+".txt", []byte(text))
			golden(t, "diff_"+tt.name+".md", []byte(md))
		})
	}
}

func TestDiffJSON(t *testing.T) {
	var out bytes.Buffer
	opts := &Options{IO: &iostreams.IOStreams{Out: &out, ErrOut: &out}, A: "testdata/baseline.json", B: "testdata/regression.json",
		JSON: true, FailIf: []string{"cost>+10%"}, StoreDir: t.TempDir()}
	if err := DiffRun(opts); err == nil {
		t.Fatal("a tripped gate did not fail")
	}
	var d compare.Diff
	if err := json.Unmarshal(out.Bytes(), &d); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	cost, _ := d.Metric(compare.Cost)
	if d.A.EndState != record.Success || d.B.EndState != record.Fail || cost.Relative == nil || *cost.Relative <= 0.1 ||
		len(d.Gates) != 1 || !d.Gates[0].Tripped || len(d.NewErrors) != 1 {
		t.Errorf("diff = %+v", d)
	}
}

func TestDiffBadInput(t *testing.T) {
	dir := t.TempDir()
	notSession := filepath.Join(dir, "other.json")
	newer := filepath.Join(dir, "newer.json")
	_ = os.WriteFile(notSession, []byte(`{"hello": "world"}`), 0o644)
	_ = os.WriteFile(newer, []byte(`{"schema_version": 99, "id": "x"}`), 0o644)
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"bad gate", Options{A: "testdata/baseline.json", B: "testdata/baseline.json", FailIf: []string{"cost>>5"}}, "METRIC OP VALUE"},
		{"unknown metric", Options{A: "testdata/baseline.json", B: "testdata/baseline.json", FailIf: []string{"price>5"}}, `unknown metric "price"`},
		{"not a session", Options{A: notSession, B: "testdata/baseline.json"}, "not a session document"},
		{"newer schema", Options{A: newer, B: "testdata/baseline.json"}, "upgrade agentops"},
		{"empty store", Options{A: "last~1", B: "last"}, "agentops run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			opts := tt.opts
			opts.IO = &iostreams.IOStreams{Out: &out, ErrOut: &out}
			opts.StoreDir = t.TempDir()
			err := DiffRun(&opts)
			var ee *exitcode.Error
			if !errors.As(err, &ee) || ee.Code != exitcode.Usage || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want a usage error containing %q", err, tt.want)
			}
		})
	}
}
