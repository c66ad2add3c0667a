package exporter

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/agentops-dev/agentops/internal/otlpwire"
)

// OTLP/gRPC is spoken here over net/http's HTTP/2 client, without grpc-go
// (whose packages, with the protobuf runtime they bring, cost every
// agentops start-up ~1.7 ms): one unary call is one HTTP/2 POST carrying
// one length-prefixed message, answered by headers, one message and
// trailers, or by trailers only (gRPC over HTTP/2, PROTOCOL-HTTP2.md).

// grpcPaths are the Export methods of the OTLP collector services, by
// signal (opentelemetry-proto, opentelemetry/proto/collector/*).
var grpcPaths = [3]string{
	Traces:  "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
	Logs:    "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
	Metrics: "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
}

// grpcMaxResponse bounds a response message, compressed or not: grpc-go's
// default receive limit (an OTLP answer is a few bytes).
const grpcMaxResponse = 4 << 20

// grpcTarget is one gRPC server: its origin and the HTTP/2 client (one
// transport, its connections reused) that reaches it.
type grpcTarget struct {
	origin string
	client *http.Client
}

// newGRPCTarget makes the client of target: http:// is HTTP/2 over
// cleartext with prior knowledge (no HTTP/1, no upgrade), https:// is TLS
// with ALPN h2 (a server that does not pick h2 is refused, as grpc-go
// refuses it) and the system roots unless tlsConf says otherwise. Both go
// through the CONNECT proxy that proxy names for https://host:port, as
// grpc-go goes through HTTPS_PROXY for every target; loopback never does.
func newGRPCTarget(u *url.URL, tlsConf *tls.Config, proxy func(*http.Request) (*url.URL, error)) *grpcTarget {
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	t := &http.Transport{
		DialContext:         dialer.DialContext,
		TLSHandshakeTimeout: 10 * time.Second,
		IdleConnTimeout:     90 * time.Second,
		// gRPC compresses messages, not the HTTP body.
		DisableCompression: true,
	}
	var p http.Protocols
	if u.Scheme == "https" {
		p.SetHTTP2(true)
		conf := &tls.Config{MinVersion: tls.VersionTLS12}
		if tlsConf != nil {
			conf = tlsConf.Clone()
		}
		conf.NextProtos = []string{"h2"}
		t.TLSClientConfig = conf
		t.Proxy = proxy
		t.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&tls.Dialer{NetDialer: dialer, Config: conf}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			if c.(*tls.Conn).ConnectionState().NegotiatedProtocol != "h2" {
				c.Close()
				return nil, fmt.Errorf("%s does not speak HTTP/2 over TLS (ALPN h2): is it a gRPC server?", addr)
			}
			return c, nil
		}
	} else {
		p.SetUnencryptedHTTP2(true)
		// net/http would forward an http:// request to a proxy rather
		// than tunnel it: the tunnel is made here.
		t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialTunnel(ctx, dialer, proxy, network, addr)
		}
	}
	t.Protocols = &p
	return &grpcTarget{origin: u.Scheme + "://" + u.Host, client: &http.Client{Transport: t}}
}

// dialTunnel dials addr, through a CONNECT tunnel when proxy names an
// http:// proxy for https://addr (grpc-go's proxy mapper asks
// ProxyFromEnvironment the same question for every target).
func dialTunnel(ctx context.Context, d *net.Dialer, proxy func(*http.Request) (*url.URL, error), network, addr string) (net.Conn, error) {
	pu, err := proxy(&http.Request{URL: &url.URL{Scheme: "https", Host: addr}})
	if err != nil || pu == nil {
		if err != nil {
			return nil, fmt.Errorf("proxy for %s: %w", addr, err)
		}
		return d.DialContext(ctx, network, addr)
	}
	if pu.Scheme != "http" {
		return nil, fmt.Errorf("proxy %s: only an http:// proxy can tunnel cleartext gRPC (fix HTTPS_PROXY)", RedactURL(pu.String()))
	}
	host := pu.Host
	if pu.Port() == "" {
		host = net.JoinHostPort(pu.Hostname(), "80")
	}
	c, err := d.DialContext(ctx, network, host)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: addr}, Host: addr, Header: http.Header{}}
	if pu.User != nil {
		pw, _ := pu.User.Password()
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(pu.User.Username()+":"+pw)))
	}
	br := bufio.NewReader(c)
	err = req.Write(c)
	var resp *http.Response
	if err == nil {
		resp, err = http.ReadResponse(br, req)
	}
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("proxy %s answered CONNECT with %s", RedactURL(pu.String()), resp.Status)
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("tunnel to %s: %w", addr, err)
	}
	_ = c.SetDeadline(time.Time{})
	return &tunnelConn{Conn: c, r: br}, nil
}

