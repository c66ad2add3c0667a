// Package session owns one `agentops run`: the session id, its own
// OpenTelemetry TracerProvider and root span, the embedded receiver, the
// child process, and the lifecycle start → wait → drain → flush.
package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdkresource "go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/agentops-dev/agentops/budget"
	"github.com/agentops-dev/agentops/capture"
	"github.com/agentops-dev/agentops/envinject"
	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/receiver"
	"github.com/agentops-dev/agentops/record"
	"github.com/agentops-dev/agentops/runner"
)

// Attribute keys the session sets on its resource and root span.
const (
	AttrSessionID = "agentops.session.id"
	AttrSpanKind  = "agentops.span.kind"
	AttrTags      = "agentops.tags"
	AttrEndState  = "agentops.session.end_state"
)

// DefaultDrain is how long the receiver must be quiet after the child exits
// before the session closes it, when some client still holds a connection
// open: long enough for an export already on the wire to be accepted, short
// enough not to be noticed. Once every connection is closed the receiver
// needs no quiet period (see receiver.Drain).
const DefaultDrain = 50 * time.Millisecond

// exportDefaults are the child's SDK settings the session sets when the
// user has not: short export intervals (milliseconds), so that a child that
// exits without flushing its SDK has still delivered most of its telemetry.
// The SDK defaults are 5s for spans and logs and 60s for metrics.
func exportDefaults() map[string]string {
	return map[string]string{
		"OTEL_BSP_SCHEDULE_DELAY":     "1000",
		"OTEL_BLRP_SCHEDULE_DELAY":    "1000",
		"OTEL_METRIC_EXPORT_INTERVAL": "1000",
	}
}

// Options configure a session.
type Options struct {
	// ID is the session id; empty means a new one (NewID).
	ID string
	// Command and Args are the child to run.
	Command string
	Args    []string
	// Env is the parent environment the child's is derived from; nil means os.Environ().
	Env []string
	// Dir is the child's working directory; empty means ours.
	Dir string
	// Stdin, Stdout and Stderr are the child's streams.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// ServiceName is the session resource's service.name; empty means "agentops".
	ServiceName string
	// Protocol is the OTLP protocol injected into the child; empty keeps the
	// child's own choice or http/protobuf.
	Protocol string
	// Receiver configures the embedded receiver.
	Receiver receiver.Config
	// NoAuth turns off the receiver's bearer token.
	NoAuth bool
	// Drain is the quiet period after the child's exit; 0 means DefaultDrain.
	Drain time.Duration
	// DrainTimeout bounds the whole drain; 0 means 5s.
	DrainTimeout time.Duration
	// SpanProcessors receive the session's own spans and, in the same
	// pipeline, the child's.
	SpanProcessors []sdktrace.SpanProcessor
	// Consumers receive every batch the child sends, after the session has
	// counted it (for example the local store). They must not modify it.
	Consumers []receiver.Sink
	// Prices estimates the cost of LLM calls that report none; nil leaves
	// them unpriced.
	Prices events.Pricer
	// FailOnErrorEvents ends a session whose child exited 0 as Fail when
	// error events arrived.
	FailOnErrorEvents bool
	// Resource attributes are added to the session's resource and merged
	// into the child's OTEL_RESOURCE_ATTRIBUTES.
	Resource map[string]string
	// Tags are AgentOps tags: agentops.tags on the session span and in the
	// child's resource.
	Tags []string
	// AgentOps, when set, is the session's AgentOps exporter: the child's
	// own AgentOps SDK is then pointed at the session (AGENTOPS_API_ENDPOINT,
	// AGENTOPS_EXPORTER_ENDPOINT), which answers its key exchange and
	// forwards its log upload, so its spans join the session.
	AgentOps AgentOpsExport
	// Mode, KillAfter and TailBytes are passed to the runner: see
	// runner.Config.
	Mode      runner.Mode
	KillAfter time.Duration
	TailBytes int
	// Budget limits the session's spend while the child runs; OnBudget
	// says what exceeding it does (empty means BudgetStop), BudgetNotify
	// is told when it happens (and when a cost budget cannot see the cost
	// of some calls).
	Budget       budget.Limits
	OnBudget     BudgetAction
	BudgetNotify func(BudgetNotice)
	// Capture configures the LLM capture proxy (on unless Capture.Off).
	Capture CaptureOptions
	// NoAgentTelemetry leaves out the agents' own telemetry switches
	// (envinject.AgentSwitches) and Codex's -c exporter overrides.
	NoAgentTelemetry bool
	// BeforeChild, when set, is called once the receiver and the capture
	// proxy are up, just before the child is started (and not at all when
	// the receiver cannot start); the child waits for it to return. The
	// local store's start record, begun in the background while the
	// session starts, is made whole there: every child runs with its
	// record on disk.
	BeforeChild func()
	// OnTelemetry, when set, is called once, when the child's first
	// batch of telemetry (spans, log records or metric points) arrives,
	// before it is counted.
	OnTelemetry func()
}

// NewID returns a new session id (a random UUID).
func NewID() string { return uuid.NewString() }

