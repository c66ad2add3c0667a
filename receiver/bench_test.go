package receiver

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/agentops-dev/agentops/bench/spangen"
)

// discardSink accepts everything and keeps nothing, so the benchmarks
// measure the receiver alone.
type discardSink struct{}

func (discardSink) ConsumeTraces(context.Context, ptrace.Traces) error    { return nil }
func (discardSink) ConsumeLogs(context.Context, plog.Logs) error          { return nil }
func (discardSink) ConsumeMetrics(context.Context, pmetric.Metrics) error { return nil }

const benchBatch = 512

func benchBodies(b *testing.B) (proto, json, gz []byte) {
	b.Helper()
	req := ptraceotlp.NewExportRequestFromTraces(spangen.Traces(benchBatch, 1, spangen.DefaultMix))
	proto, err := req.MarshalProto()
	if err != nil {
		b.Fatal(err)
	}
	json, err = req.MarshalJSON()
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(proto)
	_ = zw.Close()
	return proto, json, buf.Bytes()
}

// BenchmarkHandleTraces is one 512-span export through the HTTP handler:
// auth, body read, decode, sink, response; no network.
func BenchmarkHandleTraces(b *testing.B) {
	proto, json, gz := benchBodies(b)
	cases := []struct {
		name, contentType, encoding string
		body                        []byte
	}{
		{"proto", contentTypeProto, "", proto},
		{"proto-gzip", contentTypeProto, "gzip", gz},
		{"json", contentTypeJSON, "", json},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			r := New(Config{Token: "secret"}, discardSink{})
			h := r.handler()
			b.SetBytes(int64(len(c.body)))
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, PathTraces, bytes.NewReader(c.body))
				req.Header.Set("Content-Type", c.contentType)
				req.Header.Set("Authorization", "Bearer secret")
				if c.encoding != "" {
					req.Header.Set("Content-Encoding", c.encoding)
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
			b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "spans/s")
		})
	}
}

// BenchmarkReceiveTracesLoopback is one 512-span OTLP/HTTP protobuf export
// over a real loopback connection, from 1 or 4 concurrent clients.
func BenchmarkReceiveTracesLoopback(b *testing.B) {
	proto, _, _ := benchBodies(b)
	for _, clients := range []int{1, 4} {
		b.Run("clients="+strconv.Itoa(clients), func(b *testing.B) {
			r := New(Config{}, discardSink{})
			if err := r.Start(context.Background()); err != nil {
				b.Fatal(err)
			}
			defer func() { _ = r.Shutdown(context.Background()) }()
			url := r.Endpoint() + PathTraces
			b.SetBytes(int64(len(proto)))
			b.ReportAllocs()
			b.SetParallelism((clients + 1) / 2) // GOMAXPROCS × this goroutines
			b.RunParallel(func(pb *testing.PB) {
				client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
				defer client.CloseIdleConnections()
				for pb.Next() {
					resp, err := client.Post(url, contentTypeProto, bytes.NewReader(proto))
					if err != nil {
						b.Error(err)
						return
					}
					_ = resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("status %s", resp.Status)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "spans/s")
		})
	}
}

// BenchmarkReceiveTracesGRPC is one 512-span OTLP/gRPC export from a
// grpc-go client over loopback, to the receiver and, side by side, to a
// grpc-go server with pdata's TraceService (how the receiver served gRPC
// before): both decode the batch into pdata and discard it.
func BenchmarkReceiveTracesGRPC(b *testing.B) {
	req := ptraceotlp.NewExportRequestFromTraces(spangen.Traces(benchBatch, 1, spangen.DefaultMix))
	for _, server := range []string{"receiver", "grpc-go"} {
		for _, compression := range []string{"none", "gzip"} {
			b.Run(server+"/"+compression, func(b *testing.B) {
				var addr string
				if server == "receiver" {
					r := New(Config{}, discardSink{})
					if err := r.Start(context.Background()); err != nil {
						b.Fatal(err)
					}
					defer func() { _ = r.Shutdown(context.Background()) }()
					addr = r.Addr()
				} else {
					addr = grpcGoReceiver(b, DefaultMaxBodyBytes)
				}
				cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
				if err != nil {
					b.Fatal(err)
				}
				defer cc.Close()
				client := ptraceotlp.NewGRPCClient(cc)
				var opts []grpc.CallOption
				if compression == "gzip" {
					opts = append(opts, grpc.UseCompressor("gzip"))
				}
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					if _, err := client.Export(context.Background(), req, opts...); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "spans/s")
			})
		}
	}
}
