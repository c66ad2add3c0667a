package otlpwire

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
)

// statusCases are statuses as both sides must carry them: every code,
// messages grpc-message must percent-encode, RetryInfo delays.
var statusCases = []Status{
	{Code: OK},
	{Code: Canceled, Message: "canceled"},
	{Code: InvalidArgument, Message: "undecodable OTLP payload: traces: proto: cannot parse invalid wire-format data"},
	{Code: ResourceExhausted, Message: "request body too large: the limit is 1048576 bytes after decompression: send smaller batches"},
	{Code: Unauthenticated, Message: "missing or wrong bearer token: send the OTEL_EXPORTER_OTLP_HEADERS this session injected"},
	{Code: Unimplemented, Message: "100% sure: \"quoted\"\ttab\nnewline"},
	{Code: Internal, Message: "non-ASCII: é, ✓, 🚀 and a bad byte \xff and \x7f"},
	{Code: Unavailable, Message: "the receiver holds as much telemetry as it may at once (2097152 bytes in flight): retry later", Retry: true, RetryDelay: time.Second},
	{Code: Unavailable, Message: "", Retry: true, RetryDelay: 1500 * time.Millisecond},
	{Code: ResourceExhausted, Message: "slow down", Retry: true, RetryDelay: 250 * time.Microsecond},
	{Code: Unavailable, Message: "now", Retry: true},
	{Code: Unavailable, Message: "negative", Retry: true, RetryDelay: -2*time.Second - 5},
	{Code: Unauthenticated},
	{Code: 17, Message: "beyond the known codes"},
}

// grpcStatus is want as grpc-go's status package builds it.
func grpcStatus(t *testing.T, want Status) *status.Status {
	t.Helper()
	st := status.New(codes.Code(want.Code), want.Message)
	if want.Retry {
		var err error
		if st, err = st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(want.RetryDelay)}); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// expected is what a reader gets of s: grpc-go's client sees a message
// that is not UTF-8 with its bad bytes replaced.
func expected(s Status) Status {
	s.Message = validUTF8(s.Message)
	return s
}

// validUTF8 is s with each byte that is not UTF-8 replaced by U+FFFD, as
// ranging over s reads it (and grpc-go and encoding/json replace them).
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
	}
	return b.String()
}

func TestCodeNamesAreGRPCs(t *testing.T) {
	for c := range 20 {
		if got, want := Code(c).String(), codes.Code(c).String(); got != want {
			t.Errorf("Code(%d) = %q, grpc-go calls it %q", c, got, want)
		}
	}
}

// grpcGoServer is a real grpc-go server on loopback answering every RPC
// with the status the request's "want" metadata names (an index into
// statusCases), after sending a response message when "send" is set.
func grpcGoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, ss grpc.ServerStream) error {
		md, _ := metadata.FromIncomingContext(ss.Context())
		i := 0
		for _, c := range md.Get("want")[0] {
			i = i*10 + int(c-'0')
		}
		if len(md.Get("send")) > 0 {
			if err := ss.SendMsg(&durationpb.Duration{Seconds: 7}); err != nil {
				return err
			}
		}
		return grpcStatus(t, statusCases[i]).Err()
	}))
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(s.Stop)
	return ln.Addr().String()
}

