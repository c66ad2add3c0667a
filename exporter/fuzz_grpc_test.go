package exporter

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/agentops-dev/agentops/internal/otlpwire"
)

// FuzzGRPCResponse feeds whatever a server may answer (body, message
// encoding, status headers or trailers) to the reader of a unary call's
// answer: it never panics, and it says OK only for one whole message and
// an OK status. Corpus: testdata/fuzz/FuzzGRPCResponse (RetryInfo from
// otlpwire's Write, a gzip message).
func FuzzGRPCResponse(f *testing.F) {
	ok := otlpwire.AppendFrame(nil, otlpwire.Partial{Rejected: 2, Message: "old"}.AppendProto(nil), false)
	f.Add(ok, "", "0", "", "", false)
	f.Add(ok[:len(ok)-1], "", "0", "", "", false)
	f.Add(append(ok, ok...), "", "0", "", "", false)
	f.Add([]byte{1, 0, 0, 0, 3, 1, 2, 3}, "gzip", "0", "", "", false)
	f.Add([]byte{}, "", "14", "busy%20now", "", true)
	f.Add([]byte{0, 0xff, 0xff, 0xff, 0xff}, "", "0", "", "", false)
	f.Fuzz(func(t *testing.T, body []byte, encoding, code, message, details string, trailersOnly bool) {
		resp := &http.Response{
			StatusCode: http.StatusOK, ProtoMajor: 2,
			Header:  http.Header{"Content-Type": {"application/grpc"}},
			Body:    io.NopCloser(bytes.NewReader(body)),
			Trailer: http.Header{},
		}
		if encoding != "" {
			resp.Header.Set("Grpc-Encoding", encoding)
		}
		st := resp.Trailer
		if trailersOnly {
			st = resp.Header
		}
		st.Set("Grpc-Status", code)
		st.Set("Grpc-Message", message)
		if details != "" {
			st.Set("Grpc-Status-Details-Bin", details)
		}
		got, msg := readGRPCResponse(context.Background(), resp)
		if got.Code != otlpwire.OK {
			return
		}
		if msg == nil || trailersOnly {
			t.Fatalf("OK without the one response message (trailers-only %v)", trailersOnly)
		}
		if len(body) < otlpwire.PrefixLen || body[0] == 0 && !bytes.Equal(msg, body[otlpwire.PrefixLen:]) {
			t.Fatalf("OK with message %q from body %q", msg, body)
		}
	})
}
