package store

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// tracesFromSpan converts one SDK span to pdata, as the OTLP exporter would
// send it, so the session's own spans are stored like the child's.
func tracesFromSpan(s sdktrace.ReadOnlySpan) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	if res := s.Resource(); res != nil {
		rs.SetSchemaUrl(res.SchemaURL())
		putAttrs(rs.Resource().Attributes(), res.Attributes())
	}
	ss := rs.ScopeSpans().AppendEmpty()
	scope := s.InstrumentationScope()
	ss.Scope().SetName(scope.Name)
	ss.Scope().SetVersion(scope.Version)
	ss.SetSchemaUrl(scope.SchemaURL)

	sp := ss.Spans().AppendEmpty()
	sc := s.SpanContext()
	sp.SetTraceID(pcommon.TraceID(sc.TraceID()))
	sp.SetSpanID(pcommon.SpanID(sc.SpanID()))
	sp.TraceState().FromRaw(sc.TraceState().String())
	if p := s.Parent(); p.SpanID().IsValid() {
		sp.SetParentSpanID(pcommon.SpanID(p.SpanID()))
	}
	sp.SetName(s.Name())
	sp.SetKind(spanKind(s.SpanKind()))
	sp.SetStartTimestamp(pcommon.NewTimestampFromTime(s.StartTime()))
	sp.SetEndTimestamp(pcommon.NewTimestampFromTime(s.EndTime()))
	putAttrs(sp.Attributes(), s.Attributes())
	sp.SetDroppedAttributesCount(uint32(max(s.DroppedAttributes(), 0)))
	for _, e := range s.Events() {
		pe := sp.Events().AppendEmpty()
		pe.SetName(e.Name)
		pe.SetTimestamp(pcommon.NewTimestampFromTime(e.Time))
		putAttrs(pe.Attributes(), e.Attributes)
	}
	for _, l := range s.Links() {
		pl := sp.Links().AppendEmpty()
		pl.SetTraceID(pcommon.TraceID(l.SpanContext.TraceID()))
		pl.SetSpanID(pcommon.SpanID(l.SpanContext.SpanID()))
		putAttrs(pl.Attributes(), l.Attributes)
	}
	switch s.Status().Code {
	case codes.Error:
		sp.Status().SetCode(ptrace.StatusCodeError)
		sp.Status().SetMessage(s.Status().Description)
	case codes.Ok:
		sp.Status().SetCode(ptrace.StatusCodeOk)
	}
	return td
}

func spanKind(k trace.SpanKind) ptrace.SpanKind {
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

func putAttrs(dst pcommon.Map, attrs []attribute.KeyValue) {
	for _, kv := range attrs {
		k := string(kv.Key)
		switch kv.Value.Type() {
		case attribute.BOOL:
			dst.PutBool(k, kv.Value.AsBool())
		case attribute.INT64:
			dst.PutInt(k, kv.Value.AsInt64())
		case attribute.FLOAT64:
			dst.PutDouble(k, kv.Value.AsFloat64())
		case attribute.STRING:
			dst.PutStr(k, kv.Value.AsString())
		case attribute.BOOLSLICE:
			s := dst.PutEmptySlice(k)
			for _, v := range kv.Value.AsBoolSlice() {
				s.AppendEmpty().SetBool(v)
			}
		case attribute.INT64SLICE:
			s := dst.PutEmptySlice(k)
			for _, v := range kv.Value.AsInt64Slice() {
				s.AppendEmpty().SetInt(v)
			}
		case attribute.FLOAT64SLICE:
			s := dst.PutEmptySlice(k)
			for _, v := range kv.Value.AsFloat64Slice() {
				s.AppendEmpty().SetDouble(v)
			}
		case attribute.STRINGSLICE:
			s := dst.PutEmptySlice(k)
			for _, v := range kv.Value.AsStringSlice() {
				s.AppendEmpty().SetStr(v)
			}
		default:
			dst.PutStr(k, kv.Value.Emit())
		}
	}
}
