package exporter

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	_ "google.golang.org/grpc/encoding/gzip" // registers the gzip compressor
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func init() {
	Register("otlp", Factory{
		Remote: true,
		Usage:  "OTLP/HTTP to URL (default http://localhost:4318): traces, logs and metrics to /v1/traces, /v1/logs, /v1/metrics; a URL with another path gets traces only",
		New: func(_ context.Context, target string, s Settings) (Exporter, error) {
			return NewOTLPHTTP(target, s, nil)
		},
	})
	Register("otlpgrpc", Factory{
		Remote: true,
		Usage:  "OTLP/gRPC to URL (default http://localhost:4317), traces, logs and metrics; http:// means no TLS",
		New: func(_ context.Context, target string, s Settings) (Exporter, error) {
			return NewOTLPGRPC(target, s)
		},
	})
}

// SignalEndpoint is where one signal goes and how.
type SignalEndpoint struct {
	// URL is the full OTLP/HTTP URL (with its /v1/<signal> path), or the
	// gRPC target as http(s)://host:port.
	URL string
	// GRPC sends with OTLP/gRPC instead of OTLP/HTTP.
	GRPC bool
	// JSON sends OTLP/HTTP JSON instead of protobuf.
	JSON        bool
	Headers     map[string]string
	Compression string // "gzip" or "none"
	Timeout     time.Duration
}

// OTLP sends each signal to its endpoint over OTLP/HTTP or OTLP/gRPC. A
// batch is encoded straight from pdata (ptraceotlp.NewExportRequestFromTraces
// and MarshalProto): what the child sent is what the backend gets, every
// field included. Each export is one attempt; errors are classified for
// the pipeline's retries (OTLP specification, "Failures" and
// "Throttling").
type OTLP struct {
	ends   [3]*SignalEndpoint
	client *http.Client

	mu    sync.Mutex
	conns map[string]*grpc.ClientConn
}

// NewOTLP builds an exporter for the signals that have an endpoint (nil
// entries are not carried). client may be nil.
func NewOTLP(traces, logs, metrics *SignalEndpoint, client *http.Client) (*OTLP, error) {
	o := &OTLP{ends: [3]*SignalEndpoint{traces, logs, metrics}, client: client, conns: map[string]*grpc.ClientConn{}}
	if o.client == nil {
		o.client = &http.Client{Transport: newTransport()}
	}
	for _, e := range o.ends {
		if e == nil {
			continue
		}
		if e.Timeout <= 0 {
			e.Timeout = 10 * time.Second
		}
		if u, err := url.Parse(e.URL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("bad URL %q: use http://host:port or https://host/path", RedactURL(e.URL))
		}
		if e.Compression != "" && e.Compression != "none" && e.Compression != "gzip" {
			return nil, fmt.Errorf("unknown compression %q: use gzip or none", e.Compression)
		}
		if e.GRPC {
			if _, err := o.conn(e.URL); err != nil {
				o.Shutdown(context.Background())
				return nil, err
			}
		}
	}
	return o, nil
}

// newTransport is http.DefaultTransport's settings with enough idle
// connections per host for the pipeline's concurrent senders.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return t
}

// NewOTLPHTTP builds the `otlp` exporter for target, configured only from
// target and s: our own OTEL_EXPORTER_OTLP_* variables (which may carry
// another session's token) never leak into it. A target without a path
// gets /v1/traces, /v1/logs and /v1/metrics, as OTEL_EXPORTER_OTLP_ENDPOINT
// does (exporter specification, "Endpoint URLs for OTLP/HTTP"); one ending
// in /v1/traces gets its siblings; any other path is used as it is, for
// traces only, like OTEL_EXPORTER_OTLP_TRACES_ENDPOINT.
func NewOTLPHTTP(target string, s Settings, client *http.Client) (*OTLP, error) {
	u, err := httpURL(target, "http://localhost:4318")
	if err != nil {
		return nil, err
	}
	mk := func(path string) *SignalEndpoint {
		v := *u
		v.Path = path
		return &SignalEndpoint{URL: v.String(), JSON: s.Protocol == "http/json", Headers: s.Headers, Compression: s.Compression, Timeout: s.timeout()}
	}
	p := strings.TrimRight(u.Path, "/")
	switch {
	case p == "" || strings.HasSuffix(p, "/v1/traces"):
		base := strings.TrimSuffix(p, "/v1/traces")
		return NewOTLP(mk(base+"/v1/traces"), mk(base+"/v1/logs"), mk(base+"/v1/metrics"), client)
	default:
		return NewOTLP(mk(u.Path), nil, nil, client)
	}
}

