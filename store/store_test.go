package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/agentops-dev/agentops/record"
)

func TestRoot(t *testing.T) {
	env := func(kv map[string]string) func(string) string {
		return func(k string) string { return kv[k] }
	}
	tests := []struct {
		name string
		flag string
		env  map[string]string
		want string
	}{
		{"flag wins", "/f", map[string]string{EnvStore: "/e", "XDG_STATE_HOME": "/x", "HOME": "/h"}, "/f"},
		{"env", "", map[string]string{EnvStore: "/e", "XDG_STATE_HOME": "/x", "HOME": "/h"}, "/e"},
		{"xdg", "", map[string]string{"XDG_STATE_HOME": "/x", "HOME": "/h"}, "/x/agentops"},
		{"relative xdg is ignored", "", map[string]string{"XDG_STATE_HOME": "x", "HOME": "/h"}, "/h/.local/state/agentops"},
		{"home", "", map[string]string{"HOME": "/h"}, "/h/.local/state/agentops"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Root(tt.flag, env(tt.env))
			if err != nil || got != tt.want {
				t.Fatalf("Root = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// batch builds a trace batch of n spans under one parent.
func batch(traceID byte, n int, start time.Time) ptrace.Traces {
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	for i := 0; i < n; i++ {
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(pcommon.TraceID{traceID, 1})
		sp.SetSpanID(pcommon.SpanID{byte(i + 1), traceID})
		sp.SetName(fmt.Sprintf("chat %d", i))
		sp.Attributes().PutStr("gen_ai.operation.name", "chat")
		sp.Attributes().PutStr("gen_ai.request.model", "gpt-4o-mini")
		sp.Attributes().PutInt("gen_ai.usage.input_tokens", 10)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start.Add(time.Duration(i) * time.Millisecond)))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(time.Duration(i+1) * time.Millisecond)))
	}
	return td
}

func begin(t *testing.T, s *Store, id string, start time.Time) *Writer {
	t.Helper()
	w := s.NewWriter()
	if err := w.Begin(Meta{ID: id, Command: []string{"agent", "--x"}, Dir: "/tmp", Start: start}); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestRoundTrip(t *testing.T) {
	s := Open(filepath.Join(t.TempDir(), "store"))
	start := time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC)
	w := begin(t, s, "11111111-aaaa", start)

	// The session's own span comes through the span processor.
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(w))
	_, root := tp.Tracer(OwnScopePrefix+"/session").Start(context.Background(), "agentops.session agent")
	_, other := tp.Tracer("someone-else").Start(context.Background(), "not ours")
	other.End()

	ctx := context.Background()
	_ = w.ConsumeTraces(ctx, batch(1, 3, start))
	_ = w.ConsumeTraces(ctx, batch(1, 2, start))
	root.End()
	rec := &record.Session{ID: "11111111-aaaa", Command: []string{"agent", "--x"}, Start: start, End: start.Add(time.Second), ExitCode: 3}
	if err := w.Finish(rec); err != nil {
		t.Fatal(err)
	}
	// Late batches are dropped, not written to a closed file.
	_ = w.ConsumeTraces(ctx, batch(1, 1, start))

	list, err := s.List()
	if err != nil || len(list) != 1 {
		t.Fatalf("List = %v, %v", list, err)
	}
	e := list[0]
	if e.State != StateFailed || e.ID != "11111111-aaaa" || e.Final == nil || e.Meta.Command[0] != "agent" {
		t.Fatalf("entry = %+v", e)
	}
	got, err := s.Load(e)
	if err != nil {
		t.Fatal(err)
	}
	if n := got.Traces.SpanCount(); n != 6 {
		t.Errorf("stored spans = %d, want 3+2 child spans and the root", n)
	}
	if len(got.Problems) != 0 {
		t.Errorf("problems = %v", got.Problems)
	}
}

func TestResolve(t *testing.T) {
	s := Open(t.TempDir())
	if _, err := s.Resolve("last"); !errors.Is(err, ErrEmpty) {
		t.Fatalf("empty store: %v", err)
	}
	start := time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC)
	for i, id := range []string{"abc123", "abd456", "ffff00"} {
		w := begin(t, s, id, start.Add(time.Duration(i)*time.Minute))
		if err := w.Finish(&record.Session{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		ref, want string
		err       error
	}{
		{"last", "ffff00", nil},
		{"abc", "abc123", nil},
		{"abd456", "abd456", nil},
		{"ab", "", ErrAmbiguous},
		{"zzz", "", ErrNotFound},
		{"20261126T050100.000Z-abd456", "abd456", nil},
		{"last~0", "ffff00", nil},
		{"last~1", "abd456", nil},
		{"last~2", "abc123", nil},
		{"last~3", "", ErrNotFound},
		{"last~x", "", ErrNotFound},
	}
	for _, tt := range tests {
		e, err := s.Resolve(tt.ref)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("Resolve(%q) error = %v, want %v", tt.ref, err, tt.err)
			}
			continue
		}
		if err != nil || e.ID != tt.want {
			t.Errorf("Resolve(%q) = %v, %v; want %s", tt.ref, e, err, tt.want)
		}
	}
}

