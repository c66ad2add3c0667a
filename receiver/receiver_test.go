package receiver

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// countSink is a Sink that counts what it gets.
type countSink struct {
	mu                   sync.Mutex
	spans, logs, metrics int
	spanNames            []string
	err                  error // returned by every Consume call when set
	block, blocked       chan struct{}
}

func (s *countSink) ConsumeTraces(_ context.Context, td ptrace.Traces) error {
	if s.block != nil {
		close(s.blocked)
		<-s.block
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spans += td.SpanCount()
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			for k := 0; k < sss.At(j).Spans().Len(); k++ {
				s.spanNames = append(s.spanNames, sss.At(j).Spans().At(k).Name())
			}
		}
	}
	return s.err
}

// countSink takes trace batches undecoded (a TracesSink that needs no
// pdata, as a session that stores and exports nothing), so that the
// receiver's tests go through the wire reader, and decodes them itself.
func (s *countSink) NeedsPData() bool { return false }

func (s *countSink) ConsumeTraceBatch(ctx context.Context, t *Traces) error {
	td, err := t.PData()
	if err != nil {
		return err
	}
	return s.ConsumeTraces(ctx, td)
}

func (s *countSink) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logs += ld.LogRecordCount()
	return s.err
}

func (s *countSink) ConsumeMetrics(_ context.Context, md pmetric.Metrics) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.metrics += md.DataPointCount()
	return s.err
}

func (s *countSink) counts() (spans, logs, metrics int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.spans, s.logs, s.metrics
}

const testToken = "s3cret"

func startReceiver(t *testing.T, cfg Config) (*Receiver, *countSink) {
	t.Helper()
	sink := &countSink{}
	r := New(cfg, sink)
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := r.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return r, sink
}

// testTraces builds n spans with valid ids and, after them, bad spans with
// an empty trace id.
func testTraces(n, bad int) ptrace.Traces {
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	for i := 0; i < n+bad; i++ {
		s := ss.Spans().AppendEmpty()
		s.SetName(fmt.Sprintf("span-%d", i))
		if i < n {
			s.SetTraceID([16]byte{1, 2, 3, byte(i + 1)})
		}
		s.SetSpanID([8]byte{9, byte(i + 1)})
	}
	return td
}

func testLogs(n int) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for i := 0; i < n; i++ {
		lr := lrs.AppendEmpty()
		lr.Body().SetStr(fmt.Sprintf("log %d", i))
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
	}
	return ld
}

func testMetrics(n int) pmetric.Metrics {
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("requests")
	dps := m.SetEmptySum().DataPoints()
	for i := 0; i < n; i++ {
		dps.AppendEmpty().SetIntValue(int64(i))
	}
	return md
}

// must returns a function that fails t on a marshalling error.
func must(t testing.TB) func([]byte, error) []byte {
	return func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

type response struct {
	status      int
	contentType string
	body        []byte
}

// post sends one OTLP/HTTP request; headers are "Name: value" pairs.
func post(t *testing.T, method, url string, body []byte, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: b}
}

