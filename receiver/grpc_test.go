package receiver

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// TestGoSDKOverGRPC sends spans with the real OpenTelemetry Go SDK's gRPC
// exporter, configured the way the session configures a child: an http://
// endpoint (which makes the exporter connect without TLS) and the bearer
// token as a header.
func TestGoSDKOverGRPC(t *testing.T) {
	for _, compression := range []string{"none", "gzip"} {
		t.Run(compression, func(t *testing.T) {
			r, sink := startReceiver(t, Config{Token: testToken})
			ctx := context.Background()
			opts := []otlptracegrpc.Option{
				otlptracegrpc.WithEndpointURL(r.Endpoint()),
				otlptracegrpc.WithHeaders(map[string]string{"Authorization": "Bearer " + testToken}),
			}
			if compression == "gzip" {
				opts = append(opts, otlptracegrpc.WithCompressor("gzip"))
			}
			exp, err := otlptracegrpc.New(ctx, opts...)
			if err != nil {
				t.Fatal(err)
			}
			tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
			for i := 0; i < 25; i++ {
				_, s := tp.Tracer("test").Start(ctx, "op")
				s.End()
			}
			if err := tp.Shutdown(ctx); err != nil {
				t.Fatalf("SDK shutdown (export over gRPC): %v", err)
			}
			if spans, _, _ := sink.counts(); spans != 25 {
				t.Fatalf("received %d spans, want 25", spans)
			}
		})
	}
}

func TestGoSDKOverGRPCWithoutToken(t *testing.T) {
	r, sink := startReceiver(t, Config{Token: testToken})
	ctx := context.Background()
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpointURL(r.Endpoint()), otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	defer exp.Shutdown(ctx)
	span := tracetest.SpanStub{Name: "op", SpanContext: trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled,
	})}
	err = exp.ExportSpans(ctx, tracetest.SpanStubs{span}.Snapshots())
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("export error = %v, want Unauthenticated", err)
	}
	if spans, _, _ := sink.counts(); spans != 0 {
		t.Fatalf("received %d spans without a token", spans)
	}
}

func dial(t *testing.T, r *Receiver) *grpc.ClientConn {
	t.Helper()
	cc, err := grpc.NewClient(r.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

func withToken(ctx context.Context, token string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
}

func TestGRPCSignals(t *testing.T) {
	r, sink := startReceiver(t, Config{Token: testToken})
	cc := dial(t, r)
	ctx, cancel := context.WithTimeout(withToken(context.Background(), testToken), 10*time.Second)
	defer cancel()
	resp, err := ptraceotlp.NewGRPCClient(cc).Export(ctx, ptraceotlp.NewExportRequestFromTraces(testTraces(3, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.PartialSuccess().RejectedSpans(); got != 2 {
		t.Errorf("rejected spans = %d, want 2", got)
	}
	if _, err := plogotlp.NewGRPCClient(cc).Export(ctx, plogotlp.NewExportRequestFromLogs(testLogs(4))); err != nil {
		t.Fatal(err)
	}
	if _, err := pmetricotlp.NewGRPCClient(cc).Export(ctx, pmetricotlp.NewExportRequestFromMetrics(testMetrics(5)), grpc.UseCompressor("gzip")); err != nil {
		t.Fatal(err)
	}
	if spans, logs, metrics := sink.counts(); spans != 3 || logs != 4 || metrics != 5 {
		t.Errorf("sink got %d spans, %d logs, %d points; want 3, 4, 5", spans, logs, metrics)
	}
}

// rawCodec sends a []byte as the message as is, to put bad bytes on the wire.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

var _ encoding.Codec = rawCodec{}

func TestGRPCBadInput(t *testing.T) {
	const limit = 1 << 20
	r, sink := startReceiver(t, Config{Token: testToken, MaxBodyBytes: limit})
	cc := dial(t, r)
	good := must(t)(ptraceotlp.NewExportRequestFromTraces(testTraces(2, 0)).MarshalProto())
	const exportTraces = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
	tests := []struct {
		name   string
		method string
		token  string
		msg    []byte
		opts   []grpc.CallOption
		want   codes.Code
	}{
		{"no token", exportTraces, "", good, nil, codes.Unauthenticated},
		{"wrong token", exportTraces, "nope", good, nil, codes.Unauthenticated},
		// grpc-go answers every undecodable message with INTERNAL before our
		// code runs; it is not retryable, which is what matters to clients.
		{"truncated protobuf", exportTraces, testToken, good[:len(good)-5], nil, codes.Internal},
		{"oversized message", exportTraces, testToken, make([]byte, 2*limit), nil, codes.ResourceExhausted},
		{"gzip bomb", exportTraces, testToken, make([]byte, 4*limit), []grpc.CallOption{grpc.UseCompressor("gzip")}, codes.ResourceExhausted},
		{"unknown method", "/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export", testToken, good, nil, codes.Unimplemented},
	}
	wantSpans := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if tt.token != "" {
				ctx = withToken(ctx, tt.token)
			}
			var out []byte
			opts := append([]grpc.CallOption{grpc.ForceCodec(rawCodec{})}, tt.opts...)
			err := cc.Invoke(ctx, tt.method, &tt.msg, &out, opts...)
			if got := status.Code(err); got != tt.want {
				t.Fatalf("code = %v (%v), want %v", got, err, tt.want)
			}
			if tt.want == codes.Unauthenticated && !strings.Contains(err.Error(), "OTEL_EXPORTER_OTLP_HEADERS") {
				t.Errorf("error does not say what to do: %v", err)
			}
			ctx = withToken(context.Background(), testToken)
			if err := cc.Invoke(ctx, exportTraces, &good, &out, grpc.ForceCodec(rawCodec{})); err != nil {
				t.Fatalf("good request after %s: %v", tt.name, err)
			}
			wantSpans += 2
			if spans, _, _ := sink.counts(); spans != wantSpans {
				t.Errorf("sink has %d spans, want %d", spans, wantSpans)
			}
		})
	}
	// gRPC reports an RPC's end to the stats handler after the client may
	// already have its answer: wait for the count, with a deadline.
	want := map[string]int{"gRPC Unauthenticated": 2, "gRPC Internal": 1, "gRPC ResourceExhausted": 2, "gRPC Unimplemented": 1}
	deadline := time.Now().Add(10 * time.Second)
	for got := r.Refusals(); !maps.Equal(got, want); got = r.Refusals() {
		if time.Now().After(deadline) {
			t.Fatalf("Refusals() = %v, want %v", got, want)
		}
		time.Sleep(time.Millisecond)
	}
}

// A Sink stuck in a gRPC export must not hold Shutdown past its deadline.
func TestShutdownHonoursDeadlineWithStuckGRPCExport(t *testing.T) {
	sink := &countSink{block: make(chan struct{}), blocked: make(chan struct{})}
	r := New(Config{}, sink)
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer close(sink.block)
	cc := dial(t, r)
	go func() {
		_, _ = ptraceotlp.NewGRPCClient(cc).Export(context.Background(), ptraceotlp.NewExportRequestFromTraces(testTraces(1, 0)))
	}()
	<-sink.blocked
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := r.Shutdown(ctx); err == nil {
		t.Fatal("Shutdown = nil with an export still stuck in the sink, want the deadline's error")
	}
}
