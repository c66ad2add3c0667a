package events_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/agentops-dev/agentops/bench/spangen"
	"github.com/agentops-dev/agentops/events"
)

// maxNesting is the receiver's limit (receiver.MaxNesting).
const maxNesting = 30

// pdataRead is what the receiver made of a trace request before the wire
// reader: pdata's decoding, the nesting limit, the invalid spans dropped,
// and every span's events by events.AppendFromSpan.
type pdataRead struct {
	err     error // a decoding error, or events.ErrTooDeep
	evs     []events.Event
	spans   []events.BatchSpan
	invalid int
	empty   bool
}

func readPdata(body []byte) pdataRead {
	er := ptraceotlp.NewExportRequest()
	if err := er.UnmarshalProto(body); err != nil {
		if strings.Contains(err.Error(), "exceeded max recursion depth") {
			err = events.ErrTooDeep
		}
		return pdataRead{err: err}
	}
	td := er.Traces()
	if tracesTooDeep(td) {
		return pdataRead{err: events.ErrTooDeep}
	}
	var r pdataRead
	events.EachSpan(td, func(sp ptrace.Span) {
		if sp.TraceID().IsEmpty() || sp.SpanID().IsEmpty() {
			r.invalid++
		}
	})
	if r.invalid > 0 { // as receiver.dropInvalidSpans
		td.ResourceSpans().RemoveIf(func(rs ptrace.ResourceSpans) bool {
			rs.ScopeSpans().RemoveIf(func(ss ptrace.ScopeSpans) bool {
				ss.Spans().RemoveIf(func(s ptrace.Span) bool { return s.TraceID().IsEmpty() || s.SpanID().IsEmpty() })
				return ss.Spans().Len() == 0
			})
			return rs.ScopeSpans().Len() == 0
		})
	}
	r.empty = td.ResourceSpans().Len() == 0
	r.evs, r.spans = events.AppendTracesEvents(td, nil, nil)
	return r
}

// tracesTooDeep is the receiver's nesting check (receiver/nesting.go), as
// a recursive walk: pdata's decoder has bounded the depth already.
func tracesTooDeep(td ptrace.Traces) bool {
	var height func(v pcommon.Value) int
	height = func(v pcommon.Value) int {
		h := 0
		switch v.Type() {
		case pcommon.ValueTypeMap:
			v.Map().Range(func(_ string, c pcommon.Value) bool { h = max(h, height(c)); return true })
		case pcommon.ValueTypeSlice:
			for i := 0; i < v.Slice().Len(); i++ {
				h = max(h, height(v.Slice().At(i)))
			}
		}
		return h + 1
	}
	deep := false
	check := func(m pcommon.Map) {
		m.Range(func(_ string, v pcommon.Value) bool {
			deep = deep || height(v) > maxNesting
			return true
		})
	}
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		rs := td.ResourceSpans().At(i)
		check(rs.Resource().Attributes())
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			ss := rs.ScopeSpans().At(j)
			check(ss.Scope().Attributes())
			for k := 0; k < ss.Spans().Len(); k++ {
				sp := ss.Spans().At(k)
				check(sp.Attributes())
				for e := 0; e < sp.Events().Len(); e++ {
					check(sp.Events().At(e).Attributes())
				}
				for l := 0; l < sp.Links().Len(); l++ {
					check(sp.Links().At(l).Attributes())
				}
			}
		}
	}
	return deep
}

