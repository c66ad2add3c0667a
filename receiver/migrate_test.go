package receiver

import (
	"bytes"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	protowire "github.com/agentops-dev/agentops/internal/pbwire"
)

// deprecate is a request as an OTLP before 0.15 sent it: each resource's
// scope lists (field 2) as field 1000, and with keep also as field 2.
func deprecate(b []byte, keep bool) []byte {
	var out []byte
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if num != fieldResources {
			out = append(out, b[:n+m]...)
			b = b[n+m:]
			continue
		}
		res, _ := protowire.ConsumeBytes(b[n:])
		b = b[n+m:]
		var nr []byte
		for len(res) > 0 {
			num, typ, n := protowire.ConsumeTag(res)
			m := protowire.ConsumeFieldValue(num, typ, res[n:])
			if num == fieldScopes {
				nr = protowire.AppendTag(nr, fieldDeprecatedList, typ)
				nr = append(nr, res[n:n+m]...)
			}
			if num != fieldScopes || keep {
				nr = append(nr, res[:n+m]...)
			}
			res = res[n+m:]
		}
		out = protowire.AppendTag(out, fieldResources, protowire.BytesType)
		out = protowire.AppendBytes(out, nr)
	}
	return out
}

// sameAsRequestTypes decodes b as pdata's three ExportRequest types do
// (they migrate) and as the receiver does (ProtoUnmarshaler after
// migrateDeprecated), and fails unless both refuse it or both decode the
// same batch, compared by its marshalled bytes.
func sameAsRequestTypes(t *testing.T, b []byte) {
	t.Helper()
	type decoded struct {
		bytes []byte
		err   error
	}
	check := func(signal string, want, got decoded) {
		if (want.err != nil) != (got.err != nil) || !bytes.Equal(want.bytes, got.bytes) {
			t.Fatalf("%s of %x: the request type decodes %x (%v), the receiver %x (%v)", signal, b, want.bytes, want.err, got.bytes, got.err)
		}
	}
	var enc protoEncoder
	{
		er := ptraceotlp.NewExportRequest()
		err := er.UnmarshalProto(b)
		want := decoded{err: err}
		if err == nil {
			want.bytes, _ = (&ptrace.ProtoMarshaler{}).MarshalTraces(er.Traces())
		}
		td, err := enc.unmarshalTraces(b)
		got := decoded{err: err}
		if err == nil {
			got.bytes, _ = (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
		}
		check("traces", want, got)
	}
	{
		er := plogotlp.NewExportRequest()
		err := er.UnmarshalProto(b)
		want := decoded{err: err}
		if err == nil {
			want.bytes, _ = (&plog.ProtoMarshaler{}).MarshalLogs(er.Logs())
		}
		ld, err := enc.unmarshalLogs(b)
		got := decoded{err: err}
		if err == nil {
			got.bytes, _ = (&plog.ProtoMarshaler{}).MarshalLogs(ld)
		}
		check("logs", want, got)
	}
	{
		er := pmetricotlp.NewExportRequest()
		err := er.UnmarshalProto(b)
		want := decoded{err: err}
		if err == nil {
			want.bytes, _ = (&pmetric.ProtoMarshaler{}).MarshalMetrics(er.Metrics())
		}
		md, err := enc.unmarshalMetrics(b)
		got := decoded{err: err}
		if err == nil {
			got.bytes, _ = (&pmetric.ProtoMarshaler{}).MarshalMetrics(md)
		}
		check("metrics", want, got)
	}
}

func migrated(b []byte) []byte {
	m, _ := migrateDeprecated(b)
	return m
}

func migrateSeeds(t testing.TB) [][]byte {
	two := ptrace.NewTraces()
	testTraces(2, 0).ResourceSpans().MoveAndAppendTo(two.ResourceSpans())
	testTraces(1, 1).ResourceSpans().MoveAndAppendTo(two.ResourceSpans())
	var seeds [][]byte
	for _, b := range [][]byte{
		must(t)(ptraceotlp.NewExportRequestFromTraces(two).MarshalProto()),
		must(t)(plogotlp.NewExportRequestFromLogs(testLogs(2)).MarshalProto()),
		must(t)(pmetricotlp.NewExportRequestFromMetrics(testMetrics(2)).MarshalProto()),
	} {
		seeds = append(seeds, b, deprecate(b, false), deprecate(b, true))
		// A resource with scope lists and a deprecated list that does
		// not decode, which is dropped: pdata refuses the request.
		res := protowire.AppendTag(nil, fieldScopes, protowire.BytesType)
		res = protowire.AppendBytes(res, nil)
		res = protowire.AppendTag(res, fieldDeprecatedList, protowire.BytesType)
		res = protowire.AppendBytes(res, []byte{0x0a, 0xff})
		bad := protowire.AppendTag(bytes.Clone(b), fieldResources, protowire.BytesType)
		seeds = append(seeds, protowire.AppendBytes(bad, res))
	}
	return seeds
}

// TestMigrateDeprecated: a request with the scope lists of an old OTLP
// decodes as pdata's request types decode it; one without is not copied.
func TestMigrateDeprecated(t *testing.T) {
	seeds := migrateSeeds(t)
	for i, b := range seeds {
		sameAsRequestTypes(t, b)
		if old, got := i%4 != 0, migrated(b); old == bytes.Equal(got, b) {
			t.Errorf("seed %d (deprecated lists %v): migrated %x", i, old, got)
		}
	}
	for i := 0; i < len(seeds); i += 4 {
		if b, got := seeds[i], migrated(seeds[i]); &got[0] != &b[0] {
			t.Errorf("seed %d without deprecated lists was copied", i)
		}
	}
	if _, err := unmarshalTracesProto(seeds[3]); err == nil {
		t.Error("a request whose dropped deprecated list does not decode was taken")
	}
	// The spans of a resource that has only the old lists are there.
	td, err := protoEncoder{}.unmarshalTraces(seeds[1])
	if err != nil || td.SpanCount() != 4 {
		t.Errorf("old lists: %d spans (%v), want 4", td.SpanCount(), err)
	}
}

// FuzzMigrateDeprecated holds the receiver's protobuf decoding to pdata's
// request types' on any bytes. Seeds: testdata/fuzz/FuzzMigrateDeprecated.
func FuzzMigrateDeprecated(f *testing.F) {
	for _, b := range migrateSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) { sameAsRequestTypes(t, b) })
}
