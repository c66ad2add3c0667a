package prices

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/agentops-dev/agentops/cmd/exitcode"
	"github.com/agentops-dev/agentops/iostreams"
	"github.com/agentops-dev/agentops/pricing"
	"github.com/agentops-dev/agentops/store"
)

// UpdateOptions are the parsed flags of `agentops prices update`.
type UpdateOptions struct {
	IO *iostreams.IOStreams

	URL     string
	Timeout time.Duration
	// Now and Getenv are time.Now and os.Getenv unless a test sets them.
	Now    func() time.Time
	Getenv func(string) string
}

// NewCmdUpdate builds `agentops prices update`. runF replaces the work in
// tests of flag parsing; nil means UpdateRun.
func NewCmdUpdate(io *iostreams.IOStreams, runF func(*UpdateOptions) error) *cobra.Command {
	opts := &UpdateOptions{IO: io}
	c := &cobra.Command{
		Use:   "update",
		Short: "Fetch the live genai-prices table for later runs",
		Long: `Update downloads the live genai-prices table (` + pricing.FeedURL + `),
checks it against the feed's JSON schema and reads it as a price table, and only
then keeps it in ` + pricing.UpdateDir(store.RootDefault) + `,
replacing the table fetched before. Later runs price calls with it when it is
newer than the built-in table, and their summary names it. If anything fails
(offline, timeout, a feed that fails the schema) nothing changes.`,
		Example: `  agentops prices update
  agentops prices update --timeout 10s
  agentops prices update --url https://mirror.example.com/genai-prices/data.json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if opts.Timeout <= 0 {
				return &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf("--timeout %s: give a positive duration like 30s", opts.Timeout)}
			}
			if runF != nil {
				return runF(opts)
			}
			return UpdateRun(c.Context(), opts)
		},
	}
	f := c.Flags()
	f.StringVar(&opts.URL, "url", pricing.FeedURL, "where to fetch the table from (a mirror of the genai-prices v2 feed, data.json or data_slim.json)")
	f.DurationVar(&opts.Timeout, "timeout", pricing.DefaultUpdateTimeout, "give up when the download takes longer than this")
	return c
}

// UpdateRun fetches the table into the state directory.
func UpdateRun(ctx context.Context, opts *UpdateOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	p := &Options{Now: opts.Now, Getenv: opts.Getenv}
	defaults(p)
	dir, err := updateDir(p.Getenv)
	if err != nil {
		return &exitcode.Error{Code: exitcode.Internal, Err: err}
	}
	before := pricing.Newest(dir).Source()
	got, err := pricing.Update(ctx, pricing.UpdateOptions{URL: opts.URL, Dir: dir, Timeout: opts.Timeout, Now: p.Now})
	if err != nil {
		hint := "check the URL"
		if errors.Is(err, pricing.ErrUnreachable) {
			hint = "offline? check the network or a proxy, or pass --url with a mirror"
		}
		return &exitcode.Error{Code: exitcode.Internal,
			Err: fmt.Errorf("prices update: %w\nnothing changed: runs keep pricing with %s (%s)", err, before, hint)}
	}
	fmt.Fprintf(opts.IO.Out, "updated: %d providers, %d models from %s\nkept in %s; later runs price with %s\n",
		got.Providers, got.Models, got.URL, got.Path, pricing.Newest(dir).Source())
	return nil
}
