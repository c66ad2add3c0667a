package receiver

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/agentops-dev/agentops/internal/otlpwire"
)

// OTLP/gRPC is served by serveGRPC on net/http's HTTP/2, as gRPC over
// HTTP/2 lays it out (grpc/grpc, doc/PROTOCOL-HTTP2.md): a POST to
// /<service>/<method> with an application/grpc content type, one
// length-prefixed message each way, and the status in trailers (or alone
// in the headers when the RPC fails before an answer: "Trailers-Only").
// Where grpc-go's server, which served it before, answers a malformed RPC
// with a status of its own, serveGRPC answers with the same code and text.

// grpcExport exports one request message and returns the response's
// partial success.
type grpcExport func(r *Receiver, ctx context.Context, msg []byte) (otlpwire.Partial, error)

// grpcMethods are the Export methods of the three OTLP services
// (opentelemetry.proto.collector.*.v1), by path.
var grpcMethods = map[string]grpcExport{
	"/opentelemetry.proto.collector.trace.v1.TraceService/Export": func(r *Receiver, ctx context.Context, msg []byte) (otlpwire.Partial, error) {
		return r.tracesProto(ctx, msg, grpcUndecodable("traces"))
	},
	"/opentelemetry.proto.collector.logs.v1.LogsService/Export": func(r *Receiver, ctx context.Context, msg []byte) (otlpwire.Partial, error) {
		ld, err := unmarshalLogsProto(msg)
		if err != nil {
			return otlpwire.Partial{}, grpcUndecodable("logs")(err)
		}
		return r.exportLogs(ctx, ld)
	},
	"/opentelemetry.proto.collector.metrics.v1.MetricsService/Export": func(r *Receiver, ctx context.Context, msg []byte) (otlpwire.Partial, error) {
		md, err := unmarshalMetricsProto(msg)
		if err != nil {
			return otlpwire.Partial{}, grpcUndecodable("metrics")(err)
		}
		return r.exportMetrics(ctx, md)
	},
}

// grpcUndecodable is the error of a message of signal pdata cannot
// decode: INTERNAL, as grpc-go's codec answered (not retryable, which is
// what matters to clients), but for one nested deeper than pdata
// decodes, which gets the nesting limit's answer, as over OTLP/HTTP.
func grpcUndecodable(signal string) func(error) error {
	return func(err error) error {
		if isTooDeep(decodeError(err)) {
			return httpUndecodable(signal)(err)
		}
		return grpcErrorf(otlpwire.Internal, "grpc: failed to unmarshal the received message: %v", err)
	}
}

// grpcErrorf is a gRPC status of the receiver's gRPC handling, such as
// grpc-go's server answers with.
func grpcErrorf(code otlpwire.Code, format string, args ...any) error {
	return otlpwire.Status{Code: code, Message: fmt.Sprintf(format, args...)}.Err()
}

