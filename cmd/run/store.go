package run

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/agentops-dev/agentops/cmd/storedsession"
	"github.com/agentops-dev/agentops/record"
	"github.com/agentops-dev/agentops/session"
	"github.com/agentops-dev/agentops/store"
)

// runStore is the session's local record: the store writer wired into the
// session, and what to do with it at the end (--report, --no-store).
type runStore struct {
	opts   *Options
	st     *store.Store
	writer *store.Writer
	// tmp is a throwaway store for --no-store --report, removed at the end.
	tmp string
	// begun is closed when the start record begun by beginAsync is
	// written, or has failed (writer is then nil); prepared when the
	// files written last are made too (store.Writer.Prepare). Both nil
	// before beginAsync.
	begun, prepared chan struct{}
	// beginErr is Begin's error, said once by wait.
	beginErr error
	waited   bool
}

// openRunStore prepares the store for a run; nil means nothing is stored
// (--no-store without --report, or the store is unusable: a warning says so).
func openRunStore(opts *Options) *runStore {
	rs := &runStore{opts: opts}
	root := ""
	if opts.NoStore {
		if opts.ReportPath == "" {
			return nil
		}
		dir, err := os.MkdirTemp("", "agentops-report-")
		if err != nil {
			fmt.Fprintf(opts.IO.ErrOut, "agentops: cannot write --report: %v\n", err)
			return nil
		}
		rs.tmp, root = dir, dir
	} else {
		var err error
		root, err = store.Root(opts.StoreDir, os.Getenv)
		if err != nil {
			fmt.Fprintf(opts.IO.ErrOut, "agentops: this session will not be stored: %v\n", err)
			return nil
		}
	}
	rs.st = store.Open(root)
	rs.writer = rs.st.NewWriter()
	return rs
}

// wire adds the store to the session's consumers and span processors.
// With exporters, the export pipeline writes the child's batches to the
// store itself (it is the pipeline's journal, see keepUnsent), so the
// store is no consumer of its own.
func (rs *runStore) wire(o *session.Options, pipe *pipeline) {
	if rs == nil {
		return
	}
	if pipe.Empty() {
		o.Consumers = append(o.Consumers, rs.writer)
	}
	o.SpanProcessors = append(o.SpanProcessors, rs.writer)
}

// beginAsync starts writing the session's start record (its directory,
// lock and meta.json: three file creations, tens of microseconds each on
// an idle disk, half a millisecond on a busy one) in the background, while
// the session starts its receiver and proxy; wait makes it whole, and the
// session calls wait before it starts the child
// (session.Options.BeforeChild), so no child ever runs without its record
// on disk: an agentops killed at any point after that leaves a session
// that `sessions` lists as incomplete, as before. The files the session
// writes last are then made while the child runs (store.Writer.Prepare);
// finish and discard wait for that.
func (rs *runStore) beginAsync(id string) {
	if rs == nil {
		return
	}
	m := store.Meta{ID: id, Command: rs.opts.Command, Start: time.Now().UTC()}
	rs.begun, rs.prepared = make(chan struct{}), make(chan struct{})
	w := rs.writer
	go func() {
		defer close(rs.prepared)
		m.Dir, _ = os.Getwd()
		err := w.Begin(m)
		rs.beginErr = err
		close(rs.begun)
		if err == nil {
			w.Prepare()
		}
	}()
}

// waitPrepared waits for all beginAsync does, Prepare included.
func (rs *runStore) waitPrepared() {
	rs.wait()
	if rs != nil && rs.prepared != nil {
		<-rs.prepared
	}
}

// wait waits for the start record begun by beginAsync; on failure it says
// so, once, and the run goes on unstored.
func (rs *runStore) wait() {
	if rs == nil || rs.begun == nil || rs.waited {
		return
	}
	<-rs.begun
	rs.waited = true
	if rs.beginErr != nil {
		fmt.Fprintf(rs.opts.IO.ErrOut, "agentops: this session will not be stored: %v\n", rs.beginErr)
		rs.writer = nil
	}
}

// finish writes the final record and the --report. Neither changes the
// child's exit code: failures are said and the run goes on.
func (rs *runStore) finish(rec *record.Session) {
	rs.waitPrepared()
	if rs == nil || rs.writer == nil {
		return
	}
	if rs.tmp != "" {
		defer os.RemoveAll(rs.tmp)
	}
	rs.noteStored(rec)
	// Said once, whatever failed and however often: what was lost and
	// what the session reads as (store.WriteError).
	if err := rs.writer.Finish(rec); err != nil {
		var werr *store.WriteError
		if errors.As(err, &werr) {
			fmt.Fprintf(rs.opts.IO.ErrOut, "agentops: %v\n", err)
		} else {
			fmt.Fprintf(rs.opts.IO.ErrOut, "agentops: store session in %s: %v\n", rs.writer.Path(), err)
		}
	}
	if rs.opts.ReportPath == "" {
		return
	}
	if err := rs.report(rec); err != nil {
		fmt.Fprintf(rs.opts.IO.ErrOut, "agentops: --report: %v\n", err)
	}
}

// report writes the --report page from what the store now holds.
func (rs *runStore) report(rec *record.Session) error {
	e, err := rs.st.Resolve(rec.ID)
	if err != nil {
		return err
	}
	v, err := storedsession.OpenView(rs.st, e, storedsession.ReportSpans)
	if err != nil {
		return err
	}
	return storedsession.WriteReportFile(rs.opts.ReportPath, v)
}

// discard removes the session's directory: the session never ran.
func (rs *runStore) discard() {
	rs.waitPrepared()
	if rs == nil || rs.writer == nil {
		return
	}
	_ = rs.writer.Discard()
	if rs.tmp != "" {
		_ = os.RemoveAll(rs.tmp)
	}
}

// noteStored records in rec where the store keeps the session, and what
// it could not keep so far, so the summary can say both before the record
// is written.
func (rs *runStore) noteStored(rec *record.Session) {
	rs.wait()
	if rs != nil && rs.writer != nil && rs.tmp == "" {
		rec.Stored = rs.writer.Path()
		rec.StoreLost = rs.writer.Loss()
	}
}
