package receiver

import (
	"crypto/subtle"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/agentops-dev/agentops/internal/otlpwire"
)

// Paths of the OTLP/HTTP signals (OTLP spec, "OTLP/HTTP Request").
const (
	PathTraces  = "/v1/traces"
	PathLogs    = "/v1/logs"
	PathMetrics = "/v1/metrics"
)

// signalFunc decodes a request body with enc, exports it and returns the
// encoded response.
type signalFunc func(r *Receiver, req *http.Request, enc encoder, body []byte) ([]byte, error)

// handler routes gRPC (HTTP/2 with an application/grpc content type) to
// serveGRPC and everything else to the OTLP/HTTP handlers.
func (r *Receiver) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(PathTraces, r.signalHandler(httpTraces))
	mux.Handle(PathLogs, r.signalHandler(httpLogs))
	mux.Handle(PathMetrics, r.signalHandler(httpMetrics))
	for pattern, h := range r.cfg.Routes {
		mux.Handle(pattern, h)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, req *http.Request) {
		enc, _ := encoderFor(req.Header.Get("Content-Type"))
		r.writeStatus(w, enc, http.StatusNotFound, fmt.Sprintf("unknown path %q: OTLP/HTTP paths are %s, %s and %s", req.URL.Path, PathTraces, PathLogs, PathMetrics))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.ProtoMajor == 2 && strings.HasPrefix(req.Header.Get("Content-Type"), "application/grpc") {
			r.serveGRPC(w, req)
			return
		}
		mux.ServeHTTP(w, req)
	})
}

// signalHandler checks a request in the order the OTLP/HTTP spec's failure
// table implies (method, token, content type, size, decoding) and answers
// every failure with a google.rpc.Status in the request's encoding.
func (r *Receiver) signalHandler(export signalFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		enc, ok := encoderFor(req.Header.Get("Content-Type"))
		if req.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			r.writeStatus(w, enc, http.StatusMethodNotAllowed, "method "+req.Method+" not allowed: OTLP/HTTP uses POST")
			return
		}
		if !r.authorized(req.Header.Get("Authorization")) {
			r.writeError(w, enc, fmt.Errorf("%w: send the OTEL_EXPORTER_OTLP_HEADERS this session injected", errUnauthenticated))
			return
		}
		if !ok {
			r.writeStatus(w, enc, http.StatusUnsupportedMediaType, fmt.Sprintf("unsupported content type %q: use %s or %s", req.Header.Get("Content-Type"), contentTypeProto, contentTypeJSON))
			return
		}
		body, err := r.readBody(w, req)
		if err != nil {
			r.writeError(w, enc, err)
			return
		}
		defer body.release()
		resp, err := export(r, req, enc, body.Bytes())
		if err != nil {
			r.writeError(w, enc, err)
			return
		}
		w.Header().Set("Content-Type", enc.contentType())
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(resp)
	})
}

// authorized reports whether an Authorization value carries the token:
// "Bearer <token>", or "Bearer%20<token>", which is what a client that
// reads OTEL_EXPORTER_OTLP_HEADERS literally sends for the injected
// "Authorization=Bearer%20<token>" (Claude Code does; the OTel SDKs
// percent-decode it as the specification says). The token itself is hex,
// so no other byte of the value can be read two ways.
func (r *Receiver) authorized(got string) bool {
	if r.cfg.Token == "" {
		return true
	}
	decoded := subtle.ConstantTimeCompare([]byte(got), []byte("Bearer "+r.cfg.Token))
	literal := subtle.ConstantTimeCompare([]byte(got), []byte("Bearer%20"+r.cfg.Token))
	return decoded|literal == 1
}

func httpTraces(r *Receiver, req *http.Request, enc encoder, body []byte) ([]byte, error) {
	var resp otlpwire.Partial
	var err error
	if _, isProto := enc.(protoEncoder); isProto {
		resp, err = r.tracesProto(req.Context(), body, httpUndecodable("traces"))
	} else {
		td, derr := enc.unmarshalTraces(body)
		if derr != nil {
			return nil, httpUndecodable("traces")(derr)
		}
		resp, err = r.exportTraces(req.Context(), td)
	}
	if err != nil {
		return nil, err
	}
	return enc.marshalResponse(resp, otlpwire.RejectedSpans), nil
}

