// Command loadgen is the benchmark's agent: configured like any OpenTelemetry
// SDK from OTEL_EXPORTER_OTLP_* (so `agentops run -- loadgen` points it at
// the session's receiver), it pre-encodes realistic span batches and sends
// them as fast as the receiver accepts them from several concurrent clients,
// then prints what it measured as key=value pairs on stdout.
//
//	agentops run -- loadgen -spans 1000000 -clients 4
//	agentops run -- loadgen -spans 0 -stamp      # exit-to-summary probe
//	agentops run -- loadgen -mix llm             # every span an LLM call
//
// With -pid it measures another process instead of its parent, such as an
// OpenTelemetry Collector it was pointed at with OTEL_EXPORTER_OTLP_ENDPOINT:
//
//	OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 loadgen -pid $(pidof otelcol-bench)
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/agentops-dev/agentops/bench/spangen"
)

type config struct {
	spans    int
	batch    int
	clients  int
	variants int
	mix      spangen.Mix
	mixName  string
	pid      int
	protocol string
	stamp    bool
	// unique stamps every span's id with its batch and index (see stamp).
	unique     bool
	pauseAfter int
	endpoint   string
	headers    map[string]string
}

func main() {
	cfg := config{}
	flag.IntVar(&cfg.spans, "spans", 100_000, "spans to send in total (rounded up to whole batches)")
	flag.IntVar(&cfg.batch, "batch", 512, "spans per export request")
	flag.IntVar(&cfg.clients, "clients", 4, "concurrent clients, one connection each")
	flag.IntVar(&cfg.variants, "variants", 8, "distinct pre-encoded batches to cycle through")
	flag.StringVar(&cfg.mixName, "mix", "realistic", "the spans: realistic (one in ten an LLM call) or llm (every span an LLM call)")
	flag.IntVar(&cfg.pid, "pid", 0, "the process whose CPU time and peak RSS to report (default: the parent, agentops)")
	flag.StringVar(&cfg.protocol, "protocol", "", "http/protobuf, http/json or grpc (default: OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf)")
	flag.BoolVar(&cfg.stamp, "stamp", false, "print child_exit_ns=<wall clock> on stdout as the very last action")
	flag.BoolVar(&cfg.unique, "unique", false, "give every span sent its own span id (batch number and index stamped into it), so a receiver can check each arrived exactly once (protobuf and gRPC only)")
	flag.IntVar(&cfg.pauseAfter, "pause-after", 0, "after sending this many spans, print 'loadgen: paused' on stdout and wait for a line on stdin before sending the rest")
	flag.Parse()
	mix, ok := spangen.Mixes[cfg.mixName]
	if !ok {
		fmt.Fprintf(os.Stderr, "loadgen: unknown -mix %q: use realistic or llm\n", cfg.mixName)
		os.Exit(2)
	}
	cfg.mix = mix
	if cfg.pid == 0 {
		cfg.pid = os.Getppid()
	}
	if cfg.protocol == "" {
		cfg.protocol = first(os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"), os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL"), "http/protobuf")
	}
	cfg.endpoint = first(os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"))
	cfg.headers = parseHeaders(first(os.Getenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS"), os.Getenv("OTEL_EXPORTER_OTLP_HEADERS")))

	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
	if cfg.stamp {
		fmt.Printf("child_exit_ns=%d\n", time.Now().UnixNano())
	}
}

func run(cfg config) error {
	if cfg.spans <= 0 {
		return nil
	}
	if cfg.endpoint == "" {
		return errors.New("OTEL_EXPORTER_OTLP_ENDPOINT is not set: run me under `agentops run --`")
	}
	if cfg.batch <= 0 || cfg.clients <= 0 || cfg.variants <= 0 {
		return errors.New("-batch, -clients and -variants must be positive")
	}
	bodies, err := encode(cfg)
	if err != nil {
		return err
	}
	send, closeFn, err := sender(cfg)
	if err != nil {
		return err
	}
	defer closeFn()

	batches := (cfg.spans + cfg.batch - 1) / cfg.batch
	var ids [][]int
	if cfg.unique {
		if cfg.protocol == "http/json" {
			return errors.New("-unique needs protobuf: use http/protobuf or grpc")
		}
		raw := make([][]byte, len(bodies))
		for i := range bodies {
			raw[i] = bodies[i].body
		}
		ids = idOffsets(cfg, raw)
	}
	cpu0 := cpuTicks(cfg.pid)
	var next atomic.Int64
	errs := make([]error, cfg.clients)
	start := time.Now()
	// sendUpTo sends batches until the end-th, from cfg.clients clients.
	sendUpTo := func(end int64) {
		var wg sync.WaitGroup
		for c := 0; c < cfg.clients; c++ {
			wg.Go(func() {
				var buf []byte
				for {
					i := next.Add(1) - 1
					if i >= end {
						next.Store(end)
						return
					}
					b := bodies[i%int64(len(bodies))]
					var body []byte
					if cfg.unique {
						body = stamp(b.body, ids[i%int64(len(bodies))], uint32(i))
					} else {
						// New trace, span and parent ids every round: a
						// session counts a span it already has once.
						buf = renumber(buf, b.body, b.ids, uint64(i/int64(len(bodies))))
						body = buf
					}
					if err := send(c, body); err != nil {
						errs[c] = err
						next.Store(int64(batches))
						return
					}
				}
			})
		}
		wg.Wait()
	}
	if cfg.pauseAfter > 0 {
		half := min(int64((cfg.pauseAfter+cfg.batch-1)/cfg.batch), int64(batches))
		sendUpTo(half)
		fmt.Printf("loadgen: paused after %d spans\n", half*int64(cfg.batch))
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	}
	sendUpTo(int64(batches))
	elapsed := time.Since(start)
	cpu := cpuTicks(cfg.pid) - cpu0
	if err := errors.Join(errs...); err != nil {
		return err
	}
	sent := batches * cfg.batch
	// The receiving process's CPU time per span does not depend on what
	// else the machine runs, unlike spans/s.
	fmt.Printf("protocol=%s mix=%s spans=%d batch=%d clients=%d retries=%d elapsed_ms=%.1f spans_per_s=%.0f parent_cpu_us_per_span=%.2f parent_hwm_kib=%d self_hwm_kib=%d\n",
		cfg.protocol, cfg.mixName, sent, cfg.batch, cfg.clients, retries.Load(), float64(elapsed.Microseconds())/1000,
		float64(sent)/elapsed.Seconds(), float64(cpu)*1e6/float64(clockTicks)/float64(sent),
		hwmKiB(cfg.pid), hwmKiB(os.Getpid()))
	return nil
}

// retries counts requests sent again after a 503 or UNAVAILABLE.
var retries atomic.Int64

// idOffsets finds where each span id sits in each pre-encoded body: the
// ids are random 8-byte values, found by searching the encoding for them.
func idOffsets(cfg config, bodies [][]byte) [][]int {
	out := make([][]int, len(bodies))
	for v := range bodies {
		td := spangen.Traces(cfg.batch, uint64(v), cfg.mix)
		spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
		from := 0
		for k := 0; k < spans.Len(); k++ {
			id := spans.At(k).SpanID()
			// A span's id follows its trace id (fields 1 and 2 of Span).
			j := bytes.Index(bodies[v][from:], append([]byte{0x12, 8}, id[:]...))
			if j < 0 {
				continue
			}
			out[v] = append(out[v], from+j+2)
			from += j + 10
		}
	}
	return out
}

// stamp copies body and writes batch number i and each span's index into
// the first 6 bytes of its id: every span sent has an id of its own.
func stamp(body []byte, offsets []int, i uint32) []byte {
	b := bytes.Clone(body)
	for k, off := range offsets {
		binary.BigEndian.PutUint32(b[off:], i)
		binary.BigEndian.PutUint16(b[off+4:], uint16(k))
	}
	return b
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times: 100 on every
// Linux the Go runtime supports.
const clockTicks = 100

// cpuTicks is a process's user+system CPU time so far in clock ticks, or 0.
func cpuTicks(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces, in parentheses):
	// state is field 3, utime 14 and stime 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return utime + stime
}

// encodedBatch is one batch encoded for sending, and where its ids are.
type encodedBatch struct {
	body []byte
	ids  []idRef
}

// encode builds the batches once, so that sending costs the client as little
// as possible (a copy with new ids) and the measurement is of the receiver.
func encode(cfg config) ([]encodedBatch, error) {
	n := min(cfg.variants, (cfg.spans+cfg.batch-1)/cfg.batch)
	bodies := make([]encodedBatch, n)
	for i := range bodies {
		td := spangen.Traces(cfg.batch, uint64(i), cfg.mix)
		req := ptraceotlp.NewExportRequestFromTraces(td)
		var err error
		json := cfg.protocol == "http/json"
		if json {
			bodies[i].body, err = req.MarshalJSON()
		} else {
			bodies[i].body, err = req.MarshalProto()
		}
		if err != nil {
			return nil, fmt.Errorf("encode batch: %w", err)
		}
		bodies[i].ids = findIDs(td, bodies[i].body, json)
	}
	return bodies, nil
}

type sendFunc func(client int, body []byte) error

func sender(cfg config) (sendFunc, func(), error) {
	switch cfg.protocol {
	case "http/protobuf", "http/json":
		return httpSender(cfg)
	case "grpc":
		return grpcSender(cfg)
	}
	return nil, nil, fmt.Errorf("unknown protocol %q: use http/protobuf, http/json or grpc", cfg.protocol)
}

func httpSender(cfg config) (sendFunc, func(), error) {
	target := cfg.endpoint
	if os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		target = strings.TrimRight(target, "/") + "/v1/traces"
	}
	contentType := "application/x-protobuf"
	if cfg.protocol == "http/json" {
		contentType = "application/json"
	}
	// One client per worker, so each has its own keep-alive connection.
	clients := make([]*http.Client, cfg.clients)
	for i := range clients {
		clients[i] = &http.Client{Transport: &http.Transport{
			Proxy:               nil,
			DisableCompression:  true,
			MaxIdleConnsPerHost: 1,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		}}
	}
	send := func(c int, body []byte) error {
		req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", contentType)
		for k, v := range cfg.headers {
			req.Header.Set(k, v)
		}
		for {
			resp, err := clients[c].Do(req)
			if err != nil {
				return err
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			// Throttled (OTLP specification, "Throttling"): wait as asked and
			// send again, as the SDKs do.
			if resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusTooManyRequests {
				retries.Add(1)
				wait := time.Second
				if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
					wait = time.Duration(s) * time.Second
				}
				time.Sleep(wait)
				req.Body = io.NopCloser(bytes.NewReader(body))
				continue
			}
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("POST %s: %s: %q", target, resp.Status, msg)
			}
			return nil
		}
	}
	closeFn := func() {
		for _, c := range clients {
			c.CloseIdleConnections()
		}
	}
	return send, closeFn, nil
}

