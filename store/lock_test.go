package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agentops-dev/agentops/record"
)

// TestRunningIsTheLock: a session is running while its writer holds the
// lock, whatever its pid says (another PID namespace, a recycled pid), and
// prune keeps it; once the writer is gone it is incomplete and prunable.
func TestRunningIsTheLock(t *testing.T) {
	s := Open(filepath.Join(t.TempDir(), "store"))
	start := time.Date(2026, 11, 20, 5, 0, 0, 0, time.UTC)
	w := s.NewWriter()
	// A pid that is not ours nor alive here: a session started in a container.
	if err := w.Begin(Meta{ID: "elsewhere", Command: []string{"agent"}, Start: start, PID: 1 << 30, Host: "container"}); err != nil {
		t.Fatal(err)
	}
	list, err := s.List()
	if err != nil || len(list) != 1 || list[0].State != StateRunning {
		t.Fatalf("while the writer holds the lock: %v %v, want running", list, err)
	}
	removed, err := s.Prune(start.Add(24*time.Hour), false)
	if err != nil || len(removed) != 0 {
		t.Fatalf("prune removed %d (%v), want the running session kept", len(removed), err)
	}
	w.Abandon()
	list, _ = s.List()
	if list[0].State != StateIncomplete {
		t.Fatalf("after the writer died: %s, want incomplete", list[0].State)
	}
	if removed, _ := s.Prune(start.Add(24*time.Hour), false); len(removed) != 1 {
		t.Errorf("prune removed %d, want the dead session", len(removed))
	}
}

// TestRunningOlderLocks: sessions written before the directory lock are
// still told apart: one holding a flock on its LockFile runs, one whose lock
// file nobody holds is incomplete, one with neither goes by its pid.
func TestRunningOlderLocks(t *testing.T) {
	s := Open(filepath.Join(t.TempDir(), "store"))
	start := time.Date(2026, 11, 20, 5, 0, 0, 0, time.UTC)
	old := func(id string, pid int) string {
		t.Helper()
		dir := filepath.Join(s.root, start.Format(dirTime)+"-"+id)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		host, _ := os.Hostname()
		if err := writeNew(filepath.Join(dir, MetaFile), Meta{ID: id, Command: []string{"agent"}, Start: start, PID: pid, Host: host}); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	held := old("held", 1<<30)
	f, err := os.OpenFile(filepath.Join(held, LockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	dropped := old("dropped", os.Getpid())
	if err := os.WriteFile(filepath.Join(dropped, LockFile), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	old("ours", os.Getpid())
	old("dead", 1<<30)
	list, err := s.List()
	if err != nil || len(list) != 4 {
		t.Fatalf("List = %v, %v", list, err)
	}
	want := map[string]State{"held": StateRunning, "dropped": StateIncomplete, "ours": StateRunning, "dead": StateIncomplete}
	for _, e := range list {
		if e.State != want[e.ID] {
			t.Errorf("%s: %s, want %s", e.ID, e.State, want[e.ID])
		}
	}
}

// TestPrepared: the files Prepare makes ahead (spans.jsonl and the
// temporary file of session.json) leave a finished session with its
// session.json and no temporary file, and a session whose writer died after
// Prepare listed as incomplete with its start record, no problem but the
// missing final record; Discard removes them with the rest.
func TestPrepared(t *testing.T) {
	s := Open(filepath.Join(t.TempDir(), "store"))
	start := time.Date(2026, 12, 1, 5, 0, 0, 0, time.UTC)

	done := s.NewWriter()
	if err := done.Begin(Meta{ID: "done", Command: []string{"agent"}, Start: start}); err != nil {
		t.Fatal(err)
	}
	done.Prepare()
	if err := done.Finish(&record.Session{ID: "done", Command: []string{"agent"}, Start: start, End: start.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, done.Path()); strings.Join(names, " ") != "meta.json session.json spans.jsonl" {
		t.Errorf("finished session holds %v, want meta.json session.json spans.jsonl", names)
	}

	died := s.NewWriter()
	if err := died.Begin(Meta{ID: "died", Command: []string{"agent"}, Start: start.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	died.Prepare()
	died.Abandon()
	list, err := s.List()
	if err != nil || len(list) != 2 {
		t.Fatalf("List = %v, %v", list, err)
	}
	for _, e := range list {
		switch e.ID {
		case "done":
			if e.State != StateOK || len(e.Problems) != 0 {
				t.Errorf("finished session: %s %v, want ok", e.State, e.Problems)
			}
		case "died":
			if e.State != StateIncomplete || e.Meta.Command[0] != "agent" || len(e.Problems) != 1 {
				t.Errorf("dead session: %s %+v %v, want incomplete, its command and one problem", e.State, e.Meta, e.Problems)
			}
			got, err := s.Load(e)
			if err != nil || got.Traces.SpanCount() != 0 || len(got.Problems) != 1 {
				t.Errorf("Load of the dead session: %v, %v spans, problems %v", err, got.Traces.SpanCount(), got.Problems)
			}
		}
	}

	gone := s.NewWriter()
	if err := gone.Begin(Meta{ID: "gone", Command: []string{"agent"}, Start: start.Add(2 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	gone.Prepare()
	path := gone.Path()
	if err := gone.Discard(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("Discard left %s: %v", path, err)
	}
}

// dirNames lists dir's files, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}
