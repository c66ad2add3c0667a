package runner

import (
	"context"
	"os"
	"testing"
)

// TestWarmLeavesNothingOpen: Warm's probe opens a pidfd on us, which must
// not outlive it (the child would not inherit it, but every session would
// keep one), and a child started after it runs as any other.
func TestWarmLeavesNothingOpen(t *testing.T) {
	fds := func() int {
		t.Helper()
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skip("no /proc/self/fd to count open files with")
		}
		return len(ents)
	}
	before := fds()
	Warm()()
	if after := fds(); after != before {
		t.Errorf("%d files open after Warm, %d before", after, before)
	}
	res, err := Run(context.Background(), sh("exit 3"))
	if err != nil || res.ExitCode != 3 {
		t.Errorf("Run after Warm: exit code %d, err %v; want 3, nil", res.ExitCode, err)
	}
}