// tunnelConn reads what the proxy's reader already buffered (the server's
// first frames may come with the proxy's answer) before the connection.
type tunnelConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *tunnelConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// grpcTarget returns the client of target, made on first use.
func (o *OTLP) grpcTarget(target string) (*grpcTarget, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if g, ok := o.conns[target]; ok {
		return g, nil
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("gRPC target %s: %w", RedactURL(target), err)
	}
	proxy := o.grpcProxy
	if proxy == nil {
		proxy = http.ProxyFromEnvironment
	}
	g := newGRPCTarget(u, o.grpcTLS, proxy)
	o.conns[target] = g
	return g, nil
}

// grpcExport makes one OTLP/gRPC Export call of msg (the serialized
// Export*ServiceRequest) and classifies its status for the pipeline's
// retries (OTLP specification, "OTLP/gRPC Response": which codes are
// retryable; "OTLP/gRPC Throttling": RetryInfo).
func (o *OTLP) grpcExport(ctx context.Context, e *SignalEndpoint, sig Signal, msg []byte) error {
	g, err := o.grpcTarget(e.URL)
	if err != nil {
		return Permanent(err)
	}
	ctx, cancel := context.WithTimeout(ctx, e.Timeout)
	defer cancel()
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(w httptrace.WroteRequestInfo) { wrote.Store(w.Err == nil) }})
	st, reply := g.call(ctx, grpcPaths[sig], msg, e)
	if st.Code == otlpwire.OK {
		p, err := otlpwire.ParsePartial(reply, false)
		if err != nil {
			return Permanent(fmt.Errorf("%s export: gRPC %s: unreadable response: %w", sig, otlpwire.Internal, err))
		}
		if p.Rejected > 0 {
			return &PartialError{Rejected: p.Rejected, Message: p.Message}
		}
		return nil
	}
	err = fmt.Errorf("%s export: gRPC %s: %s", sig, st.Code, st.Message)
	switch st.Code {
	case otlpwire.DeadlineExceeded, otlpwire.Canceled:
		if ctx.Err() != nil && wrote.Load() {
			// The whole request went out; the answer did not come back.
			return inDoubt(err)
		}
		return err
	case otlpwire.Unavailable, otlpwire.Aborted, otlpwire.OutOfRange, otlpwire.DataLoss:
		if st.Retry {
			return RetryAfter(err, st.RetryDelay)
		}
		return err
	case otlpwire.ResourceExhausted:
		// Retryable only when the server says when (OTLP specification,
		// "OTLP/gRPC Response").
		if st.Retry {
			return RetryAfter(err, st.RetryDelay)
		}
	}
	return Permanent(err)
}

// call sends msg to path and returns the call's status and, when it is
// OK, the response message.
func (g *grpcTarget) call(ctx context.Context, path string, msg []byte, e *SignalEndpoint) (otlpwire.Status, []byte) {
	dl, _ := ctx.Deadline()
	left := time.Until(dl)
	if left <= 0 {
		return otlpwire.Status{Code: otlpwire.DeadlineExceeded, Message: "context deadline exceeded"}, nil
	}
	gz := e.Compression != "none"
	if gz {
		msg = gzipBytes(msg)
	}
	frame := otlpwire.AppendFrame(make([]byte, 0, 5+len(msg)), msg, gz)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.origin+path, bytes.NewReader(frame))
	if err != nil {
		return otlpwire.Status{Code: otlpwire.Internal, Message: err.Error()}, nil
	}
	if err := setGRPCHeaders(req.Header, e.Headers, gz, left); err != nil {
		return otlpwire.Status{Code: otlpwire.Internal, Message: err.Error()}, nil
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return transportStatus(ctx, err), nil
	}
	defer resp.Body.Close()
	return readGRPCResponse(ctx, resp)
}

// grpcReserved are the header names gRPC itself sets: metadata of these
// names is not sent, as grpc-go does not send it.
var grpcReserved = map[string]bool{
	"content-type": true, "user-agent": true, "te": true, "grpc-timeout": true,
	"grpc-encoding": true, "grpc-accept-encoding": true, "grpc-message-type": true,
	"grpc-status": true, "grpc-message": true, "grpc-status-details-bin": true,
}

