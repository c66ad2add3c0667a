package exporter

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
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
	_ "google.golang.org/grpc/encoding/gzip" // the server takes and answers gzip
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/agentops-dev/agentops/internal/otlpwire"
)

// grpcGo is a real grpc-go OTLP server (pdata's RegisterGRPCServer, grpc-go's
// own HTTP/2 transport) on loopback: what it got, and how it answers.
type grpcGo struct {
	srv  *grpc.Server
	addr string

	mu    sync.Mutex
	conns int // connections grpc-go accepted
	// connEnded gets a value as each connection ends.
	connEnded chan struct{}
	traces    []ptrace.Traces
	logs      []plog.Logs
	metrics   []pmetric.Metrics
	md        []metadata.MD
	encoding  []string // the grpc-encoding of each call
	deadline  []bool   // whether each call had a deadline (grpc-timeout)
	// discard keeps nothing of the calls (benchmarks).
	discard bool
	// answer, when set, answers each call (after it is recorded).
	answer func(ctx context.Context) (rejected int64, msg string, err error)
}

// startGRPCGo starts a grpc-go server of the three OTLP services, over TLS
// when creds says so.
func startGRPCGo(t testing.TB, creds credentials.TransportCredentials) *grpcGo {
	t.Helper()
	return startGRPCGoServices(t, creds, true)
}

// startGRPCGoServices is startGRPCGo, the logs service left out (it
// answers UNIMPLEMENTED) unless logs.
func startGRPCGoServices(t testing.TB, creds credentials.TransportCredentials, logs bool) *grpcGo {
	t.Helper()
	g := &grpcGo{connEnded: make(chan struct{}, 16)}
	sopts := []grpc.ServerOption{grpc.StatsHandler(grpcGoStats{g})}
	if creds != nil {
		sopts = append(sopts, grpc.Creds(creds))
	}
	g.srv = grpc.NewServer(sopts...)
	ptraceotlp.RegisterGRPCServer(g.srv, &grpcGoTraces{g: g})
	if logs {
		plogotlp.RegisterGRPCServer(g.srv, &grpcGoLogs{g: g})
	}
	pmetricotlp.RegisterGRPCServer(g.srv, &grpcGoMetrics{g: g})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g.addr = ln.Addr().String()
	done := make(chan struct{})
	go func() { defer close(done); _ = g.srv.Serve(ln) }()
	t.Cleanup(func() { g.srv.Stop(); <-done })
	return g
}

func (g *grpcGo) record(ctx context.Context, add func()) (int64, string, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	_, hasDeadline := ctx.Deadline()
	g.mu.Lock()
	if !g.discard {
		add()
		g.md = append(g.md, md)
		g.deadline = append(g.deadline, hasDeadline)
	}
	answer := g.answer
	g.mu.Unlock()
	if answer == nil {
		return 0, "", nil
	}
	return answer(ctx)
}

type grpcGoTraces struct {
	ptraceotlp.UnimplementedGRPCServer
	g *grpcGo
}

type grpcGoLogs struct {
	plogotlp.UnimplementedGRPCServer
	g *grpcGo
}

type grpcGoMetrics struct {
	pmetricotlp.UnimplementedGRPCServer
	g *grpcGo
}

func (s *grpcGoTraces) Export(ctx context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	n, msg, err := s.g.record(ctx, func() { s.g.traces = append(s.g.traces, req.Traces()) })
	r := ptraceotlp.NewExportResponse()
	r.PartialSuccess().SetRejectedSpans(n)
	r.PartialSuccess().SetErrorMessage(msg)
	return r, err
}

func (s *grpcGoLogs) Export(ctx context.Context, req plogotlp.ExportRequest) (plogotlp.ExportResponse, error) {
	n, msg, err := s.g.record(ctx, func() { s.g.logs = append(s.g.logs, req.Logs()) })
	r := plogotlp.NewExportResponse()
	r.PartialSuccess().SetRejectedLogRecords(n)
	r.PartialSuccess().SetErrorMessage(msg)
	return r, err
}

