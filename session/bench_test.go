package session

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/agentops-dev/agentops/bench/spangen"
	"github.com/agentops-dev/agentops/pricing"
	"github.com/agentops-dev/agentops/receiver"
	"github.com/agentops-dev/agentops/store"
)

// BenchmarkSinkConsumeTraces is the session's share of every export: a
// 512-span batch converted to events, counted and handed on, for the
// realistic mix and the all-LLM load. Every batch has new span ids, so the
// counting window fills and rebuilds as in a long session.
func BenchmarkSinkConsumeTraces(b *testing.B) {
	for _, mix := range []string{"realistic", "llm"} {
		b.Run(mix, func(b *testing.B) {
			td := spangen.Traces(512, 1, spangen.Mixes[mix])
			k := newSink(nil, nil)
			ctx := context.Background()
			b.ReportAllocs()
			round := uint64(0)
			for b.Loop() {
				spangen.Renumber(td, round)
				round++
				if err := k.ConsumeTraces(ctx, td); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*512)/b.Elapsed().Seconds(), "spans/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*512), "ns/span")
		})
	}
}

// BenchmarkIngest is the whole of agentops' work for one 512-span OTLP/HTTP
// protobuf export but the HTTP exchange: the request read (in place,
// receiver.ReadTraces), events, counting with the price table, and with
// the store on, pdata and the line in spans.jsonl. It is the benchmark of
// the side-by-side figures (bench/run.sh); its CPU profile is where the
// time goes. Each request gets new ids, encoded outside the timer.
func BenchmarkIngest(b *testing.B) {
	for _, mix := range []string{"realistic", "llm"} {
		for _, stored := range []bool{false, true} {
			name := mix + "/no-store"
			if stored {
				name = mix + "/store"
			}
			b.Run(name, func(b *testing.B) {
				var consumers []receiver.Sink
				if stored {
					w := store.Open(b.TempDir()).NewWriter()
					if err := w.Begin(store.Meta{ID: "bench", Start: time.Now()}); err != nil {
						b.Fatal(err)
					}
					defer func() { _ = w.Discard() }()
					consumers = append(consumers, w)
				}
				k := newSink(consumers, pricing.Default())
				ctx := context.Background()
				tds := make([]ptrace.Traces, 16)
				for i := range tds {
					tds[i] = spangen.Traces(512, uint64(i), spangen.Mixes[mix])
				}
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					td := tds[i%len(tds)]
					spangen.Renumber(td, uint64(i))
					body, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
					if err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					t, err := receiver.ReadTraces(body)
					if err != nil {
						b.Fatal(err)
					}
					if err := k.ConsumeTraceBatch(ctx, t); err != nil {
						b.Fatal(err)
					}
					t.Release()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*512), "ns/span")
			})
		}
	}
}

// BenchmarkIngestPdata is BenchmarkIngest the way a JSON or gRPC request
// goes: decoded into pdata, and its events read from there.
func BenchmarkIngestPdata(b *testing.B) {
	for _, mix := range []string{"realistic", "llm"} {
		for _, stored := range []bool{false, true} {
			name := mix + "/no-store"
			if stored {
				name = mix + "/store"
			}
			b.Run(name, func(b *testing.B) {
				var consumers []receiver.Sink
				if stored {
					w := store.Open(b.TempDir()).NewWriter()
					if err := w.Begin(store.Meta{ID: "bench", Start: time.Now()}); err != nil {
						b.Fatal(err)
					}
					defer func() { _ = w.Discard() }()
					consumers = append(consumers, w)
				}
				k := newSink(consumers, pricing.Default())
				ctx := context.Background()
				bodies := make([][]byte, 16)
				for i := range bodies {
					td := spangen.Traces(512, uint64(i), spangen.Mixes[mix])
					var err error
					if bodies[i], err = ptraceotlp.NewExportRequestFromTraces(td).MarshalProto(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportAllocs()
				round := uint64(0)
				for b.Loop() {
					req := ptraceotlp.NewExportRequest()
					if err := req.UnmarshalProto(bodies[round%uint64(len(bodies))]); err != nil {
						b.Fatal(err)
					}
					spangen.Renumber(req.Traces(), round)
					round++
					if err := k.ConsumeTraces(ctx, req.Traces()); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*512), "ns/span")
			})
		}
	}
}
