package exporter

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// TestOTLPBodiesAsPdataOTLPEncodesThem: the request bodies, protobuf and
// JSON, are byte for byte what pdata's ptraceotlp/plogotlp/pmetricotlp
// export requests marshal to (which the exporter used before).
func TestOTLPBodiesAsPdataOTLPEncodesThem(t *testing.T) {
	td, ld, md := sampleTraces(), sampleLogs(), sampleMetrics()
	tr, lr, mr := ptraceotlp.NewExportRequestFromTraces(td), plogotlp.NewExportRequestFromLogs(ld), pmetricotlp.NewExportRequestFromMetrics(md)
	for _, json := range []bool{false, true} {
		for _, c := range []struct {
			sig       Signal
			ours      func(bool) ([]byte, error)
			pdataOTLP func() ([]byte, error)
		}{
			{Traces, func(j bool) ([]byte, error) { return encodeTraces(td, j) }, map[bool]func() ([]byte, error){false: tr.MarshalProto, true: tr.MarshalJSON}[json]},
			{Logs, func(j bool) ([]byte, error) { return encodeLogs(ld, j) }, map[bool]func() ([]byte, error){false: lr.MarshalProto, true: lr.MarshalJSON}[json]},
			{Metrics, func(j bool) ([]byte, error) { return encodeMetrics(md, j) }, map[bool]func() ([]byte, error){false: mr.MarshalProto, true: mr.MarshalJSON}[json]},
		} {
			got, err := c.ours(json)
			if err != nil {
				t.Fatal(err)
			}
			want, err := c.pdataOTLP()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s (json %v): body differs from the export request's marshalling:\n%q\n%q", c.sig, json, got, want)
			}
		}
	}
}

// TestOTLPHTTPPartialSuccess: an OTLP/HTTP partial success, protobuf or
// JSON, of each signal is a PartialError with the backend's count and
// message; a 200 without one is a success.
func TestOTLPHTTPPartialSuccess(t *testing.T) {
	for _, protocol := range []string{"http/protobuf", "http/json"} {
		t.Run(protocol, func(t *testing.T) {
			var rejected atomic.Int64
			rejected.Store(3)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				json := r.Header.Get("Content-Type") == "application/json"
				var marshal func() ([]byte, error)
				switch {
				case strings.HasSuffix(r.URL.Path, "/v1/traces"):
					resp := ptraceotlp.NewExportResponse()
					resp.PartialSuccess().SetRejectedSpans(rejected.Load())
					resp.PartialSuccess().SetErrorMessage("spans too old")
					marshal = map[bool]func() ([]byte, error){false: resp.MarshalProto, true: resp.MarshalJSON}[json]
				case strings.HasSuffix(r.URL.Path, "/v1/logs"):
					resp := plogotlp.NewExportResponse()
					resp.PartialSuccess().SetRejectedLogRecords(rejected.Load())
					resp.PartialSuccess().SetErrorMessage("logs too old")
					marshal = map[bool]func() ([]byte, error){false: resp.MarshalProto, true: resp.MarshalJSON}[json]
				default:
					resp := pmetricotlp.NewExportResponse()
					resp.PartialSuccess().SetRejectedDataPoints(rejected.Load())
					resp.PartialSuccess().SetErrorMessage("points too old")
					marshal = map[bool]func() ([]byte, error){false: resp.MarshalProto, true: resp.MarshalJSON}[json]
				}
				b, err := marshal()
				if err != nil {
					t.Error(err)
				}
				w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
				_, _ = w.Write(b)
			}))
			defer srv.Close()
			o, err := NewOTLPHTTP(srv.URL, Settings{Protocol: protocol}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer o.Shutdown(context.Background())
			_, _, _, errs := exportAll(t, o)
			for i, err := range errs {
				var p *PartialError
				want := map[Signal]string{Traces: "spans too old", Logs: "logs too old", Metrics: "points too old"}[Signal(i)]
				if !errors.As(err, &p) || p.Rejected != 3 || p.Message != want {
					t.Errorf("%s: %v, want 3 rejected: %s", Signal(i), err, want)
				}
			}
			rejected.Store(0)
			if _, _, _, errs := exportAll(t, o); errors.Join(errs...) != nil {
				t.Errorf("a response without rejections: %v", errors.Join(errs...))
			}
		})
	}
}
