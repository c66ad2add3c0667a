package receiver

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// nestValue makes v a value levels deep: maps (or arrays) around a string.
func nestValue(v pcommon.Value, levels int, array bool) {
	for i := 1; i < levels; i++ {
		if array {
			v = v.SetEmptySlice().AppendEmpty()
		} else {
			v = v.SetEmptyMap().PutEmpty("a")
		}
	}
	v.SetStr("leaf")
}

// TestNestingLimitIsOneForEveryEncoding sends values at the limit and one
// level past it, in a span attribute, a span event, a log body and a metric
// point, over OTLP/HTTP protobuf and JSON and OTLP/gRPC: at the limit they
// are accepted, past it the request is refused as a whole with 400 /
// INVALID_ARGUMENT, and counted under its reason.
func TestNestingLimitIsOneForEveryEncoding(t *testing.T) {
	r, sink := startReceiver(t, Config{Token: testToken})
	cc := dial(t, r)
	ctx, cancel := context.WithTimeout(withToken(context.Background(), testToken), 30*time.Second)
	defer cancel()
	cases := map[string]func(levels int, array bool) (path string, pb, js []byte, grpcExport func() error){
		"span attribute": func(levels int, array bool) (string, []byte, []byte, func() error) {
			td := testTraces(1, 0)
			nestValue(td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes().PutEmpty("gen_ai.tool.call.arguments"), levels, array)
			req := ptraceotlp.NewExportRequestFromTraces(td)
			return PathTraces, must(t)(req.MarshalProto()), must(t)(req.MarshalJSON()), func() error {
				_, err := ptraceotlp.NewGRPCClient(cc).Export(ctx, req)
				return err
			}
		},
		"span event attribute": func(levels int, array bool) (string, []byte, []byte, func() error) {
			td := testTraces(1, 0)
			ev := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Events().AppendEmpty()
			nestValue(ev.Attributes().PutEmpty("exception.message"), levels, array)
			req := ptraceotlp.NewExportRequestFromTraces(td)
			return PathTraces, must(t)(req.MarshalProto()), must(t)(req.MarshalJSON()), func() error {
				_, err := ptraceotlp.NewGRPCClient(cc).Export(ctx, req)
				return err
			}
		},
		"log body": func(levels int, array bool) (string, []byte, []byte, func() error) {
			ld := testLogs(1)
			lr := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
			lr.SetSeverityNumber(plog.SeverityNumberError)
			nestValue(lr.Body(), levels, array)
			req := plogotlp.NewExportRequestFromLogs(ld)
			return PathLogs, must(t)(req.MarshalProto()), must(t)(req.MarshalJSON()), func() error {
				_, err := plogotlp.NewGRPCClient(cc).Export(ctx, req)
				return err
			}
		},
		"metric point attribute": func(levels int, array bool) (string, []byte, []byte, func() error) {
			md := testMetrics(1)
			dp := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints().At(0)
			nestValue(dp.Attributes().PutEmpty("deep"), levels, array)
			req := pmetricotlp.NewExportRequestFromMetrics(md)
			return PathMetrics, must(t)(req.MarshalProto()), must(t)(req.MarshalJSON()), func() error {
				_, err := pmetricotlp.NewGRPCClient(cc).Export(ctx, req)
				return err
			}
		},
	}
	auth := "Authorization: Bearer " + testToken
	refusedHTTP, refusedGRPC := 0, 0
	for name, build := range cases {
		for _, array := range []bool{false, true} {
			for _, levels := range []int{MaxNesting, MaxNesting + 1} {
				path, pb, js, grpcExport := build(levels, array)
				wantHTTP, wantCode := 200, codes.OK
				if levels > MaxNesting {
					wantHTTP, wantCode = 400, codes.InvalidArgument
					refusedHTTP += 2
					refusedGRPC++
				}
				for ct, body := range map[string][]byte{contentTypeProto: pb, contentTypeJSON: js} {
					resp := post(t, "POST", r.Endpoint()+path, body, auth, "Content-Type: "+ct)
					if resp.status != wantHTTP {
						t.Errorf("%s, %d levels (arrays %v), %s: HTTP %d, want %d: %s", name, levels, array, ct, resp.status, wantHTTP, resp.body)
					}
					if wantHTTP == 400 {
						if st := decodeStatus(t, resp); codes.Code(st.Code) != codes.InvalidArgument || !strings.Contains(st.Message, "nested deeper than 30") {
							t.Errorf("%s, %s: status %v %q, want INVALID_ARGUMENT naming the limit", name, ct, codes.Code(st.Code), st.Message)
						}
					}
				}
				if code := status.Code(grpcExport()); code != wantCode {
					t.Errorf("%s, %d levels (arrays %v), gRPC: %v, want %v", name, levels, array, code, wantCode)
				}
			}
		}
	}
	spans, logs, metrics := sink.counts()
	// Per case: 2 encodings × 2 shapes + gRPC × 2 shapes accepted.
	if spans != 2*6 || logs != 6 || metrics != 6 {
		t.Errorf("sink got %d spans, %d logs, %d points; want 12, 6, 6 (only the requests within the limit)", spans, logs, metrics)
	}
	// gRPC reports an RPC's end to the stats handler after the client may
	// already have its answer: wait for the count, with a deadline.
	want := map[string]int{"HTTP 400 " + RefusedTooDeep: refusedHTTP, "gRPC InvalidArgument " + RefusedTooDeep: refusedGRPC}
	deadline := time.Now().Add(10 * time.Second)
	for got := r.Refusals(); !maps.Equal(got, want); got = r.Refusals() {
		if time.Now().After(deadline) {
			t.Fatalf("refusals = %v, want %v", got, want)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestMillionLevelsRefusedCheaply sends a JSON value a million levels deep
// (about 50 MB): it is refused before decoding, so the decoder's recursion
// never runs, and the receiver still serves afterwards.
func TestMillionLevelsRefusedCheaply(t *testing.T) {
	r, sink := startReceiver(t, Config{Token: testToken})
	const levels = 1_000_000
	var b strings.Builder
	b.WriteString(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":17,"body":`)
	b.WriteString(strings.Repeat(`{"kvlistValue":{"values":[{"key":"a","value":`, levels))
	b.WriteString(`{"stringValue":"leaf"}`)
	b.WriteString(strings.Repeat(`}]}}`, levels))
	b.WriteString(`}]}]}]}`)
	auth := "Authorization: Bearer " + testToken
	resp := post(t, "POST", r.Endpoint()+PathLogs, []byte(b.String()), auth, "Content-Type: "+contentTypeJSON)
	if resp.status != 400 {
		t.Fatalf("HTTP %d, want 400: %s", resp.status, resp.body)
	}
	good := must(t)(plogotlp.NewExportRequestFromLogs(testLogs(2)).MarshalJSON())
	if resp := post(t, "POST", r.Endpoint()+PathLogs, good, auth, "Content-Type: "+contentTypeJSON); resp.status != 200 {
		t.Fatalf("after the deep request: HTTP %d", resp.status)
	}
	if _, logs, _ := sink.counts(); logs != 2 {
		t.Errorf("sink got %d logs, want 2", logs)
	}
}

func TestJSONTooDeep(t *testing.T) {
	tests := []struct {
		in    string
		limit int
		want  bool
	}{
		{`{"a":[1,{"b":2}]}`, 3, false},
		{`{"a":[1,{"b":2}]}`, 2, true},
		{`{"a":"[[[[[[{{{{"}`, 1, false},
		{`{"a":"\"[[[["}`, 1, false},
		{`{"a":"\\"}`, 1, false},
		{`[[[]]] [[[]]]`, 3, false},
		{`]]]]]][[[`, 3, false},
	}
	for _, tt := range tests {
		if got := jsonTooDeep([]byte(tt.in), tt.limit); got != tt.want {
			t.Errorf("jsonTooDeep(%s, %d) = %v, want %v", tt.in, tt.limit, got, tt.want)
		}
	}
}
