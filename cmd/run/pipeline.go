package run

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel"

	"github.com/agentops-dev/agentops/cmd/exitcode"
	"github.com/agentops-dev/agentops/exporter"
	"github.com/agentops-dev/agentops/receiver"
	"github.com/agentops-dev/agentops/record"
	"github.com/agentops-dev/agentops/session"
	"github.com/agentops-dev/agentops/store"
)

// ExportOptions are the flags of the export pipeline.
type ExportOptions struct {
	Exporters   []string
	NoUpstream  bool
	Resource    []string
	Tags        []string
	SampleRatio float64

	BatchSize       int
	BatchTimeout    time.Duration
	QueueSize       int
	ExportConsumers int
	SpillMiB        int
	ExportTimeout   time.Duration

	OTLPHeaders     []string
	OTLPCompression string
	OTLPTimeout     time.Duration

	AgentOpsAPI      string
	AgentOpsExporter string

	Pushgateway    string
	PushgatewayJob string

	serviceNameSet bool
	sampleRatioSet bool
}

func addExportFlags(c *cobra.Command, o *ExportOptions) {
	f := c.Flags()
	f.StringArrayVarP(&o.Exporters, "exporter", "e", nil, "send the session to an exporter, NAME[=TARGET], repeatable:\n"+strings.Join(exporter.Usage(), "\n"))
	f.BoolVar(&o.NoUpstream, "no-upstream", false, "do not add exporters from our environment (OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, AGENTOPS_API_KEY)")
	f.StringArrayVar(&o.Resource, "resource", nil, "resource attribute k=v for the session span and the child's OTEL_RESOURCE_ATTRIBUTES, repeatable")
	f.StringArrayVar(&o.Tags, "tag", nil, "AgentOps tag for the session (agentops.tags), repeatable")
	f.Float64Var(&o.SampleRatio, "sample-ratio", 1, "chance in [0,1] that remote exporters receive this session; the local summary is always complete")
	f.IntVar(&o.BatchSize, "batch-size", 0, "most spans, log records or data points per export request (default: OTEL_BSP_MAX_EXPORT_BATCH_SIZE, else 512)")
	f.DurationVar(&o.BatchTimeout, "batch-timeout", 0, "no longer used: batches are sent as soon as a sender is free")
	_ = f.MarkDeprecated("batch-timeout", "batches are sent as soon as a sender is free, merged up to --batch-size")
	f.IntVar(&o.QueueSize, "queue-size", 0, "items of each signal an exporter holds in memory; beyond, it reads them back from the store (or its spill file) (default: OTEL_BSP_MAX_QUEUE_SIZE, else 8192)")
	f.IntVar(&o.ExportConsumers, "export-consumers", 4, "concurrent export requests per exporter")
	f.IntVar(&o.SpillMiB, "spill-mib", 1024, "with --no-store, MiB an exporter that falls behind may spill to disk before the child is asked to slow down (HTTP 503)")
	f.DurationVar(&o.ExportTimeout, "export-timeout", session.DefaultExportTimeout, "after the child exits, how long the exporters (in parallel) may take to send what they still have")
	f.StringArrayVar(&o.OTLPHeaders, "otlp-header", nil, "header K=V sent by -e otlp and -e otlpgrpc exporters, repeatable")
	f.StringVar(&o.OTLPCompression, "otlp-compression", "gzip", "compression of -e otlp/otlpgrpc/agentops requests: gzip or none")
	f.DurationVar(&o.OTLPTimeout, "otlp-timeout", 10*time.Second, "timeout of one export request, retries included")
	f.StringVar(&o.AgentOpsAPI, "agentops-api-endpoint", "", "AgentOps API for the key→token exchange (default: AGENTOPS_API_ENDPOINT, else "+exporter.DefaultAgentOpsAPI+")")
	f.StringVar(&o.AgentOpsExporter, "agentops-exporter-endpoint", "", "AgentOps OTLP traces endpoint (default: AGENTOPS_EXPORTER_ENDPOINT, else "+exporter.DefaultAgentOpsExporter+")")
	f.StringVar(&o.Pushgateway, "pushgateway", "", "push the session's metrics to this Prometheus Pushgateway URL when it ends")
	f.StringVar(&o.PushgatewayJob, "pushgateway-job", exporter.DefaultPushJob, "job label of the pushed metrics (the session id is the other grouping label)")
	prev := c.PreRun
	c.PreRun = func(c *cobra.Command, args []string) {
		o.serviceNameSet = c.Flags().Changed("service-name")
		o.sampleRatioSet = c.Flags().Changed("sample-ratio")
		if prev != nil {
			prev(c, args)
		}
	}
}

