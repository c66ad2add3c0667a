package receiver

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// An agent that exits right after writing a gRPC export, without waiting
// for the answer: the export must reach the Sink, and Drain must not return
// before it has. Over HTTP/2 both can go wrong: the request's context is
// cancelled when the client hangs up (gRPC then drops the message), and
// net/http may start the request's goroutine after the connection closed.
// Each round writes the frames by hand, to hang up at the worst moment.
func TestDrainTakesInGRPCExportOfClientThatHungUp(t *testing.T) {
	body := must(t)(ptraceotlp.NewExportRequestFromTraces(testTraces(1, 0)).MarshalProto())
	msg := make([]byte, 5+len(body)) // gRPC message: flag, length, payload
	binary.BigEndian.PutUint32(msg[1:], uint32(len(body)))
	copy(msg[5:], body)
	for i := 0; i < 30; i++ {
		r, sink := startReceiver(t, Config{})
		conn := h2Handshake(t, r.Addr())
		var hb, buf bytes.Buffer
		enc := hpack.NewEncoder(&hb)
		for _, f := range [][2]string{
			{":method", "POST"}, {":scheme", "http"}, {":authority", r.Addr()},
			{":path", "/opentelemetry.proto.collector.trace.v1.TraceService/Export"},
			{"content-type", "application/grpc"}, {"te", "trailers"},
		} {
			_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
		}
		fr := http2.NewFramer(&buf, nil)
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndHeaders: true})
		_ = fr.WriteData(1, true, msg)
		if _, err := conn.Write(buf.Bytes()); err != nil {
			t.Fatal(err)
		}
		_ = conn.Close()

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := r.Drain(ctx, 50*time.Millisecond)
		cancel()
		if err != nil {
			t.Fatalf("round %d: Drain = %v", i, err)
		}
		if spans, _, _ := sink.counts(); spans != 1 {
			t.Fatalf("round %d: %d spans when Drain returned, want the 1 written before the client hung up", i, spans)
		}
	}
}

// h2Handshake opens a cleartext HTTP/2 connection and exchanges SETTINGS,
// as a gRPC client has long done before its last export.
func h2Handshake(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write([]byte(http2.ClientPreface)); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(conn, conn)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for settings, ack := false, false; !settings || !ack; {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if sf, ok := f.(*http2.SettingsFrame); ok {
			if sf.IsAck() {
				ack = true
			} else {
				settings = true
				if err := fr.WriteSettingsAck(); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return conn
}
