package exporter

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// SpansFromTraces turns a received OTLP batch into SDK read-only spans, each
// carrying its own resource and instrumentation scope, so they can enter a
// TracerProvider's span processors next to the session's own spans. One
// resource value is built per ResourceSpans and shared by its spans.
func SpansFromTraces(td ptrace.Traces) []sdktrace.ReadOnlySpan {
	out := make([]sdktrace.ReadOnlySpan, 0, td.SpanCount())
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		res := resource.NewWithAttributes(rs.SchemaUrl(), attributesFromMap(rs.Resource().Attributes())...)
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			scope := instrumentation.Scope{
				Name:       ss.Scope().Name(),
				Version:    ss.Scope().Version(),
				SchemaURL:  ss.SchemaUrl(),
				Attributes: attribute.NewSet(attributesFromMap(ss.Scope().Attributes())...),
			}
			spans := ss.Spans()
			for k := 0; k < spans.Len(); k++ {
				out = append(out, spanStub(spans.At(k), res, scope).Snapshot())
			}
		}
	}
	return out
}

// OTLP span flag bits (opentelemetry-proto trace.proto, SpanFlags).
const (
	flagHasIsRemote uint32 = 0x100
	flagIsRemote    uint32 = 0x200
)

func spanStub(s ptrace.Span, res *resource.Resource, scope instrumentation.Scope) tracetest.SpanStub {
	ts, _ := trace.ParseTraceState(s.TraceState().AsRaw())
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID(s.TraceID()),
		SpanID:     trace.SpanID(s.SpanID()),
		TraceFlags: trace.FlagsSampled,
		TraceState: ts,
		Remote:     false,
	})
	var parent trace.SpanContext
	if !s.ParentSpanID().IsEmpty() {
		parent = trace.NewSpanContext(trace.SpanContextConfig{
			TraceID:    trace.TraceID(s.TraceID()),
			SpanID:     trace.SpanID(s.ParentSpanID()),
			TraceFlags: trace.FlagsSampled,
			Remote:     s.Flags()&flagIsRemote != 0,
		})
	}
	stub := tracetest.SpanStub{
		Name:                 s.Name(),
		SpanContext:          sc,
		Parent:               parent,
		SpanKind:             spanKindFromPdata(s.Kind()),
		StartTime:            s.StartTimestamp().AsTime(),
		EndTime:              s.EndTimestamp().AsTime(),
		Attributes:           attributesFromMap(s.Attributes()),
		Status:               statusFromPdata(s.Status()),
		DroppedAttributes:    int(s.DroppedAttributesCount()),
		DroppedEvents:        int(s.DroppedEventsCount()),
		DroppedLinks:         int(s.DroppedLinksCount()),
		Resource:             res,
		InstrumentationScope: scope,
	}
	if evs := s.Events(); evs.Len() > 0 {
		stub.Events = make([]sdktrace.Event, evs.Len())
		for i := 0; i < evs.Len(); i++ {
			e := evs.At(i)
			stub.Events[i] = sdktrace.Event{
				Name:                  e.Name(),
				Time:                  e.Timestamp().AsTime(),
				Attributes:            attributesFromMap(e.Attributes()),
				DroppedAttributeCount: int(e.DroppedAttributesCount()),
			}
		}
	}
	if links := s.Links(); links.Len() > 0 {
		stub.Links = make([]sdktrace.Link, links.Len())
		for i := 0; i < links.Len(); i++ {
			l := links.At(i)
			lts, _ := trace.ParseTraceState(l.TraceState().AsRaw())
			stub.Links[i] = sdktrace.Link{
				SpanContext: trace.NewSpanContext(trace.SpanContextConfig{
					TraceID:    trace.TraceID(l.TraceID()),
					SpanID:     trace.SpanID(l.SpanID()),
					TraceState: lts,
					TraceFlags: trace.TraceFlags(l.Flags() & 0xff),
				}),
				Attributes:            attributesFromMap(l.Attributes()),
				DroppedAttributeCount: int(l.DroppedAttributesCount()),
			}
		}
	}
	return stub
}

func spanKindFromPdata(k ptrace.SpanKind) trace.SpanKind {
	switch k {
	case ptrace.SpanKindInternal:
		return trace.SpanKindInternal
	case ptrace.SpanKindServer:
		return trace.SpanKindServer
	case ptrace.SpanKindClient:
		return trace.SpanKindClient
	case ptrace.SpanKindProducer:
		return trace.SpanKindProducer
	case ptrace.SpanKindConsumer:
		return trace.SpanKindConsumer
	}
	return trace.SpanKindUnspecified
}

