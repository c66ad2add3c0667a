package store

import (
	"path/filepath"
	"testing"
	"time"
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
