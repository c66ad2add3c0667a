// Package export implements `agentops export`.
package export

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel"

	"github.com/agentops-dev/agentops/cmd/exitcode"
	"github.com/agentops-dev/agentops/exporter"
	"github.com/agentops-dev/agentops/iostreams"
	"github.com/agentops-dev/agentops/store"
)

// Options are the parsed flags and arguments of `agentops export`.
type Options struct {
	IO *iostreams.IOStreams

	Ref       string
	StoreDir  string
	Exporters []string

	Headers     []string
	Compression string
	Timeout     time.Duration
	// BatchSize is the most items per export request.
	BatchSize int
	// Consumers is the number of concurrent requests per exporter.
	Consumers int
	// ExportTimeout bounds the whole export, retries included.
	ExportTimeout time.Duration
	// Resume sends what each exporter of the run left (its unsent
	// record) to that exporter, instead of the whole session to -e.
	Resume bool
	// InDoubt, with Resume, also sends the batches in doubt.
	InDoubt bool
	// Getenv reads the environment and Environ lists it; nil means the
	// process's own.
	Getenv  func(string) string
	Environ []string
}

// NewCmdExport builds `agentops export`. runF replaces the work in tests of
// flag parsing; nil means ExportRun.
func NewCmdExport(io *iostreams.IOStreams, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: io}
	c := &cobra.Command{
		Use:   "export [<id>|last] (-e NAME[=TARGET]... | --resume)",
		Short: "Send a stored session to exporters again, or what its exporters left",
		Long: `Export re-sends every stored span, log record and metric of a session (the
session's own span and the child's) through the named exporters, the same
ones 'agentops run -e' takes: to send it somewhere new, or again.
Exporters:
  ` + strings.Join(exporter.Usage(), "\n  ") + `

--resume sends, instead, exactly what each exporter of the run did not
deliver (its unsent record, unsent-N-NAME.json in the session's directory)
to that same exporter, and updates the record. Batches "in doubt" (sent,
but the export timeout cut the request before the backend answered) may
already be there: they are sent only with --in-doubt, at the risk of
duplicates. Headers are not kept (they may hold secrets): pass
--otlp-header again.

Exits 0 when every exporter took everything, 1 when one failed.`,
		Example: `  agentops export last -e otlp=http://localhost:4318
  agentops export 3f2a -e agentops -e file=session-3f2a.jsonl
  agentops export last --resume
  agentops export last --resume --in-doubt --otlp-header 'Authorization=Bearer TOKEN'
  agentops export last -e otlp=https://collector:4318 --otlp-header 'Authorization=Bearer TOKEN'
  agentops export last -e otlp=http://localhost:4318 --otlp-compression none --otlp-timeout 30s --batch-size 128
  agentops export last -e otlp=http://localhost:4318 --export-consumers 8 --export-timeout 5m
  agentops export last --store .agentops -e file=session.jsonl`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Ref = "last"
			if len(args) == 1 {
				opts.Ref = args[0]
			}
			if len(opts.Exporters) == 0 && !opts.Resume {
				return &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf("say where to send the session: -e NAME[=TARGET], one of %s; or --resume to send what the run's exporters left", strings.Join(exporter.Names(), ", "))}
			}
			if len(opts.Exporters) > 0 && opts.Resume {
				return &exitcode.Error{Code: exitcode.Usage, Err: errors.New("--resume sends to the run's own exporters: drop -e, or drop --resume to send the whole session to -e")}
			}
			if opts.InDoubt && !opts.Resume {
				return &exitcode.Error{Code: exitcode.Usage, Err: errors.New("--in-doubt goes with --resume")}
			}
			if runF != nil {
				return runF(opts)
			}
			return ExportRun(context.Background(), opts)
		},
	}
	f := c.Flags()
	f.StringVar(&opts.StoreDir, "store", "", "session store directory (default "+store.RootDefault+")")
	f.StringArrayVarP(&opts.Exporters, "exporter", "e", nil, "exporter NAME[=TARGET] to send the session to, repeatable")
	f.BoolVar(&opts.Resume, "resume", false, "send what each exporter of the run left (its unsent record) to that exporter")
	f.BoolVar(&opts.InDoubt, "in-doubt", false, "with --resume, also send the batches in doubt (the backend may have them: duplicates)")
	f.StringArrayVar(&opts.Headers, "otlp-header", nil, "header K=V sent by otlp and otlpgrpc exporters, repeatable")
	f.StringVar(&opts.Compression, "otlp-compression", "gzip", "compression of otlp/otlpgrpc/agentops requests: gzip or none")
	f.DurationVar(&opts.Timeout, "otlp-timeout", 10*time.Second, "timeout of one export request")
	f.IntVar(&opts.BatchSize, "batch-size", 512, "most spans, log records or data points per export request")
	f.IntVar(&opts.Consumers, "export-consumers", 4, "concurrent export requests per exporter")
	f.DurationVar(&opts.ExportTimeout, "export-timeout", 30*time.Second, "how long the export may take, retries included; what is left then stays for the next --resume")
	return c
}

