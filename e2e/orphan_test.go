package e2e

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestKill9LeavesNoOrphan kills agentops with SIGKILL (as the OOM killer or
// a CI runner does) under each kind of child that used to outlive it, in
// pipe and pseudo-terminal mode: the child must be gone within a second.
func TestKill9LeavesNoOrphan(t *testing.T) {
	python, _ := exec.LookPath("python3")
	const pyAgent = `import logging, os, sys, time
logging.basicConfig(level=logging.INFO, stream=sys.stderr)
open(sys.argv[1], "w").write(str(os.getpid()))
while True:
    logging.info("agent step")
    time.sleep(0.05)
`
	kinds := []struct {
		name  string
		child func(ready string) []string
	}{
		{"silent child", func(ready string) []string { return []string{hostileBin, "-case", "silent", "-ready", ready} }},
		{"child ignoring SIGPIPE", func(ready string) []string { return []string{hostileBin, "-case", "ignore-sigpipe", "-ready", ready} }},
		{"child ignoring SIGHUP", func(ready string) []string { return []string{hostileBin, "-case", "ignore-sighup", "-ready", ready} }},
		{"Python agent logging through logging", func(ready string) []string { return []string{python, "-c", pyAgent, ready} }},
	}
	for _, mode := range []string{"--no-pty", "--pty"} {
		for _, k := range kinds {
			t.Run(k.name+" "+mode, func(t *testing.T) {
				if k.name == "Python agent logging through logging" && python == "" {
					t.Skip("python3 not installed (apt-get install python3; .ci/run installs it)")
				}
				ready := filepath.Join(t.TempDir(), "ready")
				ctx, cancel := context.WithTimeout(context.Background(), hostileBound)
				defer cancel()
				args := append([]string{"run", "--no-store", "--summary", "none", mode, "--"}, k.child(ready)...)
				cmd := exec.Command(agentopsBin, args...)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				pid := waitForPID(t, ctx, ready)
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				err := cmd.Wait()
				var exitErr *exec.ExitError
				if !errors.As(err, &exitErr) || exitErr.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
					t.Fatalf("agentops ended with %v, want killed by SIGKILL", err)
				}
				second, cancel2 := context.WithTimeout(context.Background(), time.Second)
				defer cancel2()
				for alive(pid) {
					select {
					case <-second.Done():
						_ = syscall.Kill(pid, syscall.SIGKILL)
						t.Fatalf("child %d still runs a second after agentops was killed", pid)
					case <-time.After(5 * time.Millisecond):
					}
				}
			})
		}
	}
}
