// Package show implements `agentops show`.
package show

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/cmd/exitcode"
	"github.com/agentops-dev/agentops/cmd/storedsession"
	"github.com/agentops-dev/agentops/iostreams"
	"github.com/agentops-dev/agentops/record"
	"github.com/agentops-dev/agentops/store"
	"github.com/agentops-dev/agentops/summary"
)

// Options are the parsed flags and arguments of `agentops show`.
type Options struct {
	IO *iostreams.IOStreams

	Ref      string
	StoreDir string
	JSON     bool
	// MaxSpans caps the waterfall's rows; 0 means all.
	MaxSpans int
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
}

// NewCmdShow builds `agentops show`. runF replaces the work in tests of
// flag parsing; nil means ShowRun.
func NewCmdShow(io *iostreams.IOStreams, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: io}
	c := &cobra.Command{
		Use:   "show [<id>|last]",
		Short: "Show a stored session: summary, events and a waterfall of its spans",
		Long: `Show prints a stored session: its summary, its events (LLM calls, tool calls,
errors) and a waterfall of its spans, the tree indented, each span's duration
and a bar placed on the session's time line. LLM and tool spans are
highlighted, failed spans marked with ✗.

The session is "last" (the newest, the default) or its id; any unambiguous
prefix of the id will do. 'agentops sessions' lists them.`,
		Example: `  agentops show
  agentops show 3f2a
  agentops show last --json | jq '.session.totals'
  agentops show last --max-spans 0   # every span of a big session
  agentops show --store .agentops    # the store a CI job kept with run --store`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if opts.MaxSpans < 0 {
				return &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf("--max-spans %d is negative: use 0 for every span, or a count like 200", opts.MaxSpans)}
			}
			opts.Ref = "last"
			if len(args) == 1 {
				opts.Ref = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return ShowRun(opts)
		},
	}
	c.Flags().StringVar(&opts.StoreDir, "store", "", "session store directory (default "+store.RootDefault+")")
	c.Flags().BoolVar(&opts.JSON, "json", false, "print the whole session as JSON: record, state and stored spans (OTLP JSON)")
	c.Flags().IntVar(&opts.MaxSpans, "max-spans", 200, "show at most this many spans in the waterfall (0 for all)")
	return c
}

// ShowRun loads and prints one session.
func ShowRun(opts *Options) error {
	if opts.JSON {
		st, e, err := storedsession.Resolve(opts.StoreDir, opts.Getenv, opts.Ref)
		if err != nil {
			return err
		}
		return writeJSON(opts.IO.Out, st, e)
	}
	v, err := storedsession.LoadView(opts.StoreDir, opts.Getenv, opts.Ref, opts.MaxSpans)
	if err != nil {
		return err
	}
	ropts := summary.Options{Color: opts.IO.ColorOut(), Width: opts.IO.OutWidth()}
	return Render(opts.IO.Out, v, ropts)
}

// Render writes the human form of a stored session: state and problems if
// any, the summary, the events and the waterfall's rows LoadView read,
// with how many it left out.
func Render(w io.Writer, s *storedsession.View, opts summary.Options) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Session %s (%s), stored in %s\n", s.ID, s.State, s.Path)
	for _, p := range s.Problems {
		fmt.Fprintf(&b, "  ! %s\n", p)
	}
	b.WriteString("\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if err := summary.Render(w, s.Record, opts); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if err := summary.RenderEvents(w, s.Record, opts); err != nil {
		return err
	}
	fmt.Fprintln(w)
	rows, more := s.Waterfall.Rows, s.Waterfall.Total-len(s.Waterfall.Rows)
	if err := summary.RenderWaterfall(w, rows, opts); err != nil {
		return err
	}
	if more > 0 {
		_, err := fmt.Fprintf(w, "… and %d more spans: --max-spans 0 shows them all, 'agentops report --max-spans 0' draws them all in HTML\n", more)
		return err
	}
	return nil
}

// sessionJSON is the --json document, but for its "spans" and "problems",
// which writeJSON writes after it.
type sessionJSON struct {
	Dir     string          `json:"dir"`
	State   store.State     `json:"state"`
	Meta    store.Meta      `json:"meta"`
	Session *record.Session `json:"session"`
}

// writeJSON writes the --json document of a stored session: its record
// (rebuilt a line at a time when agentops did not finish it), "spans",
// every stored span as one OTLP ExportTraceServiceRequest, and "problems"
// when there are any. The spans are written as they are read, a stored
// batch at a time, so a session of a million spans costs the memory of a
// batch, not of the session.
func writeJSON(w io.Writer, st *store.Store, e *store.Entry) error {
	rec, problems, err := st.Summarize(e)
	if err != nil {
		return &exitcode.Error{Code: exitcode.Internal, Err: err}
	}
	head, err := json.MarshalIndent(sessionJSON{Dir: e.Path, State: e.State, Meta: e.Meta, Session: rec}, "", "  ")
	if err != nil {
		return &exitcode.Error{Code: exitcode.Internal, Err: fmt.Errorf("encode the session: %w", err)}
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(bytes.TrimSuffix(head, []byte("\n}")))
	bw.WriteString(",\n  \"spans\": {\"resourceSpans\": [")
	var (
		m       ptrace.JSONMarshaler
		n       int
		encErr  error
		prefix  = []byte(`{"resourceSpans":[`)
		suffix  = []byte(`]}`)
		onlyOne = ptrace.NewTraces()
	)
	batchProblems, err := store.EachBatch(filepath.Join(e.Path, store.SpansFile), func(td ptrace.Traces) {
		rss := td.ResourceSpans()
		for i := 0; i < rss.Len() && encErr == nil; i++ {
			onlyOne.ResourceSpans().RemoveIf(func(ptrace.ResourceSpans) bool { return true })
			rss.At(i).MoveTo(onlyOne.ResourceSpans().AppendEmpty())
			b, err := m.MarshalTraces(onlyOne)
			if err != nil || !bytes.HasPrefix(b, prefix) || !bytes.HasSuffix(b, suffix) {
				encErr = fmt.Errorf("encode spans: %v (%.40q)", err, b)
				return
			}
			if n > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString("\n    ")
			bw.Write(b[len(prefix) : len(b)-len(suffix)])
			n++
		}
	})
	if err == nil {
		err = encErr
	}
	if err != nil {
		return &exitcode.Error{Code: exitcode.Internal, Err: err}
	}
	bw.WriteString("\n  ]}")
	for _, p := range batchProblems {
		if !slices.Contains(problems, p) {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		b, _ := json.MarshalIndent(problems, "  ", "  ")
		bw.WriteString(",\n  \"problems\": ")
		bw.Write(b)
	}
	bw.WriteString("\n}\n")
	return bw.Flush()
}
