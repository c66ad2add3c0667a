package store

import (
	"bufio"
	"bytes"
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
// child: what they cost is counted (Loss) and reported once, by Finish.
type Writer struct {
	store *Store
	path  string
	// lock holds the flock on the session's directory (LockDir) while the
	// session runs.
	lock *os.File

	mu    sync.Mutex
	files map[string]*jsonLines
	// lost counts what could not be written, lost.Error says the first
	// failure's reason.
	lost    record.StoreLoss
	closed  bool
	started bool
	// final is the temporary file session.json is written to, made by
	// Prepare; nil until then.
	final *os.File
}

// jsonLines is one append-only .jsonl file.
type jsonLines struct {
	f *os.File // nil when it could not be opened
	w *bufio.Writer
	// size is the file's length so far: where the next line starts.
	size int64
	// failed is the open or write failure that broke the file: what is
	// given to it afterwards is lost, and counted, without another error.
	failed error
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
	_, missing := os.Stat(w.store.root)
	if err := os.MkdirAll(w.store.root, 0o700); err != nil {
		return fmt.Errorf("create the session store %s: %w (pass --store DIR or --no-store)", w.store.root, err)
	}
	if missing != nil {
		// A store made here spreads its sessions (see markTop); a
		// directory of the user's is left as it is.
		markTop(w.store.root)
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
// millisecond each on a busy one. (It no longer builds encoding/json's
// encoder of the record ahead of Finish: the record is written without
// reflection, record.Session.MarshalJSON, and the encoder of an event,
// 0.1 ms, is built when a session has one to write, not in every session.)
// Call it in the background while the child runs; a failure here is met
// again, and kept, when the file is first written. A session that dies leaves an empty
// .session.json.*.tmp that readers ignore.
func (w *Writer) Prepare() {
	w.mu.Lock()
	if w.started && !w.closed {
		_ = w.file(SpansFile)
		if w.final == nil {
			w.final, _ = os.CreateTemp(w.path, "."+SessionFile+".*.tmp")
		}
	}
	w.mu.Unlock()
}

// ConsumeTraces appends the batch to spans.jsonl.
func (w *Writer) ConsumeTraces(_ context.Context, td ptrace.Traces) error {
	_, _ = w.AppendTraces(td)
	return nil
}

// ConsumeTraceRequest appends a batch to spans.jsonl from its OTLP/HTTP
// protobuf request as received, the line written from the request's bytes
// (appendTraceRequest: what AppendTraces writes, without pdata); a request
// that encoder leaves to pdata is decoded by decode. body is only read
// during the call. The error is decode's: the batch could not be read.
func (w *Writer) ConsumeTraceRequest(_ context.Context, body []byte, decode func() (ptrace.Traces, error)) error {
	bp := linePool.Get().(*[]byte)
	b, spans, ok := appendTraceRequest((*bp)[:0], body)
	if !ok {
		td, err := decode()
		if err != nil {
			linePool.Put(bp)
			return err
		}
		b, spans = appendTraces(b, td), td.SpanCount()
	}
	_, _ = w.appendLine(SpansFile, b, nil, spans)
	w.putLine(bp, b)
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
	w.putLine(bp, b)
	return ref, err
}

// putLine gives back to linePool the buffer bp, grown to b.
func (w *Writer) putLine(bp *[]byte, b []byte) {
	if cap(b) <= maxPooledLine {
		*bp = b[:0]
		linePool.Put(bp)
	}
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
		w.lose(name, items, err)
		return exporter.Ref{}, err
	}
	jl := w.file(name)
	if jl.failed != nil {
		w.lose(name, items, jl.failed)
		return exporter.Ref{}, jl.failed
	}
	// The line and its newline in one write: a batch bigger than the
	// buffer goes straight to the file, and a newline written after it
	// would cost a second system call.
	_, _ = jl.w.Write(append(b, '\n'))
	if err := jl.w.Flush(); err != nil {
		// The line may be cut: cut it off (a truncation needs no space),
		// so that the file holds whole lines only, and write no more to
		// it: a disk that is full stays full, and a later line that fitted
		// would be counted as kept after a hole.
		_ = jl.f.Truncate(jl.size)
		jl.failed = fileError("write", name, err)
		w.lose(name, items, jl.failed)
		return exporter.Ref{}, jl.failed
	}
	ref := exporter.Ref{File: jl.f.Name(), Offset: jl.size, Length: int64(len(b)), Items: int64(items)}
	jl.size += int64(len(b)) + 1
	return ref, nil
}

// file opens name on first use; w.mu is held. A file that cannot be
// opened is not tried again: its jsonLines says why.
func (w *Writer) file(name string) *jsonLines {
	if jl, ok := w.files[name]; ok {
		return jl
	}
	jl := &jsonLines{}
	f, err := os.OpenFile(filepath.Join(w.path, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		jl.failed = fileError("open", name, err)
	} else {
		jl.f, jl.w = f, bufio.NewWriterSize(f, 64<<10)
	}
	w.files[name] = jl
	return jl
}

// fileError says that op on the session's file name failed, naming the
// file once (an *os.PathError names it with its whole path).
func fileError(op, name string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%s %s: %w", op, name, err)
}

// lose counts items of the file name as lost, err the first failure's
// reason; w.mu is held.
func (w *Writer) lose(name string, items int, err error) {
	switch name {
	case SpansFile:
		w.lost.Spans += int64(items)
	case LogsFile:
		w.lost.Logs += int64(items)
	case MetricsFile:
		w.lost.Metrics += int64(items)
	}
	if w.lost.Error == "" && err != nil {
		// The session's directory is said once, elsewhere: the reason
		// names the file.
		w.lost.Error = strings.ReplaceAll(err.Error(), w.path+string(filepath.Separator), "")
	}
}

// Loss says what the writer could not write so far; nil when nothing.
func (w *Writer) Loss() *record.StoreLoss {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lossLocked()
}

func (w *Writer) lossLocked() *record.StoreLoss {
	if w.lost == (record.StoreLoss{}) {
		return nil
	}
	l := w.lost
	return &l
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

// Finish writes session.json atomically and closes the files. When
// anything could not be written it returns a *WriteError, which says once
// what was lost and what the session will read as; rec.StoreLost then
// says what was lost, in the record too. Batches consumed after Finish are
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
		if jl.f == nil {
			continue
		}
		// A broken file's writer keeps its error: nothing new to say.
		if err := jl.w.Flush(); err != nil && jl.failed == nil {
			w.lose(name, 0, fileError("write", name, err))
		}
		if err := jl.f.Close(); err != nil {
			w.lose(name, 0, fileError("close", name, err))
		}
	}
	rec.StoreLost = w.lossLocked()
	// Renamed into place (readers and a kill -9 see all of it or none)
	// but not synced: the fsync was most of a millisecond (tens on a busy
	// disk) between the child's exit and ours, and bought little, as
	// spans.jsonl is not synced either. After a power cut the file may be
	// empty: the session then lists as incomplete, with the problem said,
	// its spans read as far as they reached the disk.
	path := filepath.Join(w.path, SessionFile)
	werr := &WriteError{Dir: w.path}
	if err := writeFile(path, w.final, rec, false); err != nil {
		err = fileError("write", SessionFile, err)
		werr.Final = err
		if rec.StoreLost == nil {
			rec.StoreLost = &record.StoreLoss{Error: err.Error()}
		}
		// The events are most of a record: without them it may fit
		// where the whole did not, and the session then reads as it
		// ended, its totals whole, rather than as killed.
		slim := *rec
		slim.EventsOmitted += len(slim.Events)
		slim.Events = nil
		if len(rec.Events) > 0 && writeFile(path, nil, &slim, false) == nil {
			werr.Slim = true
		} else {
			w.markUnfinished(err, rec.StoreLost)
		}
	}
	w.final = nil
	w.lock.Close() // after session.json: the session is never seen unlocked without it
	if rec.StoreLost == nil {
		return nil
	}
	werr.Lost = *rec.StoreLost
	return werr
}

// markUnfinished notes in meta.json why the session has no final record,
// so that it does not read as killed: rewritten in place, the file takes
// the room it had (a full disk has no more). The new text is longer than
// the old, so none of the old is left after it.
func (w *Writer) markUnfinished(err error, lost *record.StoreLoss) {
	var m Meta
	path := filepath.Join(w.path, MetaFile)
	if readJSON(path, &m) != nil {
		return
	}
	m.StoreError = err.Error()
	if items := lost.Items(); items != "" {
		m.StoreError += "; " + items + " not written"
	}
	b, merr := json.MarshalIndent(m, "", "  ")
	if merr != nil {
		return
	}
	// Written over the old text, not after truncating it: the file only
	// grows, within the block it has on disk (meta.json is far smaller),
	// and a write that fails leaves the old text whole rather than none.
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return
	}
	_, _ = f.WriteAt(append(b, '\n'), 0)
	_ = f.Close()
}

// WriteError is Finish's error when the store could not keep all of a
// session: what was lost, and whether the final record was written.
type WriteError struct {
	// Dir is the session's directory.
	Dir string
	// Lost counts what could not be written, and the first failure.
	Lost record.StoreLoss
	// Final is why session.json could not be written whole, nil when it
	// was; Slim is set when it was then written without its events.
	Final error
	Slim  bool
}

func (e *WriteError) Error() string {
	var b strings.Builder
	b.WriteString("the store could not keep all of this session")
	if lost := e.Lost.Items(); lost != "" {
		fmt.Fprintf(&b, ": %s not written (%s)", lost, e.Lost.Error)
	}
	final := ""
	if e.Final != nil {
		final = strings.ReplaceAll(e.Final.Error(), e.Dir+string(filepath.Separator), "")
	}
	switch {
	case e.Final == nil:
		b.WriteString("; its final record is written: the session reads with what was kept")
	case e.Slim:
		fmt.Fprintf(&b, "; its final record was written without its events (%s)", final)
	default:
		fmt.Fprintf(&b, "; its final record could not be written (%s): the session reads as incomplete, with what was kept", final)
	}
	fmt.Fprintf(&b, ". It is in %s: free space there (or pass --store DIR) for the next session", e.Dir)
	return b.String()
}

// Abandon stops writing without a final record, as a killed agentops
// would: the files are closed and the lock released, so the session reads
// incomplete. Tests use it to stand for a kill -9.
func (w *Writer) Abandon() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	for _, jl := range w.files {
		if jl.f != nil {
			_ = jl.w.Flush()
			_ = jl.f.Close()
		}
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
		if jl.f != nil {
			_ = jl.f.Close()
		}
	}
	if w.final != nil {
		_ = w.final.Close()
	}
	w.lock.Close()
	return os.RemoveAll(w.path)
}

// marshalIndent is json.MarshalIndent(v, "", "  "). The store's records
// write their own JSON (record.Session's and Meta's MarshalJSON), which is
// indented as it is: encoding/json would first check and copy it, a second
// pass over the record on the way to exit.
func marshalIndent(v any) ([]byte, error) {
	m, ok := v.(json.Marshaler)
	if !ok {
		return json.MarshalIndent(v, "", "  ")
	}
	b, err := m.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Grow(len(b) + len(b)/2)
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// writeNew writes v as JSON to path, a file that must not exist yet, in
// one write.
func writeNew(path string, v any) error {
	b, err := marshalIndent(v)
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
	b, err := marshalIndent(v)
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
