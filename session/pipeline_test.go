package session

import (
	"context"
	"path/filepath"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/agentops-dev/agentops/exporter"
)

func childBatch(n int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "child")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("child-scope")
	for i := 0; i < n; i++ {
		s := ss.Spans().AppendEmpty()
		s.SetTraceID(pcommon.TraceID{1})
		s.SetSpanID(pcommon.SpanID{byte(i + 1)})
		s.SetName("step")
	}
	return td
}

func TestPipelineFeedsSessionAndChildSpansToEveryExporter(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")
	p, err := NewPipeline(context.Background(), PipelineConfig{
		Exporters:  []exporter.Spec{{Name: "file", Target: a}, {Name: "file", Target: b}},
		NoUpstream: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider()
	for _, proc := range p.SpanProcessors() {
		tp.RegisterSpanProcessor(proc)
	}
	_, root := tp.Tracer("session").Start(context.Background(), "agentops.session")
	if err := p.ConsumeTraces(context.Background(), childBatch(3)); err != nil {
		t.Fatal(err)
	}
	root.End()
	exports := p.Shutdown(context.Background())
	if len(exports) != 2 {
		t.Fatalf("exports = %+v", exports)
	}
	for _, e := range exports {
		if e.Sent != 4 || e.Failed != 0 || e.Dropped != 0 {
			t.Errorf("%s: %+v, want 4 sent (session span + 3 child spans)", e.Target, e)
		}
	}
}

func TestPipelineEmptyAndEnvWarnings(t *testing.T) {
	p, err := NewPipeline(context.Background(), PipelineConfig{
		// An upstream the environment asks for that cannot be built is a
		// warning, not a failure.
		Env: []string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://[bad"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Empty() || len(p.Warnings) != 1 {
		t.Errorf("empty %v, warnings %q; want no exporter and one warning", p.Empty(), p.Warnings)
	}
	// With no exporter, a batch costs nothing.
	if allocs := testing.AllocsPerRun(100, func() { _ = p.ConsumeTraces(context.Background(), childBatch(10)) }); allocs > float64(testing.AllocsPerRun(100, func() { childBatch(10) })) {
		t.Errorf("ConsumeTraces allocates with no exporter")
	}
}

func TestPipelineSampledOut(t *testing.T) {
	p, err := NewPipeline(context.Background(), PipelineConfig{
		Exporters:      []exporter.Spec{{Name: "otlp", Target: "http://127.0.0.1:1"}, {Name: "console"}},
		NoUpstream:     true,
		SampleRatio:    0,
		SampleRatioSet: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	exports := p.Shutdown(context.Background())
	if len(p.SpanProcessors()) != 1 || len(exports) != 2 || exports[1].Skipped == "" {
		t.Errorf("processors %d, exports %+v: want console only, otlp skipped", len(p.SpanProcessors()), exports)
	}
}

func TestPipelineNestedUpstreamIgnoresSampling(t *testing.T) {
	p, err := NewPipeline(context.Background(), PipelineConfig{
		Env: []string{
			"OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:1",
			"AGENTOPS_SESSION_ID=outer",
			"AGENTOPS_API_KEY=k",
		},
		SampleRatio:    0,
		SampleRatioSet: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	exports := p.Shutdown(context.Background())
	// The outer session's receiver gets the spans; AgentOps is left to the outer session.
	if len(exports) != 1 || exports[0].Name != "otlp" || exports[0].Skipped != "" {
		t.Errorf("exports = %+v, want only the outer session's receiver, not skipped", exports)
	}
}

// BenchmarkPipelineConsumeTraces measures what a received batch costs when
// one exporter runs: the sending queue's enqueue (the console exporter
// itself, converting to SDK spans, runs on the queue's consumers).
func BenchmarkPipelineConsumeTraces(b *testing.B) {
	p, err := NewPipeline(context.Background(), PipelineConfig{
		Exporters:  []exporter.Spec{{Name: "console"}},
		NoUpstream: true,
		Queue:      exporter.QueueConfig{QueueSize: 1 << 20},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Shutdown(context.Background())
	td := childBatch(512)
	b.ReportAllocs()
	for b.Loop() {
		_ = p.ConsumeTraces(context.Background(), td)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*512), "ns/span")
}
