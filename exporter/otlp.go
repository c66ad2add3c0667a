package exporter

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/internal/otlpwire"
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
// batch is encoded straight from pdata (ptrace.ProtoMarshaler and the
// like: an Export*ServiceRequest has the wire form of TracesData, LogsData
// and MetricsData): what the child sent is what the backend gets, every
// field included. Each export is one attempt; errors are classified for
// the pipeline's retries (OTLP specification, "Failures" and
// "Throttling").
type OTLP struct {
	ends   [3]*SignalEndpoint
	client *http.Client

	mu    sync.Mutex
	conns map[string]*grpcTarget
	// grpcTLS replaces the system roots' TLS settings of https:// gRPC
	// targets (tests: a server with a test certificate).
	grpcTLS *tls.Config
	// grpcProxy replaces http.ProxyFromEnvironment for gRPC targets
	// (tests: a proxy on loopback, which the environment never names).
	grpcProxy func(*http.Request) (*url.URL, error)
}

// NewOTLP builds an exporter for the signals that have an endpoint (nil
// entries are not carried). client may be nil.
func NewOTLP(traces, logs, metrics *SignalEndpoint, client *http.Client) (*OTLP, error) {
	o := &OTLP{ends: [3]*SignalEndpoint{traces, logs, metrics}, client: client, conns: map[string]*grpcTarget{}}
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
	return o.export(ctx, e, Traces, func(json bool) ([]byte, error) { return encodeTraces(td, json) })
}

// encodeTraces is the body of an export request of td: OTLP JSON or
// protobuf.
func encodeTraces(td ptrace.Traces, json bool) ([]byte, error) {
	if json {
		return (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	}
	return (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
}

// ExportLogs sends ld.
func (o *OTLP) ExportLogs(ctx context.Context, ld plog.Logs) error {
	e := o.ends[Logs]
	if e == nil {
		return nil
	}
	return o.export(ctx, e, Logs, func(json bool) ([]byte, error) { return encodeLogs(ld, json) })
}

// encodeLogs is the body of an export request of ld: OTLP JSON or
// protobuf.
func encodeLogs(ld plog.Logs, json bool) ([]byte, error) {
	if json {
		return (&plog.JSONMarshaler{}).MarshalLogs(ld)
	}
	return (&plog.ProtoMarshaler{}).MarshalLogs(ld)
}

// ExportMetrics sends md.
func (o *OTLP) ExportMetrics(ctx context.Context, md pmetric.Metrics) error {
	e := o.ends[Metrics]
	if e == nil {
		return nil
	}
	return o.export(ctx, e, Metrics, func(json bool) ([]byte, error) { return encodeMetrics(md, json) })
}

// encodeMetrics is the body of an export request of md: OTLP JSON or
// protobuf.
func encodeMetrics(md pmetric.Metrics, json bool) ([]byte, error) {
	if json {
		return (&pmetric.JSONMarshaler{}).MarshalMetrics(md)
	}
	return (&pmetric.ProtoMarshaler{}).MarshalMetrics(md)
}

// export encodes one batch as e wants it and sends it.
func (o *OTLP) export(ctx context.Context, e *SignalEndpoint, sig Signal, encode func(json bool) ([]byte, error)) error {
	body, err := encode(e.JSON && !e.GRPC)
	if err != nil {
		return Permanent(fmt.Errorf("%s export: encode OTLP: %w", sig, err))
	}
	if e.GRPC {
		return o.grpcExport(ctx, e, sig, body)
	}
	return o.post(ctx, e, body)
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

// post sends one OTLP/HTTP request of body.
func (o *OTLP) post(ctx context.Context, e *SignalEndpoint, body []byte) error {
	ctype := "application/x-protobuf"
	if e.JSON {
		ctype = "application/json"
	}
	gz := e.Compression != "none"
	if gz {
		body = gzipBytes(body)
	}
	ctx, cancel := context.WithTimeout(ctx, e.Timeout)
	defer cancel()
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(w httptrace.WroteRequestInfo) { wrote.Store(w.Err == nil) }})
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
		if wrote.Load() && ctx.Err() != nil {
			// The whole request went out; the answer did not come back.
			return inDoubt(err)
		}
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 == 2 {
		// An answer that cannot be read is no refusal: the batch was taken.
		if p, err := otlpwire.ParsePartial(b, e.JSON); err == nil && p.Rejected > 0 {
			return &PartialError{Rejected: p.Rejected, Message: p.Message}
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

// gzipBytes is b gzip-compressed at BestSpeed, by a pooled writer: the body
// of an OTLP/HTTP request, or the message of an OTLP/gRPC one.
func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(b) / 4)
	zw, ok := gzipPool.Get().(*gzip.Writer)
	if ok {
		zw.Reset(&buf)
	} else {
		zw, _ = gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	}
	_, _ = zw.Write(b)
	_ = zw.Close()
	gzipPool.Put(zw)
	return buf.Bytes()
}

// Shutdown closes the idle connections, gRPC and HTTP.
func (o *OTLP) Shutdown(context.Context) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for t, g := range o.conns {
		g.client.CloseIdleConnections()
		delete(o.conns, t)
	}
	o.client.CloseIdleConnections()
	return nil
}
