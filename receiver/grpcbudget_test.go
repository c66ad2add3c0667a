package receiver

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/agentops-dev/agentops/internal/otlpwire"
)

// holdSink holds every trace batch until released, telling the test
// each time one arrives.
type holdSink struct {
	entered chan int // a held batch's span count
	release chan struct{}
}

func newHoldSink() *holdSink {
	return &holdSink{entered: make(chan int, 64), release: make(chan struct{})}
}

func (s *holdSink) ConsumeTraces(_ context.Context, td ptrace.Traces) error {
	s.entered <- td.SpanCount()
	<-s.release
	return nil
}
func (s *holdSink) ConsumeLogs(context.Context, plog.Logs) error          { return nil }
func (s *holdSink) ConsumeMetrics(context.Context, pmetric.Metrics) error { return nil }

// bigTraceRequest is a trace export request of about size bytes, its one
// span named after i.
func bigTraceRequest(i, size int) ptraceotlp.ExportRequest {
	td := testTraces(1, 0)
	td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).SetName(fmt.Sprintf("%d:%s", i, strings.Repeat("n", size)))
	return ptraceotlp.NewExportRequestFromTraces(td)
}

// retryDelay is the RetryInfo delay an error carries; false without one.
func retryDelay(err error) (time.Duration, bool) {
	for _, d := range status.Convert(err).Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			return ri.GetRetryDelay().AsDuration(), true
		}
	}
	return 0, false
}

// TestGRPCInFlightCap sends eight concurrent 400 KB exports over gRPC to a
// receiver whose in-flight budget holds two of them, while the sink holds
// every batch it gets: exactly two are taken and the six others are
// refused with UNAVAILABLE and RetryInfo, before gRPC reads them. Gzip
// changes nothing: what a message inflates to is what counts, although
// these compress to a few KB each.
func TestGRPCInFlightCap(t *testing.T) {
	const size, concurrent = 400 << 10, 8
	for _, compression := range []string{"none", "gzip"} {
		t.Run(compression, func(t *testing.T) {
			sink := newHoldSink()
			r := New(Config{Token: testToken, MaxBodyBytes: 1 << 20, MaxInFlightBytes: 1 << 20}, sink)
			if err := r.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			defer func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_ = r.Shutdown(ctx)
			}()
			client := ptraceotlp.NewGRPCClient(dial(t, r))
			var opts []grpc.CallOption
			if compression == "gzip" {
				opts = append(opts, grpc.UseCompressor("gzip"))
			}
			ctx := withToken(context.Background(), testToken)
			results := make(chan error, concurrent)
			for i := range concurrent {
				go func() {
					_, err := client.Export(ctx, bigTraceRequest(i, size), opts...)
					results <- err
				}()
			}
			// Every export either reaches the sink (and stays there) or is
			// refused: count both until all eight are accounted for.
			held, refused := 0, 0
			for held+refused < concurrent {
				select {
				case <-sink.entered:
					held++
				case err := <-results:
					if status.Code(err) != codes.Unavailable {
						t.Fatalf("export refused with %v, want UNAVAILABLE", err)
					}
					if d, ok := retryDelay(err); !ok || d <= 0 {
						t.Errorf("UNAVAILABLE without a RetryInfo delay: %v", err)
					}
					if !strings.Contains(err.Error(), "retry later") {
						t.Errorf("refusal does not say to retry: %v", err)
					}
					refused++
				}
			}
			if held != 2 {
				t.Errorf("%d exports reached the sink at once, want 2 (the budget holds two of %d bytes)", held, size)
			}
			if used := inFlight(r); used > r.cfg.MaxInFlightBytes || used < 2*size {
				t.Errorf("%d bytes counted in flight with two exports held, want between %d and %d", used, 2*size, r.cfg.MaxInFlightBytes)
			}
			close(sink.release)
			for range held {
				if err := <-results; err != nil {
					t.Errorf("a held export, released: %v", err)
				}
			}
			if _, err := client.Export(ctx, bigTraceRequest(0, size), opts...); err != nil {
				t.Errorf("a refused export again, alone: %v", err)
			}
			<-sink.entered
			if used := inFlight(r); used != 0 {
				t.Errorf("%d bytes still counted in flight after every export ended", used)
			}
			if got := r.Refusals()["gRPC Unavailable"]; got != refused {
				t.Errorf("refusals %v, want %d × gRPC Unavailable", r.Refusals(), refused)
			}
		})
	}
}

func inFlight(r *Receiver) int64 {
	r.inflight.mu.Lock()
	defer r.inflight.mu.Unlock()
	return r.inflight.used
}

