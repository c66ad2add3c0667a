// Package storedsession loads a stored session for the commands that read
// the store (show, report, export) and writes its HTML report (report, and
// run --report), so no command imports another.
package storedsession

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/agentops-dev/agentops/cmd/exitcode"
	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/store"
	"github.com/agentops-dev/agentops/summary"
)

// Load opens the store and reads the session ref names, with errors that
// say what to do.
func Load(storeDir string, getenv func(string) string, ref string) (*store.Session, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	root, err := store.Root(storeDir, getenv)
	if err != nil {
		return nil, &exitcode.Error{Code: exitcode.Internal, Err: err}
	}
	st := store.Open(root)
	e, err := st.Resolve(ref)
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrAmbiguous), errors.Is(err, store.ErrEmpty):
		return nil, &exitcode.Error{Code: exitcode.Usage, Err: err}
	case err != nil:
		return nil, &exitcode.Error{Code: exitcode.Internal, Err: err}
	}
	s, err := st.Load(e)
	if err != nil {
		return nil, &exitcode.Error{Code: exitcode.Internal, Err: err}
	}
	return s, nil
}

// Report is the HTML report's view of a stored session.
func Report(s *store.Session) summary.Report {
	return summary.Report{
		Session:    s.Record,
		Spans:      events.SpanTree(s.Traces),
		State:      string(s.State),
		Problems:   s.Problems,
		OutputTail: outputTail(s),
	}
}

// WriteReport writes the HTML report of s to w.
func WriteReport(w io.Writer, s *store.Session) error {
	bw := bufio.NewWriter(w)
	if err := summary.RenderHTML(bw, Report(s)); err != nil {
		return err
	}
	return bw.Flush()
}

// CheckReportPath refuses a report path that is a directory: the report
// is one file, named by the path (it was written as a temporary file in the
// directory's parent, then failed to replace the directory).
func CheckReportPath(path string) error {
	if fi, err := os.Stat(path); (err == nil && fi.IsDir()) || strings.HasSuffix(path, string(os.PathSeparator)) {
		return fmt.Errorf("the report %s is a directory: name the file, as in %s", path, filepath.Join(path, "agentops-report.html"))
	}
	return nil
}

// WriteReportFile writes the HTML report of s to path, whole or not at all.
func WriteReportFile(path string, s *store.Session) error {
	if err := CheckReportPath(path); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		// The error names our temporary file; say which directory is wrong.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("write the report %s: cannot create files in %s (does the directory exist, and may you write there?): %w",
			path, filepath.Dir(path), err)
	}
	err = WriteReport(f, s)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// CreateTemp makes 0600; a report is meant to be shared.
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("write the report %s: %w", path, err)
	}
	return nil
}

// outputTail is the end of the child's output, when the record kept it
// (the runner keeps it when the child failed).
func outputTail(s *store.Session) string {
	if s.Record == nil {
		return ""
	}
	return s.Record.OutputTail
}