func httpLogs(r *Receiver, req *http.Request, enc encoder, body []byte) ([]byte, error) {
	ld, err := enc.unmarshalLogs(body)
	if err != nil {
		return nil, httpUndecodable("logs")(err)
	}
	resp, err := r.exportLogs(req.Context(), ld)
	if err != nil {
		return nil, err
	}
	return enc.marshalResponse(resp, otlpwire.RejectedLogRecords), nil
}

func httpMetrics(r *Receiver, req *http.Request, enc encoder, body []byte) ([]byte, error) {
	md, err := enc.unmarshalMetrics(body)
	if err != nil {
		return nil, httpUndecodable("metrics")(err)
	}
	resp, err := r.exportMetrics(req.Context(), md)
	if err != nil {
		return nil, err
	}
	return enc.marshalResponse(resp, otlpwire.RejectedDataPoints), nil
}

// httpUndecodable is the error of an OTLP/HTTP request of signal the
// decoder refused: 400.
func httpUndecodable(signal string) func(error) error {
	return func(err error) error { return fmt.Errorf("%w: %s: %w", errDecode, signal, decodeError(err)) }
}

// encoderFor picks the encoding from a Content-Type, tolerating parameters
// such as "; charset=utf-8". Unknown types get protobuf (for the error
// body) and false.
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

// writeError answers with the status statusOf gives err.
func (r *Receiver) writeError(w http.ResponseWriter, enc encoder, err error) {
	httpStatus, _ := statusOf(err)
	r.writeStatusCounted(w, enc, httpStatus, err.Error(), refusalKey("HTTP "+strconv.Itoa(httpStatus), err))
}

// refusalKey is what a refusal is counted under: its answer, and the
// reason when the answer alone would not tell the user what to fix.
func refusalKey(answer string, err error) string {
	if isTooDeep(err) {
		return answer + " " + RefusedTooDeep
	}
	return answer
}

// writeStatus answers with a google.rpc.Status body in the request's
// encoding, as the OTLP/HTTP spec requires for failures ("Failures").
func (r *Receiver) writeStatus(w http.ResponseWriter, enc encoder, httpStatus int, msg string) {
	r.writeStatusCounted(w, enc, httpStatus, msg, "HTTP "+strconv.Itoa(httpStatus))
}

// writeStatusCounted is writeStatus counting the refusal under key.
func (r *Receiver) writeStatusCounted(w http.ResponseWriter, enc encoder, httpStatus int, msg, key string) {
	r.refused(key)
	// Decoder errors may quote the body; a status message is UTF-8.
	msg = strings.ToValidUTF8(msg, "\uFFFD")
	body := enc.marshalStatus(otlpwire.Status{Code: grpcCode(httpStatus), Message: msg})
	w.Header().Set("Content-Type", enc.contentType())
	if httpStatus == http.StatusServiceUnavailable {
		// Retryable: tell the client when (OTLP spec, "Throttling").
		w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter/time.Second)))
	}
	w.WriteHeader(httpStatus)
	_, _ = w.Write(body)
}

// grpcCode is the google.rpc.Status code carried in an HTTP error body.
func grpcCode(httpStatus int) otlpwire.Code {
	switch httpStatus {
	case http.StatusBadRequest, http.StatusUnsupportedMediaType:
		return otlpwire.InvalidArgument
	case http.StatusUnauthorized:
		return otlpwire.Unauthenticated
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		return otlpwire.Unimplemented
	case http.StatusRequestEntityTooLarge:
		return otlpwire.ResourceExhausted
	case http.StatusServiceUnavailable:
		return otlpwire.Unavailable
	}
	return otlpwire.Unknown
}