// Session is one running session.
type Session struct {
	opts     Options
	id       string
	tp       *sdktrace.TracerProvider
	sink     *Sink
	receiver *receiver.Receiver
	budget   *budgetWatch // nil without limits
	proxy    *capture.Proxy
	// agentOps answers the child's AgentOps SDK; nil without Options.AgentOps.
	agentOps *agentOpsStandIn
}

// New prepares a session: an id and its TracerProvider. Nothing runs yet.
func New(opts Options) (*Session, error) {
	if opts.Env == nil {
		opts.Env = os.Environ()
	}
	if opts.ServiceName == "" {
		opts.ServiceName = "agentops"
	}
	if opts.Drain == 0 {
		opts.Drain = DefaultDrain
	}
	if opts.DrainTimeout == 0 {
		opts.DrainTimeout = 5 * time.Second
	}
	if opts.ID == "" {
		opts.ID = NewID()
	}
	s := &Session{opts: opts, id: opts.ID}
	res, err := sdkresource.Merge(sdkresource.Empty(), sdkresource.NewWithAttributes(semconv.SchemaURL,
		sessionResource(opts, s.id)...,
	))
	if err != nil {
		return nil, fmt.Errorf("session resource: %w", err)
	}
	tpOpts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(res),
		// The local record is always complete; sampling for remote backends
		// is the exporters' decision, not the provider's.
		sdktrace.WithSampler(sdktrace.AlwaysSample()),
	}
	for _, p := range opts.SpanProcessors {
		tpOpts = append(tpOpts, sdktrace.WithSpanProcessor(p))
	}
	s.sink = newSink(opts.Consumers, opts.Prices)
	s.sink.onFirst = opts.OnTelemetry
	if opts.AgentOps != nil {
		s.agentOps = &agentOpsStandIn{relay: opts.AgentOps, uses: s.sink.noteSpanUses()}
	}
	if opts.Budget.Any() {
		s.budget = newBudgetWatch(opts.Budget, opts.OnBudget, s.sink, opts.BudgetNotify)
	}
	tpOpts = append(tpOpts, sdktrace.WithSpanProcessor(captureTally{s.sink}))
	s.tp = sdktrace.NewTracerProvider(tpOpts...)
	return s, nil
}

// ID is the session id.
func (s *Session) ID() string { return s.id }

