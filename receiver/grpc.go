package receiver

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // gzip-compressed OTLP/gRPC (OTEL_EXPORTER_OTLP_COMPRESSION=gzip)
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
)

// newGRPCServer returns the gRPC server for OTLP/gRPC, served through
// ServeHTTP on the receiver's port. Its message limit applies after
// decompression, like the HTTP body limit, and an oversized message gets
// RESOURCE_EXHAUSTED from gRPC itself.
func (r *Receiver) newGRPCServer() *grpc.Server {
	limit := int(min(r.cfg.MaxBodyBytes, int64(^uint32(0)>>1)))
	s := grpc.NewServer(
		grpc.MaxRecvMsgSize(limit),
		grpc.StatsHandler(grpcRefusals{r}),
		// Shutdown's Stop then waits for every RPC's end to be counted.
		grpc.WaitForHandlers(true),
		grpc.UnknownServiceHandler(func(any, grpc.ServerStream) error {
			return status.Error(codes.Unimplemented, "unknown service: OTLP/gRPC has the TraceService, LogsService and MetricsService of opentelemetry.proto.collector.*.v1")
		}),
	)
	ptraceotlp.RegisterGRPCServer(s, &tracesService{r: r})
	plogotlp.RegisterGRPCServer(s, &logsService{r: r})
	pmetricotlp.RegisterGRPCServer(s, &metricsService{r: r})
	return s
}

// serveGRPC checks the bearer token before gRPC reads the message, so a
// stranger cannot make the receiver decode anything, and reserves the
// message's size from the in-flight budget (admitGRPC); a refusal is a
// trailers-only response.
func (r *Receiver) serveGRPC(w http.ResponseWriter, req *http.Request) {
	if !r.authorized(req.Header.Get("Authorization")) {
		r.writeGRPCStatus(w, fmt.Errorf("%w: send the OTEL_EXPORTER_OTLP_HEADERS this session injected", errUnauthenticated))
		return
	}
	admitted, err := r.admitGRPC(req)
	if err != nil {
		r.writeGRPCStatus(w, err)
		return
	}
	defer admitted.release()
	// A client that hangs up right after sending (an agent exiting without
	// waiting for the answer) cancels the request's context, and gRPC would
	// then drop a message it has already received in full. Served without
	// that cancellation, it reaches the Sink, as an OTLP/HTTP request does.
	// ServeHTTP returns once the RPC has ended and gRPC has stopped reading.
	req = req.WithContext(context.WithoutCancel(req.Context()))
	req.Body = admitted.body
	r.grpc.ServeHTTP(w, req)
}

// writeGRPCStatus answers a gRPC request that never reached gRPC with a
// trailers-only response carrying err's status, and counts the refusal.
func (r *Receiver) writeGRPCStatus(w http.ResponseWriter, err error) {
	st := grpcStatus(err)
	r.refused(refusalKey("gRPC "+st.Code().String(), err))
	h := w.Header()
	h.Set("Content-Type", "application/grpc")
	h.Set("Grpc-Status", strconv.Itoa(int(st.Code())))
	h.Set("Grpc-Message", percentEncode(st.Message()))
	if len(st.Proto().GetDetails()) > 0 {
		if b, err := proto.Marshal(st.Proto()); err == nil {
			h.Set("Grpc-Status-Details-Bin", base64.RawStdEncoding.EncodeToString(b))
		}
	}
	w.WriteHeader(http.StatusOK)
}

// percentEncode encodes a Grpc-Message value as gRPC over HTTP/2 requires:
// bytes outside printable ASCII, and '%', percent-encoded.
func percentEncode(msg string) string {
	var b strings.Builder
	for i := 0; i < len(msg); i++ {
		if c := msg[i]; c >= ' ' && c <= '~' && c != '%' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// grpcError turns an export error into a gRPC status.
func grpcError(err error) error {
	if err == nil {
		return nil
	}
	return grpcStatus(err).Err()
}

// grpcStatus is err's gRPC status (statusOf's code). A retryable one
// carries RetryInfo, as OTLP asks of a server that cannot take more for
// now (OTLP spec, "OTLP/gRPC Throttling"): the gRPC form of HTTP's
// Retry-After.
func grpcStatus(err error) *status.Status {
	_, code := statusOf(err)
	st := status.New(code, err.Error())
	if code == codes.Unavailable {
		if withRetry, derr := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(retryAfter)}); derr == nil {
			st = withRetry
		}
	}
	return st
}

type tracesService struct {
	ptraceotlp.UnimplementedGRPCServer
	r *Receiver
}

func (s tracesService) Export(ctx context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	resp, err := s.r.exportTraces(ctx, req)
	return resp, grpcError(err)
}

type logsService struct {
	plogotlp.UnimplementedGRPCServer
	r *Receiver
}

func (s logsService) Export(ctx context.Context, req plogotlp.ExportRequest) (plogotlp.ExportResponse, error) {
	resp, err := s.r.exportLogs(ctx, req)
	return resp, grpcError(err)
}

type metricsService struct {
	pmetricotlp.UnimplementedGRPCServer
	r *Receiver
}

func (s metricsService) Export(ctx context.Context, req pmetricotlp.ExportRequest) (pmetricotlp.ExportResponse, error) {
	resp, err := s.r.exportMetrics(ctx, req)
	return resp, grpcError(err)
}

// grpcRefusals counts the RPCs that ended in an error, including those gRPC
// refused itself (undecodable or oversized messages) before our code ran.
type grpcRefusals struct{ r *Receiver }

func (g grpcRefusals) HandleRPC(_ context.Context, s stats.RPCStats) {
	if end, ok := s.(*stats.End); ok && end.Error != nil {
		key := "gRPC " + status.Code(end.Error).String()
		if strings.Contains(status.Convert(end.Error).Message(), errTooDeep.Error()) {
			key += " " + RefusedTooDeep
		}
		g.r.refused(key)
	}
}
func (grpcRefusals) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context   { return ctx }
func (grpcRefusals) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (grpcRefusals) HandleConn(context.Context, stats.ConnStats)                       {}
