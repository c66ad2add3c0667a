// Command hostile is a hostile child for agentops' hardening tests: it
// sends the session's own receiver the telemetry a careless or broken agent
// can produce (values nested a million levels deep, megabytes of error
// text, terminal escape sequences, thousands of distinct tools), or behaves
// as a child that must not outlive agentops (silent, ignoring SIGPIPE or
// SIGHUP). It reads the endpoint and token from the environment agentops
// injects, prints the HTTP status of each request it sent as one JSON
// object on stdout, and exits with -exit.
//
//	hostile -case deep-attr -depth 1000000 -encoding json -exit 3
package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	kase := flag.String("case", "", "what to do: deep-attr, deep-log, long-error, long-log, ctrl, many-tools, big, silent, ignore-sigpipe, ignore-sighup, ready")
	depth := flag.Int("depth", 1_000_000, "nesting levels of deep-attr and deep-log")
	size := flag.Int("size", 2<<20, "bytes of text of long-error and long-log, of each request of big")
	parallel := flag.Int("parallel", 16, "concurrent requests of big, each its own spans")
	protocol := flag.String("protocol", "http", "protocol of big: http (protobuf) or grpc")
	count := flag.Int("count", 20_000, "distinct tools of many-tools")
	encoding := flag.String("encoding", "json", "OTLP/HTTP encoding: json or proto")
	exit := flag.Int("exit", 0, "exit code")
	readyFile := flag.String("ready", "", "file to create once the child runs (silent, ignore-*), so a test knows its signal handling is set up")
	flag.Parse()

	c := client{endpoint: os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"), proto: *encoding == "proto", statuses: map[string]int{}}
	_, tok, _ := strings.Cut(os.Getenv("OTEL_EXPORTER_OTLP_HEADERS"), "Authorization=")
	c.auth, _ = url.PathUnescape(tok)

	switch *kase {
	case "deep-attr":
		c.send("deep-attr", "/v1/traces", traces(c.proto, span{name: "execute_tool deep", tool: "deep", args: nested(*depth, c.proto)}))
	case "deep-log":
		c.send("deep-log", "/v1/logs", logs(nested(*depth, c.proto)))
	case "long-error":
		c.send("long-error", "/v1/traces", traces(c.proto, span{name: "execute_tool fails", tool: "fails", errMsg: strings.Repeat("x", *size)}))
	case "long-log":
		c.send("long-log", "/v1/logs", logs(str(strings.Repeat("y ", *size/2), c.proto)))
	case "ctrl":
		c.send("ctrl", "/v1/traces", traces(c.proto, span{name: "execute_tool \x1b[2Jclear", tool: "\x1b[2J\x1b[31mred\x07", errMsg: "boom\x1b]0;title\x07\r\x1b[Kgone"}))
	case "many-tools":
		var ss []span
		for i := range *count {
			ss = append(ss, span{name: "execute_tool t" + strconv.Itoa(i), tool: "tool-" + strconv.Itoa(i)})
		}
		c.send("many-tools", "/v1/traces", traces(c.proto, ss...))
	case "big":
		c.sendBig(*parallel, *size, *protocol == "grpc")
	case "silent", "ignore-sighup", "ignore-sigpipe", "ready":
		behave(*kase, *readyFile)
	default:
		fmt.Fprintf(os.Stderr, "hostile: unknown -case %q\n", *kase)
		os.Exit(2)
	}
	_ = json.NewEncoder(os.Stdout).Encode(c.statuses)
	os.Exit(*exit)
}