// NewOTLPGRPC builds the `otlpgrpc` exporter: all three signals over one
// connection; http:// means no TLS.
func NewOTLPGRPC(target string, s Settings) (*OTLP, error) {
	if target == "" {
		target = "http://localhost:4317"
	}
	if !strings.Contains(target, "://") {
		target = "http://" + target
	}
	if u, err := url.Parse(target); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("bad URL %q: use http://host:port (no TLS) or https://host:port", RedactURL(target))
	}
	e := &SignalEndpoint{URL: target, GRPC: true, Headers: s.Headers, Compression: s.Compression, Timeout: s.timeout()}
	e2, e3 := *e, *e
	return NewOTLP(e, &e2, &e3, nil)
}

// httpURL parses an OTLP/HTTP target; a bare host:port gets http://.
func httpURL(target, def string) (*url.URL, error) {
	if target == "" {
		target = def
	}
	if !strings.Contains(target, "://") {
		target = "http://" + target
	}
	u, err := url.Parse(target)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("bad URL %q: use http://host:port or https://host/path", RedactURL(target))
	}
	return u, nil
}

// Carries says whether signal s has an endpoint.
func (o *OTLP) Carries(s Signal) bool { return o.ends[s] != nil }

// Endpoint is where signal s goes, nil when it is not carried.
func (o *OTLP) Endpoint(s Signal) *SignalEndpoint { return o.ends[s] }

// ExportTraces sends td.
func (o *OTLP) ExportTraces(ctx context.Context, td ptrace.Traces) error {
	e := o.ends[Traces]
	if e == nil {
		return nil
	}
	req := ptraceotlp.NewExportRequestFromTraces(td)
	if e.GRPC {
		return o.grpcCall(ctx, e, func(ctx context.Context, cc *grpc.ClientConn, opts ...grpc.CallOption) (int64, string, error) {
			r, err := ptraceotlp.NewGRPCClient(cc).Export(ctx, req, opts...)
			if err != nil {
				return 0, "", err
			}
			return r.PartialSuccess().RejectedSpans(), r.PartialSuccess().ErrorMessage(), nil
		})
	}
	return o.post(ctx, e, req.MarshalProto, req.MarshalJSON, func(b []byte, json bool) (int64, string) {
		r := ptraceotlp.NewExportResponse()
		if unmarshalResponse(r.UnmarshalProto, r.UnmarshalJSON, b, json) != nil {
			return 0, ""
		}
		return r.PartialSuccess().RejectedSpans(), r.PartialSuccess().ErrorMessage()
	})
}

// ExportLogs sends ld.
func (o *OTLP) ExportLogs(ctx context.Context, ld plog.Logs) error {
	e := o.ends[Logs]
	if e == nil {
		return nil
	}
	req := plogotlp.NewExportRequestFromLogs(ld)
	if e.GRPC {
		return o.grpcCall(ctx, e, func(ctx context.Context, cc *grpc.ClientConn, opts ...grpc.CallOption) (int64, string, error) {
			r, err := plogotlp.NewGRPCClient(cc).Export(ctx, req, opts...)
			if err != nil {
				return 0, "", err
			}
			return r.PartialSuccess().RejectedLogRecords(), r.PartialSuccess().ErrorMessage(), nil
		})
	}
	return o.post(ctx, e, req.MarshalProto, req.MarshalJSON, func(b []byte, json bool) (int64, string) {
		r := plogotlp.NewExportResponse()
		if unmarshalResponse(r.UnmarshalProto, r.UnmarshalJSON, b, json) != nil {
			return 0, ""
		}
		return r.PartialSuccess().RejectedLogRecords(), r.PartialSuccess().ErrorMessage()
	})
}

