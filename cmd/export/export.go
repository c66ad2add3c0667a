// Package export implements `agentops export`.
package export

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/agentops-dev/agentops/cmd/exitcode"
	"github.com/agentops-dev/agentops/cmd/storedsession"
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
	// BatchSize is the number of spans per export call.
	BatchSize int
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
		Use:   "export [<id>|last] -e NAME[=TARGET]...",
		Short: "Send a stored session to exporters again",
		Long: `Export re-sends every stored span of a session (the session's own span and
the child's) through the named exporters, the same ones 'agentops run -e'
takes: to recover a session whose backend was down, or to send it somewhere
new. Exporters:
  ` + strings.Join(exporter.Usage(), "\n  ") + `

Exits 0 when every exporter took every span, 1 when one failed.`,
		Example: `  agentops export last -e otlp=http://localhost:4318
  agentops export 3f2a -e agentops -e file=session-3f2a.jsonl
  agentops export last -e otlp=https://collector:4318 --otlp-header 'Authorization=Bearer TOKEN'
  agentops export last -e otlp=http://localhost:4318 --otlp-compression none --otlp-timeout 30s --batch-size 128
  agentops export last --store .agentops -e file=session.jsonl`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Ref = "last"
			if len(args) == 1 {
				opts.Ref = args[0]
			}
			if len(opts.Exporters) == 0 {
				return &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf("say where to send the session: -e NAME[=TARGET], one of %s", strings.Join(exporter.Names(), ", "))}
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
	f.StringArrayVar(&opts.Headers, "otlp-header", nil, "header K=V sent by otlp and otlpgrpc exporters, repeatable")
	f.StringVar(&opts.Compression, "otlp-compression", "gzip", "compression of otlp/otlpgrpc/agentops requests: gzip or none")
	f.DurationVar(&opts.Timeout, "otlp-timeout", 10*time.Second, "timeout of one export request, retries included")
	f.IntVar(&opts.BatchSize, "batch-size", 512, "spans per export request")
	return c
}

// ExportRun sends one stored session through every exporter and reports
// what each did.
func ExportRun(ctx context.Context, opts *Options) error {
	settings, specs, err := parse(opts)
	if err != nil {
		return err
	}
	s, err := storedsession.Load(opts.StoreDir, opts.Getenv, opts.Ref)
	if err != nil {
		return err
	}
	for _, p := range s.Problems {
		fmt.Fprintf(opts.IO.ErrOut, "agentops: note: %s\n", p)
	}
	spans := exporter.SpansFromTraces(s.Traces)
	if len(spans) == 0 {
		return &exitcode.Error{Code: 1, Err: fmt.Errorf("session %s has no stored spans to export", s.ID)}
	}
	// Failures are reported per exporter below, not by the SDK's global
	// handler on stderr.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {}))
	failed := 0
	for _, spec := range specs {
		sent, err := send(ctx, spec, settings, spans, opts.BatchSize)
		if err != nil {
			failed++
			fmt.Fprintf(opts.IO.ErrOut, "✗ %s: sent %d of %d spans: %v\n", spec, sent, len(spans), err)
			continue
		}
		fmt.Fprintf(opts.IO.ErrOut, "✓ %s: sent %d spans of session %s\n", spec, sent, s.ID)
	}
	if failed > 0 {
		return &exitcode.Error{Code: 1, Err: fmt.Errorf("%d of %d exporters failed: check the target and try again", failed, len(specs))}
	}
	return nil
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

// send exports spans in batches through one exporter and shuts it down,
// which flushes it. It returns how many spans the exporter accepted.
func send(ctx context.Context, spec exporter.Spec, st exporter.Settings, spans []sdktrace.ReadOnlySpan, batch int) (int, error) {
	exp, err := exporter.New(ctx, spec, st)
	if err != nil {
		return 0, err
	}
	sent := 0
	var errs []error
	for i := 0; i < len(spans); i += batch {
		part := spans[i:min(i+batch, len(spans))]
		if err := exp.ExportSpans(ctx, part); err != nil {
			errs = append(errs, err)
			break
		}
		sent += len(part)
	}
	sctx, cancel := context.WithTimeout(ctx, st.Timeout+5*time.Second)
	defer cancel()
	if err := exp.Shutdown(sctx); err != nil {
		errs = append(errs, fmt.Errorf("shut down: %w", err))
	}
	return sent, errors.Join(errs...)
}
