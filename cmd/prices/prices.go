// Package prices implements `agentops prices` (which price table is in
// use, and what a model matches in it) and `agentops prices update`.
package prices

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
	"github.com/agentops-dev/agentops/iostreams"
	"github.com/agentops-dev/agentops/pricing"
	"github.com/agentops-dev/agentops/store"
)

// Options are the parsed flags of `agentops prices [MODEL]`.
type Options struct {
	IO *iostreams.IOStreams

	// Model is the model id to look up; empty describes the table.
	Model    string
	Provider string
	Server   string
	// At is when the call is priced; zero means now.
	At         time.Time
	PricesPath string
	JSON       bool
	// Now and Getenv are time.Now and os.Getenv unless a test sets them.
	Now    func() time.Time
	Getenv func(string) string
}

// NewCmdPrices builds `agentops prices` and its update subcommand. runF
// replaces the work in tests of flag parsing; nil means PricesRun.
func NewCmdPrices(io *iostreams.IOStreams, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: io}
	var at string
	c := &cobra.Command{
		Use:   "prices [MODEL]",
		Short: "Show the LLM price table in use, or what a model costs",
		Long: `Prices says which price table agentops estimates costs with: the genai-prices
table built in (its source, commit and date), or the newer one 'agentops prices
update' fetched into the state directory (` + pricing.UpdateDir(store.RootDefault) + `).

With a MODEL (a gen_ai.request.model as a span reports it), it shows what the
model matches: the provider and model of the table, how they were recognised,
and every price set with its dates and tiers, the one in force marked. A model
that matches nothing is unpriced: add it with 'agentops run --prices FILE'.`,
		Example: `  agentops prices
  agentops prices claude-sonnet-4-6
  agentops prices us.anthropic.claude-sonnet-4-5-20250929-v1:0 --provider aws.bedrock
  agentops prices anthropic/claude-sonnet-4.5 --server https://openrouter.ai/api/v1
  agentops prices claude-sonnet-4-6 --at 2026-03-01
  agentops prices gpt-5.2 --json | jq '.prices[0].rates'
  agentops prices my-finetuned-llama --prices my-prices.json
  agentops prices update`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Model = args[0]
			}
			if at != "" {
				t, err := parseAt(at)
				if err != nil {
					return &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf("--at: %w", err)}
				}
				opts.At = t
			}
			if opts.Model == "" && (opts.Provider != "" || opts.Server != "" || at != "") {
				return &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf("--provider, --server and --at need a MODEL: agentops prices MODEL --provider P")}
			}
			if runF != nil {
				return runF(opts)
			}
			return PricesRun(opts)
		},
	}
	f := c.Flags()
	f.StringVar(&opts.Provider, "provider", "", "the provider the call names (a gen_ai.provider.name such as anthropic, aws.bedrock, gcp.vertex_ai)")
	f.StringVar(&opts.Server, "server", "", "the URL or host the call is sent to (url.full or server.address), e.g. https://openrouter.ai/api/v1")
	f.StringVar(&at, "at", "", "price a call made at this time (2026-03-01 or RFC 3339), not now")
	f.StringVar(&opts.PricesPath, "prices", "", "a price file over the table, as agentops run --prices FILE takes")
	f.BoolVar(&opts.JSON, "json", false, "print the answer as JSON")
	c.AddCommand(NewCmdUpdate(io, nil))
	return c
}

func parseAt(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use 2026-03-01 or 2026-03-01T12:00:00Z", s)
}

// updateDir is where `prices update` keeps tables, in the state directory.
func updateDir(getenv func(string) string) (string, error) {
	root, err := store.Root("", getenv)
	if err != nil {
		return "", err
	}
	return pricing.UpdateDir(root), nil
}

func defaults(opts *Options) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
}

