package sessions

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/agentops-dev/agentops/cmd/exitcode"
	"github.com/agentops-dev/agentops/iostreams"
)

// PruneOptions are the parsed flags of `agentops sessions prune`.
type PruneOptions struct {
	IO *iostreams.IOStreams

	StoreDir  string
	OlderThan time.Duration
	DryRun    bool
	Now       func() time.Time
	Getenv    func(string) string
}

// NewCmdPrune builds `agentops sessions prune`. runF replaces the work in
// tests of flag parsing; nil means PruneRun.
func NewCmdPrune(io *iostreams.IOStreams, runF func(*PruneOptions) error) *cobra.Command {
	opts := &PruneOptions{IO: io}
	var olderThan string
	c := &cobra.Command{
		Use:   "prune --older-than AGE",
		Short: "Delete stored sessions older than an age",
		Long: `Prune deletes the stored sessions that started more than AGE ago. Sessions
still running are kept. Only session directories are ever deleted, nothing
else in the store directory.`,
		Example: `  agentops sessions prune --older-than 30d
  agentops sessions prune --older-than 12h --dry-run
  agentops sessions prune --older-than 7d --store .agentops`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			if olderThan == "" {
				return &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf("--older-than is required, e.g. 'agentops sessions prune --older-than 30d'")}
			}
			d, err := ParseAge(olderThan)
			if err != nil {
				return &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf("--older-than: %w", err)}
			}
			opts.OlderThan = d
			if runF != nil {
				return runF(opts)
			}
			return PruneRun(opts)
		},
	}
	c.Flags().StringVar(&opts.StoreDir, "store", "", storeUsage)
	c.Flags().StringVar(&olderThan, "older-than", "", "delete sessions started more than this long ago, e.g. 30d, 12h")
	c.Flags().BoolVar(&opts.DryRun, "dry-run", false, "list what would be deleted, delete nothing")
	return c
}

// PruneRun deletes the old sessions and says how many.
func PruneRun(opts *PruneOptions) error {
	st, err := openStore(opts.StoreDir, opts.Getenv)
	if err != nil {
		return err
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	removed, err := st.Prune(now().Add(-opts.OlderThan), opts.DryRun)
	verb := "Deleted"
	if opts.DryRun {
		verb = "Would delete"
	}
	for _, e := range removed {
		fmt.Fprintf(opts.IO.Out, "%s %s  %s\n", shortID(e.ID), e.Start().Local().Format("2006-01-02 15:04:05"), e.State)
	}
	fmt.Fprintf(opts.IO.ErrOut, "%s %d session(s) older than %s from %s\n", verb, len(removed), opts.OlderThan, st.Dir())
	if err != nil {
		return &exitcode.Error{Code: exitcode.Internal, Err: err}
	}
	return nil
}
