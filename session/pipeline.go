package session

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	// Env is our own environment; unless NoUpstream, the
	// OTEL_EXPORTER_OTLP_[SIGNAL_]ENDPOINT variables in it add an upstream
	// OTLP exporter, and an AGENTOPS_API_KEY the agentops exporter.
	Env        []string
	NoUpstream bool
	// SampleRatio in [0, 1] is the chance that remote exporters receive the
	// session; 1 (and 0 when unset, see SampleRatioSet) means always.
	SampleRatio    float64
	SampleRatioSet bool
	// Queue configures every exporter's sending queue (batch size, memory
	// queue size, concurrent requests, retries).
	Queue exporter.QueueConfig
	// SpillLimit bounds each exporter's spill file when the session is not
	// stored; 0 means DefaultSpillLimit.
	SpillLimit int64
}

// DefaultSpillLimit bounds the spill file of an exporter of an unstored
// session: past it, batches are refused until the exporter catches up.
const DefaultSpillLimit = 1 << 30

// Pipeline is the export side of a session: one sending queue per
// exporter (exporter.Sender), fed with every batch the child sends, of
// every signal, as received (pdata, as a receiver.Sink consumer) and with
// the session's own spans (as a span processor of its TracerProvider), so
// each exporter sees one consistent trace in which every span keeps its
// own resource and instrumentation scope.
//
// With a journal (the store), every batch is written there first and an
// exporter that falls behind reads the rest back from it: nothing is
// dropped and memory stays bounded. Without one, an exporter that falls
// behind spills to a bounded file, and once that is full the pipeline
// refuses batches with exporter.ErrQueueFull, which the receiver answers
// with a retryable status: the child's SDK slows down and sends again.
type Pipeline struct {
	senders []*exporter.Sender
	sources []string
	skipped []record.Export
	journal exporter.Journal
	// journalBroken is set once the journal failed to keep a batch: from
	// then on the exporters no longer count on it.
	journalBroken atomic.Bool
	spillLimit    int64
	// held are the senders of exporters that send once the session is
	// counted (see heldSender).
	held []heldSender

	// Warnings are problems with exporters our environment asked for;
	// those exporters are left out rather than failing the run.
	Warnings []string
}

