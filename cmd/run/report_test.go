package run

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentops-dev/agentops/iostreams"
	"github.com/agentops-dev/agentops/record"
)

func TestRunFlags(t *testing.T) {
	var got *Options
	io := &iostreams.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
	cmd := NewCmdRun(io, func(o *Options) error { got = o; return nil })
	t.Setenv("GITHUB_STEP_SUMMARY", "/tmp/step.md")
	cmd.SetArgs([]string{"--prices", "p.json", "--fail-on-errors", "--summary", "json", "-q", "--", "agent", "--summary", "x"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.PricesPath != "p.json" || !got.FailOnErrors || got.Summary != "json" || !got.Quiet || got.StepSummary != "/tmp/step.md" {
		t.Errorf("options = %+v", got)
	}
	if strings.Join(got.Command, " ") != "agent --summary x" {
		t.Errorf("command = %q: flags after the command are the child's", got.Command)
	}
}

func TestSummaryFormatChoice(t *testing.T) {
	tests := []struct {
		summary    string
		quiet, tty bool
		noColor    bool
		want       string
	}{
		{summary: "auto", tty: true, want: "terminal"},
		{summary: "auto", tty: true, noColor: true, want: "plain"},
		{summary: "auto", want: "plain"},
		{summary: "terminal", want: "terminal"},
		{summary: "json", tty: true, want: "json"},
		{summary: "none", tty: true, want: ""},
		{summary: "terminal", quiet: true, want: ""},
	}
	for _, tt := range tests {
		io := &iostreams.IOStreams{StderrTTY: tt.tty, NoColor: tt.noColor}
		got := summaryFormat(&Options{IO: io, Summary: tt.summary, Quiet: tt.quiet})
		if string(got) != tt.want {
			t.Errorf("%+v: format %q, want %q", tt, got, tt.want)
		}
	}
	if checkSummary("html") == nil {
		t.Error("--summary html accepted")
	}
}

func TestReportWritesEverywhere(t *testing.T) {
	dir := t.TempDir()
	step := filepath.Join(dir, "step.md")
	if err := os.WriteFile(step, []byte("earlier step\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	opts := &Options{
		IO:          &iostreams.IOStreams{Out: &bytes.Buffer{}, ErrOut: &stderr},
		Summary:     "auto",
		JSONPath:    filepath.Join(dir, "s.json"),
		StepSummary: step,
	}
	now := time.Now()
	rec := &record.Session{SchemaVersion: record.SchemaVersion, ID: "abc", Command: []string{"agent"},
		Start: now, End: now.Add(time.Second), EndState: record.Fail, EndReason: "exit code 1", ExitCode: 1, SpansReceived: 1}
	report(opts, rec)
	if !strings.HasPrefix(stderr.String(), "agentops session: ✘ Fail") {
		t.Errorf("stderr summary:\n%s", stderr.String())
	}
	md, _ := os.ReadFile(step)
	if !strings.HasPrefix(string(md), "earlier step\n### agentops session: ❌ Fail") {
		t.Errorf("step summary not appended:\n%s", md)
	}
	js, _ := os.ReadFile(opts.JSONPath)
	if !strings.Contains(string(js), `"schema_version": 2`) {
		t.Errorf("--json file:\n%s", js)
	}
	opts.JSONPath = filepath.Join(dir, "missing", "s.json")
	stderr.Reset()
	report(opts, rec)
	if !strings.Contains(stderr.String(), "agentops: write --json") {
		t.Errorf("an unwritable --json path was not reported:\n%s", stderr.String())
	}
}
