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

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/pricing"
	"github.com/agentops-dev/agentops/record"
)

// Summarize is the record of a session for a list: the final record when
// there is one, else one rebuilt from the stored spans read a line at a
// time into an events.Window, so that an incomplete session of a million
// spans costs the memory of one line and the window, not of the session.
// Its events are the window's first ones only; Load rebuilds them all.
func (s *Store) Summarize(e *Entry) (*record.Session, []string, error) {
	if e.Final != nil {
		return e.Final, e.Problems, nil
	}
	w := events.Window{Pricer: pricing.Default()}
	rec := &record.Session{ID: e.ID, Command: e.Meta.Command, Dir: e.Meta.Dir, Start: e.Start()}
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
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read stored spans: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	var u ptrace.JSONUnmarshaler
	for n := 1; ; n++ {
		line, rerr := r.ReadBytes('\n')
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return problems, fmt.Errorf("read stored spans: %w", rerr)
		}
		truncated := errors.Is(rerr, io.EOF) && len(line) > 0
		if line = bytes.TrimSpace(line); len(line) > 0 {
			batch, derr := u.UnmarshalTraces(line)
			switch {
			case derr != nil && truncated:
				problems = append(problems, fmt.Sprintf("%s: last line %d cut short (%d bytes), skipped", filepath.Base(path), n, len(line)))
			case derr != nil:
				problems = append(problems, fmt.Sprintf("%s: line %d does not decode, skipped: %v", filepath.Base(path), n, derr))
			default:
				fn(batch)
			}
		}
		if rerr != nil {
			return problems, nil
		}
	}
}
