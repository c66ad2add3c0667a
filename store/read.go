package store

import (
	"path/filepath"
	"slices"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/pricing"
	"github.com/agentops-dev/agentops/record"
)

// Session is a stored session read whole: its record and its spans.
type Session struct {
	*Entry
	// Record is the final record, or one rebuilt from meta.json and the
	// stored spans when the session did not finish (Entry.State says so).
	Record *record.Session
	// Traces holds every stored span, the session's own included.
	Traces ptrace.Traces
}

// Load reads a session's spans and, for a session without a final record,
// rebuilds what it can from them. Damaged lines are skipped and reported in
// Problems; only an unreadable directory is an error.
func (s *Store) Load(e *Entry) (*Session, error) {
	td, problems, err := ReadTraces(filepath.Join(e.Path, SpansFile))
	if err != nil {
		return nil, err
	}
	e.Problems = append(e.Problems, problems...)
	out := &Session{Entry: e, Traces: td, Record: e.Final}
	if out.Record == nil {
		// The log records too: some agents report their LLM calls only
		// in logs (Codex), and the session's counting rules join a
		// call's span and log into one.
		var logEvents []events.Event
		logs, problems, err := eachLogEvent(e.Path, func(evs []events.Event) { logEvents = append(logEvents, evs...) })
		if err != nil {
			return nil, err
		}
		e.Problems = append(e.Problems, problems...)
		out.Record = rebuild(e, td, logEvents, s.prices())
		out.Record.LogsReceived = logs
	}
	return out, nil
}

// ReadTraces reads a file of OTLP JSON lines into one ptrace.Traces. A line
// that does not decode (typically the last one, cut short by a crash) is
// skipped and described in problems. A missing file is no spans.
func ReadTraces(path string) (td ptrace.Traces, problems []string, err error) {
	td = ptrace.NewTraces()
	problems, err = EachBatch(path, func(batch ptrace.Traces) {
		batch.ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	})
	return td, problems, err
}

// rebuild rebuilds a session record from what a session that never finished
// left behind: meta.json, the spans and the events of its log records.
func rebuild(e *Entry, td ptrace.Traces, logEvents []events.Event, prices *pricing.Table) *record.Session {
	rec := &record.Session{
		ID:      e.ID,
		Command: e.Meta.Command,
		Dir:     e.Meta.Dir,
		Start:   e.Start(),
	}
	var evs []events.Event
	var lin events.Lineage
	end := rec.Start
	events.EachSpan(td, func(sp ptrace.Span) {
		rec.SpansReceived++
		if t := sp.EndTimestamp().AsTime(); t.After(end) {
			end = t
		}
		if rec.TraceID == "" {
			rec.TraceID = sp.TraceID().String()
		}
		lin.Add(sp.SpanID(), sp.ParentSpanID())
		evs = append(evs, events.FromSpan(sp)...)
	})
	evs = append(evs, logEvents...)
	end = latest(end, logEvents)
	slices.SortStableFunc(evs, func(a, b events.Event) int { return a.Start.Compare(b.Start) })
	rec.Totals = events.Finish(evs, &lin, prices)
	rec.Prices = prices.Source()
	rec.Events = evs
	if end.IsZero() {
		end = time.Now()
	}
	rec.End = end
	markRebuilt(rec, e.Meta)
	return rec
}

// markRebuilt says of a rebuilt record that nobody finished it, or that
// the store could not write what agentops finished (m.StoreError).
func markRebuilt(rec *record.Session, m Meta) {
	rec.ExitCode = -1
	rec.EndState = record.Indeterminate
	rec.EndReason = "agentops did not finish the session: this record is rebuilt from the spans and log records that were stored"
	if m.StoreError != "" {
		rec.EndReason = "the store could not write the session's final record (" + m.StoreError + "): this record is rebuilt from the spans and log records that were stored"
	}
}
