package session

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/agentops-dev/agentops/bench/spangen"
)

// Options.OnTelemetry is called once, when the first batch of any signal
// arrives and before it is counted; never for a session that got none.
func TestSinkOnTelemetryOnce(t *testing.T) {
	ctx := context.Background()
	for _, first := range []string{"traces", "logs", "metrics"} {
		k := newSink(nil, nil)
		calls, countedBefore := 0, int64(-1)
		k.onFirst = func() { calls, countedBefore = calls+1, k.spans+k.logs+k.metrics }
		ld := plog.NewLogs()
		ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr("hello")
		md := pmetric.NewMetrics()
		md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty().SetEmptyGauge().DataPoints().AppendEmpty().SetIntValue(1)
		send := map[string]func() error{
			"traces":  func() error { return k.ConsumeTraces(ctx, spangen.Traces(8, 1, spangen.AllLLM)) },
			"logs":    func() error { return k.ConsumeLogs(ctx, ld) },
			"metrics": func() error { return k.ConsumeMetrics(ctx, md) },
		}
		for _, signal := range []string{first, "traces", "logs", "metrics", first} {
			if err := send[signal](); err != nil {
				t.Fatal(err)
			}
		}
		if calls != 1 || countedBefore != 0 {
			t.Errorf("first %s: called %d times, with %d items counted before", first, calls, countedBefore)
		}
	}
	k := newSink(nil, nil)
	k.onFirst = func() { t.Error("called for a session that got no telemetry") }
	if s := k.spend(); s.LLMCalls != 0 {
		t.Fatal(s)
	}
}
