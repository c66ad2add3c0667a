package runner

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// forwarded are the signals passed on to the child instead of ending us.
var forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2}

// Signals are the signals Run catches while a child runs in mode: the
// forwarded ones, SIGPIPE, and in terminal mode SIGWINCH (a resize is
// passed to the pseudo-terminal; pipes have none). A caller that catches
// them all for longer (agentops run does, from its start to its end)
// makes Run's catching and letting go of them free: otherwise each signal
// Run is the first to catch, and the last to let go of, is a round trip to
// the runtime's signal thread as the child starts and after it exits.
func Signals(mode Mode) []os.Signal {
	s := append(append([]os.Signal(nil), forwarded...), syscall.SIGPIPE)
	if mode == ModeTerminal {
		s = append(s, syscall.SIGWINCH)
	}
	return s
}

// terminating are the forwarded signals after which the child gets
// KillAfter to exit before it is killed.
func terminating(sig os.Signal) bool {
	switch sig {
	case syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT:
		return true
	}
	return false
}

// supervisor owns our signal handling while the child runs: it forwards
// signals, kills the child when it outlives KillAfter, and keeps us alive
// until the child is gone.
type supervisor struct {
	killAfter time.Duration
	sigs      chan os.Signal
	winch     chan os.Signal
	// killed is set when the child had to be killed after KillAfter.
	killed bool
	// keyboardSignals is set when the child shares our process group in
	// the foreground of a terminal: the terminal already sent it the
	// SIGINT or SIGQUIT of a Ctrl-C or Ctrl-\, so forwarding ours would
	// deliver it twice.
	keyboardSignals bool
}

func newSupervisor(killAfter time.Duration, mode Mode) *supervisor {
	s := &supervisor{
		killAfter: killAfter,
		sigs:      make(chan os.Signal, 16),
	}
	signal.Notify(s.sigs, forwarded...)
	// With SIGPIPE caught, a write to a closed stdout fails with EPIPE
	// instead of killing us; the copy loop then closes the child's pipe so
	// that the child gets its own SIGPIPE, as it would without us.
	signal.Notify(s.sigs, syscall.SIGPIPE)
	if mode == ModeTerminal {
		s.winch = make(chan os.Signal, 1)
		signal.Notify(s.winch, syscall.SIGWINCH)
	}
	return s
}

func (s *supervisor) stop() {
	signal.Stop(s.sigs)
	if s.winch != nil {
		signal.Stop(s.winch)
	}
}

// supervise returns once the child has exited (done delivered its Wait).
// target is the child's process group (negative) or pid.
func (s *supervisor) supervise(ctx context.Context, proc *os.Process, target int, streams childStreams, done <-chan error, stop <-chan struct{}) {
	var deadline <-chan time.Time
	ctxDone := ctx.Done()
	for {
		select {
		case err := <-done:
			_ = err // the exit status is in cmd.ProcessState
			return
		case <-s.winch:
			streams.Resize()
		case sig := <-s.sigs:
			if sig == syscall.SIGPIPE {
				continue
			}
			if s.keyboardSignals && (sig == syscall.SIGINT || sig == syscall.SIGQUIT) {
				continue
			}
			_ = syscall.Kill(target, sig.(syscall.Signal))
			if terminating(sig) && deadline == nil && s.killAfter > 0 {
				deadline = time.After(s.killAfter)
			}
		case <-stop:
			stop = nil
			_ = syscall.Kill(target, syscall.SIGTERM)
			if deadline == nil && s.killAfter > 0 {
				deadline = time.After(s.killAfter)
			}
		case <-deadline:
			s.killed = true
			_ = syscall.Kill(target, syscall.SIGKILL)
		case <-ctxDone:
			ctxDone = nil
			_ = syscall.Kill(target, syscall.SIGKILL)
			_ = proc.Kill()
		}
	}
}
