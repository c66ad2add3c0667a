// Package run implements `agentops run`.
package run

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/agentops-dev/agentops/cmd/exitcode"
	"github.com/agentops-dev/agentops/cmd/storedsession"
	"github.com/agentops-dev/agentops/compare"
	"github.com/agentops-dev/agentops/envinject"
	"github.com/agentops-dev/agentops/iostreams"
	"github.com/agentops-dev/agentops/pricing"
	"github.com/agentops-dev/agentops/receiver"
	"github.com/agentops-dev/agentops/runner"
	"github.com/agentops-dev/agentops/session"
	"github.com/agentops-dev/agentops/store"
)

// Options are the parsed flags and arguments of `agentops run`.
type Options struct {
	IO *iostreams.IOStreams

	Command []string

	Listen      string
	Protocol    string
	ServiceName string
	NoAuth      bool
	Drain       time.Duration
	JSONPath    string
	// PricesPath is a price table that overrides and extends the embedded one.
	PricesPath string
	// FailOnErrors ends a session that exited 0 with error events as Fail.
	FailOnErrors bool

	StoreDir   string
	NoStore    bool
	ReportPath string

	// The export pipeline (see pipeline.go).
	Export ExportOptions
	// Budget is the --max-* flags (see budget.go).
	Budget BudgetOptions
	// Baseline is --baseline and --fail-if (see baseline.go).
	Baseline BaselineOptions

	// PTY and NoPTY force terminal or pipe mode; neither means terminal
	// mode when stdin and stdout are terminals.
	PTY, NoPTY bool
	KillAfter  time.Duration
	TailBytes  int

	// NoCapture turns the LLM capture proxy off; NoCaptureContent keeps
	// prompts and completions off its spans; CaptureVars add base-URL
	// variables to its table (VAR=API[:UPSTREAM]).
	NoCapture        bool
	NoCaptureContent bool
	CaptureVars      []string

	// NoAgentTelemetry leaves the agents' own telemetry switches (Claude
	// Code's, Gemini CLI's variables, Codex's -c exporters) unset.
	NoAgentTelemetry bool

	// Summary is the --summary format: auto, terminal, plain, json,
	// markdown or none. Quiet prints nothing of agentops' own.
	Summary string
	Quiet   bool
	// StepSummary is $GITHUB_STEP_SUMMARY: a file a Markdown summary is
	// appended to, when set.
	StepSummary string
}

// NewCmdRun builds `agentops run`. runF replaces the work in tests of flag
// parsing; nil means runRun.
func NewCmdRun(io *iostreams.IOStreams, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: io}
	c := &cobra.Command{
		Use:   "run [flags] -- <command> [args...]",
		Short: "Run an agent under a session and summarise its telemetry",
		Long: `Run starts an embedded OTLP receiver on loopback, runs the command with
OTEL_EXPORTER_OTLP_ENDPOINT, TRACEPARENT and friends pointing its own
OpenTelemetry SDK at that receiver, and when the command exits prints a
session summary on stderr. agentops exits with the command's exit code
(127 not found, 126 not executable, 128+N killed by signal N, like a shell);
125 means agentops itself failed before starting it, 2 that its flags are
wrong. Telemetry (receiver, exporters, summary) never changes the exit code.

Everything after the command name belongs to the command: put agentops flags
before it, and use -- when the command itself starts with a dash.

` + agentTelemetryHelp(),
		Example: `  # Wrap a Python agent instrumented with opentelemetry-instrument
  agentops run -- opentelemetry-instrument python agent.py

  # Ask the child's SDK for OTLP/HTTP JSON instead of protobuf
  agentops run --protocol http/json -- node agent.js

  # Write the session as JSON for a CI step to read
  agentops run --json session.json -- ./my-agent

  # Keep the receiver open longer for children that export late
  agentops run --drain 500ms -- ./my-agent --flag value

  # Receive from an agent in a container (warns: not loopback). docker passes no
  # variable on its own: hand in the token and parent, and the host's address
  agentops run --listen 0.0.0.0:4318 -- docker run --add-host host.docker.internal:host-gateway \
    -e OTEL_EXPORTER_OTLP_ENDPOINT=http://host.docker.internal:4318 \
    -e OTEL_EXPORTER_OTLP_HEADERS -e TRACEPARENT -e OTEL_RESOURCE_ATTRIBUTES my-agent

  # Price your own models: a genai-prices feed (a list of providers), or the
  # old flat {"model": {"input_cost_per_token": ...}} shape, which still works
  agentops run --prices my-prices.json -- ./my-agent

  # Stop a runaway agent: at $2.00 of LLM calls, 500k tokens, 200 calls or 20 minutes
  agentops run --max-cost 2.00 --max-tokens 500k --max-llm-calls 200 --max-duration 20m -- ./my-agent

  # The same budget from a CI template's environment, only warning when exceeded
  AGENTOPS_MAX_COST=2.00 agentops run --on-budget warn -- ./my-agent

  # Stop on calls whose cost is unknown (their model has no price) too
  agentops run --max-cost 2.00 --unpriced-exceeds -- ./my-agent

  # Compare with the main branch's session (a CI artifact); exit 1 on a regression
  agentops run --baseline main-session.json --fail-if 'cost>+10%' --fail-if 'errors>0' -- ./my-agent

  # Call the session a failure when errors were recorded, even on exit 0
  agentops run --fail-on-errors -- ./my-agent

  # Capture the LLM calls of a client that reads DEEPSEEK_BASE_URL (OpenAI-shaped)
  agentops run --capture-var DEEPSEEK_BASE_URL=openai:https://api.deepseek.com/v1 -- ./my-agent

  # Capture the LLM calls but keep their prompts and completions out of the session
  agentops run --no-capture-content -- node agent.js

  # Claude Code, Gemini CLI and Codex need no flag: their own telemetry is switched on
  agentops run -- claude -p "fix the failing test"

  # Leave their telemetry switches (CLAUDE_CODE_ENABLE_TELEMETRY, codex -c otel.*, ...) alone
  agentops run --no-agent-telemetry -- codex exec "fix the failing test"

  # Leave OPENAI_BASE_URL, ANTHROPIC_BASE_URL and friends alone: no capture proxy
  agentops run --no-capture -- ./my-agent

  # Keep this session in a CI workspace instead of ~/.local/state/agentops
  agentops run --store .agentops -- ./my-agent

  # Do not keep this session at all
  agentops run --no-store -- ./my-agent

  # Leave an HTML report for the CI artifacts
  agentops run --report agentops-report.html -- ./my-agent

  # Send the session to two OTLP backends and keep a local OTLP JSON copy
  agentops run -e otlp=http://localhost:4318 -e otlp=https://tempo.example:4318 -e file=spans.jsonl -- ./my-agent

  # Send to AgentOps (on by default when AGENTOPS_API_KEY is set), tagged
  AGENTOPS_API_KEY=... agentops run --tag nightly --resource deployment.environment=ci -- python agent.py

  # Push the session's metrics to a Prometheus Pushgateway from CI, under your own job label
  agentops run --pushgateway http://pushgateway:9091 --pushgateway-job nightly-evals -- ./my-agent

  # A collector that wants a header, no gzip and a short timeout per request
  agentops run -e otlp=https://collector:4318 --otlp-header 'Authorization=Bearer TOKEN' --otlp-compression none --otlp-timeout 5s -- ./my-agent

  # Smaller, more frequent batches, a bigger queue, and up to 30s to flush at the end
  agentops run -e otlp=http://localhost:4318 --batch-size 128 --queue-size 16384 --export-consumers 8 --export-timeout 30s -- ./my-agent
  agentops run --no-store --spill-mib 256 -e otlp=http://localhost:4318 -- ./my-agent

  # Send one session in ten to remote exporters, under your own service name
  agentops run --sample-ratio 0.1 --service-name nightly-evals -e otlp=http://localhost:4318 -- ./my-agent

  # Inside a job whose OTEL_EXPORTER_OTLP_ENDPOINT is set, keep the session out of that collector
  agentops run --no-upstream -- ./my-agent

  # Use a self-hosted AgentOps
  AGENTOPS_API_KEY=... agentops run --agentops-api-endpoint https://agentops-api.internal --agentops-exporter-endpoint https://agentops-otlp.internal/v1/traces -- ./my-agent

  # Accept telemetry from a helper that cannot send the session's bearer token
  agentops run --no-auth -- ./my-agent

  # Force pipes (separate stdout and stderr) even on a terminal
  agentops run --no-pty -- ./my-agent

  # Keep a pseudo-terminal (colours, progress bars) while logging the output
  agentops run --pty -- ./my-agent | tee agent.log

  # Keep the last 1 MiB of output to show why the agent failed
  agentops run --tail-bytes 1048576 -- ./my-agent

  # Give the agent 30s to clean up after Ctrl-C or SIGTERM before killing it
  agentops run --kill-after 30s -- ./my-agent

  # No panel, only the session JSON document in a file (stdout stays the agent's)
  agentops run --quiet --json session.json -- ./my-agent

  # The session JSON document on stderr in place of the panel
  agentops run --summary json -- ./my-agent`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return errors.New("no command to run: usage is 'agentops run [flags] -- <command> [args...]'")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			opts.Command = args
			opts.StepSummary = os.Getenv("GITHUB_STEP_SUMMARY")
			if err := opts.Budget.fromEnv(c, os.Getenv); err != nil {
				return &exitcode.Error{Code: exitcode.Usage, Err: err}
			}
			if runF != nil {
				return runF(opts)
			}
			return runRun(c.Context(), opts)
		},
	}
	// Flags after the command name are the child's, not ours.
	c.Flags().SetInterspersed(false)
	f := c.Flags()
	f.StringVar(&opts.Listen, "listen", "127.0.0.1:0", "address of the embedded OTLP receiver (OTLP/HTTP and gRPC on one port); warns when not loopback")
	f.StringVar(&opts.Protocol, "protocol", "", "OTLP protocol to ask of the child: http/protobuf, http/json or grpc (default: the child's own setting, else http/protobuf)")
	f.StringVar(&opts.ServiceName, "service-name", "agentops", "service.name of the session's own spans")
	f.BoolVar(&opts.NoAuth, "no-auth", false, "accept OTLP requests without the session's bearer token")
	f.DurationVar(&opts.Drain, "drain", session.DefaultDrain, "quiet time to wait for late exports after the child exits, while a client still holds a connection open")
	f.StringVar(&opts.JSONPath, "json", "", "also write the session (summary and events) as JSON to this file (- for stdout)")
	f.StringVar(&opts.PricesPath, "prices", "", "JSON price table overriding and extending the built-in one ("+pricing.TableSource+" of "+pricing.TableDate+", or the newer one `agentops prices update` fetched): a genai-prices feed, or the old flat {\"model\": {\"input_cost_per_token\": ...}} shape")
	f.BoolVar(&opts.FailOnErrors, "fail-on-errors", false, "end the session as Fail when error events arrived, even if the command exited 0")
	f.StringVar(&opts.StoreDir, "store", "", "keep the session in this directory (default "+store.RootDefault+")")
	f.BoolVar(&opts.NoStore, "no-store", false, "do not keep the session in the local store")
	f.StringVar(&opts.ReportPath, "report", "", "write a self-contained HTML report of the session to this file at the end")
	f.BoolVar(&opts.NoCapture, "no-capture", false, "run no LLM capture proxy: leave OPENAI_BASE_URL, ANTHROPIC_BASE_URL and GOOGLE_GEMINI_BASE_URL alone")
	f.BoolVar(&opts.NoCaptureContent, "no-capture-content", false, "keep the prompts and completions of captured LLM calls out of the session (tokens and models are kept)")
	f.BoolVar(&opts.NoAgentTelemetry, "no-agent-telemetry", false, "do not switch on the agents' own telemetry (Claude Code's and Gemini CLI's variables, Codex's -c otel.* exporters); the OTEL_* variables are still set")
	f.StringArrayVar(&opts.CaptureVars, "capture-var", nil, "capture another base-URL variable: VAR=API or VAR=API:UPSTREAM, API one of openai, anthropic, gemini (repeatable)")
	addExportFlags(c, &opts.Export)
	addBudgetFlags(c, &opts.Budget)
	addBaselineFlags(c, &opts.Baseline)
	f.BoolVar(&opts.PTY, "pty", false, "run the command on a pseudo-terminal even when stdin or stdout is not a terminal")
	f.BoolVar(&opts.NoPTY, "no-pty", false, "run the command with pipes even on a terminal: stdout and stderr stay separate")
	c.MarkFlagsMutuallyExclusive("pty", "no-pty")
	f.DurationVar(&opts.KillAfter, "kill-after", runner.DefaultKillAfter, "time the command has to exit after a forwarded SIGINT, SIGTERM, SIGHUP or SIGQUIT before it is killed (0: never)")
	f.IntVar(&opts.TailBytes, "tail-bytes", runner.DefaultTailBytes, "bytes of the command's last output kept to show why it failed (0: none)")
	f.StringVar(&opts.Summary, "summary", "auto", "session summary on stderr: auto (terminal panel on a colour terminal, else plain), terminal, plain, json, markdown or none")
	f.BoolVarP(&opts.Quiet, "quiet", "q", false, "print nothing of agentops' own (no summary); --json and $GITHUB_STEP_SUMMARY are still written")
	return c
}

