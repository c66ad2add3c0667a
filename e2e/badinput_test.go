package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/contrib/propagators/envcar"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// childEnvVar makes the test binary act as a child of agentops (see TestMain).
const childEnvVar = "AGENTOPS_E2E_CHILD"

// badInputReport is what the bad-input child prints: the answer each bad
// request got, and how many good spans it sent.
type badInputReport struct {
	HTTP          map[string]int    `json:"http"`
	GRPC          map[string]string `json:"grpc"`
	RejectedSpans int64             `json:"rejected_spans"`
	GoodSpans     int64             `json:"good_spans"`
}

// TestRunSurvivesBadInput runs a child that sends, to the session's own
// receiver, good spans with the real Go SDK (OTLP/HTTP, then gRPC) around
// every kind of bad request. Each bad request gets its status, and every
// good span is counted.
func TestRunSurvivesBadInput(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	res := runAgentops(t, []string{childEnvVar + "=badinput"}, nil, self)
	if res.exitCode != 0 {
		t.Fatalf("child exit %d\nstderr:\n%s", res.exitCode, res.stderr)
	}
	var rep badInputReport
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatalf("child stdout %q: %v\nstderr:\n%s", res.stdout, err, res.stderr)
	}
	wantHTTP := map[string]int{
		"truncated protobuf":                            400,
		"invalid JSON":                                  400,
		"trace id of wrong length":                      400,
		"empty trace ids (partial success)":             200,
		"oversized body (64 MiB + 1)":                   413,
		"gzip bomb (1 MiB on the wire, 1 GiB inflated)": 413,
		"not gzip though Content-Encoding: gzip":        400,
		"no token":                                      401,
		"wrong token":                                   401,
		"unknown content type":                          415,
		"wrong method (GET)":                            405,
		"unknown path":                                  404,
	}
	wantGRPC := map[string]string{
		"no token":           "Unauthenticated",
		"wrong token":        "Unauthenticated",
		"truncated protobuf": "Internal",
		"unknown service":    "Unimplemented",
	}
	for _, name := range sortedKeys(wantHTTP) {
		want := wantHTTP[name]
		t.Logf("OTLP/HTTP %-48s → %d", name, rep.HTTP[name])
		if got := rep.HTTP[name]; got != want {
			t.Errorf("OTLP/HTTP %s: got %d, want %d", name, got, want)
		}
	}
	for _, name := range sortedKeys(wantGRPC) {
		want := wantGRPC[name]
		t.Logf("OTLP/gRPC %-48s → %s", name, rep.GRPC[name])
		if got := rep.GRPC[name]; got != want {
			t.Errorf("OTLP/gRPC %s: got %s, want %s", name, got, want)
		}
	}
	if rep.RejectedSpans != 3 {
		t.Errorf("partial_success.rejected_spans = %d, want 3", rep.RejectedSpans)
	}
	// The session keeps count of the refusals and says so on stderr.
	wantRefused := map[string]int{
		"HTTP 400": 4, "HTTP 401": 2, "HTTP 404": 1, "HTTP 405": 1, "HTTP 413": 2, "HTTP 415": 1,
		"gRPC Unauthenticated": 2, "gRPC Internal": 1, "gRPC Unimplemented": 1,
	}
	if got := res.session.ReceiverRefused; !maps.Equal(got, wantRefused) {
		t.Errorf("session receiver_refused = %v, want %v", got, wantRefused)
	}
	if !strings.Contains(res.stderr, "the OTLP receiver refused requests") {
		t.Errorf("no refusal warning on stderr:\n%s", res.stderr)
	}
	t.Logf("good spans sent %d, received %d", rep.GoodSpans, res.session.SpansReceived)
	if rep.GoodSpans != 12 || res.session.SpansReceived != rep.GoodSpans {
		t.Errorf("good spans: sent %d, session received %d", rep.GoodSpans, res.session.SpansReceived)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// badInputChild is the child of TestRunSurvivesBadInput. It reads the
// session's endpoint and token from the environment agentops injected.
func badInputChild() int {
	ctx := context.Background()
	endpoint := os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT")
	_, token, _ := strings.Cut(os.Getenv("OTEL_EXPORTER_OTLP_HEADERS"), "Authorization=")
	token, _ = url.PathUnescape(token)
	rep := badInputReport{HTTP: map[string]int{}, GRPC: map[string]string{}}

	sent, err := goSDKSpans(ctx, 5, func() (sdktrace.SpanExporter, error) { return otlptracehttp.New(ctx) })
	if err != nil {
		fmt.Fprintln(os.Stderr, "good spans over HTTP:", err)
		return 1
	}
	rep.GoodSpans += sent

	good := marshal(spans(2, 0), false)
	auth := "Authorization: " + token
	proto, jsonCT := "Content-Type: application/x-protobuf", "Content-Type: application/json"
	traces := endpoint + "/v1/traces"
	send := func(name, method, url string, body []byte, headers ...string) []byte {
		status, resp := httpDo(method, url, body, headers...)
		rep.HTTP[name] = status
		return resp
	}
	send("truncated protobuf", "POST", traces, good[:len(good)-5], auth, proto)
	send("invalid JSON", "POST", traces, []byte(`{"resourceSpans":[{"scopeSpans":[`), auth, jsonCT)
	send("trace id of wrong length", "POST", traces, []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"abcd","spanId":"0102030405060708","name":"x"}]}]}]}`), auth, jsonCT)
	resp := send("empty trace ids (partial success)", "POST", traces, marshal(spans(2, 3), true), auth, jsonCT)
	er := ptraceotlp.NewExportResponse()
	if err := er.UnmarshalJSON(resp); err == nil {
		rep.RejectedSpans = er.PartialSuccess().RejectedSpans()
		rep.GoodSpans += 2
	}
	send("oversized body (64 MiB + 1)", "POST", traces, make([]byte, 64<<20+1), auth, proto)
	send("gzip bomb (1 MiB on the wire, 1 GiB inflated)", "POST", traces, gzipBomb(1<<30), auth, proto, "Content-Encoding: gzip")
	send("not gzip though Content-Encoding: gzip", "POST", traces, good, auth, proto, "Content-Encoding: gzip")
	send("no token", "POST", traces, good, proto)
	send("wrong token", "POST", traces, good, "Authorization: Bearer 0000", proto)
	send("unknown content type", "POST", traces, good, auth, "Content-Type: text/plain")
	send("wrong method (GET)", "GET", traces, nil, auth)
	send("unknown path", "POST", endpoint+"/v1/trace", good, auth, proto)

	cc, err := grpc.NewClient(strings.TrimPrefix(endpoint, "http://"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Fprintln(os.Stderr, "grpc client:", err)
		return 1
	}
	defer cc.Close()
	const exportTraces = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
	invoke := func(name, method, authValue string, msg []byte) {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if authValue != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", authValue)
		}
		var out []byte
		err := cc.Invoke(ctx, method, &msg, &out, grpc.ForceCodec(rawCodec{}))
		rep.GRPC[name] = status.Code(err).String()
	}
	invoke("no token", exportTraces, "", good)
	invoke("wrong token", exportTraces, "Bearer 0000", good)
	invoke("truncated protobuf", exportTraces, token, good[:len(good)-5])
	invoke("unknown service", "/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export", token, good)

	sent, err = goSDKSpans(ctx, 5, func() (sdktrace.SpanExporter, error) { return otlptracegrpc.New(ctx) })
	if err != nil {
		fmt.Fprintln(os.Stderr, "good spans over gRPC:", err)
		return 1
	}
	rep.GoodSpans += sent
	_ = json.NewEncoder(os.Stdout).Encode(rep)
	return 0
}

// goSDKSpans sends n spans, parented under TRACEPARENT, with the real Go
// SDK and an exporter configured from the environment.
func goSDKSpans(ctx context.Context, n int, exporter func() (sdktrace.SpanExporter, error)) (int64, error) {
	exp, err := exporter()
	if err != nil {
		return 0, err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
	ctx = propagation.TraceContext{}.Extract(ctx, &envcar.Carrier{})
	for i := 0; i < n; i++ {
		_, s := tp.Tracer("badinput").Start(ctx, "good")
		s.End()
	}
	return int64(n), tp.Shutdown(ctx)
}

// spans builds valid spans followed by spans with an empty trace id.
func spans(valid, emptyID int) ptrace.Traces {
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	for i := 0; i < valid+emptyID; i++ {
		s := ss.Spans().AppendEmpty()
		s.SetName("raw")
		if i < valid {
			s.SetTraceID([16]byte{0xab, byte(i + 1)})
		}
		s.SetSpanID([8]byte{0xcd, byte(i + 1)})
	}
	return td
}

func marshal(td ptrace.Traces, asJSON bool) []byte {
	req := ptraceotlp.NewExportRequestFromTraces(td)
	var b []byte
	if asJSON {
		b, _ = req.MarshalJSON()
	} else {
		b, _ = req.MarshalProto()
	}
	return b
}

// gzipBomb is one gzip member of 1 MiB of zeros, repeated until it inflates
// to inflated bytes (a gzip stream may hold many members).
func gzipBomb(inflated int) []byte {
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	_, _ = zw.Write(make([]byte, 1<<20))
	_ = zw.Close()
	return bytes.Repeat(member.Bytes(), inflated>>20)
}

// httpDo sends one request and returns the status and body; 0 on a
// transport error.
func httpDo(method, url string, body []byte, headers ...string) (int, []byte) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s %s: %v\n", method, url, err)
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// rawCodec puts a []byte on the gRPC wire as is, to send bad messages.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }
