package events_test

import (
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/agentops-dev/agentops/bench/spangen"
	"github.com/agentops-dev/agentops/events"
)

// BenchmarkFromSpan converts one span of each kind into events.
func BenchmarkFromSpan(b *testing.B) {
	cases := []struct {
		name string
		mix  spangen.Mix
	}{
		{"plain", spangen.Mix{}},
		{"llm", spangen.Mix{LLM: 1}},
		{"tool", spangen.Mix{Tool: 1}},
		{"error", spangen.Mix{Error: 1}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			span := spangen.Traces(1, 1, c.mix).ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
			b.ReportAllocs()
			for b.Loop() {
				_ = events.FromSpan(span)
			}
		})
	}
}

// BenchmarkFromSpanBatch converts and tallies a realistic 512-span batch
// (spangen.DefaultMix), as the session does for every export.
func BenchmarkFromSpanBatch(b *testing.B) {
	spans := spangen.Traces(512, 1, spangen.DefaultMix).ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	b.ReportAllocs()
	for b.Loop() {
		var t events.Totals
		for i := 0; i < spans.Len(); i++ {
			for _, e := range events.FromSpan(spans.At(i)) {
				t.Add(e)
			}
		}
	}
	b.ReportMetric(float64(b.N*spans.Len())/b.Elapsed().Seconds(), "spans/s")
}

// BenchmarkRequestEvents is a 512-span OTLP/HTTP protobuf request's way
// to events, per span: decoded into pdata and converted (the receiver's
// path before the wire reader, and still that of JSON and gRPC), or read
// in place (ReadTraces: checked and converted in one pass). The all-LLM
// load and the realistic mix; pdata-events leaves pdata's decoding out.
func BenchmarkRequestEvents(b *testing.B) {
	for _, load := range []struct {
		name string
		mix  spangen.Mix
	}{{"llm", spangen.AllLLM}, {"realistic", spangen.DefaultMix}} {
		td := spangen.Traces(512, 1, load.mix)
		body, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
		if err != nil {
			b.Fatal(err)
		}
		evs := make([]events.Event, 0, 1024)
		spans := make([]events.BatchSpan, 0, 512)
		// CPU per span, the process's (GC included): on a shared machine
		// it says more than the wall time.
		var cpu0 time.Duration
		perSpan := func(b *testing.B) {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*512), "ns/span")
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*512), "cpu-ns/span")
		}
		b.Run(load.name+"/pdata", func(b *testing.B) {
			b.ReportAllocs()
			cpu0 = cpuTime()
			for b.Loop() {
				er := ptraceotlp.NewExportRequest()
				if err := er.UnmarshalProto(body); err != nil {
					b.Fatal(err)
				}
				evs, spans = events.AppendTracesEvents(er.Traces(), evs[:0], spans[:0])
			}
			perSpan(b)
		})
		b.Run(load.name+"/wire", func(b *testing.B) {
			b.ReportAllocs()
			cpu0 = cpuTime()
			for b.Loop() {
				var err error
				if evs, spans, _, err = events.ReadTraces(body, 30, evs[:0], spans[:0]); err != nil {
					b.Fatal(err)
				}
			}
			perSpan(b)
		})
		b.Run(load.name+"/pdata-events", func(b *testing.B) {
			b.ReportAllocs()
			cpu0 = cpuTime()
			for b.Loop() {
				evs, spans = events.AppendTracesEvents(td, evs[:0], spans[:0])
			}
			perSpan(b)
		})
	}
}

// cpuTime is the CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
