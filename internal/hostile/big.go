package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// sendBig sends n trace requests of about size bytes each at once, every
// one its own spans (a tool call with 1 KiB of arguments each), over
// OTLP/HTTP protobuf or OTLP/gRPC, retrying a refusal for backpressure as
// an SDK does (after Retry-After or RetryInfo). Each request's final
// answer is recorded as big-<i>: its HTTP status, or for gRPC 200 for OK
// and 1000 + the code otherwise; stderr says how many retries it took.
func (c client) sendBig(n, size int, overGRPC bool) {
	c.proto = true
	bodies := make([][]byte, n)
	args := str(strings.Repeat("a", 1024), true)
	for i := range bodies {
		spans := make([]span, max(size/1100, 1))
		for j := range spans {
			spans[j] = span{name: "execute_tool t", tool: "t", args: args}
		}
		bodies[i] = traces(true, spans...)
	}
	send := c.postWithRetry
	if overGRPC {
		var err error
		if send, err = c.grpcSender(); err != nil {
			fmt.Fprintln(os.Stderr, "hostile:", err)
			os.Exit(1)
		}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	retries := 0
	for i, body := range bodies {
		wg.Go(func() {
			status, retried := send(body)
			mu.Lock()
			defer mu.Unlock()
			c.statuses["big-"+strconv.Itoa(i)] = status
			retries += retried
		})
	}
	wg.Wait()
	bodies = nil
	fmt.Fprintf(os.Stderr, "hostile: %d requests of %d bytes, %d retries\n", n, size, retries)
}

// maxRetries bounds how often one request is sent again.
const maxRetries = 300

func (c client) postWithRetry(body []byte) (status, retries int) {
	for retries = 0; ; retries++ {
		status, after := c.post("/v1/traces", body)
		if status != 503 || retries == maxRetries {
			return status, retries
		}
		time.Sleep(after)
	}
}

// grpcSender returns a function that exports a request over gRPC.
func (c client) grpcSender() (func([]byte) (int, int), error) {
	u, err := url.Parse(c.endpoint)
	if err != nil {
		return nil, err
	}
	cc, err := grpc.NewClient(u.Host, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", c.auth)
	return func(body []byte) (int, int) {
		for retries := 0; ; retries++ {
			var out []byte
			err := cc.Invoke(ctx, "/opentelemetry.proto.collector.trace.v1.TraceService/Export", &body, &out, grpc.ForceCodec(rawCodec{}))
			st := status.Convert(err)
			if st.Code() == codes.OK {
				return 200, retries
			}
			if st.Code() != codes.Unavailable || retries == maxRetries {
				return 1000 + int(st.Code()), retries
			}
			delay := time.Second
			for _, d := range st.Details() {
				if ri, ok := d.(*errdetails.RetryInfo); ok {
					delay = ri.GetRetryDelay().AsDuration()
				}
			}
			time.Sleep(delay)
		}
	}, nil
}

// rawCodec sends a []byte as the message as is: the request is encoded
// by hand, as over HTTP.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append((*(v.(*[]byte)))[:0], data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }
