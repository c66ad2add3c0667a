package session

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/agentops-dev/agentops/exporter"
	"github.com/agentops-dev/agentops/record"
)

// DefaultExportTimeout bounds the final flush of all exporters.
const DefaultExportTimeout = 10 * time.Second

// PipelineConfig configures the export pipeline of a session.
type PipelineConfig struct {
	// Exporters are the --exporter specs, all built with Settings.
	Exporters []exporter.Spec
	Settings  exporter.Settings
	// Env is our own environment; unless NoUpstream, an
	// OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT in it adds an upstream OTLP
	// exporter, and an AGENTOPS_API_KEY the agentops exporter.
	Env        []string
	NoUpstream bool
	// SampleRatio in [0, 1] is the chance that remote exporters receive the
	// session; 1 (and 0 when unset, see SampleRatioSet) means always.
	SampleRatio    float64
	SampleRatioSet bool
	// Batch processor settings; zero values keep the SDK's defaults and its
	// OTEL_BSP_* variables.
	BatchSize    int
	BatchTimeout time.Duration
	QueueSize    int
}

// Pipeline is the export side of a session: one batch span processor per
// exporter, fed by the session's own spans (through the TracerProvider)
// and by every span the child sends (as a receiver.Sink consumer), so each
// exporter sees one consistent trace in which every span keeps its own
// resource and instrumentation scope.
type Pipeline struct {
	tracked []*exporter.Tracked
	sources []string
	procs   []sdktrace.SpanProcessor
	skipped []record.Export

	// Warnings are problems with exporters our environment asked for;
	// those exporters are left out rather than failing the run.
	Warnings []string
}

// NewPipeline builds the exporters. An exporter given with --exporter that
// cannot be built is an error; one that only the environment asked for is
// left out with a warning.
func NewPipeline(ctx context.Context, cfg PipelineConfig) (*Pipeline, error) {
	p := &Pipeline{}
	sampled := !cfg.SampleRatioSet || cfg.SampleRatio >= 1 || rand.Float64() < cfg.SampleRatio
	notSampled := "not sampled (--sample-ratio " + strconv.FormatFloat(cfg.SampleRatio, 'g', -1, 64) + ")"

	type want struct {
		spec     exporter.Spec
		settings exporter.Settings
		source   string
		// local exporters get the session whatever the sample says.
		local bool
	}
	var wants []want
	for _, spec := range cfg.Exporters {
		wants = append(wants, want{spec, cfg.Settings, "--exporter", false})
	}
	if !cfg.NoUpstream {
		if u, ok := exporter.UpstreamFromEnv(cfg.Env); ok {
			u.Settings.Retry = cfg.Settings.Retry
			u.Settings.Env = cfg.Env
			// Under an outer agentops session the upstream is that
			// session's receiver: the outer one samples the whole trace.
			wants = append(wants, want{u.Spec, u.Settings, u.Source, nested(cfg.Env)})
		}
		if agentOpsByDefault(cfg.Env, cfg.Exporters) {
			wants = append(wants, want{exporter.Spec{Name: "agentops"}, cfg.Settings, "AGENTOPS_API_KEY", false})
		}
	}
	for _, w := range wants {
		if exporter.IsRemote(w.spec.Name) && !w.local && !sampled {
			p.skipped = append(p.skipped, record.Export{Name: w.spec.Name, Target: exporter.RedactURL(w.spec.Target), Source: w.source, Skipped: notSampled})
			continue
		}
		exp, err := exporter.New(ctx, w.spec, w.settings)
		if err != nil {
			if w.source == "--exporter" {
				p.Abort()
				return nil, err
			}
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s is set, but its exporter cannot be built, so the session is not sent there: %v (use --no-upstream to silence this)", w.source, err))
			continue
		}
		t := exporter.NewTracked(w.spec, w.spec.String(), exp, "")
		bsp := sdktrace.NewBatchSpanProcessor(t, batchOptions(cfg)...)
		p.tracked = append(p.tracked, t)
		p.sources = append(p.sources, w.source)
		p.procs = append(p.procs, &countingProcessor{SpanProcessor: bsp, t: t})
	}
	return p, nil
}

// agentOpsByDefault says whether the agentops exporter is on without being
// asked for: AGENTOPS_API_KEY is set, -e agentops is not given, and we are
// not nested in another agentops session (AGENTOPS_SESSION_ID set), which
// already sends the whole trace, ours included.
func agentOpsByDefault(env []string, specs []exporter.Spec) bool {
	for _, s := range specs {
		if s.Name == "agentops" {
			return false
		}
	}
	return lookup(env, "AGENTOPS_API_KEY") != "" && !nested(env)
}

// nested says whether we run under another agentops session, which sets
// AGENTOPS_SESSION_ID in its child's environment.
func nested(env []string) bool { return lookup(env, "AGENTOPS_SESSION_ID") != "" }