// behave is a child that must not outlive agentops: it signals that it
// runs, then waits for ever, silent or (ignore-sigpipe) writing to stdout
// with SIGPIPE ignored, or (ignore-sighup) with SIGHUP ignored.
func behave(kase, readyFile string) {
	switch kase {
	case "ignore-sighup":
		signal.Ignore(syscall.SIGHUP)
	case "ignore-sigpipe":
		signal.Ignore(syscall.SIGPIPE)
	}
	if readyFile != "" {
		_ = os.WriteFile(readyFile, []byte(strconv.Itoa(os.Getpid())), 0o644)
	}
	if kase == "ready" {
		return
	}
	for {
		if kase == "ignore-sigpipe" {
			_, _ = os.Stdout.WriteString("still here\n")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// client posts OTLP/HTTP requests to the session's receiver.
type client struct {
	endpoint, auth string
	proto          bool
	statuses       map[string]int
}

func (c client) send(name, path string, body []byte) {
	c.statuses[name], _ = c.post(path, body)
}

// post sends body and returns the answer's status (0 when none came) and
// the wait its Retry-After asks for (a second when it names none).
func (c client) post(path string, body []byte) (int, time.Duration) {
	req, err := http.NewRequest("POST", c.endpoint+path, bytes.NewReader(body))
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		os.Exit(1)
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Content-Type", map[bool]string{true: "application/x-protobuf", false: "application/json"}[c.proto])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		return 0, 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	after := time.Second
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
		after = time.Duration(secs) * time.Second
	}
	return resp.StatusCode, after
}

// value is one AnyValue in either encoding: JSON text, or the protobuf
// bytes of the AnyValue message.
type value struct {
	proto bool
	b     []byte
}

func str(s string, proto bool) value {
	if proto {
		return value{true, field(1, []byte(s))} // AnyValue.string_value
	}
	b, _ := json.Marshal(s)
	return value{false, []byte(`{"stringValue":` + string(b) + `}`)}
}

// nested is {"a": {"a": ... "leaf" ...}} depth levels deep, built without
// recursion so that the hostile child itself survives a million levels.
func nested(depth int, proto bool) value {
	if !proto {
		open := `{"kvlistValue":{"values":[{"key":"a","value":`
		var b bytes.Buffer
		b.Grow(depth*(len(open)+4) + 32)
		for range depth {
			b.WriteString(open)
		}
		b.WriteString(`{"stringValue":"leaf"}`)
		for range depth {
			b.WriteString(`}]}}`)
		}
		return value{false, b.Bytes()}
	}
	// AnyValue{kvlist_value(6): KeyValueList{values(1): KeyValue{key(1):"a", value(2): AnyValue{...}}}}
	// Lengths from the inside out, then written from the outside in.
	leaf := field(1, []byte("leaf"))
	type sizes struct{ any, kvl, kv int }
	sz := make([]sizes, depth+1)
	inner := len(leaf)
	for i := depth; i >= 1; i-- {
		kv := len(field(1, []byte("a"))) + 1 + uvarintLen(inner) + inner
		kvl := 1 + uvarintLen(kv) + kv
		anyv := 1 + uvarintLen(kvl) + kvl
		sz[i] = sizes{anyv, kvl, kv}
		inner = anyv
	}
	var b bytes.Buffer
	b.Grow(inner)
	for i := 1; i <= depth; i++ {
		b.WriteByte(6<<3 | 2)
		writeUvarint(&b, sz[i].kvl)
		b.WriteByte(1<<3 | 2)
		writeUvarint(&b, sz[i].kv)
		b.Write(field(1, []byte("a")))
		b.WriteByte(2<<3 | 2)
		if i < depth {
			writeUvarint(&b, sz[i+1].any)
		} else {
			writeUvarint(&b, len(leaf))
		}
	}
	b.Write(leaf)
	return value{true, b.Bytes()}
}

// span is one span the hostile child sends.
type span struct {
	name, tool, errMsg string
	args               value // the tool call's arguments, when set
}

var (
	traceID = "5b8efff798038103d269b633813fc60c"
	idCount = 0
)

func nextSpanID() string {
	idCount++
	return fmt.Sprintf("%016x", idCount)
}

// traces encodes an ExportTraceServiceRequest of spans under TRACEPARENT,
// in protobuf or JSON.
func traces(proto bool, spans ...span) []byte {
	tid, parent := traceID, ""
	if tp := strings.Split(os.Getenv("TRACEPARENT"), "-"); len(tp) == 4 {
		tid, parent = tp[1], tp[2]
	}
	now := time.Now()
	if proto {
		return tracesProto(spans, tid, parent, now)
	}
	var parts []string
	for _, s := range spans {
		attrs := []string{`{"key":"gen_ai.operation.name","value":{"stringValue":"execute_tool"}}`,
			`{"key":"gen_ai.tool.name","value":` + string(str(s.tool, false).b) + `}`}
		if s.args.b != nil {
			attrs = append(attrs, `{"key":"gen_ai.tool.call.arguments","value":`+string(s.args.b)+`}`)
		}
		status := ""
		if s.errMsg != "" {
			m, _ := json.Marshal(s.errMsg)
			status = `,"status":{"code":2,"message":` + string(m) + `}`
		}
		name, _ := json.Marshal(s.name)
		parts = append(parts, fmt.Sprintf(`{"traceId":%q,"spanId":%q,"parentSpanId":%q,"name":%s,"kind":1,"startTimeUnixNano":"%d","endTimeUnixNano":"%d","attributes":[%s]%s}`,
			tid, nextSpanID(), parent, name, now.Add(-time.Second).UnixNano(), now.UnixNano(), strings.Join(attrs, ","), status))
	}
	return []byte(`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"hostile"}}]},"scopeSpans":[{"scope":{"name":"hostile"},"spans":[` + strings.Join(parts, ",") + `]}]}]}`)
}

func tracesProto(spans []span, tid, parent string, now time.Time) []byte {
	var ss []byte
	ss = append(ss, field(1, field(1, []byte("hostile")))...) // ScopeSpans.scope{name}
	for _, s := range spans {
		var sp []byte
		sp = append(sp, field(1, hexBytes(tid))...)
		sp = append(sp, field(2, hexBytes(nextSpanID()))...)
		if parent != "" {
			sp = append(sp, field(4, hexBytes(parent))...)
		}
		sp = append(sp, field(5, []byte(s.name))...)
		sp = append(sp, 6<<3, 1) // kind INTERNAL
		sp = append(sp, fixed64(7, uint64(now.Add(-time.Second).UnixNano()))...)
		sp = append(sp, fixed64(8, uint64(now.UnixNano()))...)
		sp = append(sp, field(9, kv("gen_ai.operation.name", str("execute_tool", true)))...)
		sp = append(sp, field(9, kv("gen_ai.tool.name", str(s.tool, true)))...)
		if s.args.b != nil {
			sp = append(sp, field(9, kv("gen_ai.tool.call.arguments", s.args))...)
		}
		if s.errMsg != "" {
			st := append(field(2, []byte(s.errMsg)), 3<<3, 2) // Status{message, code ERROR}
			sp = append(sp, field(15, st)...)
		}
		ss = append(ss, field(2, sp)...)
	}
	res := field(1, kv("service.name", str("hostile", true))) // Resource.attributes
	rs := append(field(1, res), field(2, ss)...)
	return field(1, rs)
}

// logs encodes an ExportLogsServiceRequest of one ERROR record with body.
func logs(body value) []byte {
	now := time.Now().UnixNano()
	if body.proto {
		var lr []byte
		lr = append(lr, fixed64(1, uint64(now))...)
		lr = append(lr, 2<<3, 17) // severity_number ERROR
		lr = append(lr, field(3, []byte("ERROR"))...)
		lr = append(lr, field(5, body.b)...)
		sl := append(field(1, field(1, []byte("hostile"))), field(2, lr)...)
		rl := append(field(1, field(1, kv("service.name", str("hostile", true)))), field(2, sl)...)
		return field(1, rl)
	}
	return []byte(fmt.Sprintf(`{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"hostile"}}]},"scopeLogs":[{"scope":{"name":"hostile"},"logRecords":[{"timeUnixNano":"%d","severityNumber":17,"severityText":"ERROR","body":%s}]}]}]}`, now, body.b))
}

func kv(key string, v value) []byte { return append(field(1, []byte(key)), field(2, v.b)...) }

// field is a length-delimited protobuf field.
func field(num int, b []byte) []byte {
	out := binary.AppendUvarint([]byte{byte(num<<3 | 2)}, uint64(len(b)))
	return append(out, b...)
}

func fixed64(num int, v uint64) []byte {
	return binary.LittleEndian.AppendUint64([]byte{byte(num<<3 | 1)}, v)
}

func hexBytes(s string) []byte {
	out := make([]byte, len(s)/2)
	for i := range out {
		n, _ := strconv.ParseUint(s[2*i:2*i+2], 16, 8)
		out[i] = byte(n)
	}
	return out
}

func uvarintLen(n int) int { return len(binary.AppendUvarint(nil, uint64(n))) }

func writeUvarint(b *bytes.Buffer, n int) { b.Write(binary.AppendUvarint(nil, uint64(n))) }
