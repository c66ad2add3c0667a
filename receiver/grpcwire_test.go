package receiver

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/status"

	"github.com/agentops-dev/agentops/internal/otlpwire"
)

const (
	pathGRPCTraces = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
	unknownService = "unknown service: OTLP/gRPC has the TraceService, LogsService and MetricsService of opentelemetry.proto.collector.*.v1"
)

// grpcGoReceiver is the receiver's gRPC as it was served before: a real
// grpc-go server with pdata's TraceService, the same message limit and
// the same answer for unknown services, to compare answers with.
func grpcGoReceiver(t testing.TB, limit int) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer(grpc.MaxRecvMsgSize(limit), grpc.UnknownServiceHandler(func(any, grpc.ServerStream) error {
		return status.Error(codes.Unimplemented, unknownService)
	}))
	ptraceotlp.RegisterGRPCServer(s, &grpcGoTraces{})
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(s.Stop)
	return ln.Addr().String()
}

type grpcGoTraces struct {
	ptraceotlp.UnimplementedGRPCServer
}

func (*grpcGoTraces) Export(_ context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	resp := ptraceotlp.NewExportResponse()
	if n := dropInvalidSpans(req.Traces()); n > 0 {
		resp.PartialSuccess().SetRejectedSpans(int64(n))
		resp.PartialSuccess().SetErrorMessage(rejected(n).Message)
	}
	return resp, nil
}

// rawRPC is one RPC put on the wire by hand with net/http's HTTP/2 client.
type rawRPC struct {
	path   string
	body   []byte
	header map[string]string
}

// answer is what an RPC got: its status, the response message, and the
// response's headers and trailers but the status's, as "Name: values"
// lines.
type answer struct {
	st      otlpwire.Status
	msg     []byte
	headers string
}

func callRaw(t *testing.T, client *http.Client, addr string, rpc rawRPC) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+rpc.path, bytes.NewReader(rpc.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("Te", "trailers")
	for k, v := range rpc.header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	st, ok, err := otlpwire.ReadStatus(resp.Trailer)
	if !ok {
		st, ok, err = otlpwire.ReadStatus(resp.Header)
	}
	if !ok || err != nil {
		t.Fatalf("%s: no status (%v): HTTP %d %v %v %q", rpc.path, err, resp.StatusCode, resp.Header, resp.Trailer, body)
	}
	var msg []byte
	if len(body) > 0 {
		var compressed bool
		if msg, compressed, err = otlpwire.ReadFrame(bytes.NewReader(body), 1<<20); err != nil {
			t.Fatalf("%s: response %q: %v", rpc.path, body, err)
		}
		if compressed && resp.Header.Get("Grpc-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(msg))
			if err != nil {
				t.Fatal(err)
			}
			if msg, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
		}
	}
	var headers []string
	for prefix, h := range map[string]http.Header{"": resp.Header, "trailer ": resp.Trailer} {
		for k, v := range h {
			if k != otlpwire.HeaderStatus && k != otlpwire.HeaderMessage && k != otlpwire.HeaderDetails && k != "Grpc-Encoding" {
				headers = append(headers, prefix+k+": "+strings.Join(v, ", "))
			}
		}
	}
	sort.Strings(headers)
	return answer{st, msg, strings.Join(headers, "\n")}
}