// lookup returns the value of name in env ("K=V" list), last one winning.
func lookup(env []string, name string) string {
	v := ""
	for _, kv := range env {
		if k, val, _ := strings.Cut(kv, "="); k == name {
			v = val
		}
	}
	return v
}

func batchOptions(cfg PipelineConfig) []sdktrace.BatchSpanProcessorOption {
	var opts []sdktrace.BatchSpanProcessorOption
	if cfg.BatchSize > 0 {
		opts = append(opts, sdktrace.WithMaxExportBatchSize(cfg.BatchSize))
	}
	if cfg.BatchTimeout > 0 {
		opts = append(opts, sdktrace.WithBatchTimeout(cfg.BatchTimeout))
	}
	if cfg.QueueSize > 0 {
		opts = append(opts, sdktrace.WithMaxQueueSize(cfg.QueueSize))
	}
	return opts
}

// KeepUnsentIn makes each exporter keep the spans it could not send in
// dir/unsent-N-NAME.jsonl (OTLP JSON lines); call it before the session
// runs. Without it, failed spans are only counted.
func (p *Pipeline) KeepUnsentIn(dir string) {
	for i, t := range p.tracked {
		t.SetUnsentPath(filepath.Join(dir, fmt.Sprintf("unsent-%d-%s.jsonl", i, t.Spec.Name)))
	}
}

// Abort shuts the exporters down at once, for a session that never ran.
func (p *Pipeline) Abort() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p.Shutdown(ctx)
}

// SpanProcessors are the processors to add to the session's TracerProvider.
func (p *Pipeline) SpanProcessors() []sdktrace.SpanProcessor { return p.procs }

// Empty says whether no exporter runs.
func (p *Pipeline) Empty() bool { return len(p.procs) == 0 }

// ConsumeTraces hands every span of a received batch to every exporter's
// processor. With no exporter it does nothing at all: the conversion is
// the cost, and only exporters need it.
func (p *Pipeline) ConsumeTraces(_ context.Context, td ptrace.Traces) error {
	if len(p.procs) == 0 {
		return nil
	}
	for _, s := range exporter.SpansFromTraces(td) {
		for _, proc := range p.procs {
			proc.OnEnd(s)
		}
	}
	return nil
}

// ConsumeLogs ignores logs: the pipeline exports traces.
func (p *Pipeline) ConsumeLogs(context.Context, plog.Logs) error { return nil }

// ConsumeMetrics ignores metrics: the pipeline exports traces.
func (p *Pipeline) ConsumeMetrics(context.Context, pmetric.Metrics) error { return nil }

// ReplayURL is the session's AgentOps dashboard link when the agentops
// exporter delivered at least one span, else "".
func (p *Pipeline) ReplayURL(traceID string) string {
	for _, t := range p.tracked {
		if l, ok := t.Exporter().(interface{ ReplayURL(string) string }); ok && t.Outcome().Sent > 0 {
			return l.ReplayURL(traceID)
		}
	}
	return ""
}

// Shutdown flushes every exporter in parallel, so a slow backend does not
// delay the others, and returns what each did. When ctx ends first, the
// exports still running are cut off and their spans counted as failed (and
// kept in the unsent file); Shutdown then returns promptly.
func (p *Pipeline) Shutdown(ctx context.Context) []record.Export {
	var wg sync.WaitGroup
	for i, proc := range p.procs {
		t := p.tracked[i]
		wg.Go(func() {
			if err := proc.Shutdown(ctx); err != nil && ctx.Err() != nil {
				t.Cut()
				// The batch processor goes on draining its queue; with the
				// exporter cut every export fails at once, so this is short.
				select {
				case <-t.Done():
				case <-time.After(2 * time.Second):
				}
			}
		})
	}
	wg.Wait()
	out := make([]record.Export, 0, len(p.tracked)+len(p.skipped))
	for i, t := range p.tracked {
		o := t.Outcome()
		e := record.Export{Name: t.Spec.Name, Target: exporter.RedactURL(t.Spec.Target), Source: p.sources[i], Sent: o.Sent, Failed: o.Failed, Dropped: o.Dropped, Unsent: o.Unsent}
		if o.Err != nil && (o.Failed > 0 || o.Dropped > 0) {
			e.Error = o.Err.Error()
		}
		if o.Dropped > 0 && e.Error == "" {
			e.Error = "queue full or cut off at the export timeout (raise --queue-size or --export-timeout)"
		}
		out = append(out, e)
	}
	return append(out, p.skipped...)
}

// countingProcessor counts the spans entering an exporter's batch
// processor, so spans the processor drops are accounted for too.
type countingProcessor struct {
	sdktrace.SpanProcessor
	t *exporter.Tracked
}

func (c *countingProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	c.t.Enqueued(1)
	c.SpanProcessor.OnEnd(s)
}
