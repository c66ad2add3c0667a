package run

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/agentops-dev/agentops/cmd/exitcode"
	"github.com/agentops-dev/agentops/cmd/storedsession"
	"github.com/agentops-dev/agentops/compare"
	"github.com/agentops-dev/agentops/record"
	"github.com/agentops-dev/agentops/summary"
)

// BaselineOptions are --baseline and its --fail-if gates: the session is
// compared with the baseline when it ends, as 'agentops diff' does.
type BaselineOptions struct {
	Ref    string
	FailIf []string
}

func addBaselineFlags(c *cobra.Command, o *BaselineOptions) {
	f := c.Flags()
	f.StringVar(&o.Ref, "baseline", "", "compare the session with this one when it ends (a session JSON file such as the main branch's CI artifact, or a stored session: id, last, last~1)")
	f.StringArrayVar(&o.FailIf, "fail-if", nil, "with --baseline: exit 1 when this gate trips, e.g. 'cost>+10%' (repeatable; see 'agentops diff --help')")
}

// baseline is a loaded --baseline and its gates.
type baseline struct {
	ref   string
	rec   *record.Session
	gates []compare.Gate
}

// loadBaseline reads the baseline before the run, so that "last" means
// the session before this one and a wrong path fails before the agent runs.
func loadBaseline(o BaselineOptions, storeDir string) (*baseline, error) {
	if o.Ref == "" {
		if len(o.FailIf) > 0 {
			return nil, &exitcode.Error{Code: exitcode.Usage, Err: errors.New("--fail-if needs --baseline: the gates compare the session with it")}
		}
		return nil, nil
	}
	gates, err := compare.ParseGates(o.FailIf)
	if err != nil {
		return nil, &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf("--fail-if: %w", err)}
	}
	rec, err := storedsession.LoadRecord(storeDir, nil, o.Ref)
	if err != nil {
		return nil, fmt.Errorf("--baseline %s: %w", o.Ref, err)
	}
	return &baseline{ref: o.Ref, rec: rec, gates: gates}, nil
}

// compare compares rec with the baseline and records the gates' results.
func (b *baseline) compare(rec *record.Session) *compare.Diff {
	d := compare.Sessions(b.rec, rec, b.ref, "this session")
	tripped := compare.Evaluate(d, b.gates)
	rec.Baseline = &record.Baseline{Ref: b.ref, ID: b.rec.ID, Gates: d.Gates, Tripped: tripped}
	return d
}

// reportDiff prints the comparison after the summary, and adds it to the
// job summary.
func reportDiff(opts *Options, d *compare.Diff) {
	if summaryFormat(opts) != "" {
		fmt.Fprintln(opts.IO.ErrOut)
		_ = summary.DiffText(opts.IO.ErrOut, d, opts.IO.ColorErr())
	}
	if opts.StepSummary != "" {
		if err := appendFile(opts.StepSummary, summary.DiffMarkdown(d)+"\n"); err != nil {
			fmt.Fprintf(opts.IO.ErrOut, "agentops: append to GITHUB_STEP_SUMMARY %s: %v\n", opts.StepSummary, err)
		}
	}
}