// rawCodec sends the pre-encoded request bytes as they are and ignores the
// (empty) response, so gRPC costs the client no marshalling either.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error)   { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(_ []byte, _ any) error { return nil }
func (rawCodec) Name() string                    { return "proto" }

const grpcExportMethod = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

func grpcSender(cfg config) (sendFunc, func(), error) {
	target := cfg.endpoint
	if u, err := url.Parse(cfg.endpoint); err == nil && u.Host != "" {
		target = u.Host
	}
	md := metadata.New(nil)
	for k, v := range cfg.headers {
		md.Set(strings.ToLower(k), v)
	}
	conns := make([]*grpc.ClientConn, cfg.clients)
	for i := range conns {
		conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return nil, nil, fmt.Errorf("grpc client for %s: %w", target, err)
		}
		conns[i] = conn
	}
	send := func(c int, body []byte) error {
		ctx, cancel := context.WithTimeout(metadata.NewOutgoingContext(context.Background(), md), 30*time.Second)
		defer cancel()
		var resp []byte
		for {
			err := conns[c].Invoke(ctx, grpcExportMethod, &body, &resp, grpc.ForceCodec(rawCodec{}))
			// UNAVAILABLE is retryable (OTLP specification): as the SDKs do.
			if status.Code(err) == codes.Unavailable && ctx.Err() == nil {
				retries.Add(1)
				time.Sleep(time.Second)
				continue
			}
			return err
		}
	}
	closeFn := func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}
	return send, closeFn, nil
}

// parseHeaders reads the OTEL_EXPORTER_OTLP_HEADERS format: comma-separated
// key=value pairs, values URL-encoded.
func parseHeaders(s string) map[string]string {
	h := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if dv, err := url.QueryUnescape(strings.TrimSpace(v)); err == nil {
			v = dv
		}
		h[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return h
}

// hwmKiB is a process's peak resident set size (VmHWM) in KiB, or -1.
func hwmKiB(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
