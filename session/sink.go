package session

import (
	"context"
	"errors"
	"sync"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/receiver"
	"github.com/agentops-dev/agentops/record"
)

// Sink receives the child's telemetry from the receiver, keeps the
// session's counts and events, and hands every batch on to the session's
// consumers (the export pipeline, the local store, ...).
type Sink struct {
	consumers []receiver.Sink

	mu      sync.Mutex
	spans   int64
	logs    int64
	metrics int64
	// captured counts the spans of the capture proxy.
	captured int64
	// window applies the session-wide counting rules (leaf LLM calls only,
	// errors once, prices) as spans arrive, in memory that does not grow
	// with the session: only the first events are kept for the record.
	window events.Window
	// arrived gets a value (dropped when one is pending) after each batch
	// is counted: the budget watch looks at the spend then.
	arrived chan struct{}
	// onFirst, when set, is called once, when the first batch arrives.
	onFirst func()
	first   sync.Once
}

// arrive is called as each batch arrives.
func (k *Sink) arrive() {
	if k.onFirst != nil {
		k.first.Do(k.onFirst)
	}
}

func newSink(consumers []receiver.Sink, p events.Pricer) *Sink {
	return &Sink{consumers: consumers, window: events.Window{Pricer: p}, arrived: make(chan struct{}, 1)}
}

func (k *Sink) signal() {
	select {
	case k.arrived <- struct{}{}:
	default:
	}
}

// ConsumeTraces passes the batch on and counts it (see ConsumeTraceBatch).
func (k *Sink) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	return k.ConsumeTraceBatch(ctx, receiver.TracesOf(td))
}

// ConsumeTraceBatch passes the batch on and, once taken, converts every
// span into events and counts it. A consumer's error (the export
// pipeline's backpressure) refuses the batch: it is not counted, and the
// receiver answers with a retryable status, so the child's retry is no
// duplicate. The batch is decoded into pdata only for the consumers: with
// none, its events are read from the request's bytes.
func (k *Sink) ConsumeTraceBatch(ctx context.Context, t *receiver.Traces) error {
	k.arrive()
	if len(k.consumers) > 0 {
		var errs []error
		if body, ok := t.Request(); ok && !k.NeedsPData() {
			// Consumers that take the request's bytes (the store): no pdata.
			for _, c := range k.consumers {
				errs = append(errs, c.(requestConsumer).ConsumeTraceRequest(ctx, body, t.PData))
			}
		} else {
			td, err := t.PData()
			if err != nil {
				return err
			}
			for _, c := range k.consumers {
				errs = append(errs, c.ConsumeTraces(ctx, td))
			}
		}
		if err := errors.Join(errs...); err != nil {
			return err
		}
	}
	k.tallyTraces(t)
	return nil
}

// requestConsumer is a consumer that takes a trace batch as its OTLP/HTTP
// protobuf request when it has one (store.Writer writes its line from the
// bytes), decoding it with decode only if it must.
type requestConsumer interface {
	ConsumeTraceRequest(ctx context.Context, body []byte, decode func() (ptrace.Traces, error)) error
}

// NeedsPData says whether the sink hands batches to consumers that take
// pdata: any but those that take the request's bytes.
func (k *Sink) NeedsPData() bool {
	for _, c := range k.consumers {
		if _, ok := c.(requestConsumer); !ok {
			return true
		}
	}
	return false
}

func (k *Sink) tallyTraces(t *receiver.Traces) {
	// Converting is the costly part: done before taking the lock (a
	// request read in place comes with its events, whose strings are views
	// of the request: the window packs them, keeping none).
	evs, spans := t.Events()
	k.mu.Lock()
	defer k.mu.Unlock()
	k.spans += int64(len(spans))
	from := 0
	for _, sp := range spans {
		// A span received again (an SDK's retry) is counted once.
		if k.window.AddTraceSpan(sp.TraceID, sp.SpanID, sp.ParentSpanID) {
			k.window.AddEvents(evs[from:sp.End]...)
		}
		from = sp.End
	}
	k.signal()
}

// tallyCaptured counts the span of a call the capture proxy recorded:
// its events join the child's under the same rules (an instrumented
// client's span above it is the wrapper), but it is not a span received.
func (k *Sink) tallyCaptured(td ptrace.Traces) {
	var evs []events.Event
	events.EachSpan(td, func(sp ptrace.Span) { evs = append(evs, events.FromSpan(sp)...) })
	k.mu.Lock()
	defer k.mu.Unlock()
	k.captured += int64(td.SpanCount())
	events.EachSpan(td, func(sp ptrace.Span) { k.window.AddSpan(sp.SpanID(), sp.ParentSpanID()) })
	k.window.AddEvents(evs...)
	k.signal()
}

// ConsumeLogs passes the batch on and, once taken, counts its log records
// and turns those of severity ERROR and above into error events.
func (k *Sink) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	k.arrive()
	var errs []error
	for _, c := range k.consumers {
		errs = append(errs, c.ConsumeLogs(ctx, ld))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	k.tallyLogs(ld)
	return nil
}

func (k *Sink) tallyLogs(ld plog.Logs) {
	var evs []events.Event
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for l := 0; l < lrs.Len(); l++ {
				evs = append(evs, events.FromLogRecord(lrs.At(l))...)
			}
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.logs += int64(ld.LogRecordCount())
	k.window.AddEvents(evs...)
	k.signal()
}

// ConsumeMetrics passes the batch on and, once taken, counts its data points.
func (k *Sink) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	k.arrive()
	var errs []error
	for _, c := range k.consumers {
		errs = append(errs, c.ConsumeMetrics(ctx, md))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	k.mu.Lock()
	k.metrics += int64(md.DataPointCount())
	k.mu.Unlock()
	return nil
}

// fill copies the counts, totals and kept events into rec, after applying
// the session-wide rules to what the window still holds. Call it once,
// after the receiver is shut down.
func (k *Sink) fill(rec *record.Session) {
	k.mu.Lock()
	defer k.mu.Unlock()
	rec.SpansReceived, rec.LogsReceived, rec.MetricsReceived = k.spans, k.logs, k.metrics
	res := k.window.Finish(rec.RootSpanID)
	rec.Totals, rec.Events, rec.EventsOmitted = res.Totals, res.Events, res.Omitted
	rec.MissingParents = res.MissingParents
}

// spend is the session's running consumption, for its budgets.
func (k *Sink) spend() events.Spend {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.window.Spend()
}

// spendOf is the consumption a session's final totals show.
func spendOf(t events.Totals) events.Spend {
	return events.Spend{LLMCalls: t.LLMCalls, InputTokens: t.InputTokens, OutputTokens: t.OutputTokens, CostUSD: t.CostUSD, UnpricedCalls: t.UnpricedCalls}
}