// PricesRun describes the table in use, or what opts.Model matches in it.
func PricesRun(opts *Options) error {
	defaults(opts)
	dir, err := updateDir(opts.Getenv)
	if err != nil {
		return &exitcode.Error{Code: exitcode.Internal, Err: err}
	}
	tbl := pricing.Newest(dir)
	if opts.PricesPath != "" {
		user, err := pricing.LoadFile(opts.PricesPath)
		if err != nil {
			return &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf("--prices: %w", err)}
		}
		tbl = tbl.Merge(user)
	}
	tbl.Preload() // so Source names the table actually used
	if opts.Model == "" {
		return describeTable(opts, dir, tbl)
	}
	at := opts.At
	if at.IsZero() {
		at = opts.Now()
	}
	m, ok := tbl.Lookup(opts.Model, opts.Provider, opts.Server)
	if !ok {
		return &exitcode.Error{Code: 1, Err: fmt.Errorf("%s matches nothing in %s: its calls are unpriced (shown as such, never as $0); give it a price with agentops run --prices FILE", opts.Model, tbl.Source())}
	}
	if opts.JSON {
		return writeJSON(opts.IO.Out, matchJSON(opts, m, at, tbl.Source()))
	}
	return describeMatch(opts.IO.Out, opts, m, at, tbl.Source())
}

type tableInfo struct {
	InUse     string         `json:"in_use"`
	Providers int            `json:"providers"`
	Models    int            `json:"models"`
	BuiltIn   builtInInfo    `json:"built_in"`
	UpdateDir string         `json:"update_dir"`
	Updates   []downloadInfo `json:"updates"`
	FeedURL   string         `json:"feed_url"`
}

type builtInInfo struct {
	Source string `json:"source"`
	Commit string `json:"commit"`
	Date   string `json:"date"`
	File   string `json:"file"`
}

type downloadInfo struct {
	Path    string    `json:"path"`
	Fetched time.Time `json:"fetched"`
}

func describeTable(opts *Options, dir string, tbl *pricing.Table) error {
	info := tableInfo{
		InUse: tbl.Source(), Providers: tbl.Providers(), Models: tbl.Len(),
		BuiltIn: builtInInfo{Source: "pydantic/genai-prices", Commit: pricing.TableCommit, Date: pricing.TableDate,
			File: "prices/new_data/v2/data_slim.json"},
		UpdateDir: dir, Updates: []downloadInfo{}, FeedURL: pricing.FeedURL,
	}
	for _, d := range pricing.Downloads(dir) {
		info.Updates = append(info.Updates, downloadInfo{d.Path, d.Fetched})
	}
	if opts.JSON {
		return writeJSON(opts.IO.Out, info)
	}
	w := opts.IO.Out
	fmt.Fprintf(w, "in use     %s: %d providers, %d models\n", info.InUse, info.Providers, info.Models)
	fmt.Fprintf(w, "built in   %s %s, commit %s, of %s (MIT)\n", info.BuiltIn.Source, info.BuiltIn.File, info.BuiltIn.Commit, info.BuiltIn.Date)
	if len(info.Updates) == 0 {
		fmt.Fprintf(w, "updates    none in %s: agentops prices update fetches the live table\n", dir)
	}
	for _, d := range info.Updates {
		fmt.Fprintf(w, "update     %s, fetched %s\n", d.Path, d.Fetched.Format("2006-01-02 15:04Z"))
	}
	fmt.Fprintf(w, "\nagentops prices MODEL shows what a model costs; agentops run --prices FILE adds or overrides prices.\n")
	return nil
}

// rateLabels names the feed's price keys for people: what is priced, and
// per how many.
var rateLabels = map[string][2]string{
	"input_mtok":            {"input", "M tokens"},
	"cache_read_mtok":       {"cache read", "M tokens"},
	"cache_write_mtok":      {"cache write", "M tokens"},
	"cache_write_5m_mtok":   {"cache write 5 min", "M tokens"},
	"cache_write_1h_mtok":   {"cache write 1 h", "M tokens"},
	"output_mtok":           {"output", "M tokens"},
	"output_reasoning_mtok": {"reasoning", "M tokens"},
	"requests_kcount":       {"requests", "K requests"},
	"web_searches_kcount":   {"web searches", "K searches"},
}

func label(key string) (name, per string) {
	if l, ok := rateLabels[key]; ok {
		return l[0], l[1]
	}
	return key + " (not charged)", ""
}

func usd(v float64) string { return "$" + strconv.FormatFloat(v, 'f', -1, 64) }

