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
	"slices"
	"strings"

	"github.com/agentops-dev/agentops/cmd/exitcode"
	"github.com/agentops-dev/agentops/record"
	"github.com/agentops-dev/agentops/store"
	"github.com/agentops-dev/agentops/summary"
)

// Load opens the store and reads the session ref names, with errors that
// say what to do.
func Load(storeDir string, getenv func(string) string, ref string) (*store.Session, error) {
	st, e, err := resolve(storeDir, getenv, ref)
	if err != nil {
		return nil, err
	}
	s, err := st.Load(e)
	if err != nil {
		return nil, &exitcode.Error{Code: exitcode.Internal, Err: err}
	}
	return s, nil
}

// Resolve opens the store and finds the session ref names, with errors
// that say what to do, for readers that read the session themselves.
func Resolve(storeDir string, getenv func(string) string, ref string) (*store.Store, *store.Entry, error) {
	return resolve(storeDir, getenv, ref)
}

func resolve(storeDir string, getenv func(string) string, ref string) (*store.Store, *store.Entry, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	root, err := store.Root(storeDir, getenv)
	if err != nil {
		return nil, nil, &exitcode.Error{Code: exitcode.Internal, Err: err}
	}
	st := store.Open(root)
	e, err := st.Resolve(ref)
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrAmbiguous), errors.Is(err, store.ErrEmpty):
		return nil, nil, &exitcode.Error{Code: exitcode.Usage, Err: err}
	case err != nil:
		return nil, nil, &exitcode.Error{Code: exitcode.Internal, Err: err}
	}
	return st, e, nil
}

// View is a stored session as show and report draw it: its record and
// the start of its waterfall, read without holding its spans (a session
// of a million spans took gigabytes to show whole).
type View struct {
	*store.Entry
	Record    *record.Session
	Waterfall store.Waterfall
}

// LoadView reads the session ref names for show and report: its record
// (rebuilt a line at a time when agentops did not finish it) and the first
// maxSpans rows of its waterfall (0: all).
func LoadView(storeDir string, getenv func(string) string, ref string, maxSpans int) (*View, error) {
	st, e, err := resolve(storeDir, getenv, ref)
	if err != nil {
		return nil, err
	}
	return OpenView(st, e, maxSpans)
}

// OpenView is LoadView of an entry already resolved.
func OpenView(st *store.Store, e *store.Entry, maxSpans int) (*View, error) {
	rec, problems, err := st.Summarize(e)
	if err != nil {
		return nil, &exitcode.Error{Code: exitcode.Internal, Err: err}
	}
	wf, err := st.LoadWaterfall(e, maxSpans)
	if err != nil {
		return nil, &exitcode.Error{Code: exitcode.Internal, Err: err}
	}
	// Both read spans.jsonl when agentops did not finish the session:
	// a damaged line is said once.
	e.Problems = problems
	for _, p := range wf.Problems {
		if !slices.Contains(e.Problems, p) {
			e.Problems = append(e.Problems, p)
		}
	}
	return &View{Entry: e, Record: rec, Waterfall: wf}, nil
}

// ReportSpans is how many spans a report draws by default (report
// --max-spans, and run --report): a page of a million rows was 367 MB and
// took 18 s to write, and a browser minutes to open.
const ReportSpans = 10_000

// Report is the HTML report's view of a stored session.
func Report(v *View) summary.Report {
	return summary.Report{
		Session:      v.Record,
		Spans:        v.Waterfall.Rows,
		SpansOmitted: v.Waterfall.Total - len(v.Waterfall.Rows),
		State:        string(v.State),
		Problems:     v.Problems,
		OutputTail:   outputTail(v.Record),
	}
}

// WriteReport writes the HTML report of v to w.
func WriteReport(w io.Writer, v *View) error {
	bw := bufio.NewWriter(w)
	if err := summary.RenderHTML(bw, Report(v)); err != nil {
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

// WriteReportFile writes the HTML report of v to path, whole or not at all.
func WriteReportFile(path string, v *View) error {
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
	err = WriteReport(f, v)
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
func outputTail(rec *record.Session) string {
	if rec == nil {
		return ""
	}
	return rec.OutputTail
}
