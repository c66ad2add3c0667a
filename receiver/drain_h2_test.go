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

// The same agent, but Drain must not need its quiet period: the receiver
// counts the streams the client opened and waits for exactly their requests.
func TestDrainWaitsForHungUpGRPCExportWithoutQuiet(t *testing.T) {
	body := must(t)(ptraceotlp.NewExportRequestFromTraces(testTraces(1, 0)).MarshalProto())
	msg := make([]byte, 5+len(body))
	binary.BigEndian.PutUint32(msg[1:], uint32(len(body)))
	copy(msg[5:], body)
	for i := 0; i < 30; i++ {
		r, sink := startReceiver(t, Config{})
		conn := h2Handshake(t, r.Addr())
		var buf bytes.Buffer
		fr := http2.NewFramer(&buf, nil)
		for stream := uint32(1); stream <= 3; stream += 2 { // two exports
			var hb bytes.Buffer
			enc := hpack.NewEncoder(&hb)
			for _, f := range [][2]string{
				{":method", "POST"}, {":scheme", "http"}, {":authority", r.Addr()},
				{":path", "/opentelemetry.proto.collector.trace.v1.TraceService/Export"},
				{"content-type", "application/grpc"}, {"te", "trailers"},
			} {
				_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
			}
			_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: stream, BlockFragment: hb.Bytes(), EndHeaders: true})
			_ = fr.WriteData(stream, true, msg)
		}
		// Byte by byte at first, so frame headers straddle reads.
		b := buf.Bytes()
		for j := 0; j < 20; j++ {
			if _, err := conn.Write(b[j : j+1]); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := conn.Write(b[20:]); err != nil {
			t.Fatal(err)
		}
		// Hang up with FIN, as an exiting client whose answers are not yet
		// in its socket does. (With answers unread its kernel would reset
		// the connection, and the server's kernel drop what it had not read.)
		_ = conn.(*net.TCPConn).CloseWrite()

		// Were Drain to wait for quiet, it would run into this deadline.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := r.Drain(ctx, time.Hour)
		cancel()
		if err != nil {
			r.mu.Lock()
			t.Logf("pendingH2=%d open=%d inFlight=%d", r.pendingH2, r.openConns, r.inFlight)
			r.mu.Unlock()
			sp, _, _ := sink.counts()
			t.Logf("spans=%d", sp)
			t.Fatalf("round %d: Drain = %v, want nil once both exports were taken in", i, err)
		}
		if spans, _, _ := sink.counts(); spans != 2 {
			t.Fatalf("round %d: %d spans when Drain returned, want the 2 written before the client hung up", i, spans)
		}
		_ = conn.Close()
	}
}

func TestH2StreamsCountsNewStreams(t *testing.T) {
	var buf bytes.Buffer
	buf.WriteString(http2.ClientPreface)
	fr := http2.NewFramer(&buf, nil)
	_ = fr.WriteSettings()
	_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: []byte{0x82}, EndHeaders: true})
	_ = fr.WriteData(1, false, make([]byte, 70000%16384))
	_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: []byte{0x82}, EndHeaders: true, EndStream: true}) // trailers
	_ = fr.WriteWindowUpdate(0, 100)
	_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: []byte{0x82}, EndHeaders: true})
	_ = fr.WritePing(false, [8]byte{})
	_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 5, BlockFragment: []byte{0x82}, EndHeaders: true})
	for _, chunk := range []int{1, 7, 9, 100, 1 << 20} {
		s := newH2Streams()
		for b := buf.Bytes(); len(b) > 0; {
			n := min(chunk, len(b))
			s.feed(b[:n])
			b = b[n:]
		}
		if got := s.opened.Load(); got != 3 {
			t.Errorf("fed in chunks of %d bytes: %d streams opened, want 3", chunk, got)
		}
	}
}