func h2c(t *testing.T) *http.Client {
	t.Helper()
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: &p}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// TestGRPCAnswersAsGRPCGo puts well-formed and malformed RPCs on the wire
// by hand and compares what the receiver answers with what grpc-go's
// server answered: the same code and text, and for a good export the
// same response message, with the same headers. (grpc-go gzips its
// response to a gzipped request, and says so in Grpc-Encoding; the
// receiver sends its few bytes as they are, which gRPC allows whatever
// the request's encoding: compression is per message.)
func TestGRPCAnswersAsGRPCGo(t *testing.T) {
	const limit = 64 << 10
	theirs := grpcGoReceiver(t, limit)
	r, _ := startReceiver(t, Config{MaxBodyBytes: limit})
	client := h2c(t)
	good := must(t)(ptraceotlp.NewExportRequestFromTraces(testTraces(2, 0)).MarshalProto())
	mixed := must(t)(ptraceotlp.NewExportRequestFromTraces(testTraces(2, 3)).MarshalProto())
	frame := func(msg []byte) []byte { return otlpwire.AppendFrame(nil, msg, false) }
	gz := map[string]string{"Grpc-Encoding": "gzip"}
	for name, rpc := range map[string]rawRPC{
		"good":                             {pathGRPCTraces, frame(good), nil},
		"rejected spans":                   {pathGRPCTraces, frame(mixed), nil},
		"gzip":                             {pathGRPCTraces, otlpwire.AppendFrame(nil, gzipped(t, mixed), true), gz},
		"gzip encoding, uncompressed":      {pathGRPCTraces, frame(good), gz},
		"identity encoding":                {pathGRPCTraces, frame(good), map[string]string{"Grpc-Encoding": "identity"}},
		"empty message":                    {pathGRPCTraces, frame(nil), nil},
		"no message":                       {pathGRPCTraces, nil, nil},
		"two messages":                     {pathGRPCTraces, append(frame(good), frame(good)...), nil},
		"cut inside the prefix":            {pathGRPCTraces, frame(good)[:3], nil},
		"cut inside the message":           {pathGRPCTraces, frame(good)[:10], nil},
		"unknown payload format":           {pathGRPCTraces, append([]byte{2}, frame(good)[1:]...), nil},
		"compressed flag without encoding": {pathGRPCTraces, otlpwire.AppendFrame(nil, gzipped(t, good), true), nil},
		"unknown encoding":                 {pathGRPCTraces, otlpwire.AppendFrame(nil, good, true), map[string]string{"Grpc-Encoding": "br"}},
		"too large":                        {pathGRPCTraces, frame(make([]byte, limit+1)), nil},
		"undecodable":                      {pathGRPCTraces, frame(good[:len(good)-5]), nil},
		"unknown service":                  {"/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export", frame(good), nil},
		"unknown method":                   {"/opentelemetry.proto.collector.trace.v1.TraceService/Import", frame(good), nil},
	} {
		want := callRaw(t, client, theirs, rpc)
		got := callRaw(t, client, r.Addr(), rpc)
		if got.st != want.st || !bytes.Equal(got.msg, want.msg) {
			t.Errorf("%s: receiver answers %+v %x, grpc-go %+v %x", name, got.st, got.msg, want.st, want.msg)
		}
		if got.headers != want.headers {
			t.Errorf("%s: receiver's headers\n%s\ngrpc-go's\n%s", name, got.headers, want.headers)
		}
	}
}

// deadlineSink records the deadline of the contexts exports get.
type deadlineSink struct {
	countSink
	mu        sync.Mutex
	deadlines []time.Duration // from the call; 0 without a deadline
}

func (s *deadlineSink) ConsumeTraceBatch(ctx context.Context, t *Traces) error {
	s.mu.Lock()
	var left time.Duration
	if d, ok := ctx.Deadline(); ok {
		left = time.Until(d)
	}
	s.deadlines = append(s.deadlines, left)
	s.mu.Unlock()
	return s.countSink.ConsumeTraceBatch(ctx, t)
}

// TestGRPCTimeout: the client's grpc-timeout is the export's deadline; a
// malformed one is refused, as grpc-go's handler refused it, with 400.
func TestGRPCTimeout(t *testing.T) {
	sink := &deadlineSink{}
	r := New(Config{}, sink)
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Shutdown(context.Background()) }) // after the client's Close
	cc := dial(t, r)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	if _, err := ptraceotlp.NewGRPCClient(cc).Export(ctx, ptraceotlp.NewExportRequestFromTraces(testTraces(1, 0))); err != nil {
		t.Fatal(err)
	}
	if _, err := ptraceotlp.NewGRPCClient(cc).Export(context.Background(), ptraceotlp.NewExportRequestFromTraces(testTraces(1, 0))); err != nil {
		t.Fatal(err)
	}
	if len(sink.deadlines) != 2 || sink.deadlines[0] <= 59*time.Minute || sink.deadlines[0] > time.Hour || sink.deadlines[1] != 0 {
		t.Errorf("export deadlines %v, want about an hour, then none", sink.deadlines)
	}
	good := must(t)(ptraceotlp.NewExportRequestFromTraces(testTraces(1, 0)).MarshalProto())
	req, _ := http.NewRequest(http.MethodPost, r.Endpoint()+pathGRPCTraces, bytes.NewReader(otlpwire.AppendFrame(nil, good, false)))
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("Grpc-Timeout", "1 hour")
	resp, err := h2c(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || len(sink.deadlines) != 2 {
		t.Errorf("malformed grpc-timeout: HTTP %d, %d exports; want 400 and none", resp.StatusCode, len(sink.deadlines)-2)
	}
}

// TestGRPCPDataSink: a sink that takes pdata gets gRPC batches decoded,
// with the invalid spans dropped and reported, over every signal.
func TestGRPCPDataSink(t *testing.T) {
	sink := &retainSink{}
	r := New(Config{}, sink)
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Shutdown(context.Background()) })
	resp, err := ptraceotlp.NewGRPCClient(dial(t, r)).Export(context.Background(), ptraceotlp.NewExportRequestFromTraces(testTraces(2, 1)), grpc.UseCompressor("gzip"))
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.PartialSuccess().RejectedSpans(); got != 1 {
		t.Errorf("rejected %d, want 1", got)
	}
	if len(sink.traces) != 1 || sink.traces[0].SpanCount() != 2 {
		t.Errorf("sink got %d batches, want 1 of 2 spans", len(sink.traces))
	}
}

// TestReceiverLinksNoGRPCOrProtobuf: the receiver serves OTLP/gRPC and
// answers OTLP/HTTP without grpc-go, the protobuf runtime and pdata's
// *otlp packages (which import grpc-go), whose init work every start of
// the CLI would pay for. Its tests use them, as real clients.
func TestReceiverLinksNoGRPCOrProtobuf(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not in PATH: install Go (CI's .ci/run has it)")
	}
	out, err := exec.Command(goBin, "list", "-deps", "github.com/agentops-dev/agentops/receiver").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, heavy := range []string{"google.golang.org/grpc", "google.golang.org/protobuf", "google.golang.org/genproto",
			"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp", "go.opentelemetry.io/collector/pdata/plog/plogotlp", "go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"} {
			if strings.HasPrefix(pkg, heavy) {
				t.Errorf("receiver imports %s", pkg)
			}
		}
	}
}

// TestShutdownWaitsForGRPCExport: an export in progress when Shutdown is
// called ends, delivered and answered, before Shutdown returns.
func TestShutdownWaitsForGRPCExport(t *testing.T) {
	sink := &countSink{block: make(chan struct{}), blocked: make(chan struct{})}
	r := New(Config{}, sink)
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	cc := dial(t, r)
	exported := make(chan error, 1)
	go func() {
		_, err := ptraceotlp.NewGRPCClient(cc).Export(context.Background(), ptraceotlp.NewExportRequestFromTraces(testTraces(3, 0)))
		exported <- err
	}()
	<-sink.blocked
	shutdown := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		shutdown <- r.Shutdown(ctx)
	}()
	select {
	case err := <-shutdown:
		t.Fatalf("Shutdown returned (%v) with an export in the sink", err)
	case err := <-exported:
		t.Fatalf("export ended (%v) while held in the sink", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(sink.block)
	if err := <-shutdown; err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	if spans, _, _ := sink.counts(); spans != 3 {
		t.Errorf("sink has %d spans when Shutdown returned, want 3", spans)
	}
	if err := <-exported; err != nil {
		t.Errorf("export: %v", err)
	}
}

// TestGRPCBeyondPDataRecursion: a message nested deeper than pdata's
// decoder goes gets the nesting limit's answer, as over OTLP/HTTP
// (grpc-go's codec answered INTERNAL), counted under the same key.
func TestGRPCBeyondPDataRecursion(t *testing.T) {
	r, sink := startReceiver(t, Config{})
	ld := testLogs(1)
	nestValue(ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Body(), 80, true)
	if _, err := unmarshalLogsProto(must(t)(plogotlp.NewExportRequestFromLogs(ld).MarshalProto())); err == nil {
		t.Fatal("pdata decodes 80 levels: the test needs a deeper value")
	}
	_, err := plogotlp.NewGRPCClient(dial(t, r)).Export(context.Background(), plogotlp.NewExportRequestFromLogs(ld))
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "nested deeper than 30") {
		t.Errorf("export = %v, want INVALID_ARGUMENT naming the limit", err)
	}
	if _, logs, _ := sink.counts(); logs != 0 {
		t.Errorf("sink got %d logs", logs)
	}
	if got := r.Refusals(); got["gRPC InvalidArgument "+RefusedTooDeep] != 1 || len(got) != 1 {
		t.Errorf("refusals %v, want one gRPC InvalidArgument %s", got, RefusedTooDeep)
	}
}

