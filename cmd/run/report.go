package run

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/agentops-dev/agentops/record"
	"github.com/agentops-dev/agentops/summary"
)

// summaryFormats are the values of --summary.
var summaryFormats = []string{"auto", "terminal", "plain", "json", "markdown", "none"}

func checkSummary(f string) error {
	for _, ok := range summaryFormats {
		if f == ok {
			return nil
		}
	}
	return fmt.Errorf("unknown --summary %q: use auto, terminal, plain, json, markdown or none", f)
}

// report writes what the session produced for people and programs: the
// summary on stderr (--summary, --quiet), the session JSON (--json), and a
// Markdown summary appended to $GITHUB_STEP_SUMMARY. None of it changes
// the child's exit code: a failure is said on stderr and the run goes on.
func report(opts *Options, rec *record.Session) {
	if f := summaryFormat(opts); f != "" {
		_ = summary.Render(opts.IO.ErrOut, rec, summary.Options{
			Format: f, Color: opts.IO.ColorErr(), Width: opts.IO.TerminalWidth(),
		})
	}
	if opts.JSONPath != "" {
		if err := writeJSON(opts, rec); err != nil {
			fmt.Fprintf(opts.IO.ErrOut, "agentops: write --json %s: %v (the session was not saved there; check the path)\n", opts.JSONPath, err)
		}
	}
	if opts.StepSummary != "" {
		if err := appendFile(opts.StepSummary, summary.Markdown(rec)+"\n"); err != nil {
			fmt.Fprintf(opts.IO.ErrOut, "agentops: append to GITHUB_STEP_SUMMARY %s: %v\n", opts.StepSummary, err)
		}
	}
}

// summaryFormat is the summary to print on stderr; "" for none.
func summaryFormat(opts *Options) summary.Format {
	if opts.Quiet {
		return ""
	}
	switch opts.Summary {
	case "none":
		return ""
	case "", "auto":
		if opts.IO.ColorErr() {
			return summary.FormatTerminal
		}
		return summary.FormatPlain
	}
	return summary.Format(opts.Summary)
}

func writeJSON(opts *Options, rec *record.Session) error {
	var b bytes.Buffer
	if err := summary.JSON(&b, rec); err != nil {
		return err
	}
	if opts.JSONPath == "-" {
		_, err := opts.IO.Out.Write(b.Bytes())
		return err
	}
	return os.WriteFile(opts.JSONPath, b.Bytes(), 0o644)
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = io.WriteString(f, text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