// decodeStatus reads a google.rpc.Status error body in the response's encoding.
func decodeStatus(t *testing.T, r response) *spb.Status {
	t.Helper()
	st := &spb.Status{}
	var err error
	if strings.HasPrefix(r.contentType, contentTypeJSON) {
		err = protojson.Unmarshal(r.body, st)
	} else {
		err = proto.Unmarshal(r.body, st)
	}
	if err != nil {
		t.Fatalf("error body is not a google.rpc.Status (%s): %v: %q", r.contentType, err, r.body)
	}
	return st
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// gzipBomb is small on the wire and inflates to inflated bytes: one gzip
// member of 1 MiB of zeros, repeated (a gzip stream may hold many members).
func gzipBomb(t *testing.T, inflated int) []byte {
	t.Helper()
	member := gzipped(t, make([]byte, 1<<20))
	return bytes.Repeat(member, inflated>>20)
}

func TestHTTPSignalsAndEncodings(t *testing.T) {
	r, sink := startReceiver(t, Config{Token: testToken})
	auth := "Authorization: Bearer " + testToken
	tracesProto := must(t)(ptraceotlp.NewExportRequestFromTraces(testTraces(3, 0)).MarshalProto())
	tracesJSON := must(t)(ptraceotlp.NewExportRequestFromTraces(testTraces(3, 0)).MarshalJSON())
	logsProto := must(t)(plogotlp.NewExportRequestFromLogs(testLogs(2)).MarshalProto())
	logsJSON := must(t)(plogotlp.NewExportRequestFromLogs(testLogs(2)).MarshalJSON())
	metricsProto := must(t)(pmetricotlp.NewExportRequestFromMetrics(testMetrics(4)).MarshalProto())
	metricsJSON := must(t)(pmetricotlp.NewExportRequestFromMetrics(testMetrics(4)).MarshalJSON())

	tests := []struct {
		name, path, contentType string
		body                    []byte
		gzip                    bool
		wantContentType         string
	}{
		{"traces proto", PathTraces, contentTypeProto, tracesProto, false, contentTypeProto},
		{"traces json", PathTraces, contentTypeJSON, tracesJSON, false, contentTypeJSON},
		{"traces json charset", PathTraces, "application/json; charset=utf-8", tracesJSON, false, contentTypeJSON},
		{"traces proto gzip", PathTraces, contentTypeProto, tracesProto, true, contentTypeProto},
		{"logs proto", PathLogs, contentTypeProto, logsProto, false, contentTypeProto},
		{"logs json gzip", PathLogs, contentTypeJSON, logsJSON, true, contentTypeJSON},
		{"metrics proto", PathMetrics, contentTypeProto, metricsProto, false, contentTypeProto},
		{"metrics json", PathMetrics, contentTypeJSON, metricsJSON, false, contentTypeJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, headers := tt.body, []string{auth, "Content-Type: " + tt.contentType}
			if tt.gzip {
				body, headers = gzipped(t, body), append(headers, "Content-Encoding: gzip")
			}
			resp := post(t, http.MethodPost, r.Endpoint()+tt.path, body, headers...)
			if resp.status != http.StatusOK || resp.contentType != tt.wantContentType {
				t.Fatalf("got %d %s %q, want 200 %s", resp.status, resp.contentType, resp.body, tt.wantContentType)
			}
		})
	}
	spans, logs, metrics := sink.counts()
	if spans != 12 || logs != 4 || metrics != 8 {
		t.Errorf("sink got %d spans, %d logs, %d metric points; want 12, 4, 8", spans, logs, metrics)
	}
}

