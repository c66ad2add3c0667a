package receiver

import (
	"bytes"
	"maps"
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
	sameAnswerAsPdata(t, contentType, body)
}

// sameAnswerAsPdata posts body as traces to a receiver whose sink takes
// pdata (the receiver's path before the wire reader) and to one whose
// sink takes batches undecoded (countSink, the wire reader's path), and
// fails unless the answers, the refusals counted and the spans taken are
// the same.
func sameAnswerAsPdata(t *testing.T, contentType string, body []byte) {
	t.Helper()
	pdata, wire := &retainSink{}, &countSink{}
	post := func(sink Sink) (*httptest.ResponseRecorder, map[string]int) {
		r := New(Config{MaxBodyBytes: 1 << 20}, sink)
		req := httptest.NewRequest(http.MethodPost, PathTraces, bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()
		r.handler().ServeHTTP(w, req)
		return w, r.Refusals()
	}
	pw, pRefused := post(pdata)
	ww, wRefused := post(wire)
	if pw.Code != ww.Code || !bytes.Equal(pw.Body.Bytes(), ww.Body.Bytes()) {
		t.Fatalf("pdata path: %d %q; wire path: %d %q", pw.Code, pw.Body.Bytes(), ww.Code, ww.Body.Bytes())
	}
	if !maps.Equal(pRefused, wRefused) {
		t.Fatalf("pdata path refused %v, wire path %v", pRefused, wRefused)
	}
	var pdataSpans int
	for _, td := range pdata.traces {
		pdataSpans += td.SpanCount()
	}
	if wireSpans, _, _ := wire.counts(); pdataSpans != wireSpans {
		t.Fatalf("pdata path took %d spans, wire path %d", pdataSpans, wireSpans)
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
