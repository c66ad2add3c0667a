package run

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/agentops-dev/agentops/runner"
)

// testGuard is a signalGuard whose exit is recorded, not taken.
func testGuard() (*signalGuard, chan int, *syncBuffer) {
	out := &syncBuffer{}
	exits := make(chan int, 4)
	g := &signalGuard{errOut: out, exit: func(code int) { exits <- code }}
	return g, exits, out
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestPostRunSignals(t *testing.T) {
	t.Run("second interrupt after the child exited stops at once", func(t *testing.T) {
		g, exits, out := testGuard()
		g.childExited(3, time.Hour)
		defer g.watchdog.Stop()
		g.handle(syscall.SIGINT)
		if len(exits) != 0 {
			t.Fatal("the first interrupt after the child exited stopped agentops")
		}
		if !strings.Contains(out.String(), "interrupt again to stop now") {
			t.Errorf("first interrupt does not say how to stop: %q", out.String())
		}
		g.handle(syscall.SIGTERM)
		if code := <-exits; code != 3 {
			t.Errorf("exit code %d, want the child's 3", code)
		}
	})
	t.Run("interrupt after one forwarded to the child stops at once", func(t *testing.T) {
		g, exits, _ := testGuard()
		g.handle(syscall.SIGINT) // forwarded to the child by the runner
		if len(exits) != 0 {
			t.Fatal("an interrupt while the child runs stopped agentops")
		}
		g.childExited(130, time.Hour)
		defer g.watchdog.Stop()
		g.handle(syscall.SIGINT)
		if code := <-exits; code != 130 {
			t.Errorf("exit code %d, want the child's 130", code)
		}
	})
	t.Run("other signals are ignored after the child exited", func(t *testing.T) {
		g, exits, out := testGuard()
		g.childExited(0, time.Hour)
		defer g.watchdog.Stop()
		for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGPIPE} {
			g.handle(sig)
		}
		if len(exits) != 0 || out.String() != "" {
			t.Errorf("exits %d, output %q; want none", len(exits), out.String())
		}
	})
	t.Run("the post-run phase is bounded", func(t *testing.T) {
		g, exits, out := testGuard()
		g.childExited(7, time.Millisecond)
		if code := <-exits; code != 7 {
			t.Errorf("exit code %d, want the child's 7", code)
		}
		if !strings.Contains(out.String(), "took longer than 1ms") {
			t.Errorf("watchdog does not say why: %q", out.String())
		}
	})
}

// TestGuardCatchesTheRunnersSignals: from wait to stop the guard holds
// every signal the runner catches, so that none ends agentops before the
// child starts or after it exits (SIGUSR1 and SIGUSR2 would: their
// default action is to terminate). A copy of the test binary sends them
// to itself, with the guard and, to show that it would die, without.
func TestGuardCatchesTheRunnersSignals(t *testing.T) {
	if mode := os.Getenv("AGENTOPS_GUARD_HELPER"); mode != "" {
		if mode == "guard" {
			guardSignals(io.Discard, runner.ModeTerminal).wait()
		}
		for _, sig := range []syscall.Signal{syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGHUP, syscall.SIGWINCH} {
			_ = syscall.Kill(os.Getpid(), sig)
		}
		fmt.Println("survived")
		os.Exit(0)
	}
	for mode, survives := range map[string]bool{"guard": true, "bare": false} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestGuardCatchesTheRunnersSignals$")
		cmd.Env = append(os.Environ(), "AGENTOPS_GUARD_HELPER="+mode)
		out, err := cmd.CombinedOutput()
		if got := err == nil && strings.Contains(string(out), "survived"); got != survives {
			t.Errorf("%s: survived %v, want %v (err %v, output %q)", mode, got, survives, err, out)
		}
	}
	g := guardSignals(io.Discard, runner.ModePipe)
	g.stop()
	<-g.released
}