// setGRPCHeaders writes the call definition and the metadata (the
// endpoint's headers, names lower-cased; "-bin" values base64, as the
// spec's Binary-Header says) into h.
func setGRPCHeaders(h http.Header, md map[string]string, gz bool, timeout time.Duration) error {
	h["Content-Type"] = []string{"application/grpc"}
	h["Te"] = []string{"trailers"}
	h["User-Agent"] = []string{"agentops-otlpgrpc"}
	h["Grpc-Timeout"] = []string{otlpwire.FormatTimeout(timeout)}
	h["Grpc-Accept-Encoding"] = []string{"gzip"}
	if gz {
		h["Grpc-Encoding"] = []string{"gzip"}
	}
	for k, v := range md {
		k = strings.ToLower(k)
		if grpcReserved[k] || strings.HasPrefix(k, ":") {
			continue
		}
		if !validMetadataKey(k) {
			return fmt.Errorf("header %q: a gRPC metadata name has only 0-9 a-z _ - . (fix the OTLP headers)", k)
		}
		if strings.HasSuffix(k, "-bin") {
			v = base64.RawStdEncoding.EncodeToString([]byte(v))
		} else if !printableASCII(v) {
			return fmt.Errorf("header %s: a gRPC metadata value has only printable ASCII (name it ...-bin to send bytes)", k)
		}
		h[k] = append(h[k], v)
	}
	return nil
}

// validMetadataKey: Header-Name → 1*( %x30-39 / %x61-7A / "_" / "-" / ".")
// (PROTOCOL-HTTP2.md, Custom-Metadata).
func validMetadataKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// printableASCII: ASCII-Value → 1*( %x20-%x7E ) (PROTOCOL-HTTP2.md,
// Custom-Metadata), which grpc-go's client checks before sending.
func printableASCII(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return false
		}
	}
	return true
}

// readGRPCResponse reads a unary call's answer: Response-Headers, one
// message and Trailers, or Trailers-Only.
func readGRPCResponse(ctx context.Context, resp *http.Response) (otlpwire.Status, []byte) {
	if st, ok := nonGRPCResponse(resp); ok {
		return st, nil
	}
	if st, ok, err := otlpwire.ReadStatus(resp.Header); ok || err != nil {
		return endStatus(st, err, nil)
	}
	body := &bodyReader{r: resp.Body}
	msg, compressed, err := otlpwire.ReadFrame(body, grpcMaxResponse)
	switch {
	case errors.Is(err, io.EOF) && body.err == nil:
		msg = nil
	case err != nil:
		return readFailure(ctx, body, err), nil
	default:
		// A unary call has one response message; what follows is the end
		// of the stream and the trailers.
		if _, _, err := otlpwire.ReadFrame(body, grpcMaxResponse); err == nil {
			return otlpwire.Status{Code: otlpwire.Internal, Message: "cardinality violation: more than one response message to a unary call"}, nil
		} else if !errors.Is(err, io.EOF) || body.err != nil {
			return readFailure(ctx, body, err), nil
		}
	}
	st, ok, err := otlpwire.ReadStatus(resp.Trailer)
	if !ok && err == nil {
		return otlpwire.Status{Code: otlpwire.Internal, Message: "server closed the stream without sending trailers"}, nil
	}
	if err == nil && st.Code == otlpwire.OK && compressed {
		if msg, err = decompress(resp.Header.Get("Grpc-Encoding"), msg); err != nil {
			return otlpwire.Status{Code: otlpwire.Internal, Message: err.Error()}, nil
		}
	}
	return endStatus(st, err, msg)
}

// endStatus is the call's status from its trailers (or Trailers-Only):
// OK needs the one response message a unary call has.
func endStatus(st otlpwire.Status, err error, msg []byte) (otlpwire.Status, []byte) {
	switch {
	case err != nil:
		return otlpwire.Status{Code: otlpwire.Internal, Message: "malformed trailers: " + err.Error()}, nil
	case st.Code == otlpwire.OK && msg == nil:
		return otlpwire.Status{Code: otlpwire.Internal, Message: "cardinality violation: no response message to a unary call"}, nil
	case st.Code != otlpwire.OK:
		return st, nil
	}
	return st, msg
}

