package store

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/agentops-dev/agentops/exporter"
	"github.com/agentops-dev/agentops/record"
)

// OwnScopePrefix is the instrumentation scope prefix of agentops' own spans
// (the session span and its children). The Writer keeps only those from the
// session's span pipeline: the child's spans arrive through ConsumeTraces.
const OwnScopePrefix = "github.com/agentops-dev/agentops"

// Writer streams one session to its directory. It is a receiver sink (every
// batch the child sends) and a span processor (the session's own spans).
// Its methods are safe for concurrent use. Write errors never reach the
// child: they are kept and returned by Finish.
type Writer struct {
	store *Store
	path  string
	// lock holds the flock on the session's directory (LockDir) while the
	// session runs.
	lock *os.File

	mu      sync.Mutex
	files   map[string]*jsonLines
	errs    []error
	closed  bool
	started bool
	// final is the temporary file session.json is written to, made by
	// Prepare; nil until then.
	final *os.File
}

// jsonLines is one append-only .jsonl file.
type jsonLines struct {
	f *os.File
	w *bufio.Writer
	// size is the file's length so far: where the next line starts.
	size int64
	// broken is set by a failed write.
	broken bool
}

// NewWriter returns a writer for a session of s. Nothing is written before
// Begin; batches consumed before it are dropped.
func (s *Store) NewWriter() *Writer {
	return &Writer{store: s, files: map[string]*jsonLines{}}
}

// Path is the session's directory, once Begin has succeeded.
func (w *Writer) Path() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.path
}

