package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentops-dev/agentops/iostreams"
)

func TestFlags(t *testing.T) {
	io := &iostreams.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
	var got *Options
	c := NewCmdReport(io, func(o *Options) error { got = o; return nil })
	c.SetArgs([]string{"-o", "r.html"})
	if err := c.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Ref != "last" || got.Output != "r.html" || got.MaxSpans != 10_000 {
		t.Errorf("options = %+v", got)
	}
	c = NewCmdReport(io, func(*Options) error { return nil })
	c.SetArgs([]string{"last"})
	if err := c.Execute(); err == nil || !strings.Contains(err.Error(), "-o report.html") {
		t.Errorf("no -o: %v", err)
	}
}

// TestReportFromFixture writes the report of the show command's fixture
// sessions, whole and cut short.
func TestReportFromFixture(t *testing.T) {
	for _, ref := range []string{"01c2", "last"} {
		var errOut bytes.Buffer
		out := filepath.Join(t.TempDir(), "r.html")
		io := &iostreams.IOStreams{Out: &bytes.Buffer{}, ErrOut: &errOut}
		err := ReportRun(&Options{IO: io, Ref: ref, StoreDir: "../show/testdata/store", Output: out, Getenv: func(string) string { return "" }})
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		html := string(b)
		if !strings.HasPrefix(html, "<!DOCTYPE html>") || !strings.Contains(errOut.String(), "Wrote "+out) {
			t.Errorf("%s: report %.100q, stderr %q", ref, html, errOut.String())
		}
		if ref == "last" && (!strings.Contains(html, "incomplete") || !strings.Contains(html, "cut short")) {
			t.Error("the cut-short session's report does not say so")
		}
		if n := strings.Count(html, `class="wf-row`); ref == "01c2" && n != 7 {
			t.Errorf("waterfall rows = %d, want 7", n)
		}
	}
}

// TestReportMaxSpans: past --max-spans the timeline draws the first spans
// in tree order and the page and stderr say how many it leaves out.
func TestReportMaxSpans(t *testing.T) {
	var errOut bytes.Buffer
	out := filepath.Join(t.TempDir(), "r.html")
	io := &iostreams.IOStreams{Out: &bytes.Buffer{}, ErrOut: &errOut}
	if err := ReportRun(&Options{IO: io, Ref: "01c2", StoreDir: "../show/testdata/store", Output: out, MaxSpans: 3, Getenv: func(string) string { return "" }}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	if n := strings.Count(html, `class="wf-row`); n != 3 {
		t.Errorf("waterfall rows = %d, want 3", n)
	}
	if !strings.Contains(html, `id="spans-omitted"`) || !strings.Contains(html, "4 more are left out") {
		t.Error("the page does not say that 4 spans are left out")
	}
	if !strings.Contains(errOut.String(), "the first 3 of its 7 spans") {
		t.Errorf("stderr %q does not say the page is cut", errOut.String())
	}
}