// checkWireMatchesPdata reads body both ways and fails when they differ:
// one refuses what the other takes, or the events, the spans, the invalid
// count differ. The wire reader's events must not depend on the body once
// read: it is overwritten before they are compared (ReadTracesInPlace's,
// compared before, must).
func checkWireMatchesPdata(t *testing.T, body []byte) {
	t.Helper()
	want := readPdata(body)
	buf := bytes.Clone(body)
	// Read in place, the events are the same, as long as body is.
	if inPlace, _, _, err := events.ReadTracesInPlace(buf, maxNesting, nil, nil); err == nil && want.err == nil {
		if len(inPlace) != len(want.evs) {
			t.Fatalf("wire in place: %d events, pdata: %d", len(inPlace), len(want.evs))
		}
		for i := range inPlace {
			if got, exp := comparable(inPlace[i]), comparable(want.evs[i]); !reflect.DeepEqual(got, exp) {
				t.Fatalf("event %d:\nwire in place  %s\npdata %s", i, dump(got), dump(exp))
			}
		}
	}
	evs, spans, w, err := events.ReadTraces(buf, maxNesting, nil, nil)
	switch {
	case want.err != nil && err == nil:
		t.Fatalf("wire reader took a request pdata refuses (%v)", want.err)
	case want.err == nil && err != nil:
		t.Fatalf("wire reader refused (%v) a request pdata takes", err)
	case want.err != nil:
		if errors.Is(want.err, events.ErrTooDeep) != errors.Is(err, events.ErrTooDeep) {
			t.Fatalf("wire reader refused with %v, pdata with %v", err, want.err)
		}
		return
	}
	for i := range buf {
		buf[i] = 0xa5
	}
	if w.Invalid() != want.invalid || w.Empty() != want.empty {
		t.Fatalf("wire: %d invalid, empty %v; pdata: %d, %v", w.Invalid(), w.Empty(), want.invalid, want.empty)
	}
	if !reflect.DeepEqual(spans, want.spans) {
		t.Fatalf("wire spans\n%+v\npdata spans\n%+v", spans, want.spans)
	}
	if len(evs) != len(want.evs) {
		t.Fatalf("wire: %d events, pdata: %d", len(evs), len(want.evs))
	}
	for i := range evs {
		got, exp := comparable(evs[i]), comparable(want.evs[i])
		if !reflect.DeepEqual(got, exp) {
			t.Fatalf("event %d:\nwire  %s\npdata %s", i, dump(got), dump(exp))
		}
	}
}

// comparable is e with a NaN cost as a number DeepEqual finds equal.
func comparable(e events.Event) events.Event {
	if e.LLM != nil && e.LLM.CostUSD != nil && math.IsNaN(*e.LLM.CostUSD) {
		l := *e.LLM
		c := -12345.0
		l.CostUSD = &c
		e.LLM = &l
	}
	return e
}

func dump(e events.Event) string {
	s := fmt.Sprintf("%+v", e)
	for _, p := range []any{e.LLM, e.Tool, e.Action, e.Agent, e.Error} {
		if !reflect.ValueOf(p).IsNil() {
			s += fmt.Sprintf(" %+v", p)
		}
	}
	return s
}

