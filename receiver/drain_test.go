package receiver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// An exited child has closed its sockets: Drain must not wait out its quiet
// period then, but it must still take in a request the child wrote just
// before it went (here: written on a raw connection closed at once, without
// reading the answer).
func TestDrainReturnsOnceClientsHaveHungUp(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the accept queue is only visible on Linux; elsewhere Drain waits for quiet")
	}
	r, sink := startReceiver(t, Config{})
	body := must(t)(ptraceotlp.NewExportRequestFromTraces(testTraces(3, 0)).MarshalProto())
	conn, err := net.Dial("tcp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", PathTraces, r.Addr(), contentTypeProto, len(body))
	if _, err := conn.Write(body); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close()

	// Were Drain to wait for quiet, it would run into this deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Drain(ctx, time.Hour); err != nil {
		t.Fatalf("Drain = %v, want nil once the only client has hung up", err)
	}
	if spans, _, _ := sink.counts(); spans != 3 {
		t.Fatalf("spans = %d when Drain returned, want the 3 written before the client hung up", spans)
	}
}

// A client that keeps its connection open (a grandchild still running)
// may still export: Drain waits for quiet.
func TestDrainWaitsWhileAConnectionIsOpen(t *testing.T) {
	r, _ := startReceiver(t, Config{})
	body := must(t)(ptraceotlp.NewExportRequestFromTraces(testTraces(1, 0)).MarshalProto())
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Post(r.Endpoint()+PathTraces, contentTypeProto, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	// Read to the end, so the keep-alive connection stays open, idle.
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := r.Drain(ctx, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Drain = %v with a connection still open, want it to wait (DeadlineExceeded)", err)
	}

	client.CloseIdleConnections()
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if runtime.GOOS == "linux" {
		if err := r.Drain(ctx, time.Hour); err != nil {
			t.Fatalf("Drain = %v after the client hung up, want nil", err)
		}
	}
}

func TestAcceptQueueEmpty(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Linux only")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if !acceptQueueEmpty(ln) {
		t.Fatal("fresh listener: queue not empty")
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// On loopback the handshake is done when Dial returns: the connection
	// waits in the queue until accepted.
	if acceptQueueEmpty(ln) {
		t.Fatal("a connection waits to be accepted, but the queue looks empty")
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !acceptQueueEmpty(ln) {
		t.Fatal("queue not empty after Accept")
	}
}
