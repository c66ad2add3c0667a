// Package sessions implements `agentops sessions` (alias ls) and
// `agentops sessions prune`.
package sessions

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/agentops-dev/agentops/cmd/exitcode"
	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/iostreams"
	"github.com/agentops-dev/agentops/store"
	"github.com/agentops-dev/agentops/summary"
)

// Options are the parsed flags of `agentops sessions`.
type Options struct {
	IO *iostreams.IOStreams

	StoreDir string
	Limit    int
	Since    time.Duration
	Failed   bool
	JSON     bool
	// Now and Getenv are time.Now and os.Getenv unless a test sets them.
	Now    func() time.Time
	Getenv func(string) string
}

const storeUsage = "session store directory (default " + store.RootDefault + ")"

// NewCmdSessions builds `agentops sessions` and its prune subcommand. runF
// replaces the work in tests of flag parsing; nil means ListRun.
func NewCmdSessions(io *iostreams.IOStreams, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: io}
	var since string
	c := &cobra.Command{
		Use:     "sessions",
		Aliases: []string{"ls"},
		Short:   "List the stored sessions, newest first",
		Long: `Sessions lists the sessions kept in the local store, newest first: short id,
start, duration, end state, LLM calls, tokens, cost and command.

States: ok, failed (non-zero exit or --fail-on-errors), killed (by a signal),
not-started (the command could not be started), running, incomplete (agentops
was killed before the end: what arrived is still shown) and corrupt.

Use the id (or any unambiguous prefix) with 'agentops show', 'agentops
report' and 'agentops export'.`,
		Example: `  agentops sessions
  agentops ls --since 24h --failed
  agentops sessions --limit 5 --json | jq '.[].id'
  agentops sessions prune --older-than 30d
  agentops sessions --store .agentops   # the store a CI job kept with run --store`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			if opts.Limit < 0 {
				return &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf("--limit %d is negative: use 0 for all sessions, or a count like 20", opts.Limit)}
			}
			if since != "" {
				d, err := ParseAge(since)
				if err != nil {
					return &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf("--since: %w", err)}
				}
				opts.Since = d
			}
			if runF != nil {
				return runF(opts)
			}
			return ListRun(opts)
		},
	}
	f := c.Flags()
	f.StringVar(&opts.StoreDir, "store", "", storeUsage)
	f.IntVarP(&opts.Limit, "limit", "n", 20, "list at most this many sessions (0 for all)")
	f.StringVar(&since, "since", "", "only sessions started within this age, e.g. 24h, 7d, 90m")
	f.BoolVar(&opts.Failed, "failed", false, "only sessions that did not end ok")
	f.BoolVar(&opts.JSON, "json", false, "print the list as JSON")
	c.AddCommand(NewCmdPrune(io, nil))
	return c
}

// ParseAge parses a duration that may also be given in days ("30d", "1d12h").
func ParseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil {
			return 0, fmt.Errorf("%q is not an age: use e.g. 30d, 24h or 90m", s)
		}
		days, s = time.Duration(n)*24*time.Hour, s[i+1:]
	}
	var rest time.Duration
	if s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%q is not an age: use e.g. 30d, 24h or 90m", s)
		}
		rest = d
	}
	if days+rest <= 0 {
		return 0, fmt.Errorf("age must be positive, like 30d or 24h")
	}
	return days + rest, nil
}

// Row is one session as listed.
type Row struct {
	ID           string      `json:"id"`
	Dir          string      `json:"dir"`
	Start        time.Time   `json:"start"`
	DurationMS   int64       `json:"duration_ms"`
	Command      []string    `json:"command"`
	State        store.State `json:"state"`
	ExitCode     *int        `json:"exit_code,omitempty"`
	LLMCalls     int         `json:"llm_calls"`
	InputTokens  int64       `json:"input_tokens"`
	OutputTokens int64       `json:"output_tokens"`
	CostUSD      float64     `json:"cost_usd"`
	Unpriced     int         `json:"unpriced_calls"`
	Spans        int64       `json:"spans"`
	Problems     []string    `json:"problems,omitempty"`
}