func statusFromPdata(st ptrace.Status) sdktrace.Status {
	switch st.Code() {
	case ptrace.StatusCodeOk:
		return sdktrace.Status{Code: codes.Ok}
	case ptrace.StatusCodeError:
		return sdktrace.Status{Code: codes.Error, Description: st.Message()}
	}
	return sdktrace.Status{Code: codes.Unset}
}

func attributesFromMap(m pcommon.Map) []attribute.KeyValue {
	if m.Len() == 0 {
		return nil
	}
	out := make([]attribute.KeyValue, 0, m.Len())
	m.Range(func(k string, v pcommon.Value) bool {
		out = append(out, attribute.KeyValue{Key: attribute.Key(k), Value: valueFromPdata(v)})
		return true
	})
	return out
}

func valueFromPdata(v pcommon.Value) attribute.Value {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return attribute.StringValue(v.Str())
	case pcommon.ValueTypeInt:
		return attribute.Int64Value(v.Int())
	case pcommon.ValueTypeDouble:
		return attribute.Float64Value(v.Double())
	case pcommon.ValueTypeBool:
		return attribute.BoolValue(v.Bool())
	case pcommon.ValueTypeBytes:
		return attribute.ByteSliceValue(v.Bytes().AsRaw())
	case pcommon.ValueTypeSlice:
		return sliceFromPdata(v.Slice())
	case pcommon.ValueTypeMap:
		return attribute.MapValue(attributesFromMap(v.Map())...)
	}
	return attribute.Value{}
}

// sliceFromPdata keeps homogeneous arrays typed (what SDKs send for string
// and number lists) and falls back to a heterogeneous slice otherwise.
func sliceFromPdata(s pcommon.Slice) attribute.Value {
	n := s.Len()
	if n == 0 {
		return attribute.SliceValue()
	}
	first := s.At(0).Type()
	same := true
	for i := 1; i < n && same; i++ {
		same = s.At(i).Type() == first
	}
	if same {
		switch first {
		case pcommon.ValueTypeStr:
			vs := make([]string, n)
			for i := range vs {
				vs[i] = s.At(i).Str()
			}
			return attribute.StringSliceValue(vs)
		case pcommon.ValueTypeInt:
			vs := make([]int64, n)
			for i := range vs {
				vs[i] = s.At(i).Int()
			}
			return attribute.Int64SliceValue(vs)
		case pcommon.ValueTypeDouble:
			vs := make([]float64, n)
			for i := range vs {
				vs[i] = s.At(i).Double()
			}
			return attribute.Float64SliceValue(vs)
		case pcommon.ValueTypeBool:
			vs := make([]bool, n)
			for i := range vs {
				vs[i] = s.At(i).Bool()
			}
			return attribute.BoolSliceValue(vs)
		}
	}
	vs := make([]attribute.Value, n)
	for i := range vs {
		vs[i] = valueFromPdata(s.At(i))
	}
	return attribute.SliceValue(vs...)
}

// TracesFromSpans is the inverse of SpansFromTraces: SDK spans grouped by
// resource and scope into one OTLP batch, as an OTLP exporter would send it.
func TracesFromSpans(spans []sdktrace.ReadOnlySpan) ptrace.Traces {
	td := ptrace.NewTraces()
	type scopeKey struct {
		res   attribute.Distinct
		scope instrumentation.Scope
	}
	resources := map[attribute.Distinct]ptrace.ResourceSpans{}
	scopes := map[scopeKey]ptrace.SpanSlice{}
	for _, s := range spans {
		res := s.Resource()
		rkey := res.Equivalent()
		rs, ok := resources[rkey]
		if !ok {
			rs = td.ResourceSpans().AppendEmpty()
			rs.SetSchemaUrl(res.SchemaURL())
			putAttributes(rs.Resource().Attributes(), res.Attributes())
			resources[rkey] = rs
		}
		skey := scopeKey{rkey, s.InstrumentationScope()}
		ss, ok := scopes[skey]
		if !ok {
			sc := rs.ScopeSpans().AppendEmpty()
			is := s.InstrumentationScope()
			sc.SetSchemaUrl(is.SchemaURL)
			sc.Scope().SetName(is.Name)
			sc.Scope().SetVersion(is.Version)
			putAttributes(sc.Scope().Attributes(), is.Attributes.ToSlice())
			ss = sc.Spans()
			scopes[skey] = ss
		}
		putSpan(ss.AppendEmpty(), s)
	}
	return td
}