// ExportMetrics sends md.
func (o *OTLP) ExportMetrics(ctx context.Context, md pmetric.Metrics) error {
	e := o.ends[Metrics]
	if e == nil {
		return nil
	}
	req := pmetricotlp.NewExportRequestFromMetrics(md)
	if e.GRPC {
		return o.grpcCall(ctx, e, func(ctx context.Context, cc *grpc.ClientConn, opts ...grpc.CallOption) (int64, string, error) {
			r, err := pmetricotlp.NewGRPCClient(cc).Export(ctx, req, opts...)
			if err != nil {
				return 0, "", err
			}
			return r.PartialSuccess().RejectedDataPoints(), r.PartialSuccess().ErrorMessage(), nil
		})
	}
	return o.post(ctx, e, req.MarshalProto, req.MarshalJSON, func(b []byte, json bool) (int64, string) {
		r := pmetricotlp.NewExportResponse()
		if unmarshalResponse(r.UnmarshalProto, r.UnmarshalJSON, b, json) != nil {
			return 0, ""
		}
		return r.PartialSuccess().RejectedDataPoints(), r.PartialSuccess().ErrorMessage()
	})
}

func unmarshalResponse(proto, json func([]byte) error, b []byte, isJSON bool) error {
	if len(b) == 0 {
		return errors.New("empty")
	}
	if isJSON {
		return json(b)
	}
	return proto(b)
}

// PartialError is a partial success: the backend kept the batch but for
// Rejected items, which it will never take (OTLP specification, "Partial
// Success"); they are not retried.
type PartialError struct {
	Rejected int64
	Message  string
}

func (p *PartialError) Error() string {
	return fmt.Sprintf("backend rejected %d item(s): %s", p.Rejected, p.Message)
}

// post sends one OTLP/HTTP request.
func (o *OTLP) post(ctx context.Context, e *SignalEndpoint, proto, jsonEnc func() ([]byte, error), partial func([]byte, bool) (int64, string)) error {
	enc, ctype := proto, "application/x-protobuf"
	if e.JSON {
		enc, ctype = jsonEnc, "application/json"
	}
	body, err := enc()
	if err != nil {
		return Permanent(fmt.Errorf("encode OTLP: %w", err))
	}
	gz := e.Compression != "none"
	if gz {
		var buf bytes.Buffer
		buf.Grow(len(body) / 4)
		zw := gzipWriter(&buf)
		_, _ = zw.Write(body)
		_ = zw.Close()
		gzipPool.Put(zw)
		body = buf.Bytes()
	}
	ctx, cancel := context.WithTimeout(ctx, e.Timeout)
	defer cancel()
	var wrote bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(w httptrace.WroteRequestInfo) { wrote = w.Err == nil }})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(body))
	if err != nil {
		return Permanent(err)
	}
	req.Header.Set("Content-Type", ctype)
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	for k, v := range e.Headers {
		req.Header.Set(k, v)
	}
	resp, err := o.client.Do(req)
	if err != nil {
		err = fmt.Errorf("%s export: %w", signalOfURL(e.URL), err)
		if wrote && ctx.Err() != nil {
			// The whole request went out; the answer did not come back.
			return inDoubt(err)
		}
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 == 2 {
		if n, msg := partial(b, e.JSON); n > 0 {
			return &PartialError{Rejected: n, Message: msg}
		}
		return nil
	}
	err = fmt.Errorf("%s export: %s %s: %s", signalOfURL(e.URL), e.URL, resp.Status, strings.TrimSpace(string(b[:min(len(b), 200)])))
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After")); ok {
			return RetryAfter(err, d)
		}
		return err
	}
	return Permanent(err)
}

