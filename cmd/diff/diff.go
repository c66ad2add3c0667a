// Package diff implements `agentops diff`.
package diff

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/agentops-dev/agentops/cmd/exitcode"
	"github.com/agentops-dev/agentops/cmd/storedsession"
	"github.com/agentops-dev/agentops/compare"
	"github.com/agentops-dev/agentops/iostreams"
	"github.com/agentops-dev/agentops/store"
	"github.com/agentops-dev/agentops/summary"
)

// Tripped is the exit code of a diff whose gate tripped.
const Tripped = 1

// Options are the parsed flags and arguments of `agentops diff`.
type Options struct {
	IO *iostreams.IOStreams

	// A is the baseline, B the new session: ids, last, last~N or files.
	A, B     string
	StoreDir string
	JSON     bool
	Markdown bool
	// FailIf are the gate expressions (--fail-if), commas separating more.
	FailIf []string
	// StepSummary is $GITHUB_STEP_SUMMARY: the Markdown diff is appended
	// to it when set.
	StepSummary string
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
}

// NewCmdDiff builds `agentops diff`. runF replaces the work in tests of
// flag parsing; nil means DiffRun.
func NewCmdDiff(io *iostreams.IOStreams, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: io}
	c := &cobra.Command{
		Use:   "diff <baseline> [<new>]",
		Short: "Compare a session with a baseline: cost, tokens, calls, tools, errors; fail CI on a regression",
		Long: `Diff compares two sessions, a baseline and a new one (default: last), and
prints what changed: the totals (duration, LLM calls, tokens, cost, tool calls,
errors) with absolute and relative change, per model (calls, tokens, cost),
per tool (calls, errors, time), errors that are new or gone, and the end states.

A session is a stored session (an id or prefix, last, last~1 for the one
before it) or a session JSON file written by 'agentops run --json', such as
the main branch's CI artifact.

--fail-if gates make it a CI check: diff exits 1 when one trips, 0 otherwise
(2 for a wrong command line).
` + compare.Grammar + `

A cost gate trips when either session has unpriced calls: their cost is
unknown, and a gate that cannot tell does not pass.
With $GITHUB_STEP_SUMMARY set, the diff is appended to it as Markdown.`,
		Example: `  # The last session against the one before it
  agentops diff last~1

  # Against the main branch's session JSON kept as a CI artifact; fail on a regression
  agentops diff main-session.json last --fail-if 'cost>+10%' --fail-if 'tokens>+20%' --fail-if 'errors>0'

  # Several gates in one flag, and a new session given as a file too
  agentops diff baseline.json session.json --fail-if 'llm_calls>+5,end_state!=Success,duration>+50%'

  # Machine-readable, or Markdown for a pull request comment
  agentops diff last~1 last --json | jq '.totals[] | select(.name=="cost")'
  agentops diff last~1 --markdown > diff.md

  # Sessions kept in a CI workspace by run --store
  agentops diff --store .agentops last~1 last`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.A, opts.B = args[0], "last"
			if len(args) == 2 {
				opts.B = args[1]
			}
			opts.StepSummary = os.Getenv("GITHUB_STEP_SUMMARY")
			if runF != nil {
				return runF(opts)
			}
			return DiffRun(opts)
		},
	}
	f := c.Flags()
	f.StringVar(&opts.StoreDir, "store", "", "session store directory (default "+store.RootDefault+")")
	f.BoolVar(&opts.JSON, "json", false, "print the comparison as JSON")
	f.BoolVar(&opts.Markdown, "markdown", false, "print the comparison as GitHub-flavoured Markdown")
	f.StringArrayVar(&opts.FailIf, "fail-if", nil, "exit 1 when this gate trips, e.g. 'cost>+10%' (repeatable; commas separate gates)")
	c.MarkFlagsMutuallyExclusive("json", "markdown")
	return c
}

// DiffRun compares the two sessions, prints the comparison and evaluates
// the gates; the error carries exit code 1 when one tripped.
func DiffRun(opts *Options) error {
	gates, err := compare.ParseGates(opts.FailIf)
	if err != nil {
		return &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf("--fail-if: %w", err)}
	}
	a, err := storedsession.LoadRecord(opts.StoreDir, opts.Getenv, opts.A)
	if err != nil {
		return fmt.Errorf("the baseline %s: %w", opts.A, err)
	}
	b, err := storedsession.LoadRecord(opts.StoreDir, opts.Getenv, opts.B)
	if err != nil {
		return fmt.Errorf("the new session %s: %w", opts.B, err)
	}
	d := compare.Sessions(a, b, opts.A, opts.B)
	trip := compare.Evaluate(d, gates)
	out := opts.IO.Out
	switch {
	case opts.JSON:
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		err = enc.Encode(d)
	case opts.Markdown:
		_, err = fmt.Fprint(out, summary.DiffMarkdown(d))
	default:
		err = summary.DiffText(out, d, opts.IO.ColorOut())
	}
	if err != nil {
		return &exitcode.Error{Code: exitcode.Internal, Err: fmt.Errorf("write the diff: %w", err)}
	}
	if opts.StepSummary != "" {
		if err := appendFile(opts.StepSummary, summary.DiffMarkdown(d)); err != nil {
			fmt.Fprintln(opts.IO.ErrOut, "agentops: warning: $GITHUB_STEP_SUMMARY:", err)
		}
	}
	if trip {
		return &exitcode.Error{Code: Tripped, Err: errors.New(trippedMessage(d))}
	}
	return nil
}

func trippedMessage(d *compare.Diff) string {
	n := 0
	first := ""
	for _, g := range d.Gates {
		if g.Tripped {
			if n == 0 {
				first = g.Gate + ": " + g.Detail
			}
			n++
		}
	}
	if n == 1 {
		return "gate tripped: " + first
	}
	return fmt.Sprintf("%d gates tripped, first %s", n, first)
}

func appendFile(path, s string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString(s + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