// TestGoSDKRetriesGRPCPastBudget: the real OpenTelemetry Go SDK's gRPC
// exporter, refused while another large export fills the budget, waits as
// its RetryInfo says and delivers once there is room: nothing is lost.
func TestGoSDKRetriesGRPCPastBudget(t *testing.T) {
	sink := newHoldSink()
	r := New(Config{Token: testToken, MaxBodyBytes: 1 << 20, MaxInFlightBytes: 1 << 20}, sink)
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = r.Shutdown(ctx)
	}()
	ctx := context.Background()
	export := func(i int) <-chan error {
		done := make(chan error, 1)
		exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpointURL(r.Endpoint()),
			otlptracegrpc.WithHeaders(map[string]string{"Authorization": "Bearer " + testToken}),
			otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: true, InitialInterval: time.Millisecond, MaxInterval: time.Millisecond, MaxElapsedTime: time.Minute}))
		if err != nil {
			t.Fatal(err)
		}
		span := tracetest.SpanStub{Name: "op", SpanContext: trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: trace.TraceID{1}, SpanID: trace.SpanID{byte(i + 1)}, TraceFlags: trace.FlagsSampled,
		}), Attributes: []attribute.KeyValue{attribute.String("big", strings.Repeat("b", 600<<10))}}
		go func() {
			defer exp.Shutdown(ctx)
			done <- exp.ExportSpans(ctx, tracetest.SpanStubs{span}.Snapshots())
		}()
		return done
	}
	first := export(0)
	<-sink.entered
	second := export(1)
	// The second cannot fit while the first is held: wait until it has
	// been refused at least once, then let the first go.
	for r.Refusals()["gRPC Unavailable"] == 0 {
		select {
		case err := <-second:
			t.Fatalf("second export ended while the first held the budget: %v", err)
		case <-sink.entered:
			t.Fatal("second export reached the sink while the first held the budget")
		case <-time.After(time.Millisecond):
		}
	}
	close(sink.release)
	if err := <-first; err != nil {
		t.Fatalf("first export: %v", err)
	}
	<-sink.entered
	if err := <-second; err != nil {
		t.Fatalf("second export, retried: %v", err)
	}
}

// FuzzGRPCAdmission fuzzes the reading of a gRPC message's prefix and the
// inflation of a gzip-compressed message before gRPC sees them: whatever
// the bytes, no panic, a refusal is one of the statuses a client can act
// on, what gRPC is handed is a well-formed uncompressed message when the
// input was a whole gzip one, and nothing stays counted in flight.
// Seeds: testdata/fuzz/FuzzGRPCAdmission.
func FuzzGRPCAdmission(f *testing.F) {
	msg := must(f)(ptraceotlp.NewExportRequestFromTraces(testTraces(2, 0)).MarshalProto())
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	_, _ = zw.Write(msg)
	_ = zw.Close()
	var bomb bytes.Buffer
	zw = gzip.NewWriter(&bomb)
	_, _ = zw.Write(make([]byte, 1<<20))
	_ = zw.Close()
	for _, seed := range []struct {
		body []byte
		gzip bool
	}{
		{grpcFrame(0, msg), false},
		{grpcFrame(1, zipped.Bytes()), true},
		{grpcFrame(1, bomb.Bytes()), true},
		{grpcFrame(1, msg), true},
		{[]byte{0, 0, 0}, false},
		{[]byte{0, 0xff, 0xff, 0xff, 0xff}, false},
	} {
		f.Add(seed.body, seed.gzip)
	}
	f.Fuzz(func(t *testing.T, body []byte, gzipped bool) {
		const limit = 64 << 10
		r := New(Config{MaxBodyBytes: limit, MaxInFlightBytes: limit}, &countSink{})
		req := httptest.NewRequest(http.MethodPost, "/opentelemetry.proto.collector.trace.v1.TraceService/Export", bytes.NewReader(body))
		if gzipped {
			req.Header.Set("Grpc-Encoding", "gzip")
		}
		a, err := r.admitGRPC(req)
		if err != nil {
			if c := grpcStatus(err).Code; c != otlpwire.InvalidArgument && c != otlpwire.ResourceExhausted && c != otlpwire.Unavailable {
				t.Fatalf("refused with %v: %v", c, err)
			}
			if used := inFlight(r); used != 0 {
				t.Fatalf("%d bytes counted in flight after a refusal", used)
			}
			return
		}
		got, err := io.ReadAll(a.body)
		if err != nil {
			t.Fatalf("read the admitted body: %v", err)
		}
		if used := inFlight(r); used > limit+grpcPrefixLen+budgetChunk {
			t.Fatalf("%d bytes counted in flight, over the budget of %d", used, limit)
		}
		if gzipped && len(body) >= grpcPrefixLen && body[0]&1 == 1 {
			size := int(binary.BigEndian.Uint32(body[1:]))
			if size <= limit && len(body) == grpcPrefixLen+size {
				want, err := io.ReadAll(must2(gzip.NewReader(bytes.NewReader(body[grpcPrefixLen:]))))
				if err == nil && !bytes.Equal(got, grpcFrame(0, want)) {
					t.Fatalf("handed gRPC %q, want the inflated message %q", got, grpcFrame(0, want))
				}
			}
		}
		a.release()
		if used := inFlight(r); used != 0 {
			t.Fatalf("%d bytes counted in flight after release", used)
		}
	})
}

// grpcFrame is msg as a length-prefixed gRPC message.
func grpcFrame(flag byte, msg []byte) []byte {
	b := []byte{flag, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(len(msg)))
	return append(b, msg...)
}

// must2 is a gzip reader or one that fails: a body gzip cannot open is
// compared with nothing.
func must2(zr *gzip.Reader, err error) io.Reader {
	if err != nil {
		return iotest.ErrReader(err)
	}
	return zr
}