// serveGRPC serves one OTLP/gRPC RPC. It checks the bearer token before it
// reads the message, so a stranger cannot make the receiver decode
// anything, and reserves the message's size from the in-flight budget
// (admitGRPC). Every RPC that does not end OK is counted as a refusal.
func (r *Receiver) serveGRPC(w http.ResponseWriter, req *http.Request) {
	if !r.authorized(req.Header.Get("Authorization")) {
		r.writeGRPCStatus(w, req, fmt.Errorf("%w: send the OTEL_EXPORTER_OTLP_HEADERS this session injected", errUnauthenticated))
		return
	}
	admitted, err := r.admitGRPC(req)
	if err != nil {
		r.writeGRPCStatus(w, req, err)
		return
	}
	defer admitted.release()
	ctx, cancel, ok := grpcRequest(w, req)
	if !ok {
		return
	}
	defer cancel()
	if enc := strings.TrimSpace(req.Header.Get("Grpc-Encoding")); enc != "" && enc != "identity" && !strings.EqualFold(enc, "gzip") {
		r.writeGRPCStatus(w, req, grpcErrorf(otlpwire.Unimplemented, "grpc: Decompressor is not installed for grpc-encoding %q", enc))
		return
	}
	export, ok := grpcMethods[req.URL.Path]
	if !ok {
		r.writeGRPCStatus(w, req, grpcErrorf(otlpwire.Unimplemented, "unknown service: OTLP/gRPC has the TraceService, LogsService and MetricsService of opentelemetry.proto.collector.*.v1"))
		return
	}
	msg, err := admitted.message(r.cfg.MaxBodyBytes)
	if err != nil {
		r.writeGRPCStatus(w, req, err)
		return
	}
	resp, err := export(r, ctx, msg)
	if err != nil {
		r.writeGRPCStatus(w, req, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", req.Header.Get("Content-Type"))
	grpcHeaders(h)
	h.Add("Trailer", otlpwire.HeaderStatus)
	h.Add("Trailer", otlpwire.HeaderMessage)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(otlpwire.AppendFrame(nil, resp.AppendProto(nil), false))
	// net/http sends the trailers when the handler returns, after the
	// budget is released (deferred above).
	otlpwire.Status{Code: otlpwire.OK}.Write(h)
}

// grpcRequest checks what grpc-go's HTTP handler transport checked before
// serving an RPC, answering as it did with a plain HTTP error, and returns
// the RPC's context. A client that hangs up right after sending (an agent
// exiting without waiting for the answer) cancels the request's context,
// which would drop a message received in full: the RPC's context is the
// request's without that cancellation, and with the client's grpc-timeout
// as its deadline.
func grpcRequest(w http.ResponseWriter, req *http.Request) (context.Context, context.CancelFunc, bool) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, fmt.Sprintf("invalid gRPC request method %q", req.Method), http.StatusMethodNotAllowed)
		return nil, nil, false
	}
	if ct := req.Header.Get("Content-Type"); !validGRPCContentType(ct) {
		http.Error(w, fmt.Sprintf("invalid gRPC request content-type %q", ct), http.StatusUnsupportedMediaType)
		return nil, nil, false
	}
	for k, vv := range req.Header {
		if !strings.HasSuffix(strings.ToLower(k), "-bin") {
			continue
		}
		for _, v := range vv {
			if err := validBinHeader(v); err != nil {
				http.Error(w, fmt.Sprintf("malformed binary metadata %q in header %q: %v", v, strings.ToLower(k), err), http.StatusBadRequest)
				return nil, nil, false
			}
		}
	}
	ctx := context.WithoutCancel(req.Context())
	if v := req.Header.Get("Grpc-Timeout"); v != "" {
		d, err := otlpwire.ParseTimeout(v)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return nil, nil, false
		}
		ctx, cancel := context.WithTimeout(ctx, d)
		return ctx, cancel, true
	}
	return ctx, func() {}, true
}

// validGRPCContentType: application/grpc, alone or with a subtype
// ("+proto") or parameters (gRPC over HTTP/2, "Content-Type").
func validGRPCContentType(ct string) bool {
	rest, ok := strings.CutPrefix(strings.ToLower(ct), "application/grpc")
	return ok && (rest == "" || rest[0] == '+' || rest[0] == ';')
}

// validBinHeader checks a -bin metadata value: base64, padded or not.
func validBinHeader(v string) error {
	var err error
	if len(v)%4 == 0 {
		_, err = base64.StdEncoding.DecodeString(v)
	} else {
		_, err = base64.RawStdEncoding.DecodeString(v)
	}
	return err
}

// writeGRPCStatus ends an RPC with err's status in a trailers-only
// response, and counts the refusal.
func (r *Receiver) writeGRPCStatus(w http.ResponseWriter, req *http.Request, err error) {
	st := grpcStatus(err)
	r.refused(refusalKey("gRPC "+st.Code.String(), err))
	h := w.Header()
	ct := req.Header.Get("Content-Type")
	if !validGRPCContentType(ct) {
		ct = "application/grpc"
	}
	h.Set("Content-Type", ct)
	grpcHeaders(h)
	st.Write(h)
	w.WriteHeader(http.StatusOK)
}

// grpcHeaders leaves out of a gRPC response the headers net/http would
// add and grpc-go's server never sent: Date, and the Content-Length of a
// response written whole before the handler returns.
func grpcHeaders(h http.Header) {
	h["Date"] = nil
	h["Content-Length"] = nil
}

// grpcStatus is err's gRPC status (statusOf's code). A retryable one
// carries RetryInfo, as OTLP asks of a server that cannot take more for
// now (OTLP spec, "OTLP/gRPC Throttling"): the gRPC form of HTTP's
// Retry-After.
func grpcStatus(err error) otlpwire.Status {
	_, code := statusOf(err)
	st := otlpwire.StatusOf(err)
	if st.Code != code {
		st = otlpwire.Status{Code: code, Message: err.Error()}
	}
	if code == otlpwire.Unavailable {
		st.Retry, st.RetryDelay = true, retryAfter
	}
	return st
}