// nonGRPCResponse synthesizes the status of an answer that is not gRPC (a
// proxy's error page, an HTTP/1 server): from its HTTP status, as grpc-go
// maps it (PROTOCOL-HTTP2.md, Responses: "Implementations must synthesize
// a Status").
func nonGRPCResponse(resp *http.Response) (otlpwire.Status, bool) {
	ct := resp.Header.Get("Content-Type")
	isGRPC := ct == "application/grpc" || strings.HasPrefix(ct, "application/grpc+") || strings.HasPrefix(ct, "application/grpc;")
	if resp.StatusCode == http.StatusOK && isGRPC {
		if resp.ProtoMajor != 2 {
			return otlpwire.Status{Code: otlpwire.Unavailable, Message: "the server answered over HTTP/1, not HTTP/2 (is it a gRPC server?)"}, true
		}
		return otlpwire.Status{}, false
	}
	code := otlpwire.Unknown
	switch resp.StatusCode {
	case http.StatusBadRequest:
		code = otlpwire.Internal
	case http.StatusUnauthorized:
		code = otlpwire.Unauthenticated
	case http.StatusForbidden:
		code = otlpwire.PermissionDenied
	case http.StatusNotFound:
		code = otlpwire.Unimplemented
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		code = otlpwire.Unavailable
	}
	msg := fmt.Sprintf("unexpected HTTP status code received from server: %d (%s)", resp.StatusCode, http.StatusText(resp.StatusCode))
	if !isGRPC {
		msg += fmt.Sprintf("; unexpected content-type %q", ct)
	}
	return otlpwire.Status{Code: code, Message: msg}, true
}

// decompress undoes the message encoding the server declared.
func decompress(encoding string, msg []byte) ([]byte, error) {
	if encoding != "gzip" {
		return nil, fmt.Errorf("compressed response message with grpc-encoding %q: only gzip is accepted", encoding)
	}
	zr, err := gzip.NewReader(bytes.NewReader(msg))
	if err != nil {
		return nil, fmt.Errorf("gzip response message: %w", err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, grpcMaxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("gzip response message: %w", err)
	}
	if len(out) > grpcMaxResponse {
		return nil, fmt.Errorf("response message over %d bytes once decompressed", grpcMaxResponse)
	}
	return out, nil
}

// bodyReader remembers the error the response body itself gave (a reset
// stream, a lost connection), to tell it from a framing error.
type bodyReader struct {
	r   io.Reader
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

func readFailure(ctx context.Context, body *bodyReader, err error) otlpwire.Status {
	switch {
	case body.err != nil:
		return transportStatus(ctx, body.err)
	case errors.Is(err, otlpwire.ErrTooLarge):
		// As grpc-go's client: a message over the receive limit.
		return otlpwire.Status{Code: otlpwire.ResourceExhausted, Message: "response " + err.Error()}
	}
	return otlpwire.Status{Code: otlpwire.Internal, Message: "malformed response message: " + err.Error()}
}

// streamError has the shape of net/http's HTTP/2 stream error (a
// RST_STREAM), which errors.As fills by field names.
type streamError struct {
	StreamID uint32
	Code     uint32
	Cause    error
}

func (e streamError) Error() string {
	return fmt.Sprintf("stream %d reset with code %d", e.StreamID, e.Code)
}

// transportStatus is the status of a call the transport failed: past the
// deadline DEADLINE_EXCEEDED, cancelled CANCELLED (PROTOCOL-HTTP2.md,
// "Client Cancellation"), a reset stream by the spec's RST_STREAM table,
// anything else (no connection, connection lost) UNAVAILABLE
// ("Connection failure").
func transportStatus(ctx context.Context, err error) otlpwire.Status {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return otlpwire.Status{Code: otlpwire.DeadlineExceeded, Message: "context deadline exceeded"}
	case ctx.Err() != nil:
		return otlpwire.Status{Code: otlpwire.Canceled, Message: "context canceled"}
	}
	var se streamError
	if errors.As(err, &se) {
		return otlpwire.Status{Code: rstStreamCode(se.Code), Message: err.Error()}
	}
	return otlpwire.Status{Code: otlpwire.Unavailable, Message: err.Error()}
}

// rstStreamCode maps an HTTP/2 RST_STREAM error code to a gRPC code
// (PROTOCOL-HTTP2.md, "Errors"; FLOW_CONTROL_ERROR as grpc-go maps it).
func rstStreamCode(c uint32) otlpwire.Code {
	switch c {
	case 0x3: // FLOW_CONTROL_ERROR
		return otlpwire.ResourceExhausted
	case 0x7: // REFUSED_STREAM: not processed, may be retried
		return otlpwire.Unavailable
	case 0x8: // CANCEL
		return otlpwire.Canceled
	case 0xb: // ENHANCE_YOUR_CALM
		return otlpwire.ResourceExhausted
	case 0xc: // INADEQUATE_SECURITY
		return otlpwire.PermissionDenied
	}
	return otlpwire.Internal
}
