package exporter

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

func TestFileWritesCollectorJSONLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spans.jsonl")
	exp, err := New(context.Background(), Spec{"file", path}, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	parts := split(TracesBatch(sampleTraces()), 2)
	if err := exp.ExportTraces(context.Background(), parts[0].Traces); err != nil {
		t.Fatal(err)
	}
	rest := merge(Traces, parts[1:])
	if err := exp.ExportTraces(context.Background(), rest.Traces); err != nil {
		t.Fatal(err)
	}
	if err := exp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var lines, total int
	for sc.Scan() {
		td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(sc.Bytes())
		if err != nil {
			t.Fatalf("line %d is not OTLP JSON: %v", lines+1, err)
		}
		lines++
		total += td.SpanCount()
		svc, _ := td.ResourceSpans().At(0).Resource().Attributes().Get("service.name")
		if svc.Str() == "" {
			t.Errorf("line %d lost the resource", lines)
		}
	}
	if lines != 2 || total != 6 {
		t.Errorf("read %d lines with %d spans, want 2 lines with 6", lines, total)
	}
}

func TestFileNeedsPath(t *testing.T) {
	if _, err := New(context.Background(), Spec{Name: "file"}, Settings{}); err == nil {
		t.Error("file without a path accepted")
	}
	if _, err := New(context.Background(), Spec{Name: "nope"}, Settings{}); err == nil {
		t.Error("unknown exporter accepted")
	}
}
