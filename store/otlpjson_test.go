package store

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/bench/spangen"

	"github.com/agentops-dev/agentops/internal/otlpwire"
)

// everyField is a batch that sets every field of the OTLP trace encoding,
// with the strings and numbers an encoder gets wrong.
func everyField() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.SetSchemaUrl("https://opentelemetry.io/schemas/1.38.0")
	rs.Resource().Attributes().PutStr("service.name", "agent \"q\" \\ \n\r\t\x01\x1f é 💥 \xff\xfe \u2028 <&>")
	rs.Resource().SetDroppedAttributesCount(2)
	ss := rs.ScopeSpans().AppendEmpty()
	ss.SetSchemaUrl("s")
	ss.Scope().SetName("scope")
	ss.Scope().SetVersion("1.0")
	ss.Scope().Attributes().PutBool("b", true)
	ss.Scope().SetDroppedAttributesCount(1)
	sp := ss.Spans().AppendEmpty()
	sp.SetTraceID(pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	sp.SetSpanID(pcommon.SpanID{0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1})
	sp.SetParentSpanID(pcommon.SpanID{0xfe})
	sp.TraceState().FromRaw("k=v,x=y")
	sp.SetFlags(257)
	sp.SetName("chat gpt-4o")
	sp.SetKind(ptrace.SpanKindClient)
	sp.SetStartTimestamp(1764547200123456789)
	sp.SetEndTimestamp(math.MaxUint64)
	a := sp.Attributes()
	a.PutInt("int", math.MinInt64)
	a.PutInt("int.max", math.MaxInt64)
	for k, f := range map[string]float64{"d0": 0, "d1": 0.1, "d2": 1e-7, "d3": 1e21, "d4": -1e22, "d5": 123456789.125,
		"nan": math.NaN(), "inf": math.Inf(1), "-inf": math.Inf(-1), "neg0": math.Copysign(0, -1), "small": 5e-324} {
		a.PutDouble(k, f)
	}
	a.PutEmptyBytes("bytes").FromRaw([]byte{0, 1, 2, 0xff})
	a.PutEmptyBytes("nobytes")
	a.PutEmpty("empty")
	a.PutStr("", "empty key")
	a.PutStr("emptystr", "")
	sl := a.PutEmptySlice("slice")
	sl.AppendEmpty().SetStr("x")
	sl.AppendEmpty().SetEmptyMap().PutInt("n", 1)
	sl.AppendEmpty().SetEmptySlice()
	a.PutEmptySlice("emptyslice")
	m := a.PutEmptyMap("map")
	m.PutEmptyMap("inner").PutDouble("d", 2.5)
	a.PutEmptyMap("emptymap")
	sp.SetDroppedAttributesCount(3)
	ev := sp.Events().AppendEmpty()
	ev.SetName("exception")
	ev.SetTimestamp(42)
	ev.Attributes().PutStr("exception.stacktrace", "Traceback\n  File \"x\"")
	ev.SetDroppedAttributesCount(4)
	sp.Events().AppendEmpty() // an empty event
	sp.SetDroppedEventsCount(5)
	l := sp.Links().AppendEmpty()
	l.SetTraceID(pcommon.TraceID{9})
	l.SetSpanID(pcommon.SpanID{8})
	l.TraceState().FromRaw("a=b")
	l.Attributes().PutStr("link", "y")
	l.SetDroppedAttributesCount(6)
	l.SetFlags(1)
	sp.Links().AppendEmpty()
	sp.SetDroppedLinksCount(7)
	sp.Status().SetCode(ptrace.StatusCodeError)
	sp.Status().SetMessage("boom")
	// A span with nothing set, one with only a status code, one with only
	// a message; an empty scope and resource.
	ss.Spans().AppendEmpty()
	ss.Spans().AppendEmpty().Status().SetCode(ptrace.StatusCodeOk)
	ss.Spans().AppendEmpty().Status().SetMessage("m")
	rs.ScopeSpans().AppendEmpty()
	td.ResourceSpans().AppendEmpty()
	return td
}

// The store's encoder writes what pdata's JSON marshaler writes, byte for
// byte: spans.jsonl keeps its documented format.
func TestAppendTracesMatchesPdata(t *testing.T) {
	cases := map[string]ptrace.Traces{
		"every field": everyField(),
		"empty":       ptrace.NewTraces(),
		"realistic":   spangen.Traces(512, 1, spangen.DefaultMix),
		"all-LLM":     spangen.Traces(512, 2, spangen.AllLLM),
		"errors":      spangen.Traces(64, 3, spangen.Mix{Error: 1, Tool: 0.5}),
	}
	for name, td := range cases {
		t.Run(name, func(t *testing.T) {
			want, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
			if err != nil {
				t.Fatal(err)
			}
			got := appendTraces(nil, td)
			if !bytes.Equal(got, want) {
				i := 0
				for i < len(got) && i < len(want) && got[i] == want[i] {
					i++
				}
				t.Fatalf("differs from pdata at byte %d:\n got …%s\nwant …%s", i, got[max(0, i-80):min(len(got), i+80)], want[max(0, i-80):min(len(want), i+80)])
			}
			back, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(got)
			if err != nil || back.SpanCount() != td.SpanCount() {
				t.Fatalf("pdata reads back %d spans (%v), want %d", back.SpanCount(), err, td.SpanCount())
			}
		})
	}
}

// FuzzAppendTraces holds the encoder to pdata's on any batch a child can
// send (OTLP protobuf, as the receiver decodes it).
func FuzzAppendTraces(f *testing.F) {
	for _, td := range []ptrace.Traces{everyField(), spangen.Traces(8, 1, spangen.DefaultMix)} {
		b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(data)
		if err != nil {
			return
		}
		want, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
		if err != nil {
			return
		}
		if got := appendTraces(nil, td); !bytes.Equal(got, want) {
			t.Fatalf("differs from pdata:\n got %s\nwant %s", got, want)
		}
	})
}

func BenchmarkAppendTraces(b *testing.B) {
	for _, mix := range []string{"realistic", "llm"} {
		td := spangen.Traces(512, 1, spangen.Mixes[mix])
		b.Run(mix+"/pdata", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = (&ptrace.JSONMarshaler{}).MarshalTraces(td)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*512), "ns/span")
		})
		b.Run(mix+"/store", func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			for b.Loop() {
				buf = appendTraces(buf[:0], td)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*512), "ns/span")
		})
	}
}

// appendString, eight bytes at a time, escapes what the byte-at-a-time
// loop it replaced escapes: every byte value at every position of a word,
// and at the ends of strings of every length up to three words.
func TestAppendStringEscapesEveryByte(t *testing.T) {
	ref := func(s string) string {
		var b []byte
		for i := 0; i < len(s); i++ {
			switch c := s[i]; {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, `\n`...)
			case c == '\r':
				b = append(b, `\r`...)
			case c == '\t':
				b = append(b, `\t`...)
			case c < 0x20:
				b = append(b, fmt.Sprintf(`\u%04x`, c)...)
			default:
				b = append(b, c)
			}
		}
		return `"` + string(b) + `"`
	}
	for n := 1; n <= 24; n++ {
		for pos := 0; pos < n; pos++ {
			for c := range 256 {
				s := []byte(strings.Repeat("a", n))
				s[pos] = byte(c)
				if got, want := string(otlpwire.AppendJSONString(nil, string(s))), ref(string(s)); got != want {
					t.Fatalf("byte %#x at %d of %d: %s, want %s", c, pos, n, got, want)
				}
			}
		}
	}
}