// TestDamagedRecords: a killed session (no final record, last line cut
// short), a corrupt one and a stray directory are all listed or ignored, and
// what survived is readable.
func TestDamagedRecords(t *testing.T) {
	s := Open(t.TempDir())
	start := time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC)
	w := begin(t, s, "killed", start)
	_ = w.ConsumeTraces(context.Background(), batch(2, 4, start))
	w.Abandon()
	// agentops dies mid-write: half a line, no session.json, and its pid is
	// not alive.
	spans := filepath.Join(w.Path(), SpansFile)
	f, err := os.OpenFile(spans, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"01`)
	f.Close()
	writeMeta(t, w.Path(), Meta{ID: "killed", Command: []string{"agent"}, Start: start, PID: 1 << 30})

	corrupt := filepath.Join(s.Dir(), start.Add(time.Minute).Format(dirTime)+"-corrupt")
	if err := os.Mkdir(corrupt, 0o700); err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(corrupt, MetaFile), []byte("{not json"), 0o600)
	_ = os.Mkdir(filepath.Join(s.Dir(), "not-a-session"), 0o700)

	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].State != StateCorrupt || list[1].State != StateIncomplete {
		t.Fatalf("listed %d: %+v", len(list), list)
	}
	got, err := s.Load(list[1])
	if err != nil {
		t.Fatal(err)
	}
	if got.Traces.SpanCount() != 4 || got.Record.Totals.LLMCalls != 4 || got.Record.Totals.InputTokens != 40 {
		t.Errorf("survived: %d spans, totals %+v", got.Traces.SpanCount(), got.Record.Totals)
	}
	if !strings.Contains(strings.Join(got.Problems, "\n"), "cut short") {
		t.Errorf("problems = %q", got.Problems)
	}
	if _, err := s.Load(list[0]); err != nil {
		t.Errorf("load corrupt: %v", err)
	}
}

func writeMeta(t *testing.T, dir string, m Meta) {
	t.Helper()
	if err := writeFileAtomic(filepath.Join(dir, MetaFile), m); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentSessions(t *testing.T) {
	s := Open(filepath.Join(t.TempDir(), "a", "b"))
	start := time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC)
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("s%d", i)
			w := s.NewWriter()
			// The same start time for all: only the id keeps them apart.
			if err := w.Begin(Meta{ID: id, Start: start}); err != nil {
				errs <- err
				return
			}
			var inner sync.WaitGroup
			for j := 0; j < 4; j++ {
				inner.Add(1)
				go func() {
					defer inner.Done()
					_ = w.ConsumeTraces(context.Background(), batch(byte(i), 5, start))
				}()
			}
			inner.Wait()
			errs <- w.Finish(&record.Session{ID: id})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	list, _ := s.List()
	if len(list) != n {
		t.Fatalf("listed %d sessions, want %d", len(list), n)
	}
	for _, e := range list {
		got, err := s.Load(e)
		if err != nil || got.Traces.SpanCount() != 20 || e.State != StateOK || len(got.Problems) > 0 {
			t.Errorf("%s: %v spans=%d state=%s problems=%v", e.ID, err, got.Traces.SpanCount(), e.State, got.Problems)
		}
	}
}

func TestPrune(t *testing.T) {
	s := Open(t.TempDir())
	now := time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC)
	for i, age := range []time.Duration{40 * 24 * time.Hour, 31 * 24 * time.Hour, time.Hour} {
		w := begin(t, s, fmt.Sprintf("s%d", i), now.Add(-age))
		_ = w.Finish(&record.Session{})
	}
	// Still running, and old: kept.
	running := begin(t, s, "running", now.Add(-60*24*time.Hour))
	defer running.Finish(&record.Session{})
	keep := filepath.Join(s.Dir(), "my-notes")
	_ = os.Mkdir(keep, 0o700)

	dry, err := s.Prune(now.Add(-30*24*time.Hour), true)
	if err != nil || len(dry) != 2 {
		t.Fatalf("dry run: %d, %v", len(dry), err)
	}
	if list, _ := s.List(); len(list) != 4 {
		t.Fatalf("dry run removed something: %d left", len(list))
	}
	removed, err := s.Prune(now.Add(-30*24*time.Hour), false)
	if err != nil || len(removed) != 2 {
		t.Fatalf("prune: %d, %v", len(removed), err)
	}
	list, _ := s.List()
	if len(list) != 2 || list[0].ID != "s2" || list[1].ID != "running" {
		t.Fatalf("left: %+v", list)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("prune touched a directory that is not a session: %v", err)
	}
}

// TestWriterMemoryFlat: the writer streams; the heap does not grow with the
// number of spans written.
func TestWriterMemoryFlat(t *testing.T) {
	w := begin(t, Open(t.TempDir()), "big", time.Now())
	defer w.Finish(&record.Session{})
	td := batch(1, 512, time.Now())
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	write := func(n int) {
		for i := 0; i < n; i++ {
			_ = w.ConsumeTraces(context.Background(), td)
		}
	}
	write(20)
	before := heap()
	write(100) // about 51k spans, 25 MB of JSON
	after := heap()
	if after > before+4<<20 {
		t.Errorf("heap grew from %d KB to %d KB while streaming 51k spans", before>>10, after>>10)
	}
}
