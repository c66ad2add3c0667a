// Package report implements `agentops report`.
package report

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/agentops-dev/agentops/cmd/exitcode"
	"github.com/agentops-dev/agentops/cmd/storedsession"
	"github.com/agentops-dev/agentops/iostreams"
	"github.com/agentops-dev/agentops/store"
)

// Options are the parsed flags and arguments of `agentops report`.
type Options struct {
	IO *iostreams.IOStreams

	Ref      string
	StoreDir string
	Output   string
	// MaxSpans is how many spans the timeline draws at most (0: all).
	MaxSpans int
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
}

// NewCmdReport builds `agentops report`. runF replaces the work in tests of
// flag parsing; nil means ReportRun.
func NewCmdReport(io *iostreams.IOStreams, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: io}
	c := &cobra.Command{
		Use:   "report [<id>|last] -o FILE",
		Short: "Write a stored session as a single self-contained HTML page",
		Long: `Report writes one HTML file, with its CSS and JavaScript inline and no
external requests, meant as a CI artifact for people who were not there: the
session summary, a timeline waterfall with one row per span, the events with
LLM prompts and completions and tool arguments and results in collapsible
rows, and the errors with the command's last output.

'agentops run --report FILE' writes the same page at the end of a run.`,
		Example: `  agentops report last -o report.html
  agentops report 3f2a -o session-3f2a.html
  agentops report -o - > report.html
  agentops report --store .agentops --output report.html
  agentops report last -o all.html --max-spans 0`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Ref = "last"
			if len(args) == 1 {
				opts.Ref = args[0]
			}
			if opts.Output == "" {
				return &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf("say where to write the report: -o report.html (or -o - for stdout)")}
			}
			if runF != nil {
				return runF(opts)
			}
			return ReportRun(opts)
		},
	}
	c.Flags().StringVar(&opts.StoreDir, "store", "", "session store directory (default "+store.RootDefault+")")
	c.Flags().StringVarP(&opts.Output, "output", "o", "", "file to write the HTML to (- for stdout)")
	c.Flags().IntVar(&opts.MaxSpans, "max-spans", storedsession.ReportSpans, "draw at most this many spans in the timeline, the first in tree order (0 for all); the page says how many it leaves out")
	return c
}

// ReportRun writes the report of one stored session.
func ReportRun(opts *Options) error {
	v, err := storedsession.LoadView(opts.StoreDir, opts.Getenv, opts.Ref, opts.MaxSpans)
	if err != nil {
		return err
	}
	if opts.Output == "-" {
		return storedsession.WriteReport(opts.IO.Out, v)
	}
	if err := storedsession.WriteReportFile(opts.Output, v); err != nil {
		return &exitcode.Error{Code: exitcode.Internal, Err: err}
	}
	wf := v.Waterfall
	if left := wf.Total - len(wf.Rows); left > 0 {
		fmt.Fprintf(opts.IO.ErrOut, "Wrote %s (session %s, the first %d of its %d spans: --max-spans 0 draws them all)\n", opts.Output, v.ID, len(wf.Rows), wf.Total)
		return nil
	}
	fmt.Fprintf(opts.IO.ErrOut, "Wrote %s (session %s, %d spans)\n", opts.Output, v.ID, wf.Total)
	return nil
}