// ExportRun sends one stored session through every exporter, or with
// Resume what its exporters left, and reports what each did.
func ExportRun(ctx context.Context, opts *Options) error {
	settings, specs, err := parse(opts)
	if err != nil {
		return err
	}
	e, err := resolve(opts)
	if err != nil {
		return err
	}
	// Failures are reported per exporter below, not by the SDK's global
	// handler on stderr.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {}))
	ctx, cancel := context.WithTimeout(ctx, opts.ExportTimeout)
	defer cancel()
	if opts.Resume {
		return resume(ctx, opts, settings, e)
	}
	failed, total := 0, 0
	for _, spec := range specs {
		snd, err := newSender(ctx, opts, e, spec, settings, nil)
		if err != nil {
			failed++
			fmt.Fprintf(opts.IO.ErrOut, "✗ %s: %v\n", spec, err)
			continue
		}
		for _, f := range []struct {
			name string
			sig  exporter.Signal
		}{{store.SpansFile, exporter.Traces}, {store.LogsFile, exporter.Logs}, {store.MetricsFile, exporter.Metrics}} {
			if err := exporter.ScanLines(filepath.Join(e.Path, f.name), f.sig, false, snd.OfferRef); err != nil {
				fmt.Fprintf(opts.IO.ErrOut, "agentops: note: %v\n", err)
			}
		}
		o := snd.Shutdown(ctx)
		t := o.Total()
		total += int(t.Enqueued)
		if t.Enqueued == 0 {
			continue
		}
		if t.Sent < t.Enqueued {
			failed++
			fmt.Fprintf(opts.IO.ErrOut, "✗ %s: sent %s of session %s; %s\n", spec, tally(o, false), e.ID, lastErr(o))
			continue
		}
		fmt.Fprintf(opts.IO.ErrOut, "✓ %s: sent %s of session %s\n", spec, tally(o, false), e.ID)
	}
	if total == 0 && failed == 0 {
		return &exitcode.Error{Code: 1, Err: fmt.Errorf("session %s has no stored spans, logs or metrics to export", e.ID)}
	}
	if failed > 0 {
		return &exitcode.Error{Code: 1, Err: fmt.Errorf("%d of %d exporters failed: check the target and try again", failed, len(specs))}
	}
	return nil
}

// resolve finds the session's directory in the store.
func resolve(opts *Options) (*store.Entry, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	root, err := store.Root(opts.StoreDir, getenv)
	if err != nil {
		return nil, &exitcode.Error{Code: exitcode.Internal, Err: err}
	}
	e, err := store.Open(root).Resolve(opts.Ref)
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrAmbiguous), errors.Is(err, store.ErrEmpty):
		if opts.Resume {
			// An unstored session (--no-store) keeps its unsent records
			// under <store root>/unsent/<id>/.
			if m, _ := filepath.Glob(filepath.Join(root, "unsent", opts.Ref+"*")); len(m) == 1 {
				return &store.Entry{Path: m[0], ID: filepath.Base(m[0]), Name: filepath.Base(m[0])}, nil
			}
		}
		return nil, &exitcode.Error{Code: exitcode.Usage, Err: err}
	case err != nil:
		return nil, &exitcode.Error{Code: exitcode.Internal, Err: err}
	}
	return e, nil
}

func newSender(ctx context.Context, opts *Options, e *store.Entry, spec exporter.Spec, st exporter.Settings, build func() (exporter.Exporter, error)) (*exporter.Sender, error) {
	var exp exporter.Exporter
	var err error
	if build != nil {
		exp, err = build()
	} else {
		exp, err = exporter.New(ctx, spec, st)
	}
	if err != nil {
		return nil, err
	}
	countStored(exp, e, opts)
	return exporter.NewSender(spec, spec.String(), exp, exporter.QueueConfig{BatchSize: opts.BatchSize, Consumers: opts.Consumers}), nil
}

// tally says what was sent, signal by signal: "812 spans, 3 log records".
func tally(o exporter.Outcome, enqueued bool) string {
	var parts []string
	for _, sg := range exporter.Signals {
		c := o.Signals[sg]
		n := c.Sent
		if enqueued {
			n = c.Enqueued
		}
		if c.Enqueued > 0 || (sg == exporter.Traces && len(parts) == 0) {
			if enqueued {
				parts = append(parts, fmt.Sprintf("%d %s", n, sg.Items()))
			} else {
				parts = append(parts, fmt.Sprintf("%d of %d %s", n, c.Enqueued, sg.Items()))
			}
		}
	}
	return strings.Join(parts, ", ")
}

func lastErr(o exporter.Outcome) string {
	if o.Err == nil {
		return "not all were delivered"
	}
	return o.Err.Error()
}

func parse(opts *Options) (exporter.Settings, []exporter.Spec, error) {
	usage := func(format string, a ...any) error {
		return &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf(format, a...)}
	}
	env := opts.Environ
	if env == nil {
		env = os.Environ()
	}
	st := exporter.Settings{
		Compression: opts.Compression, Timeout: opts.Timeout,
		Env: env, Console: opts.IO.ErrOut,
	}
	if err := exporter.CheckCompression(opts.Compression); err != nil {
		return st, nil, usage("--otlp-compression: %w", err)
	}
	if opts.BatchSize <= 0 {
		return st, nil, usage("--batch-size must be positive, e.g. 512")
	}
	if opts.Consumers <= 0 {
		opts.Consumers = 4
	}
	if opts.ExportTimeout <= 0 {
		opts.ExportTimeout = 30 * time.Second
	}
	headers, err := exporter.HeaderFlags(opts.Headers)
	if err != nil {
		return st, nil, usage("--otlp-header: %w", err)
	}
	st.Headers = headers
	var specs []exporter.Spec
	for _, v := range opts.Exporters {
		spec, err := exporter.ParseSpec(v)
		if err != nil {
			return st, nil, usage("%w", err)
		}
		// Say so before reading the store, not after.
		if !slices.Contains(exporter.Names(), spec.Name) {
			return st, nil, usage("%w %q: use one of %s", exporter.ErrUnknown, spec.Name, strings.Join(exporter.Names(), ", "))
		}
		specs = append(specs, spec)
	}
	return st, specs, nil
}