func marshalProto(t testing.TB, td ptrace.Traces) []byte {
	t.Helper()
	b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtureRequests are the golden fixtures (testdata/*.json, real OTLP of
// the conventions events reads) and spangen's batches, as protobuf.
func fixtureRequests(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{
		"spangen realistic": marshalProto(t, spangen.Traces(24, 1, spangen.DefaultMix)),
		"spangen all-LLM":   marshalProto(t, spangen.Traces(8, 2, spangen.AllLLM)),
	}
	paths, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		if strings.HasSuffix(p, ".golden.json") || strings.HasSuffix(p, ".logs.json") {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(b)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out[filepath.Base(p)] = marshalProto(t, td)
	}
	return out
}

// Protobuf the pdata encoder never writes: repeated scalars, a repeated
// value, a oneof set twice, the deprecated scope spans, groups, unknown
// fields, duplicate attribute names, maps, arrays and bytes read as
// strings.
func handWrittenRequests() map[string][]byte {
	msg := func(n protowire.Number, parts ...[]byte) []byte {
		b := protowire.AppendTag(nil, n, protowire.BytesType)
		return protowire.AppendBytes(b, bytes.Join(parts, nil))
	}
	str := func(n protowire.Number, s string) []byte { return msg(n, []byte(s)) }
	varint := func(n protowire.Number, v uint64) []byte {
		return protowire.AppendVarint(protowire.AppendTag(nil, n, protowire.VarintType), v)
	}
	fixed64 := func(n protowire.Number, v uint64) []byte {
		return protowire.AppendFixed64(protowire.AppendTag(nil, n, protowire.Fixed64Type), v)
	}
	kv := func(key string, value ...[]byte) []byte { return msg(9, str(1, key), msg(2, value...)) }
	strv := func(s string) []byte { return str(1, s) }
	intv := func(v int64) []byte { return varint(3, uint64(v)) }
	dblv := func(f float64) []byte { return fixed64(4, math.Float64bits(f)) }
	arr := func(elems ...[]byte) []byte {
		var b [][]byte
		for _, e := range elems {
			b = append(b, msg(1, e))
		}
		return msg(5, b...)
	}
	kvl := func(pairs ...[]byte) []byte { return msg(6, pairs...) }
	pair := func(key string, value []byte) []byte { return msg(1, str(1, key), msg(2, value)) }
	ids := func(span byte) []byte {
		return bytes.Join([][]byte{
			str(1, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10"),
			str(2, string([]byte{span, 2, 3, 4, 5, 6, 7, 8})),
			fixed64(7, 1_700_000_000_000_000_000), fixed64(8, 1_700_000_001_000_000_000),
		}, nil)
	}
	req := func(spans ...[]byte) []byte { return msg(1, msg(2, spans...)) }
	// pdata skips an empty group, and refuses one holding a field (its
	// skipping stops after the first field inside).
	group := protowire.AppendTag(nil, 50, protowire.StartGroupType)
	group = protowire.AppendTag(group, 50, protowire.EndGroupType)
	fullGroup := protowire.AppendTag(nil, 50, protowire.StartGroupType)
	fullGroup = append(fullGroup, varint(3, 7)...)
	fullGroup = protowire.AppendTag(fullGroup, 50, protowire.EndGroupType)
	llm := kv("gen_ai.operation.name", strv("chat"))
	return map[string][]byte{
		"repeated scalars": req(msg(2, ids(1), str(5, "first"), str(5, "chat x"), llm,
			kv("gen_ai.request.model", strv("gpt-4o")), kv("gen_ai.request.model", strv("ignored")),
			msg(9, str(1, "gen_ai.usage.input_tokens"), msg(2, strv("12")), msg(2, intv(40))),
			msg(9, str(1, "gen_ai.usage.output_tokens"), msg(2, intv(5), dblv(7.6))),
			kv("gen_ai.usage.cost", dblv(math.NaN())))),
		"values as strings": req(msg(2, ids(2), str(5, "chat"), llm,
			kv("gen_ai.request.model", intv(42)),
			kv("gen_ai.provider.name", dblv(1e21)),
			kv("gen_ai.input.messages", arr(strv("hi"), intv(3), kvl(pair("role", strv("user"))))),
			kv("gen_ai.output.messages", kvl(pair("b", strv("<x>&")), pair("a", arr()))),
			kv("gen_ai.response.id", msg(7, []byte{0xff, 0})),
			kv("request_id", arr(strv(" req-1 "), strv("req-2"))),
			kv("gen_ai.tool.call.id", arr()),
			kv("mlflow.chat.tokenUsage", strv(`{"input_tokens": 9, "output_tokens": "x"}`)),
			kv("mlflow.llm.provider", strv(`"OpenAI"`)))),
		"indexed messages and events": req(msg(2, ids(3), str(5, "chat"), llm,
			kv("gen_ai.prompt.1.content", strv("second")), kv("gen_ai.prompt.0.role", strv("system")),
			kv("gen_ai.prompt.0.content", strv("first")), kv("gen_ai.prompt.x.role", strv("bad")),
			msg(11, str(2, "gen_ai.content.completion"), kv("gen_ai.completion", strv("done"))),
			msg(15, str(2, "boom"), varint(3, 2)),
			msg(11, str(2, "exception"), kv("exception.type", strv("E")), kv("exception.type", strv("F")),
				kv("exception.stacktrace", intv(7))))),
		"deprecated scope spans": msg(1, msg(1000, msg(2, ids(4), str(5, "execute_tool grep"),
			kv("gen_ai.operation.name", strv("execute_tool"))))),
		"both scope spans lists":   msg(1, msg(1000, msg(2, ids(5), llm)), msg(2, msg(2, ids(6), llm))),
		"invalid span among valid": req(msg(2, ids(7), llm), msg(2, str(1, ""), str(2, "\x01\x01\x01\x01\x01\x01\x01\x01"), llm)),
		"only invalid spans":       req(msg(2, llm)),
		// (pdata's skipping of a group refuses one that ends its message.)
		"unknown fields and groups": append(req(append(msg(2, ids(8), group, llm, varint(99, 1)), str(77, "x")...)),
			varint(5, 1)...),
		"status merged":      req(msg(2, ids(9), msg(15, varint(3, 2)), msg(15, str(2, "late message")))),
		"deep but within":    req(msg(2, ids(10), llm, kv("deep", nest(29)))),
		"too deep":           req(msg(2, ids(11), llm, kv("deep", nest(30)))),
		"too deep for pdata": req(msg(2, ids(12), llm, kv("deep", nest(60)))),
		"too deep in dropped deprecated": msg(1, msg(2, msg(2, ids(13), llm)),
			msg(1000, msg(2, ids(14), kv("deep", nest(31))))),
		"wrong id length":       req(msg(2, str(1, "short"), llm)),
		"group holding a field": req(append(msg(2, ids(17), llm), fullGroup...)),
		"wrong wire type":       req(msg(2, ids(15), varint(5, 3))),
		"truncated":             req(msg(2, ids(16), llm))[:40],
	}
}

// nest is an AnyValue of n nested arrays around a string (n+1 levels).
func nest(n int) []byte {
	v := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), "leaf")
	for range n {
		inner := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), v)
		v = protowire.AppendBytes(protowire.AppendTag(nil, 5, protowire.BytesType), inner)
	}
	return v
}

func TestWireTracesMatchPdata(t *testing.T) {
	for name, body := range fixtureRequests(t) {
		t.Run(name, func(t *testing.T) { checkWireMatchesPdata(t, body) })
	}
	for name, body := range handWrittenRequests() {
		t.Run(name, func(t *testing.T) {
			// The requests meant to be taken are (the test is no vacuous one).
			refused := strings.HasPrefix(name, "too deep") && name != "too deep in dropped deprecated" ||
				name == "wrong id length" || name == "group holding a field" || name == "wrong wire type" || name == "truncated"
			if err := readPdata(body).err; (err != nil) != refused {
				t.Fatalf("pdata: %v", err)
			}
			checkWireMatchesPdata(t, body)
		})
	}
}

// The fixtures hold the calls they hold through the wire reader too.
func TestWireTracesFindTheFixturesEvents(t *testing.T) {
	body := fixtureRequests(t)["gen_ai.json"]
	evs, _, _, err := events.ReadTraces(body, maxNesting, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[events.Kind]int{}
	for _, e := range evs {
		kinds[e.Kind]++
	}
	if kinds[events.KindLLM] == 0 || kinds[events.KindTool] == 0 || kinds[events.KindError] == 0 {
		t.Errorf("gen_ai fixture through the wire reader: %v", kinds)
	}
}

func TestWireTracesRefusals(t *testing.T) {
	reqs := handWrittenRequests()
	for name, tooDeep := range map[string]bool{
		"too deep": true, "too deep for pdata": true, "wrong id length": false,
		"wrong wire type": false, "truncated": false,
	} {
		_, _, _, err := events.ReadTraces(reqs[name], maxNesting, nil, nil)
		if err == nil || errors.Is(err, events.ErrTooDeep) != tooDeep {
			t.Errorf("%s: ReadTraces = %v, want a refusal (too deep: %v)", name, err, tooDeep)
		}
	}
	if _, _, _, err := events.ReadTraces(reqs["too deep in dropped deprecated"], maxNesting, nil, nil); err != nil {
		t.Errorf("a deep value in scope spans pdata drops: %v", err)
	}
}

// FuzzWireTraces holds the wire reader to pdata's decoding and the
// receiver's checks, on any bytes: the same refusals, and for a request
// both take the same spans and the same events, strings owned. Seeds: the
// golden fixtures, spangen's batches and hand-written protobuf the pdata
// encoder never writes; corpus: testdata/fuzz/FuzzWireTraces.
func FuzzWireTraces(f *testing.F) {
	for _, b := range fixtureRequests(f) {
		f.Add(b)
	}
	for _, b := range handWrittenRequests() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkWireMatchesPdata(t, body) })
}