// sessionGCPercent is the Go heap's growth over what is live before the
// collector runs, while a session runs (GOGC; Go's default is 100, twice
// the live heap). A session's live heap is mostly its counting window and
// the events kept for the record; what each batch leaves is garbage. The
// wrapper sits next to the agent for the agent's whole life, so memory is
// the cost people see: 300k all-LLM spans with --no-store, side by side
// with a Collector (otlp→nop, 42.0-44.3 MiB), peaked at 37.9-39.3 MiB at
// 50, 44.2-44.7 at 75 and 45.1-47.7 at 100, for 4.27-4.47 µs of CPU a span,
// 4.10-4.33 and 3.87-4.07 (the Collector's: 5.57-6.13, a loaded machine;
// 3 alternating rounds, 2bdafe7). A GOGC of the user's is kept.
const sessionGCPercent = 50

// sessionGCAfter is how long a session runs before sessionGCPercent
// applies.
const sessionGCAfter = 200 * time.Millisecond

func runRun(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	switch opts.Protocol {
	case "", "http/protobuf", "http/json", "grpc":
	default:
		return &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf("unknown --protocol %q: use http/protobuf, http/json or grpc", opts.Protocol)}
	}
	if err := checkSummary(opts.Summary); err != nil {
		return &exitcode.Error{Code: exitcode.Usage, Err: err}
	}
	if err := checkNotNegative(opts); err != nil {
		return &exitcode.Error{Code: exitcode.Usage, Err: err}
	}
	limits, onBudget, err := opts.Budget.limits()
	if err != nil {
		return &exitcode.Error{Code: exitcode.Usage, Err: err}
	}
	base, err := loadBaseline(opts.Baseline, opts.StoreDir)
	if err != nil {
		return err
	}
	captureOpts, err := captureOptions(opts)
	if err != nil {
		return &exitcode.Error{Code: exitcode.Usage, Err: err}
	}
	warnListen(opts.IO.ErrOut, opts.Listen, opts.NoAuth)
	if opts.ReportPath != "" {
		if err := storedsession.CheckReportPath(opts.ReportPath); err != nil {
			return &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf("--report: %w", err)}
		}
	}
	if spec, ok := selfTarget(opts.Listen, opts.Export.Exporters); ok {
		return &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf("-e %s points at the session's own receiver (--listen %s): its exports would come back as the child's telemetry and be exported again without end; point it at another port, or --listen elsewhere", spec, opts.Listen)}
	}
	for _, tag := range opts.Export.Tags {
		if strings.Contains(tag, ",") {
			return &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf("--tag %q holds a comma: the child's agentops.tags joins tags with commas, so it would read as two; use one --tag per tag", tag)}
		}
	}
	if !opts.Quiet {
		for _, w := range envinject.Warnings(os.Environ()) {
			fmt.Fprintln(opts.IO.ErrOut, "agentops: warning:", w)
		}
	}
	prices := newestPrices()
	if opts.PricesPath != "" {
		user, err := pricing.LoadFile(opts.PricesPath)
		if err != nil {
			return &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf("--prices: %w (expected a genai-prices feed, a JSON list of providers, or a JSON object of model name → {\"input_cost_per_token\": ..., \"output_cost_per_token\": ...})", err)}
		}
		prices = prices.Merge(user)
	}
	pipe, err := newPipeline(ctx, opts)
	if err != nil {
		return err
	}
	rs := openRunStore(opts)
	id := session.NewID()
	// The store's start record first: the child waits for it, and the
	// goroutine started first runs first. From here on catching signals
	// and the work of the first child start are done in the background
	// too, while the session starts.
	rs.beginAsync(id)
	guard := guardSignals(opts.IO.ErrOut, childMode(opts))
	defer guard.stop()
	warmed := runner.Warm()
	defer warmed()
	sopts := session.Options{
		ID:          id,
		Command:     opts.Command[0],
		Args:        opts.Command[1:],
		Stdin:       opts.IO.In,
		Stdout:      opts.IO.Out,
		Stderr:      opts.IO.ErrOut,
		ServiceName: opts.ServiceName,
		Protocol:    opts.Protocol,
		Receiver:    receiver.Config{Addr: opts.Listen},
		NoAuth:      opts.NoAuth,
		Drain:       opts.Drain,

		Prices:            prices,
		FailOnErrorEvents: opts.FailOnErrors,

		// The export pipeline: its processors get the session's spans and,
		// as a consumer, the child's.
		SpanProcessors: pipe.SpanProcessors(),
		Consumers:      pipe.Consumers(),
		// The child's own AgentOps SDK joins the session when the session
		// sends to AgentOps.
		AgentOps: pipe.AgentOpsExport(),
		Resource: opts.Export.resource(opts),
		Tags:     opts.Export.Tags,

		Mode:      childMode(opts),
		KillAfter: killAfter(opts.KillAfter),
		TailBytes: opts.TailBytes,

		Capture:          captureOpts,
		NoAgentTelemetry: opts.NoAgentTelemetry,
		Budget:           limits,
		OnBudget:         onBudget,
	}
	if !opts.Quiet {
		sopts.BudgetNotify = budgetNotice(opts.IO.ErrOut, opts.KillAfter)
	}
	rs.wire(&sopts, pipe)
	sopts.BeforeChild = func() {
		guard.wait()
		rs.wait()
	}
	if os.Getenv("GOGC") == "" {
		// Not from the start: the heap a session starts with is small
		// and, at 50, Go's first collection comes at 2 MB instead of
		// 4, inside the start-up of a session that ends at once
		// (`agentops run -- true` took 0.5 ms longer). But from the
		// first telemetry on, if it comes sooner: a child that sends a
		// load at once grew the heap at 100 for its first 200 ms, and
		// that set the session's peak (300k all-LLM spans: 36.9-41.6
		// MiB, median 41.0, against 37.0-41.9, median 38.1, at 50 from
		// the start; 5 alternating rounds).
		var once sync.Once
		sessionGC := func() { once.Do(func() { debug.SetGCPercent(sessionGCPercent) }) }
		gc := time.AfterFunc(sessionGCAfter, sessionGC)
		defer gc.Stop()
		sopts.OnTelemetry = sessionGC
	}
	s, err := session.New(sopts)
	if err != nil {
		pipe.abort()
		rs.discard()
		return &exitcode.Error{Code: exitcode.Internal, Err: err}
	}
	if !pipe.Empty() {
		// The exporters keep their unsent records in the session's
		// directory: they need it before the session runs.
		rs.wait()
	}
	pipe.keepUnsent(opts, s.ID(), rs)
	// Parse the price table while the child runs rather than when its
	// summary is due (milliseconds); not at all for a child that is done
	// in a moment.
	preload := time.AfterFunc(50*time.Millisecond, prices.Preload)
	defer preload.Stop()
	rec, err := s.Run(ctx)
	if err != nil {
		pipe.abort()
		rs.discard()
		return &exitcode.Error{Code: exitcode.Internal, Err: fmt.Errorf("%w (try --listen 127.0.0.1:0)", err)}
	}
	guard.childExited(rec.ExitCode, postRunBound(opts.Export.ExportTimeout))
	rec.Prices = prices.Source()
	// Flushes the exporters and the session's TracerProvider (and so the store).
	finishExports(opts, s, pipe, rec)
	rs.noteStored(rec)
	if rec.StartError != "" && !opts.Quiet {
		fmt.Fprintln(opts.IO.ErrOut, "agentops:", rec.StartError)
	}
	if !opts.Quiet {
		warnRefused(opts.IO.ErrOut, rec.ReceiverRefused)
		if rec.OutputError != "" {
			fmt.Fprintf(opts.IO.ErrOut, "agentops: warning: writing the command's output failed (%s): from then on the command got a broken pipe and its output was lost; free space where its output goes\n", rec.OutputError)
		}
		if rec.Capture != nil && rec.Capture.Error != "" {
			fmt.Fprintln(opts.IO.ErrOut, "agentops:", rec.Capture.Error)
		}
		warnCounting(opts.IO.ErrOut, rec.Totals)
	}
	var diff *compare.Diff
	if base != nil {
		diff = base.compare(rec)
	}
	// The summary first: writing the store's record of a big session takes
	// a while (encoding its events), and people are waiting for the summary.
	report(opts, rec)
	if diff != nil {
		reportDiff(opts, diff)
	}
	rs.finish(rec)
	if rec.ExitCode != 0 {
		return &exitcode.Error{Code: rec.ExitCode}
	}
	if rec.Baseline != nil && rec.Baseline.Tripped {
		return &exitcode.Error{Code: 1, Err: fmt.Errorf("a --fail-if gate tripped against the baseline %s (see the diff above)", base.ref)}
	}
	return nil
}

