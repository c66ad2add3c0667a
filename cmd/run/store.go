package run

import (
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

// begin creates the session's directory; on failure the run goes on
// unstored.
func (rs *runStore) begin(id string) {
	if rs == nil {
		return
	}
	cwd, _ := os.Getwd()
	err := rs.writer.Begin(store.Meta{ID: id, Command: rs.opts.Command, Dir: cwd, Start: time.Now()})
	if err != nil {
		fmt.Fprintf(rs.opts.IO.ErrOut, "agentops: this session will not be stored: %v\n", err)
		rs.writer = nil
	}
}

// finish writes the final record and the --report. Neither changes the
// child's exit code: failures are said and the run goes on.
func (rs *runStore) finish(rec *record.Session) {
	if rs == nil || rs.writer == nil {
		return
	}
	if rs.tmp != "" {
		defer os.RemoveAll(rs.tmp)
	}
	rs.noteStored(rec)
	if err := rs.writer.Finish(rec); err != nil {
		fmt.Fprintf(rs.opts.IO.ErrOut, "agentops: store session in %s: %v\n", rs.writer.Path(), err)
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
	s, err := rs.st.Load(e)
	if err != nil {
		return err
	}
	return storedsession.WriteReportFile(rs.opts.ReportPath, s)
}

// discard removes the session's directory: the session never ran.
func (rs *runStore) discard() {
	if rs == nil || rs.writer == nil {
		return
	}
	_ = rs.writer.Discard()
	if rs.tmp != "" {
		_ = os.RemoveAll(rs.tmp)
	}
}

// noteStored records in rec where the store keeps the session, so the
// summary can say it before the record is written.
func (rs *runStore) noteStored(rec *record.Session) {
	if rs != nil && rs.writer != nil && rs.tmp == "" {
		rec.Stored = rs.writer.Path()
	}
}