// TestHTTPBadInput sends every kind of bad request, each followed by a good
// one: each gets its status, and the receiver keeps serving.
func TestHTTPBadInput(t *testing.T) {
	const limit = 1 << 20
	r, sink := startReceiver(t, Config{Token: testToken, MaxBodyBytes: limit})
	auth := "Authorization: Bearer " + testToken
	good := must(t)(ptraceotlp.NewExportRequestFromTraces(testTraces(2, 0)).MarshalProto())
	mixed := must(t)(ptraceotlp.NewExportRequestFromTraces(testTraces(2, 3)).MarshalProto())
	mixedJSON := must(t)(ptraceotlp.NewExportRequestFromTraces(testTraces(2, 3)).MarshalJSON())
	wrongLenID := []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102","spanId":"0102030405060708","name":"x"}]}]}]}`)
	huge := must(t)(ptraceotlp.NewExportRequestFromTraces(func() ptrace.Traces {
		td := testTraces(1, 0)
		td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).SetName(strings.Repeat("x", limit))
		return td
	}()).MarshalProto())

	tests := []struct {
		name       string
		method     string
		path       string
		body       []byte
		headers    []string
		wantStatus int
		wantSpans  int // spans the sink gets from this request
		wantCT     string
	}{
		{"truncated protobuf", "POST", PathTraces, good[:len(good)-5], []string{auth, "Content-Type: " + contentTypeProto}, 400, 0, contentTypeProto},
		{"invalid JSON", "POST", PathTraces, []byte(`{"resourceSpans":[{`), []string{auth, "Content-Type: " + contentTypeJSON}, 400, 0, contentTypeJSON},
		{"id of wrong length", "POST", PathTraces, wrongLenID, []string{auth, "Content-Type: " + contentTypeJSON}, 400, 0, contentTypeJSON},
		{"empty ids rejected, rest kept (proto)", "POST", PathTraces, mixed, []string{auth, "Content-Type: " + contentTypeProto}, 200, 2, contentTypeProto},
		{"empty ids rejected, rest kept (JSON)", "POST", PathTraces, mixedJSON, []string{auth, "Content-Type: " + contentTypeJSON}, 200, 2, contentTypeJSON},
		{"oversized body", "POST", PathTraces, huge, []string{auth, "Content-Type: " + contentTypeProto}, 413, 0, contentTypeProto},
		{"gzip bomb", "POST", PathTraces, gzipBomb(t, 64*limit), []string{auth, "Content-Type: " + contentTypeProto, "Content-Encoding: gzip"}, 413, 0, contentTypeProto},
		{"not gzip", "POST", PathTraces, good, []string{auth, "Content-Type: " + contentTypeProto, "Content-Encoding: gzip"}, 400, 0, contentTypeProto},
		{"unknown encoding", "POST", PathTraces, good, []string{auth, "Content-Type: " + contentTypeProto, "Content-Encoding: br"}, 400, 0, contentTypeProto},
		{"no token", "POST", PathTraces, good, []string{"Content-Type: " + contentTypeProto}, 401, 0, contentTypeProto},
		{"wrong token", "POST", PathLogs, good, []string{"Authorization: Bearer nope", "Content-Type: " + contentTypeJSON}, 401, 0, contentTypeJSON},
		{"unknown content type", "POST", PathTraces, good, []string{auth, "Content-Type: text/plain"}, 415, 0, contentTypeProto},
		{"wrong method", "GET", PathTraces, nil, []string{auth}, 405, 0, contentTypeProto},
		{"unknown path", "POST", "/v1/profiles", good, []string{auth, "Content-Type: " + contentTypeProto}, 404, 0, contentTypeProto},
	}
	wantSpans := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := post(t, tt.method, r.Endpoint()+tt.path, tt.body, tt.headers...)
			if resp.status != tt.wantStatus || resp.contentType != tt.wantCT {
				t.Fatalf("got %d %s %q, want %d %s", resp.status, resp.contentType, resp.body, tt.wantStatus, tt.wantCT)
			}
			if tt.wantStatus == 200 {
				er := ptraceotlp.NewExportResponse()
				if err := er.UnmarshalProto(resp.body); err != nil && tt.wantCT == contentTypeProto {
					t.Fatal(err)
				}
				if tt.wantCT == contentTypeJSON {
					if err := er.UnmarshalJSON(resp.body); err != nil {
						t.Fatal(err)
					}
				}
				if got := er.PartialSuccess().RejectedSpans(); got != 3 {
					t.Errorf("partial_success.rejected_spans = %d, want 3 (%s)", got, er.PartialSuccess().ErrorMessage())
				}
			} else if st := decodeStatus(t, resp); st.GetMessage() == "" {
				t.Errorf("status body has no message")
			}
			wantSpans += tt.wantSpans
			// The receiver keeps serving: a good request right after.
			if ok := post(t, "POST", r.Endpoint()+PathTraces, good, auth, "Content-Type: "+contentTypeProto); ok.status != 200 {
				t.Fatalf("good request after %s got %d", tt.name, ok.status)
			}
			wantSpans += 2
			if spans, _, _ := sink.counts(); spans != wantSpans {
				t.Errorf("sink has %d spans, want %d", spans, wantSpans)
			}
		})
	}
	want := map[string]int{"HTTP 400": 5, "HTTP 401": 2, "HTTP 404": 1, "HTTP 405": 1, "HTTP 413": 2, "HTTP 415": 1}
	if got := r.Refusals(); !maps.Equal(got, want) {
		t.Errorf("Refusals() = %v, want %v", got, want)
	}
}

func TestHTTPSinkErrorIsRetryable(t *testing.T) {
	r, sink := startReceiver(t, Config{})
	sink.err = fmt.Errorf("store is full")
	body := must(t)(plogotlp.NewExportRequestFromLogs(testLogs(1)).MarshalProto())
	resp := post(t, "POST", r.Endpoint()+PathLogs, body, "Content-Type: "+contentTypeProto)
	if resp.status != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503", resp.status)
	}
	if st := decodeStatus(t, resp); !strings.Contains(st.GetMessage(), "store is full") {
		t.Errorf("message = %q", st.GetMessage())
	}
}

func TestDrainWaitsForInFlight(t *testing.T) {
	r, sink := startReceiver(t, Config{})
	sink.block, sink.blocked = make(chan struct{}), make(chan struct{})
	body := must(t)(ptraceotlp.NewExportRequestFromTraces(testTraces(1, 0)).MarshalProto())
	done := make(chan int)
	go func() {
		resp, err := http.Post(r.Endpoint()+PathTraces, contentTypeProto, bytes.NewReader(body))
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	<-sink.blocked
	drained := make(chan error)
	go func() { drained <- r.Drain(context.Background(), time.Millisecond) }()
	select {
	case err := <-drained:
		t.Fatalf("Drain returned (%v) while a request was in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(sink.block)
	if err := <-drained; err != nil {
		t.Fatal(err)
	}
	if status := <-done; status != 200 {
		t.Fatalf("in-flight request got %d", status)
	}
	if spans, _, _ := sink.counts(); spans != 1 {
		t.Fatalf("spans = %d", spans)
	}
}

func TestDrainHonoursContext(t *testing.T) {
	r, _ := startReceiver(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Drain(ctx, time.Hour); err != context.Canceled {
		t.Fatalf("Drain = %v, want context.Canceled", err)
	}
}
