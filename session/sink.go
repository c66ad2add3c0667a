package session

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/record"
)

// Sink receives the child's telemetry from the receiver and keeps the
// session's counts and events.
type Sink struct {
	mu      sync.Mutex
	spans   int64
	logs    int64
	metrics int64
	totals  events.Totals
	events  []events.Event
}

func newSink() *Sink { return &Sink{} }

// ConsumeTraces converts every span into events and counts it.
func (k *Sink) ConsumeTraces(_ context.Context, td ptrace.Traces) error {
	var evs []events.Event
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for s := 0; s < spans.Len(); s++ {
				evs = append(evs, events.FromSpan(spans.At(s))...)
			}
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.spans += int64(td.SpanCount())
	for _, e := range evs {
		k.totals.Add(e)
	}
	k.events = append(k.events, evs...)
	return nil
}

// ConsumeLogs counts log records.
func (k *Sink) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.logs += int64(ld.LogRecordCount())
	return nil
}

// ConsumeMetrics counts metric data points.
func (k *Sink) ConsumeMetrics(_ context.Context, md pmetric.Metrics) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.metrics += int64(md.DataPointCount())
	return nil
}

// fill copies the counts and events into rec.
func (k *Sink) fill(rec *record.Session) {
	k.mu.Lock()
	defer k.mu.Unlock()
	rec.SpansReceived, rec.LogsReceived, rec.MetricsReceived = k.spans, k.logs, k.metrics
	rec.Totals = k.totals
	rec.Events = append([]events.Event(nil), k.events...)
}
