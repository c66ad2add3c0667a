package runner

import (
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"
	"golang.org/x/term"
)

// terminal connects the child in terminal mode: it runs on a new
// pseudo-terminal as the leader of its own session, our terminal is in raw
// mode so every key (Ctrl-C included) goes to the child's terminal, which
// then does what ours would have done.
type terminal struct {
	cfg  Config
	ptmx *os.File // our side
	tty  *os.File // the child's side
	out  outputs
	in   *input

	// rawFd and saved restore our terminal; rawFd is -1 when stdin is
	// not a terminal.
	rawFd    int
	saved    *term.State
	sizeFrom *os.File

	errR, errW *os.File // stderr pipe when our stderr is not a terminal
	closeOnce  sync.Once
	// target is the child's process group, set by Started.
	target int
	// stopped is closed by Finish: a copy draining after a broken pipe
	// then stops.
	stopped  chan struct{}
	stopOnce sync.Once
}

// sigpipeGrace is how long a child that survives its SIGPIPE (it ignores
// it) may write on to a terminal whose reader is gone before the terminal
// hangs up: then it gets SIGHUP, and EIO from its writes, as it would get
// EPIPE from a pipe.
const sigpipeGrace = time.Second

func newTerminal(cfg Config, t *tail) (_ *terminal, err error) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("open a pseudo-terminal: %w (try --no-pty)", err)
	}
	tm := &terminal{cfg: cfg, ptmx: ptmx, tty: tty, out: outputs{tail: t}, rawFd: -1, stopped: make(chan struct{})}
	defer func() {
		if err != nil {
			tm.Close()
		}
	}()
	tm.sizeFrom = terminalFile(cfg.Stdout)
	if tm.sizeFrom == nil {
		tm.sizeFrom = terminalFile(cfg.Stdin)
	}
	if tm.sizeFrom == nil {
		// No terminal of ours to copy: the classic default.
		_ = pty.Setsize(ptmx, &pty.Winsize{Rows: 24, Cols: 80})
	}
	tm.Resize()

	// When our stderr is a terminal too the child's stderr is its
	// terminal, as usual; when it is redirected (2>log) it stays a
	// separate stream.
	if terminalFile(cfg.Stderr) == nil {
		if tm.errR, tm.errW, err = os.Pipe(); err != nil {
			return nil, err
		}
	}
	if tm.in, err = newInput(cfg.Stdin, ptmx); err != nil {
		return nil, err
	}
	// Raw mode last: nothing can fail after it, and Close restores it.
	if f := terminalFile(cfg.Stdin); f != nil {
		fd := int(f.Fd())
		if tm.saved, err = term.MakeRaw(fd); err != nil {
			return nil, fmt.Errorf("put the terminal in raw mode: %w (try --no-pty)", err)
		}
		tm.rawFd = fd
	}
	return tm, nil
}

// terminalFile returns x as a file when it is a terminal.
func terminalFile(x any) *os.File {
	f, ok := x.(*os.File)
	if !ok || f == nil || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return f
}

func (tm *terminal) Attach(cmd *exec.Cmd) {
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tm.tty, tm.tty, tm.tty
	if tm.errW != nil {
		cmd.Stderr = tm.errW
	}
	// Setctty makes the pseudo-terminal (the child's fd 0) its
	// controlling terminal, so that Ctrl-C, job control and SIGWINCH work
	// inside it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
}

func (tm *terminal) Started(target int) {
	tm.target = target
	_ = tm.tty.Close()
	if tm.errW != nil {
		_ = tm.errW.Close()
		tm.out.copy(tm.cfg.Stderr, tm.errR)
	}
	tm.out.copyThen(tm.cfg.Stdout, tm.ptmx, tm.brokenPipe)
	tm.in.start()
}

// brokenPipe is what the child gets when our stdout's reader goes away
// (agentops run --pty -- cmd | head): SIGPIPE, as the writer of a pipeline
// would, rather than the hangup that closing its terminal would be (exit
// 129; SIGHUP, the lower number, is delivered first when both are
// pending). What it writes meanwhile is read and dropped, so it does not
// block on a full terminal; one that survives SIGPIPE gets the hangup
// after sigpipeGrace.
func (tm *terminal) brokenPipe() <-chan struct{} {
	_ = syscall.Kill(tm.target, syscall.SIGPIPE)
	hangUp := make(chan struct{})
	timer := time.AfterFunc(sigpipeGrace, func() { close(hangUp) })
	go func() {
		<-tm.stopped
		if timer.Stop() {
			close(hangUp)
		}
	}()
	return hangUp
}

// Target is the child's process group: as a session leader it has its own.
func (tm *terminal) Target(pid int) (int, bool) { return -pid, false }

// Resize copies our window size to the child's terminal, whose kernel
// driver then sends SIGWINCH to the child.
func (tm *terminal) Resize() {
	if tm.sizeFrom == nil {
		return
	}
	if ws, err := pty.GetsizeFull(tm.sizeFrom); err == nil {
		_ = pty.Setsize(tm.ptmx, ws)
	}
}

func (tm *terminal) OutputError() error { return tm.out.err() }

func (tm *terminal) Finish(delay time.Duration) {
	tm.stopOnce.Do(func() { close(tm.stopped) })
	tm.out.finish(delay)
	_ = tm.ptmx.Close()
	tm.in.stop()
}

func (tm *terminal) Close() {
	tm.stopOnce.Do(func() { close(tm.stopped) })
	tm.closeOnce.Do(func() {
		if tm.saved != nil {
			_ = term.Restore(tm.rawFd, tm.saved)
		}
		for _, f := range []*os.File{tm.tty, tm.errW, tm.errR} {
			if f != nil {
				_ = f.Close()
			}
		}
		tm.out.finish(0)
		_ = tm.ptmx.Close()
		if tm.in != nil {
			tm.in.stop()
		}
	})
}