// h2cClient is an HTTP/2 client with prior knowledge, no TLS.
func h2cClient(t *testing.T) *http.Client {
	t.Helper()
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: &p}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// grpcCall posts an empty message to a gRPC server with net/http and
// returns the response with its body read (so its trailers are there).
func grpcCall(t *testing.T, client *http.Client, addr string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/test.Service/Method", bytes.NewReader(AppendFrame(nil, nil, false)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("Te", "trailers")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// TestWriteIsWhatGRPCGoWrites compares the header values Write sets with
// those a real grpc-go server sends for the same status, trailers-only
// (no message sent) and as trailers after a message.
func TestWriteIsWhatGRPCGoWrites(t *testing.T) {
	addr := grpcGoServer(t)
	client := h2cClient(t)
	for i, want := range statusCases {
		if want.Code == OK {
			continue // grpc-go's handler cannot return OK with a status
		}
		for _, send := range []bool{false, true} {
			hdr := map[string]string{"want": itoa(i)}
			if send {
				hdr["send"] = "1"
			}
			resp, body := grpcCall(t, client, addr, hdr)
			theirs := resp.Header
			if send {
				theirs = resp.Trailer
				msg, _, err := ReadFrame(bytes.NewReader(body), 1<<20)
				if err != nil {
					t.Fatalf("case %d: response message: %v", i, err)
				}
				var d durationpb.Duration
				if err := proto.Unmarshal(msg, &d); err != nil || d.Seconds != 7 {
					t.Fatalf("case %d: response message %x: %v", i, msg, err)
				}
			} else if len(body) != 0 || len(resp.Trailer) != 0 {
				t.Fatalf("case %d: grpc-go sent %q and trailers %v, want a trailers-only response", i, body, resp.Trailer)
			}
			ours := http.Header{}
			want.Write(ours)
			for _, k := range []string{HeaderStatus, HeaderMessage, HeaderDetails} {
				if got, them := ours.Values(k), theirs.Values(k); strings.Join(got, "|") != strings.Join(them, "|") {
					t.Errorf("case %d (message sent %v): %s = %q, grpc-go sends %q", i, send, k, got, them)
				}
			}
			got, ok, err := ReadStatus(theirs)
			if err != nil || !ok || got != expected(want) {
				t.Errorf("case %d: ReadStatus(grpc-go's) = %+v, %v, %v; want %+v", i, got, ok, err, expected(want))
			}
		}
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// TestGRPCGoReadsWhatWriteWrites serves RPCs from a plain http.Handler on
// net/http's HTTP/2 with Write's status, trailers-only and after a
// message, and checks what a real grpc-go client makes of it.
func TestGRPCGoReadsWhatWriteWrites(t *testing.T) {
	var gotTimeout time.Duration
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		msg, compressed, err := ReadFrame(req.Body, 1<<20)
		if err != nil || compressed {
			t.Errorf("request message: %v (compressed %v)", err, compressed)
		}
		if d, err := ParseTimeout(req.Header.Get("Grpc-Timeout")); err == nil {
			gotTimeout = d
		}
		var i int
		for _, c := range req.Header.Get("want") {
			i = i*10 + int(c-'0')
		}
		h := w.Header()
		h.Set("Content-Type", "application/grpc")
		if req.Header.Get("send") == "" {
			statusCases[i].Write(h)
			w.WriteHeader(http.StatusOK)
			return
		}
		for _, k := range []string{HeaderStatus, HeaderMessage, HeaderDetails} {
			h.Add("Trailer", k)
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(AppendFrame(nil, msg, false)) // echo
		statusCases[i].Write(h)
	}))
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	defer srv.Close()
	cc, err := grpc.NewClient(strings.TrimPrefix(srv.URL, "http://"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	for i, want := range statusCases {
		for _, send := range []bool{false, true} {
			if want.Code == OK && !send {
				continue // a unary RPC that ends OK has a response
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			ctx = metadata.AppendToOutgoingContext(ctx, "want", itoa(i))
			if send {
				ctx = metadata.AppendToOutgoingContext(ctx, "send", "1")
			}
			in, out := durationpb.New(3*time.Second), new(durationpb.Duration)
			err := cc.Invoke(ctx, "/test.Service/Method", in, out)
			cancel()
			st := status.Convert(err)
			if uint32(st.Code()) != uint32(want.Code) || st.Message() != expected(want).Message {
				t.Errorf("case %d (message sent %v): grpc-go read %v %q, want %v %q", i, send, st.Code(), st.Message(), want.Code, expected(want).Message)
			}
			var retry *errdetails.RetryInfo
			for _, d := range st.Details() {
				if ri, ok := d.(*errdetails.RetryInfo); ok {
					retry = ri
				}
			}
			if (retry != nil) != want.Retry || retry != nil && retry.GetRetryDelay().AsDuration() != want.RetryDelay {
				t.Errorf("case %d: grpc-go read RetryInfo %v, want %v (%v)", i, retry, want.RetryDelay, want.Retry)
			}
			if want.Code == OK && send && out.Seconds != 3 {
				t.Errorf("case %d: response %v, want the echo of 3s", i, out)
			}
		}
	}
	if gotTimeout <= 0 || gotTimeout > 10*time.Second {
		t.Errorf("grpc-timeout read as %v, want at most the client's 10s", gotTimeout)
	}
}

// TestDetailsBytesAreGRPCGos: the details are proto.Marshal of grpc-go's
// own status, byte for byte.
func TestDetailsBytesAreGRPCGos(t *testing.T) {
	for i, s := range statusCases {
		if !s.Retry {
			continue
		}
		want, err := proto.Marshal(grpcStatus(t, s).Proto())
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		s.Write(h)
		got, err := base64.RawStdEncoding.DecodeString(h.Get(HeaderDetails))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("case %d: details %x (%v), grpc-go marshals %x", i, got, err, want)
		}
	}
}

func TestReadStatus(t *testing.T) {
	details := func(s Status) string {
		h := http.Header{}
		s.Write(h)
		return h.Get(HeaderDetails)
	}
	padded := base64.StdEncoding.EncodeToString(Status{Code: Unavailable, Message: "m", Retry: true, RetryDelay: time.Second}.AppendProto(nil))
	tests := []struct {
		name    string
		h       http.Header
		want    Status
		ok, err bool
	}{
		{"none", http.Header{}, Status{}, false, false},
		{"ok", http.Header{HeaderStatus: {"0"}}, Status{Code: OK}, true, false},
		{"message", http.Header{HeaderStatus: {"14"}, HeaderMessage: {"a%20b%zz%4"}}, Status{Code: Unavailable, Message: "a b%zz%4"}, true, false},
		{"not a number", http.Header{HeaderStatus: {"fourteen"}}, Status{}, true, true},
		{"padded details", http.Header{HeaderStatus: {"14"}, HeaderDetails: {padded}}, Status{Code: Unavailable, Message: "m", Retry: true, RetryDelay: time.Second}, true, false},
		{"details not base64", http.Header{HeaderStatus: {"14"}, HeaderDetails: {"!!!"}}, Status{Code: Unavailable}, true, true},
		{"details not a status", http.Header{HeaderStatus: {"14"}, HeaderMessage: {"m"}, HeaderDetails: {base64.RawStdEncoding.EncodeToString([]byte{0xff})}}, Status{Code: Unavailable, Message: "m"}, true, false},
		{"details of another code", http.Header{HeaderStatus: {"8"}, HeaderMessage: {"m"}, HeaderDetails: {details(Status{Code: Unavailable, Message: "m", Retry: true})}},
			Status{Code: Internal, Message: `grpc-status-details-bin mismatch: grpc-status=ResourceExhausted, grpc-message="m", grpc-status-details-bin code=Unavailable, message="m"`}, true, false},
		{"two details", http.Header{HeaderStatus: {"14"}, HeaderDetails: {details(Status{Code: Unavailable, Retry: true}), "x"}}, Status{Code: Unavailable}, true, false},
	}
	for _, tt := range tests {
		got, ok, err := ReadStatus(tt.h)
		if ok != tt.ok || (err != nil) != tt.err || (err == nil && got != tt.want) {
			t.Errorf("%s: ReadStatus = %+v, %v, %v; want %+v, %v, error %v", tt.name, got, ok, err, tt.want, tt.ok, tt.err)
		}
	}
}

// TestStatusBodies: the OTLP/HTTP failure bodies are google.rpc.Status
// as protobuf's own marshallers write it (JSON up to protojson's spaces).
func TestStatusBodies(t *testing.T) {
	for i, s := range statusCases {
		if !utf8.ValidString(s.Message) {
			continue // proto.Marshal refuses it; the receiver sends only valid UTF-8
		}
		want, err := proto.Marshal(grpcStatus(t, s).Proto())
		if err != nil {
			t.Fatal(err)
		}
		if got := s.AppendProto(nil); !bytes.Equal(got, want) {
			t.Errorf("case %d: AppendProto = %x, proto.Marshal %x", i, got, want)
		}
		s.Retry, s.RetryDelay = false, 0
		var st spb.Status
		if err := protojson.Unmarshal(s.AppendJSON(nil), &st); err != nil || uint32(st.Code) != uint32(s.Code) || st.Message != s.Message {
			t.Errorf("case %d: AppendJSON = %s, protojson reads %v, %v", i, s.AppendJSON(nil), &st, err)
		}
		want, err = protojson.Marshal(grpcStatus(t, s).Proto())
		if err != nil {
			t.Fatal(err)
		}
		if got := s.AppendJSON(nil); !bytes.Equal(got, bytes.ReplaceAll(want, []byte(", "), []byte(","))) && !bytes.Equal(got, want) {
			t.Errorf("case %d: AppendJSON = %s, protojson writes %s", i, got, want)
		}
	}
}

func TestStatusErr(t *testing.T) {
	if err := (Status{Code: OK}).Err(); err != nil {
		t.Errorf("OK.Err() = %v", err)
	}
	s := Status{Code: Unavailable, Message: "busy", Retry: true, RetryDelay: time.Second}
	err := s.Err()
	if got := err.Error(); got != status.New(codes.Unavailable, "busy").Err().Error() {
		t.Errorf("Error() = %q, grpc-go says %q", got, status.New(codes.Unavailable, "busy").Err().Error())
	}
	if got := StatusOf(errors.Join(errors.New("export"), err)); got != s {
		t.Errorf("StatusOf(wrapped) = %+v, want %+v", got, s)
	}
	if got := StatusOf(io.EOF); got.Code != Unknown || got.Message != "EOF" {
		t.Errorf("StatusOf(io.EOF) = %+v", got)
	}
}

func TestMessageEncoding(t *testing.T) {
	for _, msg := range []string{"", "plain", "100%", "é✓🚀", "\x00\x1f\x7f", "bad \xff\xfe", "%%41"} {
		enc := encodeMessage(msg)
		for i := 0; i < len(enc); i++ {
			if enc[i] < ' ' || enc[i] > '~' {
				t.Errorf("encodeMessage(%q) = %q: not printable ASCII", msg, enc)
			}
		}
		if got, want := decodeMessage(enc), validUTF8(msg); got != want {
			t.Errorf("decodeMessage(encodeMessage(%q)) = %q, want %q", msg, got, want)
		}
	}
}

// TestReadFrame: the edge cases of framing; a real grpc-go client's
// frames are read in TestGRPCGoReadsWhatWriteWrites, and its server's
// in TestWriteIsWhatGRPCGoWrites.
func TestReadFrame(t *testing.T) {
	msg := []byte("hello")
	two := append(AppendFrame(nil, msg, true), AppendFrame(nil, nil, false)...)
	r := bytes.NewReader(two)
	if got, c, err := ReadFrame(r, 5); err != nil || !c || string(got) != "hello" {
		t.Fatalf("first = %q, %v, %v", got, c, err)
	}
	if got, c, err := ReadFrame(r, 5); err != nil || c || len(got) != 0 {
		t.Fatalf("second (empty) = %q, %v, %v", got, c, err)
	}
	if _, _, err := ReadFrame(r, 5); err != io.EOF {
		t.Fatalf("at the end: %v, want io.EOF", err)
	}
	for name, tt := range map[string]struct {
		in    []byte
		limit int64
		want  error
	}{
		"short prefix":   {[]byte{0, 0}, 5, io.ErrUnexpectedEOF},
		"short message":  {AppendFrame(nil, msg, false)[:8], 5, io.ErrUnexpectedEOF},
		"too large":      {AppendFrame(nil, msg, false), 4, ErrTooLarge},
		"unknown format": {append([]byte{2}, AppendFrame(nil, msg, false)[1:]...), 5, ErrFormat},
	} {
		if _, _, err := ReadFrame(bytes.NewReader(tt.in), tt.limit); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", name, err, tt.want)
		}
	}
	buf := make([]byte, 0, 64)
	got, _, err := ReadFrameInto(bytes.NewReader(AppendFrame(nil, msg, false)), 64, buf)
	if err != nil || &got[0] != &buf[:1][0] {
		t.Errorf("ReadFrameInto did not read into buf: %v", err)
	}
}