func signalOfURL(u string) string {
	switch {
	case strings.HasSuffix(u, "/v1/logs"):
		return "logs"
	case strings.HasSuffix(u, "/v1/metrics"):
		return "metrics"
	}
	return "traces"
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date.
func parseRetryAfter(v string) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t)), true
	}
	return 0, false
}

var gzipPool sync.Pool

func gzipWriter(w io.Writer) *gzip.Writer {
	if zw, ok := gzipPool.Get().(*gzip.Writer); ok {
		zw.Reset(w)
		return zw
	}
	zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	return zw
}

// conn returns the gRPC connection of target, dialling it (lazily: no
// traffic until the first call) on first use.
func (o *OTLP) conn(target string) (*grpc.ClientConn, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if cc, ok := o.conns[target]; ok {
		return cc, nil
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	creds := insecure.NewCredentials()
	if u.Scheme == "https" {
		creds = credentials.NewClientTLSFromCert(nil, "")
	}
	cc, err := grpc.NewClient(u.Host, grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, fmt.Errorf("gRPC client for %s: %w", RedactURL(target), err)
	}
	o.conns[target] = cc
	return cc, nil
}

type grpcExport func(ctx context.Context, cc *grpc.ClientConn, opts ...grpc.CallOption) (rejected int64, msg string, err error)

// grpcCall makes one OTLP/gRPC export and classifies its status (OTLP
// specification, "OTLP/gRPC Response": which codes are retryable).
func (o *OTLP) grpcCall(ctx context.Context, e *SignalEndpoint, call grpcExport) error {
	cc, err := o.conn(e.URL)
	if err != nil {
		return Permanent(err)
	}
	ctx, cancel := context.WithTimeout(ctx, e.Timeout)
	defer cancel()
	if len(e.Headers) > 0 {
		md := metadata.MD{}
		for k, v := range e.Headers {
			md.Set(strings.ToLower(k), v)
		}
		ctx = metadata.NewOutgoingContext(ctx, md)
	}
	var opts []grpc.CallOption
	if e.Compression != "none" {
		opts = append(opts, grpc.UseCompressor("gzip"))
	}
	n, msg, err := call(ctx, cc, opts...)
	if err == nil {
		if n > 0 {
			return &PartialError{Rejected: n, Message: msg}
		}
		return nil
	}
	st := status.Convert(err)
	err = fmt.Errorf("%s export: gRPC %s: %s", e.signalName(o), st.Code(), st.Message())
	var retryAfter time.Duration
	hasRetryInfo := false
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok && ri.RetryDelay != nil {
			retryAfter, hasRetryInfo = ri.RetryDelay.AsDuration(), true
		}
	}
	switch st.Code() {
	case codes.DeadlineExceeded, codes.Canceled:
		// gRPC fails fast while the connection is down (UNAVAILABLE), so a
		// deadline means the message was on its way.
		if ctx.Err() != nil {
			return inDoubt(err)
		}
		return err
	case codes.Unavailable, codes.Aborted, codes.OutOfRange, codes.DataLoss:
		if hasRetryInfo {
			return RetryAfter(err, retryAfter)
		}
		return err
	case codes.ResourceExhausted:
		if hasRetryInfo {
			return RetryAfter(err, retryAfter)
		}
	}
	return Permanent(err)
}

func (e *SignalEndpoint) signalName(o *OTLP) string {
	for i, x := range o.ends {
		if x == e {
			return Signal(i).String()
		}
	}
	return "OTLP"
}

// Shutdown closes the gRPC connections and idle HTTP connections.
func (o *OTLP) Shutdown(context.Context) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	var errs []error
	for t, cc := range o.conns {
		errs = append(errs, cc.Close())
		delete(o.conns, t)
	}
	o.client.CloseIdleConnections()
	return errors.Join(errs...)
}