func (s *grpcGoMetrics) Export(ctx context.Context, req pmetricotlp.ExportRequest) (pmetricotlp.ExportResponse, error) {
	n, msg, err := s.g.record(ctx, func() { s.g.metrics = append(s.g.metrics, req.Metrics()) })
	r := pmetricotlp.NewExportResponse()
	r.PartialSuccess().SetRejectedDataPoints(n)
	r.PartialSuccess().SetErrorMessage(msg)
	return r, err
}

// grpcGoStats records the message encoding of each call as grpc-go read it.
type grpcGoStats struct{ g *grpcGo }

func (grpcGoStats) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context   { return ctx }
func (grpcGoStats) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (s grpcGoStats) HandleConn(_ context.Context, st stats.ConnStats) {
	switch st.(type) {
	case *stats.ConnBegin:
		s.g.mu.Lock()
		s.g.conns++
		s.g.mu.Unlock()
	case *stats.ConnEnd:
		select {
		case s.g.connEnded <- struct{}{}:
		default:
		}
	}
}
func (s grpcGoStats) HandleRPC(_ context.Context, st stats.RPCStats) {
	if h, ok := st.(*stats.InHeader); ok {
		s.g.mu.Lock()
		defer s.g.mu.Unlock()
		if s.g.discard {
			return
		}
		s.g.encoding = append(s.g.encoding, h.Compression)
	}
}

// exportAll sends the sample traces, logs and metrics, one call each.
func exportAll(t *testing.T, o *OTLP) (ptrace.Traces, plog.Logs, pmetric.Metrics, []error) {
	t.Helper()
	td, ld, md := sampleTraces(), sampleLogs(), sampleMetrics()
	ctx := context.Background()
	return td, ld, md, []error{o.ExportTraces(ctx, td), o.ExportLogs(ctx, ld), o.ExportMetrics(ctx, md)}
}

