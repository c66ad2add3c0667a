package events

import (
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

func TestFromLogRecord(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name    string
		setup   func(lr plog.LogRecord)
		want    bool
		wantMsg string
		wantTyp string
	}{
		{"info", func(lr plog.LogRecord) { lr.SetSeverityNumber(plog.SeverityNumberInfo); lr.Body().SetStr("ok") }, false, "", ""},
		{"warn4", func(lr plog.LogRecord) { lr.SetSeverityNumber(plog.SeverityNumberWarn4) }, false, "", ""},
		{"error", func(lr plog.LogRecord) { lr.SetSeverityNumber(plog.SeverityNumberError); lr.Body().SetStr("boom") }, true, "boom", ""},
		{"fatal4", func(lr plog.LogRecord) { lr.SetSeverityNumber(plog.SeverityNumberFatal4); lr.Body().SetStr("dead") }, true, "dead", ""},
		{"text only", func(lr plog.LogRecord) { lr.SetSeverityText("critical"); lr.Body().SetStr("c") }, true, "c", ""},
		{"text info", func(lr plog.LogRecord) { lr.SetSeverityText("INFO") }, false, "", ""},
		{"number wins over text", func(lr plog.LogRecord) {
			lr.SetSeverityNumber(plog.SeverityNumberInfo)
			lr.SetSeverityText("ERROR")
		}, false, "", ""},
		{"exception attributes", func(lr plog.LogRecord) {
			lr.SetSeverityNumber(plog.SeverityNumberError)
			lr.Body().SetStr("body")
			lr.Attributes().PutStr("exception.type", "ValueError")
			lr.Attributes().PutStr("exception.message", "bad value")
		}, true, "bad value", "ValueError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := plog.NewLogRecord()
			lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
			lr.SetTraceID([16]byte{1})
			lr.SetSpanID([8]byte{2})
			tt.setup(lr)
			evs := FromLogRecord(lr)
			if !tt.want {
				if len(evs) != 0 {
					t.Fatalf("got %+v, want no event", evs)
				}
				return
			}
			if len(evs) != 1 {
				t.Fatalf("got %d events, want 1", len(evs))
			}
			e := evs[0]
			if e.Kind != KindError || e.Error.Message != tt.wantMsg || e.Error.Type != tt.wantTyp {
				t.Errorf("event = %+v %+v", e, e.Error)
			}
			if e.TraceID != "01000000000000000000000000000000" || e.SpanID != "0200000000000000" || !e.Start.Equal(ts) {
				t.Errorf("ids/time = %s %s %s", e.TraceID, e.SpanID, e.Start)
			}
		})
	}
}
