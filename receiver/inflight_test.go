package receiver

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc/codes"
)

// bigTraces is an export request of about size bytes.
func bigTraces(t *testing.T, size int) []byte {
	td := testTraces(1, 0)
	td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).SetName(strings.Repeat("n", size))
	return must(t)(ptraceotlp.NewExportRequestFromTraces(td).MarshalProto())
}

// TestInFlightCap holds one request in the sink while others arrive: past
// the in-flight budget they get a retryable 503 / UNAVAILABLE with
// Retry-After, whether their length is known or not, and once the first is
// done the same request is taken.
func TestInFlightCap(t *testing.T) {
	r, sink := startReceiver(t, Config{Token: testToken, MaxBodyBytes: 1 << 20, MaxInFlightBytes: 1 << 20})
	sink.block, sink.blocked = make(chan struct{}), make(chan struct{})
	auth, ct := "Authorization: Bearer "+testToken, "Content-Type: "+contentTypeProto
	first := make(chan response, 1)
	go func() { first <- post(t, "POST", r.Endpoint()+PathTraces, bigTraces(t, 600<<10), auth, ct) }()
	<-sink.blocked

	second := bigTraces(t, 600<<10)
	resp := post(t, "POST", r.Endpoint()+PathTraces, second, auth, ct)
	if resp.status != http.StatusServiceUnavailable {
		t.Fatalf("second request while the first is held: HTTP %d, want 503", resp.status)
	}
	if st := decodeStatus(t, resp); codes.Code(st.Code) != codes.Unavailable || !strings.Contains(st.Message, "retry later") {
		t.Errorf("status %v %q, want UNAVAILABLE saying to retry", codes.Code(st.Code), st.Message)
	}
	// Chunked: no Content-Length, admitted as it arrives, refused past the budget.
	req, err := http.NewRequest("POST", r.Endpoint()+PathTraces, io.MultiReader(bytes.NewReader(second)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", contentTypeProto)
	chunked, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	chunked.Body.Close()
	if chunked.StatusCode != http.StatusServiceUnavailable || chunked.Header.Get("Retry-After") == "" {
		t.Errorf("chunked request: HTTP %d, Retry-After %q; want 503 with Retry-After", chunked.StatusCode, chunked.Header.Get("Retry-After"))
	}

	close(sink.block)
	if resp := <-first; resp.status != 200 {
		t.Fatalf("first request: HTTP %d", resp.status)
	}
	sink.block = nil
	if resp := post(t, "POST", r.Endpoint()+PathTraces, second, auth, ct); resp.status != 200 {
		t.Errorf("the refused request again, alone: HTTP %d, want 200", resp.status)
	}
	if got := r.Refusals()["HTTP 503"]; got != 2 {
		t.Errorf("refusals %v, want 2 × HTTP 503", r.Refusals())
	}
	if used := r.inflight.used; used != 0 {
		t.Errorf("%d bytes still counted in flight after every request ended", used)
	}
}