// TestGRPCExportToGRPCGo: every signal, plain and gzip, arrives at a
// grpc-go server field for field, in the encoding asked for, with the
// headers as lower-cased metadata ("-bin" ones decoded) and a deadline.
func TestGRPCExportToGRPCGo(t *testing.T) {
	for _, compression := range []string{"none", "gzip"} {
		t.Run(compression, func(t *testing.T) {
			g := startGRPCGo(t, nil)
			o, err := NewOTLPGRPC("http://"+g.addr, Settings{
				Compression: compression,
				Headers:     map[string]string{"Authorization": "Bearer tok", "X-Tenant": "team-a", "X-Blob-Bin": "raw value"},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer o.Shutdown(context.Background())
			td, ld, md, errs := exportAll(t, o)
			for i, err := range errs {
				if err != nil {
					t.Errorf("%s: %v", Signal(i), err)
				}
			}
			g.mu.Lock()
			defer g.mu.Unlock()
			if len(g.traces) != 1 || len(g.logs) != 1 || len(g.metrics) != 1 {
				t.Fatalf("server got %d/%d/%d batches, want 1/1/1", len(g.traces), len(g.logs), len(g.metrics))
			}
			if !ptraceEqual(g.traces[0], td) || !plogEqual(g.logs[0], ld) || !pmetricEqual(g.metrics[0], md) {
				t.Error("what arrived differs from what was sent")
			}
			want := ""
			if compression == "gzip" {
				want = "gzip"
			}
			for i, enc := range g.encoding {
				if enc != want {
					t.Errorf("call %d: grpc-encoding %q, want %q", i, enc, want)
				}
			}
			for i, m := range g.md {
				for k, v := range map[string]string{"authorization": "Bearer tok", "x-tenant": "team-a", "x-blob-bin": "raw value"} {
					if got := m.Get(k); len(got) != 1 || got[0] != v {
						t.Errorf("call %d: metadata %s = %q, want %q", i, k, got, v)
					}
				}
				if !g.deadline[i] {
					t.Errorf("call %d came without a deadline (grpc-timeout)", i)
				}
			}
		})
	}
}

// TestGRPCBadMetadata: a header gRPC cannot carry (a name with a space, a
// value with a newline or non-ASCII) is refused for good before anything
// is sent, as grpc-go's client refused it (INTERNAL), not retried.
func TestGRPCBadMetadata(t *testing.T) {
	g := startGRPCGo(t, nil)
	for _, h := range []map[string]string{{"X Tenant": "a"}, {"x-tenant": "a\nb"}, {"x-tenant": "équipe"}} {
		o, err := NewOTLPGRPC("http://"+g.addr, Settings{Headers: h})
		if err != nil {
			t.Fatal(err)
		}
		err = o.ExportTraces(context.Background(), sampleTraces())
		if !IsPermanent(err) || !strings.Contains(err.Error(), "gRPC Internal") {
			t.Errorf("headers %q: %v, want a permanent gRPC Internal", h, err)
		}
		o.Shutdown(context.Background())
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.traces) != 0 {
		t.Errorf("%d calls reached the server", len(g.traces))
	}
}

// TestGRPCConnectionReused: one target, one HTTP/2 connection, however many
// calls of however many signals.
func TestGRPCConnectionReused(t *testing.T) {
	g := startGRPCGo(t, nil)
	o, err := NewOTLPGRPC("http://"+g.addr, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Shutdown(context.Background())
	for range 5 {
		_, _, _, errs := exportAll(t, o)
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.traces) != 5 || g.conns != 1 {
		t.Errorf("%d trace calls over %d connections, want 5 over 1", len(g.traces), g.conns)
	}
}

// TestGRPCShutdownClosesTheConnection: Shutdown closes the idle HTTP/2
// connection; grpc-go sees it end.
func TestGRPCShutdownClosesTheConnection(t *testing.T) {
	g := startGRPCGo(t, nil)
	o, err := NewOTLPGRPC("http://"+g.addr, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if err := o.ExportTraces(context.Background(), sampleTraces()); err != nil {
		t.Fatal(err)
	}
	if err := o.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-g.connEnded:
	case <-time.After(time.Minute):
		t.Fatal("the connection is still open a minute after Shutdown")
	}
}

// retryInfo is a grpc-go status with a RetryInfo of d.
func retryInfo(t *testing.T, c codes.Code, msg string, d time.Duration) error {
	t.Helper()
	st, err := status.New(c, msg).WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(d)})
	if err != nil {
		t.Fatal(err)
	}
	return st.Err()
}

// TestGRPCStatusClassification: grpc-go's statuses are retried, throttled
// or refused for good exactly as the OTLP specification says (and as the
// exporter did with grpc-go's own client).
func TestGRPCStatusClassification(t *testing.T) {
	for _, tc := range []struct {
		name      string
		err       func(t *testing.T) error
		permanent bool
		after     time.Duration // RetryAfter asked for; -1 none
		text      string
	}{
		{"unavailable", func(*testing.T) error { return status.Error(codes.Unavailable, "busy") }, false, -1, "traces export: gRPC Unavailable: busy"},
		{"unavailable with RetryInfo", func(t *testing.T) error { return retryInfo(t, codes.Unavailable, "busy", 3*time.Second) }, false, 3 * time.Second, "gRPC Unavailable: busy"},
		{"resource exhausted with RetryInfo", func(t *testing.T) error {
			return retryInfo(t, codes.ResourceExhausted, "slow down", 1500*time.Millisecond)
		}, false, 1500 * time.Millisecond, "gRPC ResourceExhausted: slow down"},
		{"resource exhausted without RetryInfo", func(*testing.T) error { return status.Error(codes.ResourceExhausted, "too big") }, true, -1, "gRPC ResourceExhausted: too big"},
		{"aborted", func(*testing.T) error { return status.Error(codes.Aborted, "x") }, false, -1, "gRPC Aborted"},
		{"out of range", func(*testing.T) error { return status.Error(codes.OutOfRange, "x") }, false, -1, "gRPC OutOfRange"},
		{"data loss", func(*testing.T) error { return status.Error(codes.DataLoss, "x") }, false, -1, "gRPC DataLoss"},
		{"invalid argument", func(*testing.T) error { return status.Error(codes.InvalidArgument, "bad span") }, true, -1, "gRPC InvalidArgument: bad span"},
		{"unauthenticated", func(*testing.T) error { return status.Error(codes.Unauthenticated, "bad token") }, true, -1, "gRPC Unauthenticated: bad token"},
		{"permission denied", func(*testing.T) error { return status.Error(codes.PermissionDenied, "no") }, true, -1, "gRPC PermissionDenied"},
		{"internal", func(*testing.T) error { return status.Error(codes.Internal, "oops") }, true, -1, "gRPC Internal: oops"},
		{"a message that needs percent-encoding", func(*testing.T) error {
			return status.Error(codes.InvalidArgument, "50% bad: ünïcode, new\nline")
		}, true, -1, "gRPC InvalidArgument: 50% bad: ünïcode, new\nline"},
		{"deadline exceeded by the server itself", func(*testing.T) error { return status.Error(codes.DeadlineExceeded, "backend slow") }, false, -1, "gRPC DeadlineExceeded: backend slow"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := startGRPCGo(t, nil)
			e := tc.err(t)
			g.answer = func(context.Context) (int64, string, error) { return 0, "", e }
			o, err := NewOTLPGRPC("http://"+g.addr, Settings{})
			if err != nil {
				t.Fatal(err)
			}
			defer o.Shutdown(context.Background())
			err = o.ExportTraces(context.Background(), sampleTraces())
			if err == nil {
				t.Fatal("no error")
			}
			if IsPermanent(err) != tc.permanent {
				t.Errorf("permanent = %v, want %v (%v)", IsPermanent(err), tc.permanent, err)
			}
			d, ok := retryAfterOf(err)
			if tc.after < 0 && ok {
				t.Errorf("RetryAfter %v, want none", d)
			}
			if tc.after >= 0 && (!ok || d != tc.after) {
				t.Errorf("RetryAfter %v (%v), want %v", d, ok, tc.after)
			}
			if errors.Is(err, ErrInDoubt) {
				t.Errorf("in doubt: %v", err)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q, want it to say %q", err, tc.text)
			}
		})
	}
}

// TestGRPCUnknownService: a server without the logs service answers
// UNIMPLEMENTED, refused for good; the other signals go through.
func TestGRPCUnknownService(t *testing.T) {
	g := startGRPCGoServices(t, nil, false)
	o, err := NewOTLPGRPC("http://"+g.addr, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Shutdown(context.Background())
	_, _, _, errs := exportAll(t, o)
	if errs[Traces] != nil || errs[Metrics] != nil {
		t.Errorf("traces %v, metrics %v: want both sent", errs[Traces], errs[Metrics])
	}
	if err := errs[Logs]; !IsPermanent(err) || !strings.Contains(err.Error(), "gRPC Unimplemented") {
		t.Errorf("logs: %v, want a permanent gRPC Unimplemented", err)
	}
}

// TestGRPCPartialSuccess: a partial success of each signal is a
// PartialError with the server's count and message, plain and gzip (grpc-go
// answers gzip in gzip).
func TestGRPCPartialSuccess(t *testing.T) {
	for _, compression := range []string{"none", "gzip"} {
		t.Run(compression, func(t *testing.T) {
			g := startGRPCGo(t, nil)
			g.answer = func(context.Context) (int64, string, error) { return 2, "2 items too old", nil }
			o, err := NewOTLPGRPC("http://"+g.addr, Settings{Compression: compression})
			if err != nil {
				t.Fatal(err)
			}
			defer o.Shutdown(context.Background())
			_, _, _, errs := exportAll(t, o)
			for i, err := range errs {
				var p *PartialError
				if !errors.As(err, &p) || p.Rejected != 2 || p.Message != "2 items too old" {
					t.Errorf("%s: %v, want a partial error of 2 items", Signal(i), err)
				}
			}
		})
	}
}

// TestGRPCServerDown: nothing listens: UNAVAILABLE, retryable, not in
// doubt (nothing was sent).
func TestGRPCServerDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	o, err := NewOTLPGRPC("http://"+addr, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Shutdown(context.Background())
	err = o.ExportTraces(context.Background(), sampleTraces())
	if err == nil || IsPermanent(err) || errors.Is(err, ErrInDoubt) || !strings.Contains(err.Error(), "gRPC Unavailable") {
		t.Errorf("export to a closed port: %v, want a retryable gRPC Unavailable", err)
	}
}

// TestGRPCServerCutsTheStream: the server goes away while the call is in
// progress (grpc-go's Stop closes its connections; a listener that hangs
// up at once): UNAVAILABLE, retryable, as grpc-go's client said.
func TestGRPCServerCutsTheStream(t *testing.T) {
	t.Run("grpc-go stops mid-call", func(t *testing.T) {
		g := startGRPCGo(t, nil)
		got := make(chan struct{})
		g.answer = func(ctx context.Context) (int64, string, error) {
			close(got)
			<-ctx.Done()
			return 0, "", ctx.Err()
		}
		o, err := NewOTLPGRPC("http://"+g.addr, Settings{})
		if err != nil {
			t.Fatal(err)
		}
		defer o.Shutdown(context.Background())
		go func() { <-got; g.srv.Stop() }()
		err = o.ExportTraces(context.Background(), sampleTraces())
		if err == nil || IsPermanent(err) || errors.Is(err, ErrInDoubt) || !strings.Contains(err.Error(), "gRPC Unavailable") {
			t.Errorf("export cut by the server: %v, want a retryable gRPC Unavailable", err)
		}
	})
	t.Run("listener hangs up", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		o, err := NewOTLPGRPC("http://"+ln.Addr().String(), Settings{})
		if err != nil {
			t.Fatal(err)
		}
		defer o.Shutdown(context.Background())
		err = o.ExportTraces(context.Background(), sampleTraces())
		if err == nil || IsPermanent(err) || !strings.Contains(err.Error(), "gRPC Unavailable") {
			t.Errorf("export to a listener that hangs up: %v, want a retryable gRPC Unavailable", err)
		}
	})
}

// TestGRPCStreamReset: a stream reset (RST_STREAM) maps by the spec's
// table: an HTTP/2 server whose handler aborts resets with INTERNAL_ERROR,
// gRPC INTERNAL, refused for good.
func TestGRPCStreamReset(t *testing.T) {
	url := startH2C(t, func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
	o, err := NewOTLPGRPC(url, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Shutdown(context.Background())
	err = o.ExportTraces(context.Background(), sampleTraces())
	if !IsPermanent(err) || !strings.Contains(err.Error(), "gRPC Internal") {
		t.Errorf("export reset by the server: %v, want a permanent gRPC Internal", err)
	}
}

// startH2C serves h over HTTP/2 with prior knowledge on loopback (a
// proxy's or a plain HTTP/2 server's answers, not gRPC's).
func startH2C(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Protocols: &p, Handler: h}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// TestGRPCNonGRPCAnswers: an answer that is not gRPC (a proxy's error
// page, a server that is not gRPC) gets the status grpc-go synthesizes
// from its HTTP status, classified as any status is; so does an answer
// without its trailers or its message.
func TestGRPCNonGRPCAnswers(t *testing.T) {
	for _, tc := range []struct {
		name      string
		h         http.HandlerFunc
		permanent bool
		text      string
	}{
		{"503 from a proxy", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
		}, false, "gRPC Unavailable: unexpected HTTP status code received from server: 503"},
		{"429", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "slow down", http.StatusTooManyRequests) }, false, "gRPC Unavailable"},
		{"401", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "who?", http.StatusUnauthorized) }, true, "gRPC Unauthenticated"},
		{"404", func(w http.ResponseWriter, _ *http.Request) { http.NotFound(w, nil) }, true, "gRPC Unimplemented"},
		{"200 but HTML", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = io.WriteString(w, "<html>hello</html>")
		}, true, `gRPC Unknown: unexpected HTTP status code received from server: 200 (OK); unexpected content-type "text/html"`},
		{"gRPC without trailers", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/grpc")
			_, _ = w.Write(otlpwire.AppendFrame(nil, nil, false))
		}, true, "gRPC Internal: server closed the stream without sending trailers"},
		{"OK without a message", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/grpc")
			w.Header().Set("Grpc-Status", "0")
		}, true, "gRPC Internal: cardinality violation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := startH2C(t, func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				tc.h(w, r)
			})
			o, err := NewOTLPGRPC(url, Settings{})
			if err != nil {
				t.Fatal(err)
			}
			defer o.Shutdown(context.Background())
			err = o.ExportTraces(context.Background(), sampleTraces())
			if err == nil || IsPermanent(err) != tc.permanent || !strings.Contains(err.Error(), tc.text) {
				t.Errorf("%v (permanent %v), want permanent %v saying %q", err, IsPermanent(err), tc.permanent, tc.text)
			}
		})
	}
}

// TestGRPCSlowServerInDoubt: the server took the request and had not
// answered when the deadline passed: DEADLINE_EXCEEDED, in doubt (it may
// have kept the batch).
func TestGRPCSlowServerInDoubt(t *testing.T) {
	g := startGRPCGo(t, nil)
	ctx := newLateContext()
	release := make(chan struct{})
	defer close(release)
	g.answer = func(context.Context) (int64, string, error) {
		ctx.pass()
		<-release
		return 0, "", nil
	}
	o, err := NewOTLPGRPC("http://"+g.addr, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Shutdown(context.Background())
	err = o.ExportTraces(ctx, sampleTraces())
	if !errors.Is(err, ErrInDoubt) || !strings.Contains(err.Error(), "gRPC DeadlineExceeded") {
		t.Errorf("export to a slow server: %v, want in doubt, gRPC DeadlineExceeded", err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.traces) != 1 {
		t.Errorf("server got %d batches, want the one", len(g.traces))
	}
}

// lateContext is a context whose deadline passes when pass is called,
// not at a time: "too late" at a known point of a test, whatever the
// machine's load.
type lateContext struct {
	context.Context
	deadline time.Time
	done     chan struct{}
	once     sync.Once
}

func newLateContext() *lateContext {
	return &lateContext{Context: context.Background(), deadline: time.Now().Add(time.Hour), done: make(chan struct{})}
}

func (c *lateContext) pass()                       { c.once.Do(func() { close(c.done) }) }
func (c *lateContext) Done() <-chan struct{}       { return c.done }
func (c *lateContext) Deadline() (time.Time, bool) { return c.deadline, true }
func (c *lateContext) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

// TestGRPCDeadlineBeforeSent: a peer that never reads (its HTTP/2 window
// never opens past the first 64 KiB) cannot have the whole request: past
// the deadline the call is retryable, not in doubt.
func TestGRPCDeadlineBeforeSent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	}()
	o, err := NewOTLPGRPC("http://"+ln.Addr().String(), Settings{Compression: "none", Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Shutdown(context.Background())
	td := spansWithIDs(0, 4000) // ~150 KB: more than the initial window
	err = o.ExportTraces(context.Background(), td)
	if err == nil || IsPermanent(err) || errors.Is(err, ErrInDoubt) || !strings.Contains(err.Error(), "gRPC DeadlineExceeded") {
		t.Errorf("export to a peer that never reads: %v, want a retryable gRPC DeadlineExceeded, not in doubt", err)
	}
}

// testCert is a self-signed certificate for 127.0.0.1.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "agentops test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// TestGRPCOverTLS: https:// is TLS with ALPN h2 to a grpc-go server with a
// certificate; one the roots do not know is refused (retryable, as grpc-go
// said: the next attempt may meet a fixed server).
func TestGRPCOverTLS(t *testing.T) {
	cert, pool := testCert(t)
	g := startGRPCGo(t, credentials.NewServerTLSFromCert(&cert))
	t.Run("trusted", func(t *testing.T) {
		o, err := NewOTLPGRPC("https://"+g.addr, Settings{Compression: "gzip"})
		if err != nil {
			t.Fatal(err)
		}
		defer o.Shutdown(context.Background())
		o.grpcTLS = &tls.Config{RootCAs: pool}
		td, ld, md, errs := exportAll(t, o)
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		g.mu.Lock()
		defer g.mu.Unlock()
		if len(g.traces) != 1 || !ptraceEqual(g.traces[0], td) || !plogEqual(g.logs[0], ld) || !pmetricEqual(g.metrics[0], md) {
			t.Error("what arrived over TLS differs from what was sent")
		}
	})
	t.Run("unknown authority", func(t *testing.T) {
		o, err := NewOTLPGRPC("https://"+g.addr, Settings{})
		if err != nil {
			t.Fatal(err)
		}
		defer o.Shutdown(context.Background())
		err = o.ExportTraces(context.Background(), sampleTraces())
		if err == nil || !strings.Contains(err.Error(), "gRPC Unavailable") || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("export to a server with an unknown certificate: %v, want gRPC Unavailable about the certificate", err)
		}
	})
}

// TestGRPCOverTLSNeedsH2: a TLS server that does not pick h2 (an HTTP/1
// one that knows no ALPN) is not spoken to: UNAVAILABLE, retryable, as
// grpc-go said.
func TestGRPCOverTLSNeedsH2(t *testing.T) {
	cert, pool := testCert(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var reached atomic.Int32
	srv := &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached.Add(1) })}
	go func() { _ = srv.Serve(tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}})) }()
	defer srv.Close()
	o, err := NewOTLPGRPC("https://"+ln.Addr().String(), Settings{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Shutdown(context.Background())
	o.grpcTLS = &tls.Config{RootCAs: pool}
	err = o.ExportTraces(context.Background(), sampleTraces())
	if err == nil || IsPermanent(err) || !strings.Contains(err.Error(), "gRPC Unavailable") || !strings.Contains(err.Error(), "ALPN h2") {
		t.Errorf("export to an HTTP/1 TLS server: %v, want a retryable gRPC Unavailable saying it lacks h2", err)
	}
	if reached.Load() != 0 {
		t.Error("an HTTP/1 request reached the server")
	}
}

// TestGRPCRetryInfoThroughTheSender: the pipeline waits as RetryInfo says
// and delivers on the next attempt.
func TestGRPCRetryInfoThroughTheSender(t *testing.T) {
	g := startGRPCGo(t, nil)
	var calls atomic.Int32
	g.answer = func(context.Context) (int64, string, error) {
		if calls.Add(1) == 1 {
			return 0, "", retryInfo(t, codes.Unavailable, "warming up", 10*time.Millisecond)
		}
		return 0, "", nil
	}
	o, err := NewOTLPGRPC("http://"+g.addr, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	s := NewSender(Spec{Name: "otlpgrpc", Target: "http://" + g.addr}, "otlpgrpc", o, QueueConfig{Consumers: 1})
	s.Offer(TracesBatch(sampleTraces()), Ref{}, false)
	out := s.Shutdown(context.Background())
	if c := out.Signals[Traces]; c.Sent != c.Enqueued || c.Enqueued == 0 {
		t.Errorf("outcome %+v (%v), want all sent after the retry", c, out.Err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.traces) != 2 {
		t.Errorf("server got %d calls, want 2 (refused, then taken)", len(g.traces))
	}
}

// TestGRPCConcurrentAndLargeExports: calls from many goroutines share the
// target's client, and a batch of megabytes (past every HTTP/2 window)
// goes through grpc-go's flow control whole.
func TestGRPCConcurrentAndLargeExports(t *testing.T) {
	g := startGRPCGo(t, nil)
	o, err := NewOTLPGRPC("http://"+g.addr, Settings{Compression: "none"})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Shutdown(context.Background())
	const senders, each = 8, 10
	var wg sync.WaitGroup
	for i := range senders {
		wg.Go(func() {
			for j := range each {
				if err := o.ExportTraces(context.Background(), spansWithIDs((i*each+j)*10, 10)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	big := spansWithIDs(1_000_000, 20000)
	ss := big.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for i := range ss.Len() {
		ss.At(i).Attributes().PutStr("gen_ai.prompt", strings.Repeat("p", 120))
	}
	if err := o.ExportTraces(context.Background(), big); err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	spans := 0
	for _, td := range g.traces {
		spans += td.SpanCount()
	}
	if len(g.traces) != senders*each+1 || spans != senders*each*10+20000 {
		t.Errorf("server got %d batches, %d spans; want %d, %d", len(g.traces), spans, senders*each+1, senders*each*10+20000)
	}
	if last := g.traces[len(g.traces)-1]; !ptraceEqual(last, big) {
		t.Error("the large batch arrived changed")
	}
}

// connectProxy is an HTTP CONNECT proxy on loopback: it tunnels to the
// address asked for and remembers each CONNECT's target and credentials.
type connectProxy struct {
	addr string
	mu   sync.Mutex
	seen []string // "target auth"
}

func startConnectProxy(t *testing.T) *connectProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &connectProxy{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { p.tunnel(c) })
		}
	})
	return p
}

func (p *connectProxy) tunnel(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil || req.Method != http.MethodConnect {
		return
	}
	p.mu.Lock()
	p.seen = append(p.seen, req.Host+" "+req.Header.Get("Proxy-Authorization"))
	p.mu.Unlock()
	up, err := net.Dial("tcp", req.Host)
	if err != nil {
		_, _ = io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
		return
	}
	defer up.Close()
	if _, err := io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	done := make(chan struct{})
	go func() { _, _ = io.Copy(up, br); up.Close(); close(done) }()
	_, _ = io.Copy(c, up)
	c.Close()
	<-done
}

// TestGRPCThroughAProxy: with a proxy for the target (HTTPS_PROXY, as
// grpc-go reads it for every target), cleartext and TLS gRPC go through
// its CONNECT tunnel, with the proxy's credentials.
func TestGRPCThroughAProxy(t *testing.T) {
	cert, pool := testCert(t)
	for _, tc := range []struct {
		scheme string
		creds  credentials.TransportCredentials
	}{{"http", nil}, {"https", credentials.NewServerTLSFromCert(&cert)}} {
		t.Run(tc.scheme, func(t *testing.T) {
			g := startGRPCGo(t, tc.creds)
			p := startConnectProxy(t)
			o, err := NewOTLPGRPC(tc.scheme+"://"+g.addr, Settings{})
			if err != nil {
				t.Fatal(err)
			}
			defer o.Shutdown(context.Background())
			o.grpcTLS = &tls.Config{RootCAs: pool}
			o.grpcProxy = func(r *http.Request) (*url.URL, error) {
				if r.URL.Scheme != "https" || r.URL.Host != g.addr {
					t.Errorf("proxy asked for %s, want https://%s", r.URL, g.addr)
				}
				return url.Parse("http://user:pw@" + p.addr)
			}
			_, _, _, errs := exportAll(t, o)
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			p.mu.Lock()
			defer p.mu.Unlock()
			want := g.addr + " Basic dXNlcjpwdw==" // user:pw
			if len(p.seen) != 1 || p.seen[0] != want {
				t.Errorf("proxy saw CONNECTs %q, want one %q", p.seen, want)
			}
			g.mu.Lock()
			defer g.mu.Unlock()
			if len(g.traces) != 1 || len(g.logs) != 1 || len(g.metrics) != 1 {
				t.Errorf("server got %d/%d/%d batches through the proxy, want 1/1/1", len(g.traces), len(g.logs), len(g.metrics))
			}
		})
	}
}