// resource is the --resource map, plus service.name when --service-name
// was given, so the child reports under the same service.
func (o *ExportOptions) resource(opts *Options) map[string]string {
	m := map[string]string{}
	for _, kv := range o.Resource {
		k, v, _ := strings.Cut(kv, "=")
		m[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	if o.serviceNameSet {
		m["service.name"] = opts.ServiceName
	}
	return m
}

func usageErr(format string, a ...any) error {
	return &exitcode.Error{Code: exitcode.Usage, Err: fmt.Errorf(format, a...)}
}

// newPipeline validates the export flags and builds the exporters.
func newPipeline(ctx context.Context, opts *Options) (*pipeline, error) {
	// The SDK reports export failures to a process-wide handler that logs to
	// stderr, in the middle of the child's output; the summary reports them
	// instead, per exporter.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {}))
	o := &opts.Export
	cfg := session.PipelineConfig{
		Env:            os.Environ(),
		NoUpstream:     o.NoUpstream,
		SampleRatio:    o.SampleRatio,
		SampleRatioSet: o.sampleRatioSet,
		Queue: exporter.QueueConfig{
			BatchSize: envInt(o.BatchSize, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE"),
			QueueSize: envInt(o.QueueSize, "OTEL_BSP_MAX_QUEUE_SIZE"),
			Consumers: o.ExportConsumers,
		},
		SpillLimit: int64(o.SpillMiB) << 20,
		Settings: exporter.Settings{
			Compression: o.OTLPCompression,
			Timeout:     o.OTLPTimeout,
			Env:         os.Environ(),
			AgentOps:    exporter.AgentOpsEndpoints{API: o.AgentOpsAPI, Exporter: o.AgentOpsExporter},
			Console:     opts.IO.ErrOut,
		},
	}
	if o.SampleRatio < 0 || o.SampleRatio > 1 {
		return nil, usageErr("--sample-ratio %v is outside [0, 1]: use 0.1 for one session in ten", o.SampleRatio)
	}
	if o.BatchSize < 0 || o.QueueSize < 0 {
		return nil, usageErr("--batch-size and --queue-size must be positive")
	}
	if o.ExportConsumers <= 0 || o.SpillMiB <= 0 {
		return nil, usageErr("--export-consumers and --spill-mib must be positive, e.g. --export-consumers 4")
	}
	if o.ExportTimeout <= 0 {
		return nil, usageErr("--export-timeout must be positive, e.g. 10s")
	}
	if err := exporter.CheckCompression(o.OTLPCompression); err != nil {
		return nil, usageErr("--otlp-compression: %w", err)
	}
	for _, kv := range o.Resource {
		if k, _, ok := strings.Cut(kv, "="); !ok || strings.TrimSpace(k) == "" {
			return nil, usageErr("bad --resource %q: use key=value, e.g. --resource deployment.environment=ci", kv)
		}
	}
	headers, err := exporter.HeaderFlags(o.OTLPHeaders)
	if err != nil {
		return nil, usageErr("--otlp-header: %w", err)
	}
	cfg.Settings.Headers = headers
	for _, v := range o.Exporters {
		spec, err := exporter.ParseSpec(v)
		if err != nil {
			return nil, usageErr("%w", err)
		}
		cfg.Exporters = append(cfg.Exporters, spec)
	}
	p, err := session.NewPipeline(ctx, cfg)
	if err != nil {
		// An exporter asked for with -e that cannot be built is a mistake in
		// the command line (unknown name, bad URL, no path, no key).
		return nil, usageErr("--exporter: %w", err)
	}
	for _, w := range p.Warnings {
		fmt.Fprintln(opts.IO.ErrOut, "agentops:", w)
	}
	return &pipeline{Pipeline: p}, nil
}

// pipeline adapts session.Pipeline to session.Options.
type pipeline struct{ *session.Pipeline }

// Consumers is the pipeline as a receiver consumer, or none when no
// exporter runs (nothing to queue, nothing to pay).
func (p *pipeline) Consumers() []receiver.Sink {
	if p.Empty() {
		return nil
	}
	return []receiver.Sink{p.Pipeline}
}

// keepUnsent puts the spans an exporter could not send in the session's
// store directory; when the session is not stored, in unsent/<id>/ under
// the store's root.
func (p *pipeline) keepUnsent(opts *Options, id string, rs *runStore) {
	if p.Empty() {
		return
	}
	if rs != nil && rs.writer != nil && rs.tmp == "" {
		p.UseJournal(rs.writer, true)
		p.KeepUnsentIn(rs.writer.Path())
		return
	}
	if rs != nil && rs.writer != nil {
		// --no-store --report: the pipeline writes the throwaway store
		// the report is made from, but it is removed at the end, so the
		// exporters do not count on it: they spill, as without a store.
		p.UseJournal(rs.writer, false)
	}
	root, err := store.Root(opts.StoreDir, os.Getenv)
	if err != nil {
		return
	}
	p.KeepUnsentIn(filepath.Join(root, "unsent", id))
}

// abort releases the exporters of a session that never ran.
func (p *pipeline) abort() { p.Abort() }

// finishExports flushes every exporter within --export-timeout, pushes to
// the Pushgateway, and records what each did. Nothing here changes the
// exit code: a failing backend is reported, never fatal.
func finishExports(opts *Options, s *session.Session, p *pipeline, rec *record.Session) {
	o := &opts.Export
	ctx, cancel := context.WithTimeout(context.Background(), o.ExportTimeout)
	defer cancel()
	rec.Exports = p.Shutdown(ctx)
	// The exporters' processors are shut down by now; this flushes the
	// rest of the provider (the store), with its own deadline in case a
	// backend used all of ours.
	tpCtx, cancelTP := context.WithTimeout(context.Background(), o.ExportTimeout)
	_ = s.Shutdown(tpCtx)
	cancelTP()
	for _, e := range rec.Exports {
		if e.Sent > 0 {
			rec.Exported = append(rec.Exported, e.Name+" "+e.Target)
		}
	}
	rec.ReplayURL = p.ReplayURL(rec.TraceID)
	if o.Pushgateway == "" {
		return
	}
	pushCtx, cancelPush := context.WithTimeout(context.Background(), o.ExportTimeout)
	defer cancelPush()
	e := record.Export{Name: "pushgateway", Target: exporter.RedactURL(o.Pushgateway), Source: "--pushgateway"}
	n, err := exporter.PushSession(pushCtx, o.Pushgateway, o.PushgatewayJob, rec)
	if err != nil {
		e.Failed, e.Error = 1, err.Error()
	} else {
		e.Sent = int64(n)
	}
	rec.Exports = append(rec.Exports, e)
}

// envInt is v when set, else the positive integer in our environment's
// variable name, else 0 (the default).
func envInt(v int, name string) int {
	if v > 0 {
		return v
	}
	n, err := strconv.Atoi(strings.TrimSpace(os.Getenv(name)))
	if err != nil || n <= 0 {
		return 0
	}
	return n
}
