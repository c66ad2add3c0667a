package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/agentops-dev/agentops/record"
)

// TestWriteFailureCountedOnce: logs.jsonl is /dev/full (every write to it
// fails with ENOSPC, as on a full disk) while spans.jsonl is fine. Each
// failed batch is counted, not reported: Finish returns one *WriteError
// that names the failure once and counts every log record lost, the final
// record carries the count, and the stored session says so.
func TestWriteFailureCountedOnce(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full:", err)
	}
	s := Open(filepath.Join(t.TempDir(), "store"))
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	w := begin(t, s, "22222222-bbbb", start)
	if err := os.Symlink("/dev/full", filepath.Join(w.Path(), LogsFile)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_ = w.ConsumeTraces(ctx, batch(1, 3, start))
	logs := plog.NewLogs()
	lrs := logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for range 4 {
		lrs.AppendEmpty().Body().SetStr(strings.Repeat("x", 100))
	}
	for range 25 {
		_ = w.ConsumeLogs(ctx, logs)
	}
	_ = w.ConsumeTraces(ctx, batch(2, 2, start))
	if l := w.Loss(); l == nil || l.Logs != 100 || l.Spans != 0 {
		t.Fatalf("Loss() before Finish = %+v, want 100 log records", l)
	}

	rec := &record.Session{ID: "22222222-bbbb", Start: start, End: start.Add(time.Second), LogsReceived: 100, SpansReceived: 5}
	err := w.Finish(rec)
	var werr *WriteError
	if !errors.As(err, &werr) {
		t.Fatalf("Finish = %v, want a *WriteError", err)
	}
	msg := err.Error()
	if strings.Count(msg, "no space left on device") != 1 || !strings.Contains(msg, "100 log records not written") ||
		!strings.Contains(msg, "final record is written") || strings.Contains(msg, "\n") {
		t.Errorf("Finish's error is not one line naming the failure once, the loss and the final record:\n%s", msg)
	}
	if rec.StoreLost == nil || rec.StoreLost.Logs != 100 || !strings.Contains(rec.StoreLost.Error, "logs.jsonl") {
		t.Errorf("rec.StoreLost = %+v", rec.StoreLost)
	}

	list, err := s.List()
	if err != nil || len(list) != 1 {
		t.Fatalf("List = %v, %v", list, err)
	}
	e := list[0]
	if e.State != StateOK || e.Final == nil || e.Final.StoreLost == nil || e.Final.StoreLost.Logs != 100 {
		t.Fatalf("entry: state %s, final %+v", e.State, e.Final)
	}
	if len(e.Problems) != 1 || !strings.Contains(e.Problems[0], "100 log records not written") {
		t.Errorf("problems = %q, want the loss said", e.Problems)
	}
	got, err := s.Load(e)
	if err != nil {
		t.Fatal(err)
	}
	if n := got.Traces.SpanCount(); n != 5 {
		t.Errorf("stored spans = %d, want the 5 written around the failures", n)
	}
}

// TestWriteErrorSaysWhatTheSessionReadsAs: the one line Finish's error
// is, for each way the final record fared.
func TestWriteErrorSaysWhatTheSessionReadsAs(t *testing.T) {
	lost := record.StoreLoss{Spans: 1200, Logs: 1, Error: "write spans.jsonl: no space left on device"}
	final := errors.New("write session.json: no space left on device")
	for _, tt := range []struct {
		name string
		err  WriteError
		want string
	}{
		{"final record whole", WriteError{Dir: "/s/d", Lost: lost}, "1,200 spans, 1 log record not written (write spans.jsonl: no space left on device); its final record is written"},
		{"final record without events", WriteError{Dir: "/s/d", Lost: lost, Final: final, Slim: true}, "its final record was written without its events (write session.json"},
		{"no final record", WriteError{Dir: "/s/d", Lost: lost, Final: final}, "its final record could not be written (write session.json: no space left on device): the session reads as incomplete"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); !strings.Contains(got, tt.want) || !strings.Contains(got, "/s/d") {
				t.Errorf("Error() = %q, want it to say %q and where", got, tt.want)
			}
		})
	}
}
