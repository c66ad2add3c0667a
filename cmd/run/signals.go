package run

import (
	"os"
	"os/signal"
	"syscall"
)

// signalGuard keeps the signals that would end agentops (Ctrl-C, SIGTERM,
// SIGHUP, SIGQUIT, and SIGPIPE when stderr goes away) from killing it during
// the whole run. While the child runs the runner forwards them to it; once
// the child has exited they are ignored, so the summary is still printed,
// the exporters still flush (bounded by --export-timeout) and the exit code
// is still the child's.
type signalGuard struct{ c chan os.Signal }

func guardSignals() *signalGuard {
	g := &signalGuard{c: make(chan os.Signal, 1)}
	signal.Notify(g.c, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGPIPE)
	return g
}

func (g *signalGuard) stop() { signal.Stop(g.c) }
