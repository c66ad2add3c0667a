package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/pricing"
	"github.com/agentops-dev/agentops/record"
)

// Summarize is the record of a session for a list: the final record when
// there is one, else one rebuilt from the stored spans and log records read
// a line at a time into an events.Window, so that an incomplete session of
// a million spans costs the memory of one line and the window, not of the
// session. Its events are the window's first ones only; Load rebuilds them
// all. Rebuilt calls are priced with the table a run would use now (see
// Store.prices).
func (s *Store) Summarize(e *Entry) (*record.Session, []string, error) {
	if e.Final != nil {
		return e.Final, e.Problems, nil
	}
	prices := s.prices()
	w := events.Window{Pricer: prices}
	rec := &record.Session{ID: e.ID, Command: e.Meta.Command, Dir: e.Meta.Dir, Start: e.Start(), Prices: prices.Source()}
	end := rec.Start
	problems, err := EachBatch(filepath.Join(e.Path, SpansFile), func(td ptrace.Traces) {
		events.EachSpan(td, func(sp ptrace.Span) {
			rec.SpansReceived++
			if t := sp.EndTimestamp().AsTime(); t.After(end) {
				end = t
			}
			if rec.TraceID == "" {
				rec.TraceID = sp.TraceID().String()
			}
			w.AddSpan(sp.SpanID(), sp.ParentSpanID())
			w.AddEvents(events.FromSpan(sp)...)
		})
	})
	if err != nil {
		return nil, nil, err
	}
	var logProblems []string
	rec.LogsReceived, logProblems, err = eachLogEvent(e.Path, func(evs []events.Event) {
		end = latest(end, evs)
		w.AddEvents(evs...)
	})
	if err != nil {
		return nil, nil, err
	}
	problems = append(problems, logProblems...)
	res := w.Finish()
	rec.Totals, rec.Events, rec.EventsOmitted = res.Totals, res.Events, res.Omitted
	if end.IsZero() {
		end = time.Now()
	}
	rec.End = end
	markRebuilt(rec, e.Meta)
	return rec, append(e.Problems, problems...), nil
}

// EachBatch calls fn with each export request of a file of OTLP JSON lines,
// in order, one at a time: readers that need no more than a batch at once
// hold no more. Damaged lines are skipped and described in problems, as
// ReadTraces does; a missing file is no spans.
func EachBatch(path string, fn func(ptrace.Traces)) (problems []string, err error) {
	var u ptrace.JSONUnmarshaler
	return eachLine(path, "spans", func(line []byte) error {
		batch, err := u.UnmarshalTraces(line)
		if err == nil {
			fn(batch)
		}
		return err
	})
}

// EachLogBatch is EachBatch for a file of log records (LogsFile).
func EachLogBatch(path string, fn func(plog.Logs)) (problems []string, err error) {
	var u plog.JSONUnmarshaler
	return eachLine(path, "log records", func(line []byte) error {
		batch, err := u.UnmarshalLogs(line)
		if err == nil {
			fn(batch)
		}
		return err
	})
}

// eachLine calls decode with each line of a file of OTLP JSON lines of what
// (spans, log records), in order; a line decode refuses is skipped and
// described in problems.
func eachLine(path, what string, decode func([]byte) error) (problems []string, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read stored %s: %w", what, err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	for n := 1; ; n++ {
		line, rerr := r.ReadBytes('\n')
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return problems, fmt.Errorf("read stored %s: %w", what, rerr)
		}
		truncated := errors.Is(rerr, io.EOF) && len(line) > 0
		if line = bytes.TrimSpace(line); len(line) > 0 {
			derr := decode(line)
			switch {
			case derr != nil && truncated:
				problems = append(problems, fmt.Sprintf("%s: last line %d cut short (%d bytes), skipped", filepath.Base(path), n, len(line)))
			case derr != nil:
				problems = append(problems, fmt.Sprintf("%s: line %d does not decode, skipped: %v", filepath.Base(path), n, derr))
			}
		}
		if rerr != nil {
			return problems, nil
		}
	}
}

// latest is the later of end and the times of evs.
func latest(end time.Time, evs []events.Event) time.Time {
	for _, ev := range evs {
		if ev.End.After(end) {
			end = ev.End
		}
		if ev.Start.After(end) {
			end = ev.Start
		}
	}
	return end
}

// prices is the price table a run started now would use: the one `agentops
// prices update` last fetched into this store's state directory, else the
// built-in one (a run's --prices file is not known here).
func (s *Store) prices() *pricing.Table { return pricing.Newest(pricing.UpdateDir(s.root)) }

// eachLogEvent calls fn with the events of each stored log record of the
// session at dir (an LLM call only a log reports, as Codex's are, an
// error), and returns how many records it read.
func eachLogEvent(dir string, fn func([]events.Event)) (records int64, problems []string, err error) {
	problems, err = EachLogBatch(filepath.Join(dir, LogsFile), func(ld plog.Logs) {
		records += int64(ld.LogRecordCount())
		rls := ld.ResourceLogs()
		for i := 0; i < rls.Len(); i++ {
			sls := rls.At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				lrs := sls.At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					if evs := events.FromLogRecord(lrs.At(k)); len(evs) > 0 {
						fn(evs)
					}
				}
			}
		}
	})
	return records, problems, err
}
