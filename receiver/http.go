package receiver

import (
	"compress/gzip"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
)

// Paths of the OTLP/HTTP signals (OTLP spec, "OTLP/HTTP Request").
const (
	PathTraces  = "/v1/traces"
	PathLogs    = "/v1/logs"
	PathMetrics = "/v1/metrics"
)

// exportFunc decodes one request body with enc, hands it to the sink and
// returns the encoded response.
type exportFunc func(r *http.Request, enc encoder, body []byte) ([]byte, error)

// errDecode marks a body that could not be decoded: a permanent 400.
var errDecode = errors.New("decode")

// errTooLarge marks a body above the size limit: 413.
var errTooLarge = errors.New("request body too large")

func (r *Receiver) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(PathTraces, r.signalHandler(r.exportTraces))
	mux.Handle(PathLogs, r.signalHandler(r.exportLogs))
	mux.Handle(PathMetrics, r.signalHandler(r.exportMetrics))
	mux.HandleFunc("/", func(w http.ResponseWriter, req *http.Request) {
		writeStatus(w, protoEncoder{}, http.StatusNotFound, fmt.Sprintf("unknown path %q: OTLP/HTTP paths are %s, %s and %s", req.URL.Path, PathTraces, PathLogs, PathMetrics))
	})
	return mux
}

func (r *Receiver) signalHandler(export exportFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		enc, ok := encoderFor(req.Header.Get("Content-Type"))
		if req.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeStatus(w, enc, http.StatusMethodNotAllowed, "method "+req.Method+" not allowed, use POST")
			return
		}
		if !r.authorized(req) {
			writeStatus(w, enc, http.StatusUnauthorized, "missing or wrong bearer token: send the OTEL_EXPORTER_OTLP_HEADERS this session injected")
			return
		}
		if !ok {
			writeStatus(w, protoEncoder{}, http.StatusUnsupportedMediaType, "unsupported content type "+req.Header.Get("Content-Type")+": use application/x-protobuf or application/json")
			return
		}
		body, err := r.readBody(w, req)
		if err != nil {
			status := http.StatusBadRequest
			if errors.Is(err, errTooLarge) {
				status = http.StatusRequestEntityTooLarge
			}
			writeStatus(w, enc, status, err.Error())
			return
		}
		resp, err := export(req, enc, body)
		if err != nil {
			status := http.StatusServiceUnavailable
			if errors.Is(err, errDecode) {
				status = http.StatusBadRequest
			}
			writeStatus(w, enc, status, err.Error())
			return
		}
		w.Header().Set("Content-Type", enc.contentType())
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(resp)
	})
}

func (r *Receiver) authorized(req *http.Request) bool {
	if r.cfg.Token == "" {
		return true
	}
	got := req.Header.Get("Authorization")
	want := "Bearer " + r.cfg.Token
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// readBody reads the body, inflating gzip, and refuses anything larger than
// the limit after decompression without inflating past it (a gzip bomb costs
// at most MaxBodyBytes).
func (r *Receiver) readBody(w http.ResponseWriter, req *http.Request) ([]byte, error) {
	limit := r.cfg.MaxBodyBytes
	var src io.Reader = http.MaxBytesReader(w, req.Body, limit)
	switch enc := strings.ToLower(strings.TrimSpace(req.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, fmt.Errorf("%w: gzip body: %v", errDecode, err)
		}
		defer zr.Close()
		src = zr
	default:
		return nil, fmt.Errorf("%w: unsupported Content-Encoding %q: use gzip or none", errDecode, enc)
	}
	body, err := io.ReadAll(io.LimitReader(src, limit+1))
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr) || int64(len(body)) > limit:
		return nil, fmt.Errorf("%w: limit is %d bytes after decompression", errTooLarge, limit)
	case err != nil:
		return nil, fmt.Errorf("%w: read body: %v", errDecode, err)
	}
	return body, nil
}

func (r *Receiver) exportTraces(req *http.Request, enc encoder, body []byte) ([]byte, error) {
	er := ptraceotlp.NewExportRequest()
	if err := enc.unmarshalTraces(er, body); err != nil {
		return nil, fmt.Errorf("%w: traces: %v", errDecode, err)
	}
	if err := r.sink.ConsumeTraces(req.Context(), er.Traces()); err != nil {
		return nil, err
	}
	return enc.marshalTracesResponse(ptraceotlp.NewExportResponse())
}

func (r *Receiver) exportLogs(req *http.Request, enc encoder, body []byte) ([]byte, error) {
	er := plogotlp.NewExportRequest()
	if err := enc.unmarshalLogs(er, body); err != nil {
		return nil, fmt.Errorf("%w: logs: %v", errDecode, err)
	}
	if err := r.sink.ConsumeLogs(req.Context(), er.Logs()); err != nil {
		return nil, err
	}
	return enc.marshalLogsResponse(plogotlp.NewExportResponse())
}

func (r *Receiver) exportMetrics(req *http.Request, enc encoder, body []byte) ([]byte, error) {
	er := pmetricotlp.NewExportRequest()
	if err := enc.unmarshalMetrics(er, body); err != nil {
		return nil, fmt.Errorf("%w: metrics: %v", errDecode, err)
	}
	if err := r.sink.ConsumeMetrics(req.Context(), er.Metrics()); err != nil {
		return nil, err
	}
	return enc.marshalMetricsResponse(pmetricotlp.NewExportResponse())
}

// encoderFor picks the encoding from a Content-Type, tolerating parameters
// such as "; charset=utf-8".
func encoderFor(contentType string) (encoder, bool) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return protoEncoder{}, false
	}
	switch mt {
	case contentTypeProto:
		return protoEncoder{}, true
	case contentTypeJSON:
		return jsonEncoder{}, true
	}
	return protoEncoder{}, false
}

// writeStatus answers with a google.rpc.Status body in the request's
// encoding, as the OTLP/HTTP spec requires for failures.
func writeStatus(w http.ResponseWriter, enc encoder, httpStatus int, msg string) {
	st := &spb.Status{Code: int32(grpcCode(httpStatus)), Message: msg}
	body, err := enc.marshalStatus(st)
	if err != nil {
		http.Error(w, msg, httpStatus)
		return
	}
	w.Header().Set("Content-Type", enc.contentType())
	if httpStatus == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(httpStatus)
	_, _ = w.Write(body)
}

func grpcCode(httpStatus int) codes.Code {
	switch httpStatus {
	case http.StatusBadRequest:
		return codes.InvalidArgument
	case http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		return codes.Unimplemented
	case http.StatusRequestEntityTooLarge:
		return codes.ResourceExhausted
	case http.StatusUnsupportedMediaType:
		return codes.InvalidArgument
	case http.StatusServiceUnavailable:
		return codes.Unavailable
	}
	return codes.Unknown
}