// Run runs the child under the session and returns the session's record.
// The error is non-nil only when the session itself could not run (the
// receiver could not start); a child that fails or cannot be found is
// reported in the record, with the shell's exit code.
func (s *Session) Run(ctx context.Context) (*record.Session, error) {
	rec := &record.Session{
		SchemaVersion: record.SchemaVersion,
		ID:            s.id,
		Command:       append([]string{s.opts.Command}, s.opts.Args...),
		Dir:           s.opts.Dir,
		Start:         time.Now().UTC(), // the record's times are UTC (docs/session-json.md)
	}
	if rec.Dir == "" {
		rec.Dir, _ = os.Getwd()
	}

	rcfg := s.opts.Receiver
	token := ""
	if !s.opts.NoAuth {
		token = newToken()
		rcfg.Token = token
	}
	aoStandIn := s.agentOps
	if aoStandIn != nil {
		aoStandIn.token = token
		rcfg.Routes = aoStandIn.routes()
	}
	s.receiver = receiver.New(rcfg, s.sink)
	if err := s.receiver.Start(ctx); err != nil {
		_ = s.tp.Shutdown(context.Background())
		return nil, fmt.Errorf("start the embedded OTLP receiver: %w", err)
	}
	rec.Endpoint = s.receiver.Endpoint()

	tracer := s.tp.Tracer("github.com/agentops-dev/agentops/session")
	// An inherited TRACEPARENT (a CI job's trace, or an outer agentops
	// session) becomes the parent of our session span.
	ctx = inheritedContext(ctx, s.opts.Env)
	if psc := trace.SpanContextFromContext(ctx); psc.IsValid() {
		rec.ParentSpanID = psc.SpanID().String()
	}
	spanCtx, root := tracer.Start(ctx, "agentops.session "+s.opts.Command,
		trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithTimestamp(rec.Start),
		trace.WithAttributes(
			attribute.String(AttrSpanKind, "session"),
			attribute.String(AttrSessionID, s.id),
			attribute.String("process.command", s.opts.Command),
			attribute.StringSlice("process.command_args", rec.Command),
		))
	if len(s.opts.Tags) > 0 {
		root.SetAttributes(attribute.StringSlice(AttrTags, s.opts.Tags))
		rec.Tags = s.opts.Tags
	}
	sc := root.SpanContext()
	rec.TraceID, rec.RootSpanID = sc.TraceID().String(), sc.SpanID().String()
	if aoStandIn != nil {
		aoStandIn.setTrace(pcommon.TraceID(sc.TraceID()))
	}

	baseURLs := s.startCapture(ctx, spanCtx, rec)
	facts := envinject.Facts{
		Endpoint:           rec.Endpoint,
		Protocol:           s.opts.Protocol,
		TraceParent:        traceParent(spanCtx),
		TraceState:         sc.TraceState().String(),
		SessionID:          s.id,
		ResourceAttributes: childResource(s.opts, s.id),
		Defaults:           exportDefaults(),
		BaseURLs:           baseURLs,
		NoAgentSwitches:    s.opts.NoAgentTelemetry,
	}
	if token != "" {
		facts.Headers = map[string]string{"Authorization": "Bearer " + token}
	}
	if aoStandIn != nil {
		facts.AgentOpsEndpoint = rec.Endpoint
	}
	childEnv := envinject.ChildEnv(s.opts.Env, facts)
	rec.InjectedEnv = changedNames(s.opts.Env, childEnv)
	args := s.opts.Args
	if !s.opts.NoAgentTelemetry {
		args = envinject.ChildArgs(s.opts.Command, args, facts)
	}

	var stop <-chan struct{}
	if s.budget != nil {
		stop = s.budget.stop
	}
	if s.opts.BeforeChild != nil {
		s.opts.BeforeChild()
	}
	res, runErr := runner.Run(ctx, runner.Config{
		Command: s.opts.Command,
		Args:    args,
		Env:     childEnv,
		Dir:     s.opts.Dir,
		Stdin:   s.opts.Stdin,
		Stdout:  s.opts.Stdout,
		Stderr:  s.opts.Stderr,
		OnStart: func(pid int) {
			root.SetAttributes(attribute.Int("process.pid", pid))
			if s.budget != nil {
				s.budget.run(time.Now())
			}
		},
		Stop: stop,

		Mode:      s.opts.Mode,
		KillAfter: s.opts.KillAfter,
		TailBytes: s.opts.TailBytes,
	})
	rec.PID, rec.ExitCode = res.PID, res.ExitCode
	if res.Signal != 0 {
		rec.Signal = res.Signal.String()
	}
	if runErr != nil {
		rec.StartError = runErr.Error()
	}
	rec.OutputError = res.OutputError

	// The child is gone, but its last export may still be on the wire.
	drainCtx, cancel := context.WithTimeout(context.Background(), s.opts.DrainTimeout)
	// A grandchild may still be in a call: the proxy waits for it as the
	// receiver waits for late exports, and cuts it at the same deadline.
	s.stopCapture(drainCtx, rec)
	rec.DrainTimedOut = s.receiver.Drain(drainCtx, s.opts.Drain) != nil
	_ = s.receiver.Shutdown(drainCtx)
	cancel()
	rec.ReceiverRefused = s.receiver.Refusals()
	rec.End = time.Now().UTC()
	// The end state goes on the session span (AgentOps reads it there), so
	// it is decided before the span ends.
	s.sink.fill(rec)
	if s.budget != nil {
		s.budget.end(rec)
	}
	decideEnd(rec, s.opts.FailOnErrorEvents)
	// After decideEnd: the end reason already says how the child ended.
	// The event carries the output tail for the summary and exporters; it
	// is not counted in Totals.Errors, which counts the errors the child's
	// telemetry reported (its exit code is reported on its own).
	if failure := childFailure(rec, res, runErr); failure != nil {
		rec.Events = append(rec.Events, *failure)
		root.AddEvent("agentops.child.failed", trace.WithAttributes(
			attribute.String("agentops.child.output_tail", failure.Error.Output)))
	}

	root.SetAttributes(attribute.Int("process.exit.code", rec.ExitCode),
		attribute.String(AttrEndState, string(rec.EndState)))
	// AgentOps counts successes and failures by span status
	// (app/api/agentops/api/models/metrics.py): a session that succeeded
	// says OK, one that failed says ERROR; an indeterminate one says neither.
	switch {
	case runErr != nil:
		root.SetStatus(codes.Error, runErr.Error())
	case rec.ExitCode != 0:
		root.SetStatus(codes.Error, "child exited with code "+strconv.Itoa(rec.ExitCode))
	case rec.EndState == record.Fail:
		root.SetStatus(codes.Error, rec.EndReason)
	case rec.EndState == record.Success:
		root.SetStatus(codes.Ok, "")
	}
	if aoStandIn != nil {
		// The counting is final (fill): the AgentOps exporter may send.
		aoStandIn.counted(pcommon.TraceID(sc.TraceID()), pcommon.SpanID(sc.SpanID()))
	}
	root.End(trace.WithTimestamp(rec.End))
	return rec, nil
}

// Shutdown flushes the session's span processors (and so its exporters),
// bounded by ctx.
func (s *Session) Shutdown(ctx context.Context) error {
	return s.tp.Shutdown(ctx)
}

// traceParent renders the W3C traceparent of the root span. The sampled flag
// is always set: a 00 flag would silence the child's parent-based sampler.
func traceParent(ctx context.Context) string {
	carrier := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, carrier)
	return carrier.Get("traceparent")
}

func newToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// changedNames lists the variables of child that the parent does not have
// with the same value: what the session injected or overrode.
func changedNames(parent, child []string) []string {
	had := make(map[string]bool, len(parent))
	for _, kv := range parent {
		had[kv] = true
	}
	var names []string
	for _, kv := range child {
		if !had[kv] {
			name, _, _ := strings.Cut(kv, "=")
			names = append(names, name)
		}
	}
	return names
}
