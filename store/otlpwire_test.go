package store

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/bench/spangen"
	"github.com/agentops-dev/agentops/record"
)

// withIDs gives every span of td that has none a trace and span id: the
// receiver drops a span without, and a request holding one is pdata's.
func withIDs(td ptrace.Traces) ptrace.Traces {
	n := byte(0)
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				n++
				if sp.TraceID().IsEmpty() {
					sp.SetTraceID(pcommon.TraceID{0xaa, n})
				}
				if sp.SpanID().IsEmpty() {
					sp.SetSpanID(pcommon.SpanID{0xbb, n})
				}
			}
		}
	}
	return td
}

// checkTraceRequest holds appendTraceRequest to appendTraces of the
// request decoded by pdata, when it takes the request; it must refuse
// what pdata cannot decode, and leave b as it was when it refuses.
func checkTraceRequest(t *testing.T, body []byte) (took bool) {
	t.Helper()
	prefix := []byte("prefix")
	got, _, ok := appendTraceRequest(bytes.Clone(prefix), body)
	td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(body)
	switch {
	case !ok:
		if !bytes.Equal(got, prefix) {
			t.Fatalf("refused, but wrote %q", got)
		}
	case err != nil:
		t.Fatalf("took a request pdata refuses (%v): %s", err, got)
	default:
		want := appendTraces(bytes.Clone(prefix), td)
		if !bytes.Equal(got, want) {
			i := 0
			for i < len(got) && i < len(want) && got[i] == want[i] {
				i++
			}
			t.Fatalf("differs from pdata's at byte %d:\n got …%s\nwant …%s", i, got[max(0, i-80):min(len(got), i+80)], want[max(0, i-80):min(len(want), i+80)])
		}
	}
	return ok
}

// The request's bytes make the line pdata's decoding of them makes, for
// the batches SDKs send, every field set, and nothing at all.
func TestAppendTraceRequestMatchesPdata(t *testing.T) {
	for name, td := range map[string]ptrace.Traces{
		"every field": withIDs(everyField()),
		"realistic":   spangen.Traces(512, 1, spangen.DefaultMix),
		"llm":         spangen.Traces(512, 2, spangen.AllLLM),
		"empty":       ptrace.NewTraces(),
	} {
		t.Run(name, func(t *testing.T) {
			body, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
			if err != nil {
				t.Fatal(err)
			}
			if !checkTraceRequest(t, body) {
				t.Fatal("refused a request as SDKs encode it")
			}
		})
	}
	// A span without ids, a field twice, an unknown field: pdata's.
	noIDs, _ := (&ptrace.ProtoMarshaler{}).MarshalTraces(everyField())
	for name, body := range map[string][]byte{
		"span without ids": noIDs,
		"unknown field":    {0x0a, 0x03, 0xf8, 0x3e, 0x01}, // resource_spans{1000: 1}
		"field twice":      {0x0a, 0x04, 0x1a, 0x00, 0x1a, 0x00},
	} {
		if checkTraceRequest(t, body) {
			t.Errorf("%s: took it", name)
		}
	}
}

// FuzzAppendTraceRequest holds the request encoder to pdata's decoding and
// encoder on any bytes: the same line when it takes them.
func FuzzAppendTraceRequest(f *testing.F) {
	for _, td := range []ptrace.Traces{withIDs(everyField()), spangen.Traces(8, 1, spangen.DefaultMix), everyField()} {
		b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkTraceRequest(t, data) })
}

// BenchmarkAppendTraceRequest is the line of a 512-span request from its
// bytes, next to pdata's decoding and appendTraces.
func BenchmarkAppendTraceRequest(b *testing.B) {
	for _, mix := range []string{"realistic", "llm"} {
		body, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(spangen.Traces(512, 1, spangen.Mixes[mix]))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(mix+"/request", func(b *testing.B) {
			b.ReportAllocs()
			var line []byte
			for b.Loop() {
				line, _, _ = appendTraceRequest(line[:0], body)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*512), "ns/span")
		})
		b.Run(mix+"/pdata", func(b *testing.B) {
			b.ReportAllocs()
			var line []byte
			for b.Loop() {
				td, _ := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(body)
				line = appendTraces(line[:0], td)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*512), "ns/span")
		})
	}
}

// A session stored from the requests' bytes has the spans.jsonl of one
// stored from pdata, a request left to pdata (a span without ids) decoded
// by the function given.
func TestWriterConsumeTraceRequest(t *testing.T) {
	var bodies [][]byte
	for _, td := range []ptrace.Traces{spangen.Traces(64, 1, spangen.AllLLM), withIDs(everyField()), everyField()} {
		b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, b)
	}
	write := func(fromRequest bool) []byte {
		dir := t.TempDir()
		w := Open(dir).NewWriter()
		if err := w.Begin(Meta{ID: "s", Start: time.Now()}); err != nil {
			t.Fatal(err)
		}
		decoded := 0
		for _, body := range bodies {
			decode := func() (ptrace.Traces, error) {
				decoded++
				return (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(body)
			}
			if fromRequest {
				if err := w.ConsumeTraceRequest(context.Background(), body, decode); err != nil {
					t.Fatal(err)
				}
				continue
			}
			td, err := decode()
			if err != nil {
				t.Fatal(err)
			}
			_ = w.ConsumeTraces(context.Background(), td)
		}
		if fromRequest && decoded != 1 {
			t.Fatalf("%d requests decoded by pdata, want the one with a span without ids", decoded)
		}
		path := w.Path()
		if err := w.Finish(&record.Session{ID: "s"}); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(path, SpansFile))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if got, want := write(true), write(false); !bytes.Equal(got, want) || len(want) == 0 {
		t.Fatalf("spans.jsonl from the requests differs from pdata's (%d bytes, want %d)", len(got), len(want))
	}
}
