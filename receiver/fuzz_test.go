package receiver

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// fuzzBody posts body to every signal path through the receiver's real
// handler chain (decode, id checks, partial_success, response encoding).
// Whatever the bytes, the answer is 200 with a decodable response or 400,
// and the receiver does not panic.
func fuzzBody(t *testing.T, contentType string, body []byte) {
	sink := &countSink{}
	r := New(Config{MaxBodyBytes: 1 << 20}, sink)
	h := r.handler()
	enc, _ := encoderFor(contentType)
	for _, path := range []string{PathTraces, PathLogs, PathMetrics} {
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusOK:
			if err := decodeResponse(enc, path, w.Body.Bytes()); err != nil {
				t.Fatalf("%s: 200 with an undecodable response: %v", path, err)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("%s: status %d for %q", path, w.Code, body)
		}
		if got := w.Header().Get("Content-Type"); got != enc.contentType() {
			t.Fatalf("%s: response Content-Type %q, want %q", path, got, enc.contentType())
		}
	}
}

func decodeResponse(enc encoder, path string, b []byte) error {
	json := enc.contentType() == contentTypeJSON
	switch path {
	case PathTraces:
		r := ptraceotlp.NewExportResponse()
		if json {
			return r.UnmarshalJSON(b)
		}
		return r.UnmarshalProto(b)
	case PathLogs:
		r := plogotlp.NewExportResponse()
		if json {
			return r.UnmarshalJSON(b)
		}
		return r.UnmarshalProto(b)
	}
	r := pmetricotlp.NewExportResponse()
	if json {
		return r.UnmarshalJSON(b)
	}
	return r.UnmarshalProto(b)
}

// FuzzProto fuzzes the OTLP/HTTP protobuf decode path. Seeds: testdata/fuzz/FuzzProto.
func FuzzProto(f *testing.F) {
	for _, b := range [][]byte{
		must(f)(ptraceotlp.NewExportRequestFromTraces(testTraces(2, 1)).MarshalProto()),
		must(f)(plogotlp.NewExportRequestFromLogs(testLogs(2)).MarshalProto()),
		must(f)(pmetricotlp.NewExportRequestFromMetrics(testMetrics(2)).MarshalProto()),
	} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) { fuzzBody(t, contentTypeProto, body) })
}

// FuzzJSON fuzzes the OTLP/HTTP JSON decode path. Seeds: testdata/fuzz/FuzzJSON.
func FuzzJSON(f *testing.F) {
	for _, b := range [][]byte{
		must(f)(ptraceotlp.NewExportRequestFromTraces(testTraces(2, 1)).MarshalJSON()),
		must(f)(plogotlp.NewExportRequestFromLogs(testLogs(2)).MarshalJSON()),
		must(f)(pmetricotlp.NewExportRequestFromMetrics(testMetrics(2)).MarshalJSON()),
	} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) { fuzzBody(t, contentTypeJSON, body) })
}