// FuzzGRPCRequest sends any bytes as an OTLP/gRPC request's body, gzip
// flagged or not, to each service through the receiver's handler: no
// panic, a status every time and one a client can act on, a response
// that decodes when it is OK, and nothing left counted in flight.
// Seeds: testdata/fuzz/FuzzGRPCRequest.
func FuzzGRPCRequest(f *testing.F) {
	good := must(f)(ptraceotlp.NewExportRequestFromTraces(testTraces(2, 1)).MarshalProto())
	frame := func(msg []byte) []byte { return otlpwire.AppendFrame(nil, msg, false) }
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	_, _ = zw.Write(good)
	_ = zw.Close()
	for _, seed := range []struct {
		body []byte
		gzip bool
	}{
		{frame(good), false},
		{otlpwire.AppendFrame(nil, zipped.Bytes(), true), true},
		{append(frame(good), frame(nil)...), false},
		{frame(good)[:9], false},
		{nil, false},
		{frame(must(f)(plogotlp.NewExportRequestFromLogs(testLogs(2)).MarshalProto())), false},
	} {
		f.Add(seed.body, seed.gzip)
	}
	f.Fuzz(func(t *testing.T, body []byte, gzipped bool) {
		const limit = 64 << 10
		r := New(Config{MaxBodyBytes: limit, MaxInFlightBytes: limit}, &countSink{})
		h := r.handler()
		for path := range grpcMethods {
			req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
			req.ProtoMajor, req.ProtoMinor = 2, 0
			req.Header.Set("Content-Type", "application/grpc")
			if gzipped {
				req.Header.Set("Grpc-Encoding", "gzip")
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			resp := w.Result()
			st, ok, err := otlpwire.ReadStatus(resp.Trailer)
			if !ok {
				st, ok, err = otlpwire.ReadStatus(resp.Header)
			}
			if !ok || err != nil {
				t.Fatalf("%s: no status (%v): %d %v", path, err, resp.StatusCode, resp.Header)
			}
			switch st.Code {
			case otlpwire.OK:
				msg, _, err := otlpwire.ReadFrame(w.Body, limit)
				if err != nil {
					t.Fatalf("%s: OK with response %q: %v", path, w.Body.Bytes(), err)
				}
				if _, err := otlpwire.ParsePartial(msg, false); err != nil {
					t.Fatalf("%s: OK with response %x: %v", path, msg, err)
				}
			case otlpwire.InvalidArgument, otlpwire.Internal, otlpwire.ResourceExhausted, otlpwire.Unavailable:
			default:
				t.Fatalf("%s: %v %q", path, st.Code, st.Message)
			}
			if used := inFlight(r); used != 0 {
				t.Fatalf("%s: %d bytes counted in flight after the answer", path, used)
			}
		}
	})
}
