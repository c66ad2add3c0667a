package runner

import (
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// pipes connects the child in pipe mode: stdout and stderr each through
// their own pipe, copied to ours, so they stay separate and byte-exact;
// stdin handed over as it is.
type pipes struct {
	cfg  Config
	out  outputs
	ends []*os.File // the child's ends, closed in our process once it runs
	// shareGroup keeps the child in our process group; see newPipes.
	shareGroup bool
	stdout     *os.File
	stderr     *os.File
}

func newPipes(cfg Config, t *tail) (*pipes, error) {
	p := &pipes{cfg: cfg, out: outputs{tail: t}}
	var err error
	if p.stdout, err = p.childEnd(cfg.Stdout, t); err != nil {
		p.Close()
		return nil, err
	}
	if p.stderr, err = p.childEnd(cfg.Stderr, t); err != nil {
		p.Close()
		return nil, err
	}
	// In its own process group the child and everything it starts can be
	// signalled and killed together. But a background process group that
	// reads from (or, with tostop, writes to) its controlling terminal is
	// stopped with SIGTTIN/SIGTTOU: when we are the terminal's foreground
	// group (stdin is the keyboard while stdout goes to `| less`, or the
	// child prompts on /dev/tty), the child stays in our group instead,
	// exactly as the members of a shell pipeline do. The terminal then
	// sends Ctrl-C to the child itself, and forwarded signals go to its
	// pid only.
	p.shareGroup = foregroundOfTerminal()
	return p, nil
}

// childEnd returns what the child writes to for one of our outputs: a pipe
// we copy from, or our own file when there is no tail to keep.
func (p *pipes) childEnd(ours io.Writer, t *tail) (*os.File, error) {
	if f, ok := ours.(*os.File); ok && t == nil {
		return f, nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	p.ends = append(p.ends, w)
	p.out.copy(ours, r)
	return w, nil
}

func (p *pipes) Attach(cmd *exec.Cmd) {
	// An *os.File stdin is passed to the child as it is, so EOF reaches it
	// naturally; exec copies any other reader and closes the pipe at its
	// end. WaitDelay stops Wait from waiting on a reader that never ends.
	cmd.Stdin = p.cfg.Stdin
	cmd.WaitDelay = p.cfg.WaitDelay
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: !p.shareGroup}
}

func (p *pipes) Started(int) {
	for _, w := range p.ends {
		_ = w.Close()
	}
}

func (p *pipes) Target(pid int) (int, bool) {
	if p.shareGroup {
		return pid, true
	}
	return -pid, false
}

func (p *pipes) Resize() {}

func (p *pipes) OutputError() error { return p.out.err() }

func (p *pipes) Finish(delay time.Duration) { p.out.finish(delay) }

func (p *pipes) Close() {
	for _, w := range p.ends {
		_ = w.Close()
	}
	p.out.finish(0)
}

// foregroundOfTerminal reports whether we have a controlling terminal and
// our process group is its foreground group.
func foregroundOfTerminal() bool {
	fd, err := unix.Open("/dev/tty", unix.O_RDONLY|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	pgrp, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	if err != nil {
		return false
	}
	return pgrp == unix.Getpgrp()
}