func putSpan(dst ptrace.Span, s sdktrace.ReadOnlySpan) {
	sc := s.SpanContext()
	dst.SetTraceID(pcommon.TraceID(sc.TraceID()))
	dst.SetSpanID(pcommon.SpanID(sc.SpanID()))
	dst.TraceState().FromRaw(sc.TraceState().String())
	flags := uint32(sc.TraceFlags()) | flagHasIsRemote
	if p := s.Parent(); p.IsValid() {
		dst.SetParentSpanID(pcommon.SpanID(p.SpanID()))
		if p.IsRemote() {
			flags |= flagIsRemote
		}
	}
	dst.SetFlags(flags)
	dst.SetName(s.Name())
	dst.SetKind(spanKindToPdata(s.SpanKind()))
	dst.SetStartTimestamp(pcommon.NewTimestampFromTime(s.StartTime()))
	dst.SetEndTimestamp(pcommon.NewTimestampFromTime(s.EndTime()))
	putAttributes(dst.Attributes(), s.Attributes())
	dst.SetDroppedAttributesCount(uint32(s.DroppedAttributes()))
	dst.SetDroppedEventsCount(uint32(s.DroppedEvents()))
	dst.SetDroppedLinksCount(uint32(s.DroppedLinks()))
	for _, e := range s.Events() {
		de := dst.Events().AppendEmpty()
		de.SetName(e.Name)
		de.SetTimestamp(pcommon.NewTimestampFromTime(e.Time))
		putAttributes(de.Attributes(), e.Attributes)
		de.SetDroppedAttributesCount(uint32(e.DroppedAttributeCount))
	}
	for _, l := range s.Links() {
		dl := dst.Links().AppendEmpty()
		dl.SetTraceID(pcommon.TraceID(l.SpanContext.TraceID()))
		dl.SetSpanID(pcommon.SpanID(l.SpanContext.SpanID()))
		dl.TraceState().FromRaw(l.SpanContext.TraceState().String())
		dl.SetFlags(uint32(l.SpanContext.TraceFlags()))
		putAttributes(dl.Attributes(), l.Attributes)
		dl.SetDroppedAttributesCount(uint32(l.DroppedAttributeCount))
	}
	switch st := s.Status(); st.Code {
	case codes.Ok:
		dst.Status().SetCode(ptrace.StatusCodeOk)
	case codes.Error:
		dst.Status().SetCode(ptrace.StatusCodeError)
		dst.Status().SetMessage(st.Description)
	}
}

func spanKindToPdata(k trace.SpanKind) ptrace.SpanKind {
	switch k {
	case trace.SpanKindInternal:
		return ptrace.SpanKindInternal
	case trace.SpanKindServer:
		return ptrace.SpanKindServer
	case trace.SpanKindClient:
		return ptrace.SpanKindClient
	case trace.SpanKindProducer:
		return ptrace.SpanKindProducer
	case trace.SpanKindConsumer:
		return ptrace.SpanKindConsumer
	}
	return ptrace.SpanKindUnspecified
}

func putAttributes(dst pcommon.Map, attrs []attribute.KeyValue) {
	dst.EnsureCapacity(len(attrs))
	for _, kv := range attrs {
		putValue(dst.PutEmpty(string(kv.Key)), kv.Value)
	}
}

func putValue(dst pcommon.Value, v attribute.Value) {
	switch v.Type() {
	case attribute.BOOL:
		dst.SetBool(v.AsBool())
	case attribute.INT64:
		dst.SetInt(v.AsInt64())
	case attribute.FLOAT64:
		dst.SetDouble(v.AsFloat64())
	case attribute.STRING:
		dst.SetStr(v.AsString())
	case attribute.BOOLSLICE:
		s := dst.SetEmptySlice()
		for _, b := range v.AsBoolSlice() {
			s.AppendEmpty().SetBool(b)
		}
	case attribute.INT64SLICE:
		s := dst.SetEmptySlice()
		for _, i := range v.AsInt64Slice() {
			s.AppendEmpty().SetInt(i)
		}
	case attribute.FLOAT64SLICE:
		s := dst.SetEmptySlice()
		for _, f := range v.AsFloat64Slice() {
			s.AppendEmpty().SetDouble(f)
		}
	case attribute.STRINGSLICE:
		s := dst.SetEmptySlice()
		for _, str := range v.AsStringSlice() {
			s.AppendEmpty().SetStr(str)
		}
	case attribute.BYTESLICE:
		dst.SetEmptyBytes().FromRaw(v.AsByteSlice())
	case attribute.SLICE:
		s := dst.SetEmptySlice()
		for _, e := range v.AsSlice() {
			putValue(s.AppendEmpty(), e)
		}
	case attribute.MAP:
		putAttributes(dst.SetEmptyMap(), v.AsMap())
	}
}