// Begin creates the session's directory and writes meta.json.
func (w *Writer) Begin(m Meta) error {
	if m.ID == "" || strings.ContainsAny(m.ID, `/\`) {
		return fmt.Errorf("store: bad session id %q", m.ID)
	}
	if m.PID == 0 {
		m.PID = os.Getpid()
	}
	if m.Host == "" {
		m.Host, _ = os.Hostname()
	}
	m.Lock = LockDir
	// 0700: prompts and completions end up here.
	if err := os.MkdirAll(w.store.root, 0o700); err != nil {
		return fmt.Errorf("create the session store %s: %w (pass --store DIR or --no-store)", w.store.root, err)
	}
	path := filepath.Join(w.store.root, m.Start.UTC().Format(dirTime)+"-"+m.ID)
	// Mkdir, not MkdirAll: it fails if the directory exists, so two sessions
	// can never share one.
	if err := os.Mkdir(path, 0o700); err != nil {
		return fmt.Errorf("create the session directory: %w", err)
	}
	// Not synced: an fsync at start-up costs every run a disk flush
	// (milliseconds, tens on a busy disk) before the child may start, and
	// session.json, written at the end, supersedes meta.json. Nor
	// written to a temporary file renamed into place: the directory is new
	// and ours, the file one small write, and a reader that finds it
	// missing or cut makes the same of both (see load).
	// A session that could not even be begun (disk full) leaves nothing
	// behind: an empty directory would become 'last' and list as corrupt.
	lock, err := lockSession(path)
	if err == nil {
		err = writeNew(filepath.Join(path, MetaFile), m)
	}
	if err != nil {
		if lock != nil {
			lock.Close()
		}
		_ = os.RemoveAll(path)
		return fmt.Errorf("begin the session record in %s: %w", path, err)
	}
	w.mu.Lock()
	w.path, w.started, w.lock = path, true, lock
	w.mu.Unlock()
	return nil
}

// Prepare creates, after Begin, the files a session writes last: spans.jsonl
// (a short session's first batch is its own span, at the very end) and the
// temporary file session.json is renamed from, so that when the session
// ends, with people waiting for agentops to exit, no file is created: a
// creation is tens of microseconds on an idle disk and was half a
// millisecond each on a busy one. It also builds encoding/json's encoder
// of the record, which Finish would otherwise build. Call it in the
// background while the child runs; a failure here is met again, and kept,
// when the file is first written. A session that dies leaves an empty
// .session.json.*.tmp that readers ignore.
func (w *Writer) Prepare() {
	w.mu.Lock()
	if w.started && !w.closed {
		_, _ = w.file(SpansFile)
		if w.final == nil {
			w.final, _ = os.CreateTemp(w.path, "."+SessionFile+".*.tmp")
		}
	}
	w.mu.Unlock()
	_, _ = json.Marshal(&record.Session{})
}

// ConsumeTraces appends the batch to spans.jsonl.
func (w *Writer) ConsumeTraces(_ context.Context, td ptrace.Traces) error {
	_, _ = w.AppendTraces(td)
	return nil
}

// ConsumeLogs appends the batch to logs.jsonl.
func (w *Writer) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	_, _ = w.AppendLogs(ld)
	return nil
}

// ConsumeMetrics appends the batch to metrics.jsonl.
func (w *Writer) ConsumeMetrics(_ context.Context, md pmetric.Metrics) error {
	_, _ = w.AppendMetrics(md)
	return nil
}

// AppendTraces appends the batch to spans.jsonl and says where its line
// is: the export pipeline's journal (exporter.Journal) reads it back from
// there when an exporter falls behind.
//
// The line is what ptrace.JSONMarshaler writes, by appendTraces: the same
// bytes at a third of the cost, encoded into a reused buffer before the
// lock is taken, so concurrent exports encode in parallel.
func (w *Writer) AppendTraces(td ptrace.Traces) (exporter.Ref, error) {
	bp := linePool.Get().(*[]byte)
	b := appendTraces((*bp)[:0], td)
	ref, err := w.appendLine(SpansFile, b, nil, td.SpanCount())
	if cap(b) <= maxPooledLine {
		*bp = b[:0]
		linePool.Put(bp)
	}
	return ref, err
}

// linePool holds the buffers AppendTraces encodes into; one bigger than
// maxPooledLine (a batch of many megabytes) is left to the collector.
var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

const maxPooledLine = 4 << 20

// AppendLogs appends the batch to logs.jsonl and says where its line is.
func (w *Writer) AppendLogs(ld plog.Logs) (exporter.Ref, error) {
	b, err := (&plog.JSONMarshaler{}).MarshalLogs(ld)
	return w.appendLine(LogsFile, b, err, ld.LogRecordCount())
}

// AppendMetrics appends the batch to metrics.jsonl and says where its line is.
func (w *Writer) AppendMetrics(md pmetric.Metrics) (exporter.Ref, error) {
	b, err := (&pmetric.JSONMarshaler{}).MarshalMetrics(md)
	return w.appendLine(MetricsFile, b, err, md.DataPointCount())
}

// errNotWriting is the Append error of a writer not begun or finished.
var errNotWriting = errors.New("store: session not being written")

// appendLine writes one batch as one line and flushes it, so a crash loses
// at most the line being written, never one already accepted. It returns
// where the line is (without its newline).
func (w *Writer) appendLine(name string, b []byte, marshalErr error, items int) (exporter.Ref, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.started || w.closed {
		return exporter.Ref{}, errNotWriting
	}
	if marshalErr != nil {
		err := fmt.Errorf("encode %s batch: %w", name, marshalErr)
		w.errs = append(w.errs, err)
		return exporter.Ref{}, err
	}
	jl, err := w.file(name)
	if err != nil {
		w.errs = append(w.errs, err)
		return exporter.Ref{}, err
	}
	if jl.broken {
		return exporter.Ref{}, errors.New("store: " + name + " has a failed write")
	}
	// The line and its newline in one write: a batch bigger than the
	// buffer goes straight to the file, and a newline written after it
	// would cost a second system call.
	_, _ = jl.w.Write(append(b, '\n'))
	if err := jl.w.Flush(); err != nil {
		// A line may be cut: later offsets are not to be trusted.
		jl.broken = true
		err = fmt.Errorf("write %s: %w", name, err)
		w.errs = append(w.errs, err)
		return exporter.Ref{}, err
	}
	ref := exporter.Ref{File: jl.f.Name(), Offset: jl.size, Length: int64(len(b)), Items: int64(items)}
	jl.size += int64(len(b)) + 1
	return ref, nil
}

// file opens name on first use; w.mu is held.
func (w *Writer) file(name string) (*jsonLines, error) {
	if jl, ok := w.files[name]; ok {
		return jl, nil
	}
	f, err := os.OpenFile(filepath.Join(w.path, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	jl := &jsonLines{f: f, w: bufio.NewWriterSize(f, 64<<10)}
	w.files[name] = jl
	return jl, nil
}

// OnStart does nothing: spans are written when they end.
func (w *Writer) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd writes the session's own spans (scope OwnScopePrefix...) to
// spans.jsonl, so the stored trace has its root.
func (w *Writer) OnEnd(s sdktrace.ReadOnlySpan) {
	if !strings.HasPrefix(s.InstrumentationScope().Name, OwnScopePrefix) {
		return
	}
	_ = w.ConsumeTraces(context.Background(), exporter.TracesFromSpans([]sdktrace.ReadOnlySpan{s}))
}

// Shutdown does nothing: Finish closes the files.
func (w *Writer) Shutdown(context.Context) error { return nil }

// ForceFlush does nothing: every batch is flushed as it is written.
func (w *Writer) ForceFlush(context.Context) error { return nil }

// Finish writes session.json atomically, closes the files and returns every
// error met while writing the session. Batches consumed after Finish are
// dropped.
func (w *Writer) Finish(rec *record.Session) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.started {
		return errors.New("store: session not begun")
	}
	if w.closed {
		return errors.New("store: session already finished")
	}
	w.closed = true
	for name, jl := range w.files {
		if err := jl.w.Flush(); err != nil {
			w.errs = append(w.errs, fmt.Errorf("write %s: %w", name, err))
		}
		if err := jl.f.Close(); err != nil {
			w.errs = append(w.errs, fmt.Errorf("close %s: %w", name, err))
		}
	}
	// Renamed into place (readers and a kill -9 see all of it or none)
	// but not synced: the fsync was most of a millisecond (tens on a busy
	// disk) between the child's exit and ours, and bought little, as
	// spans.jsonl is not synced either. After a power cut the file may be
	// empty: the session then lists as incomplete, with the problem said,
	// its spans read as far as they reached the disk.
	err := writeFile(filepath.Join(w.path, SessionFile), w.final, rec, false)
	w.final = nil
	if err != nil {
		w.errs = append(w.errs, err)
	}
	w.lock.Close() // after session.json: the session is never seen unlocked without it
	return errors.Join(w.errs...)
}

// Abandon stops writing without a final record, as a killed agentops
// would: the files are closed and the lock released, so the session reads
// incomplete. Tests use it to stand for a kill -9.
func (w *Writer) Abandon() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	for _, jl := range w.files {
		_ = jl.w.Flush()
		_ = jl.f.Close()
	}
	if w.final != nil {
		_ = w.final.Close()
	}
	w.lock.Close()
}

// Discard closes the files and removes the session's directory, for a
// session that never ran.
func (w *Writer) Discard() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.started {
		return nil
	}
	w.closed = true
	for _, jl := range w.files {
		_ = jl.f.Close()
	}
	if w.final != nil {
		_ = w.final.Close()
	}
	w.lock.Close()
	return os.RemoveAll(w.path)
}

// writeNew writes v as JSON to path, a file that must not exist yet, in
// one write.
func writeNew(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// writeFileAtomic writes v as JSON to a temporary file next to path, syncs
// it and renames it over path: readers see the whole file or none.
func writeFileAtomic(path string, v any) error { return writeFile(path, nil, v, true) }

// writeFile is writeFileAtomic, with the sync to disk optional and the
// temporary file, empty and next to path, made already when f is not nil
// (writeFile closes it).
func writeFile(path string, f *os.File, v any, sync bool) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		if f != nil {
			f.Close()
			_ = os.Remove(f.Name())
		}
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	if f == nil {
		f, err = os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
		if err != nil {
			return fmt.Errorf("write %s: %w", filepath.Base(path), err)
		}
	}
	tmp := f.Name()
	_, err = f.Write(append(b, '\n'))
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}