// ListRun prints the session list.
func ListRun(opts *Options) error {
	st, err := openStore(opts.StoreDir, opts.Getenv)
	if err != nil {
		return err
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	var since time.Time
	if opts.Since > 0 {
		since = now().Add(-opts.Since)
	}
	var rows []Row
	seen := 0
	// Only the sessions listed are read: a long history costs nothing.
	err = st.Walk(since, func(e *store.Entry) bool {
		seen++
		if !opts.Failed || e.State.Failed() {
			rows = append(rows, rowOf(st, e))
		}
		return opts.Limit <= 0 || len(rows) < opts.Limit
	})
	if err != nil {
		return &exitcode.Error{Code: exitcode.Internal, Err: err}
	}
	if opts.JSON {
		if rows == nil {
			rows = []Row{}
		}
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	if len(rows) == 0 {
		msg := "No sessions stored in " + st.Dir() + " yet: 'agentops run -- <command>' keeps every run there."
		if seen > 0 || opts.Since > 0 {
			msg = "No session matches."
		}
		fmt.Fprintln(opts.IO.ErrOut, msg)
		return nil
	}
	return writeTable(opts.IO.Out, rows, opts.IO.ColorOut(), opts.IO.OutWidth())
}

func openStore(dir string, getenv func(string) string) (*store.Store, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	root, err := store.Root(dir, getenv)
	if err != nil {
		return nil, &exitcode.Error{Code: exitcode.Internal, Err: err}
	}
	return store.Open(root), nil
}

// rowOf summarises an entry; a session without a final record has its
// spans read to count what arrived.
func rowOf(st *store.Store, e *store.Entry) Row {
	r := Row{ID: e.ID, Dir: e.Path, Start: e.Start(), Command: e.Command(), State: e.State, Problems: e.Problems}
	rec := e.Final
	if rec == nil {
		// Read a line at a time: the list needs the totals, not the spans.
		if summarized, problems, err := st.Summarize(e); err == nil {
			rec, r.Problems = summarized, problems
		}
	} else {
		code := rec.ExitCode
		r.ExitCode = &code
	}
	if rec != nil {
		if !rec.End.IsZero() {
			r.DurationMS = rec.Duration().Milliseconds()
		}
		t := rec.Totals
		r.LLMCalls, r.InputTokens, r.OutputTokens = t.LLMCalls, t.InputTokens, t.OutputTokens
		r.CostUSD, r.Unpriced, r.Spans = t.CostUSD, t.UnpricedCalls, rec.SpansReceived
	}
	return r
}

func writeTable(w io.Writer, rows []Row, color bool, width int) error {
	list := make([]summary.ListRow, len(rows))
	for i, r := range rows {
		dur := "-"
		if r.DurationMS > 0 || r.State != store.StateIncomplete {
			dur = summary.ShortDuration(time.Duration(r.DurationMS) * time.Millisecond)
		}
		cost := "-"
		if r.LLMCalls > 0 {
			cost = summary.TotalsCost(events.Totals{LLMCalls: r.LLMCalls, CostUSD: r.CostUSD, UnpricedCalls: r.Unpriced})
		}
		list[i] = summary.ListRow{
			ID: shortID(r.ID), Started: r.Start.Local().Format("2006-01-02 15:04:05"), Duration: dur,
			State: string(r.State), StateGood: r.State == store.StateOK,
			StateWarn: r.State == store.StateRunning || r.State == store.StateIncomplete,
			LLM:       strconv.Itoa(r.LLMCalls), Tokens: fmt.Sprintf("%d/%d", r.InputTokens, r.OutputTokens),
			Cost: cost, Command: summary.CommandLine(r.Command),
		}
	}
	return summary.RenderSessionList(w, list, color, width)
}

// shortID is the first eight characters of an id: a UUID's first group.
func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