// newestPrices is the newest valid price table: the one `agentops prices
// update` last fetched into the state directory, else the built-in one.
// Nothing is decoded here: the table is read when first used.
func newestPrices() *pricing.Table {
	root, err := store.Root("", os.Getenv)
	if err != nil {
		return pricing.Default()
	}
	return pricing.Newest(pricing.UpdateDir(root))
}

// childMode is terminal mode when asked for, or when our stdin and stdout
// are both terminals and pipes were not asked for.
func childMode(opts *Options) runner.Mode {
	switch {
	case opts.PTY:
		return runner.ModeTerminal
	case opts.NoPTY:
		return runner.ModePipe
	case opts.IO.StdinTTY && opts.IO.StdoutTTY:
		return runner.ModeTerminal
	}
	return runner.ModePipe
}

// killAfter maps the flag's 0 ("never") to the runner's negative.
func killAfter(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}

// checkNotNegative refuses negative sizes and durations, which would
// otherwise silently mean "none" or "never".
func checkNotNegative(opts *Options) error {
	switch {
	case opts.KillAfter < 0:
		return fmt.Errorf("--kill-after %s is negative: use 0 to never kill, or a duration like 10s", opts.KillAfter)
	case opts.TailBytes < 0:
		return fmt.Errorf("--tail-bytes %d is negative: use 0 to keep no output, or a size like 65536", opts.TailBytes)
	case opts.Drain < 0:
		return fmt.Errorf("--drain %s is negative: use a duration like 50ms", opts.Drain)
	}
	return nil
}
