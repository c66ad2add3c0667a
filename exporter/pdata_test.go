package exporter

import (
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// sampleTraces builds a batch with two resources, attributes of every
// type, an event, a link and an error status.
func sampleTraces() ptrace.Traces {
	td := ptrace.NewTraces()
	now := time.Unix(1_700_000_000, 0)
	for r, service := range []string{"agent-a", "agent-b"} {
		rs := td.ResourceSpans().AppendEmpty()
		rs.SetSchemaUrl("https://opentelemetry.io/schemas/1.26.0")
		// Sorted keys: the SDK keeps resource and map attributes sorted.
		rs.Resource().Attributes().PutStr("deployment.environment", "ci")
		rs.Resource().Attributes().PutStr("service.name", service)
		ss := rs.ScopeSpans().AppendEmpty()
		ss.Scope().SetName("scope-" + service)
		ss.Scope().SetVersion("1.2.3")
		ss.Scope().Attributes().PutBool("scoped", true)
		for i := 0; i < 3; i++ {
			s := ss.Spans().AppendEmpty()
			s.SetTraceID(pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
			s.SetSpanID(pcommon.SpanID{byte(r), byte(i), 3, 4, 5, 6, 7, 8})
			s.SetParentSpanID(pcommon.SpanID{9, 9, 9, 9, 9, 9, 9, 9})
			s.SetName("chat gpt-4o")
			s.SetKind(ptrace.SpanKindClient)
			s.SetStartTimestamp(pcommon.NewTimestampFromTime(now))
			s.SetEndTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Duration(i+1) * time.Millisecond)))
			a := s.Attributes()
			a.PutStr("gen_ai.request.model", "gpt-4o")
			a.PutInt("gen_ai.usage.input_tokens", 120)
			a.PutDouble("temperature", 0.5)
			a.PutBool("stream", false)
			a.PutEmptyBytes("raw").FromRaw([]byte{0, 1, 2})
			sl := a.PutEmptySlice("stop")
			sl.AppendEmpty().SetStr("\n")
			sl.AppendEmpty().SetStr("END")
			mixed := a.PutEmptySlice("mixed")
			mixed.AppendEmpty().SetStr("x")
			mixed.AppendEmpty().SetInt(1)
			m := a.PutEmptyMap("request")
			m.PutInt("n", 2)
			m.PutStr("role", "user")
			e := s.Events().AppendEmpty()
			e.SetName("gen_ai.choice")
			e.SetTimestamp(pcommon.NewTimestampFromTime(now))
			e.Attributes().PutStr("finish_reason", "stop")
			l := s.Links().AppendEmpty()
			l.SetTraceID(pcommon.TraceID{16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1})
			l.SetSpanID(pcommon.SpanID{1, 1, 1, 1, 1, 1, 1, 1})
			l.Attributes().PutStr("link", "yes")
			if i == 2 {
				s.Status().SetCode(ptrace.StatusCodeError)
				s.Status().SetMessage("rate limited")
			}
		}
	}
	return td
}

func TestSpansFromTracesRoundTrip(t *testing.T) {
	in := sampleTraces()
	spans := SpansFromTraces(in)
	if len(spans) != 6 {
		t.Fatalf("got %d spans, want 6", len(spans))
	}
	// Spans of one ResourceSpans share one resource value.
	if spans[0].Resource() != spans[2].Resource() || spans[0].Resource() == spans[3].Resource() {
		t.Error("resource values not shared per ResourceSpans")
	}
	if got := spans[4].InstrumentationScope().Name; got != "scope-agent-b" {
		t.Errorf("scope = %q, want scope-agent-b", got)
	}
	out := TracesFromSpans(spans)
	// Compare as OTLP JSON: every field, in order.
	var m ptrace.JSONMarshaler
	want, _ := m.MarshalTraces(in)
	// TracesFromSpans records the sampled and "has is_remote" flags; the sample did not.
	got := normalizeFlags(t, out)
	if string(got) != string(want) {
		t.Errorf("round trip changed the batch\nwant %s\ngot  %s", want, got)
	}
}

// normalizeFlags clears span flags the sample did not set and re-marshals.
func normalizeFlags(t *testing.T, td ptrace.Traces) []byte {
	t.Helper()
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				s := spans.At(k)
				if s.Flags()&^(flagHasIsRemote|0x01) != 0 {
					t.Errorf("unexpected flags %x", s.Flags())
				}
				s.SetFlags(0)
				links := s.Links()
				for l := 0; l < links.Len(); l++ {
					links.At(l).SetFlags(0)
				}
			}
		}
	}
	b, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func BenchmarkSpansFromTraces(b *testing.B) {
	td := sampleTraces()
	b.ReportAllocs()
	for b.Loop() {
		_ = SpansFromTraces(td)
	}
}