// NewPipeline builds the exporters. An exporter given with --exporter that
// cannot be built is an error; one that only the environment asked for is
// left out with a warning.
func NewPipeline(ctx context.Context, cfg PipelineConfig) (*Pipeline, error) {
	p := &Pipeline{spillLimit: cfg.SpillLimit}
	if p.spillLimit <= 0 {
		p.spillLimit = DefaultSpillLimit
	}
	sampled := !cfg.SampleRatioSet || cfg.SampleRatio >= 1 || rand.Float64() < cfg.SampleRatio
	notSampled := "not sampled (--sample-ratio " + strconv.FormatFloat(cfg.SampleRatio, 'g', -1, 64) + ")"

	type want struct {
		spec   exporter.Spec
		source string
		// local exporters get the session whatever the sample says.
		local bool
		build func() (exporter.Exporter, error)
	}
	var wants []want
	for _, spec := range cfg.Exporters {
		wants = append(wants, want{spec, "--exporter", false, func() (exporter.Exporter, error) { return exporter.New(ctx, spec, cfg.Settings) }})
	}
	if !cfg.NoUpstream {
		if u, ok := exporter.UpstreamFromEnv(cfg.Env); ok {
			// Under an outer agentops session the upstream is that
			// session's receiver: the outer one samples the whole trace.
			wants = append(wants, want{u.Spec, u.Source, nested(cfg.Env), u.New})
		}
		if agentOpsByDefault(cfg.Env, cfg.Exporters) {
			spec := exporter.Spec{Name: "agentops"}
			wants = append(wants, want{spec, "AGENTOPS_API_KEY", false, func() (exporter.Exporter, error) { return exporter.New(ctx, spec, cfg.Settings) }})
		}
	}
	for _, w := range wants {
		if exporter.IsRemote(w.spec.Name) && !w.local && !sampled {
			p.skipped = append(p.skipped, record.Export{Name: w.spec.Name, Target: exporter.RedactURL(w.spec.Target), Source: w.source, Skipped: notSampled})
			continue
		}
		exp, err := w.build()
		if err != nil {
			if w.source == "--exporter" {
				p.Abort()
				return nil, err
			}
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s is set, but its exporter cannot be built, so the session is not sent there: %v (use --no-upstream to silence this)", w.source, err))
			continue
		}
		q := cfg.Queue
		q.Retry = cfg.Settings.Retry
		snd := exporter.NewSender(w.spec, w.spec.String(), exp, q)
		snd.Source = w.source
		if ce, ok := exp.(countedExporter); ok {
			snd.Hold()
			p.held = append(p.held, heldSender{snd, ce})
		}
		p.senders = append(p.senders, snd)
		p.sources = append(p.sources, w.source)
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

// UseJournal makes the pipeline write every batch to j (the session's
// store) before queueing it, so exporters that fall behind read it back
// from there rather than holding it in memory. Call it before the session
// runs; the pipeline then is the one consumer that writes j.
// When durable is false (a throwaway store, removed at the end) the
// batches are written there but the exporters do not count on it.
func (p *Pipeline) UseJournal(j exporter.Journal, durable bool) {
	p.journal = j
	p.journalBroken.Store(!durable)
}

// KeepUnsentIn makes each exporter keep its unsent record,
// dir/unsent-N-NAME.json, and the batches no journal holds,
// dir/unsent-N-NAME.jsonl (OTLP JSON lines); without a journal that file
// is also the exporter's bounded spill file during the run. Call it
// before the session runs. Without it, unsent batches are only counted.
func (p *Pipeline) KeepUnsentIn(dir string) {
	for i, s := range p.senders {
		base := filepath.Join(dir, fmt.Sprintf("unsent-%d-%s", i, s.Spec.Name))
		s.SetUnsent(base+".json", base+".jsonl", p.journal == nil || p.journalBroken.Load(), p.spillLimit)
	}
}

// Abort shuts the exporters down at once, for a session that never ran.
func (p *Pipeline) Abort() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, s := range p.senders {
		s.Shutdown(ctx)
	}
}

// SpanProcessors are the processors to add to the session's TracerProvider:
// one that hands the session's own spans to every exporter.
func (p *Pipeline) SpanProcessors() []sdktrace.SpanProcessor {
	if len(p.senders) == 0 {
		return nil
	}
	return []sdktrace.SpanProcessor{ownSpans{p}}
}

// Empty says whether no exporter runs.
func (p *Pipeline) Empty() bool { return len(p.senders) == 0 }

// ConsumeTraces queues a received batch for every exporter.
func (p *Pipeline) ConsumeTraces(_ context.Context, td ptrace.Traces) error {
	return p.consume(exporter.TracesBatch(td))
}

// ConsumeLogs queues a received batch for every exporter that carries logs.
func (p *Pipeline) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	return p.consume(exporter.LogsBatch(ld))
}

// ConsumeMetrics queues a received batch for every exporter that carries
// metrics.
func (p *Pipeline) ConsumeMetrics(_ context.Context, md pmetric.Metrics) error {
	return p.consume(exporter.MetricsBatch(md))
}

// consume journals b, then queues it for every exporter, or refuses it
// (exporter.ErrQueueFull) when one has nowhere to keep it: then no
// exporter has it and the journal does not either, so the child's retry is
// not a duplicate anywhere.
func (p *Pipeline) consume(b exporter.Batch) error {
	if len(p.senders) == 0 {
		return nil
	}
	n := b.Items()
	durable := p.journal != nil && !p.journalBroken.Load()
	if !durable && !p.canTake(b.Signal, n) {
		return exporter.ErrQueueFull
	}
	var ref exporter.Ref
	if p.journal != nil {
		r, err := exporter.Append(p.journal, b)
		switch {
		case err != nil && durable:
			// The store failed (it reports why at the end): from now on
			// the exporters do without it.
			p.journalBroken.Store(true)
			if !p.canTake(b.Signal, n) {
				return exporter.ErrQueueFull
			}
		case err == nil && durable:
			ref = r
		}
	}
	for _, s := range p.senders {
		s.Offer(b, ref, false)
	}
	return nil
}

// canTake says whether every exporter can keep a batch of n items of sig
// that no journal holds.
func (p *Pipeline) canTake(sig exporter.Signal, n int) bool {
	for _, s := range p.senders {
		if !s.CanTake(sig, n, false) {
			return false
		}
	}
	return true
}

// ReplayURL is the session's AgentOps dashboard link when the agentops
// exporter delivered at least one span, else "".
func (p *Pipeline) ReplayURL(traceID string) string {
	for _, s := range p.senders {
		if l, ok := exporter.Unwrap(s.Exporter()).(interface{ ReplayURL(string) string }); ok && s.Outcome().Signals[exporter.Traces].Sent > 0 {
			return l.ReplayURL(traceID)
		}
	}
	return ""
}

// Shutdown sends what every exporter still has, in parallel, so a slow
// backend does not delay the others, and returns what each did. When ctx
// ends first, the exports still running are cut off (a request already
// sent is in doubt), and what is left is named in each exporter's unsent
// record; Shutdown then returns promptly.
func (p *Pipeline) Shutdown(ctx context.Context) []record.Export {
	outs := make([]exporter.Outcome, len(p.senders))
	var wg sync.WaitGroup
	for i, s := range p.senders {
		wg.Go(func() {
			outs[i] = s.Shutdown(ctx)
			path, err := s.WriteUnsent()
			outs[i].Unsent = path
			if err != nil {
				outs[i].Err = errors.Join(outs[i].Err, fmt.Errorf("keep unsent batches: %w", err))
			}
		})
	}
	wg.Wait()
	out := make([]record.Export, 0, len(p.senders)+len(p.skipped))
	for i, s := range p.senders {
		o := outs[i]
		e := record.Export{Name: s.Spec.Name, Target: exporter.RedactURL(s.Spec.Target), Source: p.sources[i], Unsent: o.Unsent}
		e.ExportCounts = counts(o.Signals[exporter.Traces])
		if c := o.Signals[exporter.Logs]; c.Enqueued > 0 {
			lc := counts(c)
			e.Logs = &lc
		}
		if c := o.Signals[exporter.Metrics]; c.Enqueued > 0 {
			mc := counts(c)
			e.Metrics = &mc
		}
		if t := o.Total(); o.Err != nil && (t.Failed > 0 || t.InDoubt > 0 || t.Left > 0 || t.Dropped > 0) {
			e.Error = o.Err.Error()
		}
		out = append(out, e)
	}
	return append(out, p.skipped...)
}

func counts(c exporter.Counts) record.ExportCounts {
	return record.ExportCounts{Sent: c.Sent, Failed: c.Failed, InDoubt: c.InDoubt, Left: c.Left, Dropped: c.Dropped}
}

// ownSpans hands the session's own spans (from its TracerProvider) to
// every exporter. They are few, and always kept in memory.
type ownSpans struct{ p *Pipeline }

func (o ownSpans) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

func (o ownSpans) OnEnd(s sdktrace.ReadOnlySpan) {
	b := exporter.TracesBatch(exporter.TracesFromSpans([]sdktrace.ReadOnlySpan{s}))
	for _, snd := range o.p.senders {
		snd.Offer(b, exporter.Ref{}, true)
	}
}

func (o ownSpans) Shutdown(context.Context) error   { return nil }
func (o ownSpans) ForceFlush(context.Context) error { return nil }
