package run

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/agentops-dev/agentops/runner"
)

// signalGuard keeps the signals that would end agentops (Ctrl-C, SIGTERM,
// SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, and SIGPIPE when stderr goes away) from
// killing it during the whole run: it catches every signal the runner
// catches (runner.Signals), so that the runner's catching them while the
// child runs costs nothing. While the child runs the runner forwards them to it. Once
// the child has exited, agentops finishes the session (drain, exports,
// summary, store), and a SIGINT or SIGTERM then means "stop now": the
// first one when the user already interrupted the child, else the second
// (the first says so), ends agentops at once with the child's exit code.
// The whole post-run phase is bounded as well (see postRunBound).
type signalGuard struct {
	c      chan os.Signal
	errOut io.Writer
	exit   func(code int) // os.Exit; replaced in tests
	// ready is closed once the signals are caught (see guardSignals).
	ready chan struct{}
	done  chan struct{}
	wg    sync.WaitGroup
	// released is closed once stop has let go of the signals.
	released chan struct{}

	mu          sync.Mutex
	exited      bool // the child has exited: we are in the post-run phase
	code        int  // its exit code
	interrupted bool // a SIGINT or SIGTERM arrived before or after it exited
	watchdog    *time.Timer
}

// guardSignals starts catching the signals in the background: a
// process's first signal.Notify starts the runtime's signal thread, and
// each signal is one round trip to it (a third of a millisecond for five
// on a busy machine), which is spent while the session starts its
// receiver instead of before. Call wait before the child starts.
func guardSignals(errOut io.Writer, mode runner.Mode) *signalGuard {
	g := &signalGuard{c: make(chan os.Signal, 4), errOut: errOut, exit: os.Exit,
		ready: make(chan struct{}), done: make(chan struct{})}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		signal.Notify(g.c, runner.Signals(mode)...)
		close(g.ready)
		g.watch()
	}()
	return g
}

// wait returns once the signals are caught.
func (g *signalGuard) wait() { <-g.ready }

func (g *signalGuard) watch() {
	for {
		select {
		case <-g.done:
			return
		case sig := <-g.c:
			g.handle(sig)
		}
	}
}

// handle is what a signal does: nothing while the child runs (the runner
// forwards it), and in the post-run phase a SIGINT or SIGTERM stops
// agentops or says how to.
func (g *signalGuard) handle(sig os.Signal) {
	if sig != syscall.SIGINT && sig != syscall.SIGTERM {
		return
	}
	g.mu.Lock()
	exited, again, code := g.exited, g.interrupted, g.code
	g.interrupted = true
	g.mu.Unlock()
	switch {
	case !exited:
		// The runner forwards it to the child.
	case again:
		fmt.Fprintf(g.errOut, "agentops: %v: stopping without finishing the session; exit code %d is the command's\n", sig, code)
		g.exit(code)
	default:
		fmt.Fprintf(g.errOut, "agentops: %v: finishing the session (exports, summary, store); interrupt again to stop now\n", sig)
	}
}

// childExited starts the post-run phase: signals now stop agentops, and
// after bound it exits with code whatever it is doing.
func (g *signalGuard) childExited(code int, bound time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.exited, g.code = true, code
	g.watchdog = time.AfterFunc(bound, func() {
		fmt.Fprintf(g.errOut, "agentops: finishing the session took longer than %s: stopping; exit code %d is the command's\n", bound, code)
		g.exit(code)
	})
}

// stop ends the guard. The signals are let go of in the background
// (released says when): that is a round trip to the runtime's signal
// thread for each, a quarter of a millisecond for eight on a busy
// machine, and what comes next is agentops' exit.
func (g *signalGuard) stop() {
	g.wait() // a Stop before the Notify would leave it in place
	close(g.done)
	g.wg.Wait()
	g.mu.Lock()
	if g.watchdog != nil {
		g.watchdog.Stop()
	}
	g.mu.Unlock()
	g.released = make(chan struct{})
	go func() {
		defer close(g.released)
		signal.Stop(g.c)
	}()
}

// postRunBound bounds everything after the child's exit: the exporters'
// flush, the session's own provider and the Pushgateway each get
// --export-timeout, and a minute more covers the summary, the report and
// the store, which take milliseconds to seconds.
func postRunBound(exportTimeout time.Duration) time.Duration {
	return 3*exportTimeout + time.Minute
}