func rateText(key string, r pricing.Rate) string {
	_, per := label(key)
	s := usd(r.Base)
	if per != "" {
		s += " / " + per
	}
	for _, t := range r.Tiers {
		s += fmt.Sprintf(", %s above %s input tokens", usd(t.Price), thousands(t.Start))
	}
	return s
}

func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// when says when the i-th price set is in force: the last one whose
// constraint holds wins, the first is the default.
func when(ps []pricing.Conditional, i int) string {
	c := ps[i]
	switch {
	case c.Daily:
		return fmt.Sprintf("daily %s–%s UTC", clock(c.DailyFrom), clock(c.DailyTo))
	case !c.Since.IsZero():
		return "from " + c.Since.Format(time.DateOnly)
	case len(ps) == 1:
		return "always"
	case i == 0 && len(ps) > 1 && !ps[1].Since.IsZero():
		return "before " + ps[1].Since.Format(time.DateOnly)
	}
	return "otherwise"
}

func clock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60)
}

func describeMatch(w io.Writer, opts *Options, m pricing.Match, at time.Time, source string) error {
	fmt.Fprintf(w, "%s → %s / %s (%s)\n", opts.Model, m.Provider, m.Model, m.ProviderName)
	fmt.Fprintf(w, "  matched as  %s, provider from the %s\n", m.As, m.Via)
	if m.ContextWindow > 0 {
		fmt.Fprintf(w, "  context     %s tokens\n", thousands(m.ContextWindow))
	}
	if m.Deprecated {
		fmt.Fprintf(w, "  deprecated  by the provider, still priced\n")
	}
	fmt.Fprintf(w, "  table       %s\n", source)
	inForce := m.InForce(at)
	for i, c := range m.Prices {
		fmt.Fprintf(w, "\n  %s", when(m.Prices, i))
		if i == inForce {
			fmt.Fprintf(w, " (in force %s)", at.UTC().Format("2006-01-02 15:04Z"))
		}
		fmt.Fprintln(w)
		for _, nr := range c.Prices.Rates() {
			name, _ := label(nr.Key)
			fmt.Fprintf(w, "    %-18s %s\n", name, rateText(nr.Key, nr.Rate))
		}
	}
	fmt.Fprintf(w, "\n  Input tokens include cache reads and writes; each is charged at its own rate when\n"+
		"  the set has one. A tier's rate applies to all tokens of a call above its input count.\n")
	return nil
}

type matchOut struct {
	Query struct {
		Model    string    `json:"model"`
		Provider string    `json:"provider,omitempty"`
		Server   string    `json:"server,omitempty"`
		At       time.Time `json:"at"`
	} `json:"query"`
	Provider      string     `json:"provider"`
	ProviderName  string     `json:"provider_name"`
	Model         string     `json:"model"`
	MatchedAs     string     `json:"matched_as"`
	Via           string     `json:"via"`
	ContextWindow int64      `json:"context_window,omitempty"`
	Deprecated    bool       `json:"deprecated,omitempty"`
	Table         string     `json:"table"`
	Prices        []priceOut `json:"prices"`
}

type priceOut struct {
	When    string                  `json:"when"`
	InForce bool                    `json:"in_force"`
	Rates   map[string]pricing.Rate `json:"rates"`
}

func matchJSON(opts *Options, m pricing.Match, at time.Time, source string) matchOut {
	var out matchOut
	out.Query.Model, out.Query.Provider, out.Query.Server, out.Query.At = opts.Model, opts.Provider, opts.Server, at.UTC()
	out.Provider, out.ProviderName, out.Model, out.MatchedAs, out.Via = m.Provider, m.ProviderName, m.Model, m.As, m.Via
	out.ContextWindow, out.Deprecated, out.Table = m.ContextWindow, m.Deprecated, source
	inForce := m.InForce(at)
	for i, c := range m.Prices {
		p := priceOut{When: when(m.Prices, i), InForce: i == inForce, Rates: map[string]pricing.Rate{}}
		for _, nr := range c.Prices.Rates() {
			p.Rates[nr.Key] = nr.Rate
		}
		out.Prices = append(out.Prices, p)
	}
	return out
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
