// Package runner starts and supervises the wrapped child process: its
// standard streams (on a pseudo-terminal or through pipes), the signals sent
// to us, and its exit status, reported the way a shell reports it.
//
// The runner must be invisible: every byte the child writes reaches our own
// stdout or stderr unchanged and as soon as it is written, and it keeps a
// copy of the last bytes (the output tail) only to explain a failure.
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Exit codes for children that could not run, as POSIX shells use them.
const (
	ExitNotExecutable = 126
	ExitNotFound      = 127
	// ExitCannotRun is returned when the child could not be started for a
	// reason of our own (no pseudo-terminal, fork failed). It is the same
	// code as cmd/exitcode.Internal, which this package cannot import.
	ExitCannotRun = 125
)

// Defaults for the zero values of Config.
const (
	// DefaultKillAfter is how long the child has to exit after a forwarded
	// terminating signal before it is killed.
	DefaultKillAfter = 10 * time.Second
	// DefaultTailBytes is the size of the output tail the CLI keeps.
	DefaultTailBytes = 64 << 10
	// DefaultWaitDelay is how long the output of processes that outlive
	// the child (background jobs holding its stdout) is still copied after
	// the child exits.
	DefaultWaitDelay = time.Second
)

// Sentinel errors for children that cannot be started.
var (
	ErrNotFound      = errors.New("command not found")
	ErrNotExecutable = errors.New("permission denied: not executable")
)

// Mode is how the child's standard streams are connected.
type Mode int

const (
	// ModePipe connects the child's stdout and stderr to pipes copied to
	// ours, separately and unbuffered; stdin is handed over as it is.
	ModePipe Mode = iota
	// ModeTerminal runs the child on a pseudo-terminal, with our terminal
	// in raw mode, so colours, prompts and full-screen programs behave as
	// without the wrapper.
	ModeTerminal
)

func (m Mode) String() string {
	if m == ModeTerminal {
		return "terminal"
	}
	return "pipe"
}

// Config describes the child to run.
type Config struct {
	// Command is the program (looked up in PATH when it has no slash) and Args its arguments.
	Command string
	Args    []string
	// Env is the child's complete environment ("KEY=value").
	Env []string
	// Dir is the working directory; empty means ours.
	Dir string
	// Mode selects pipes (the zero value) or a pseudo-terminal. The caller
	// decides: usually ModeTerminal when our stdin and stdout are terminals.
	Mode Mode
	// Stdin, Stdout and Stderr are our streams. An *os.File stdin is
	// handed to the child in pipe mode, so EOF reaches it naturally; an
	// *os.File terminal stdin is put in raw mode in terminal mode.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// KillAfter is how long the child has after a forwarded terminating
	// signal (INT, TERM, HUP, QUIT) before it and its process group are
	// killed; 0 means DefaultKillAfter, negative means never.
	KillAfter time.Duration
	// TailBytes is how many of the last output bytes to keep in
	// Result.Tail; 0 keeps none.
	TailBytes int
	// WaitDelay bounds how long output is still copied after the child
	// exits, for background processes that inherited its stdout; 0 means
	// DefaultWaitDelay.
	WaitDelay time.Duration
	// OnStart, when set, is called with the child's pid once it runs.
	OnStart func(pid int)
	// Stop, when closed, ends the child as a forwarded SIGTERM does: its
	// process group gets SIGTERM, then SIGKILL after KillAfter.
	Stop <-chan struct{}
}

// Result is how the child ended.
type Result struct {
	// PID is the child's process id.
	PID int
	// ExitCode is what a shell would report: the child's own exit code,
	// 128+N when it died from signal N, 126 or 127 when it could not start.
	ExitCode int
	// Signal is the signal that killed the child, if any.
	Signal syscall.Signal
	// Killed is set when the child was killed because it outlived
	// KillAfter after a forwarded terminating signal.
	Killed bool
	// Tail is the end of what the child printed on stdout and stderr, in
	// the order it arrived, at most Config.TailBytes long.
	Tail []byte
	// OutputError says why copying the child's output to ours failed (no
	// space left on device); the child then got a broken pipe. Empty when
	// it did not.
	OutputError string
}

// Run starts the child, forwards signals to it, copies its streams, waits
// for it and reports how it ended. A non-nil error means the child could not
// be started; the Result then still carries the shell's exit code for it.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.KillAfter == 0 {
		cfg.KillAfter = DefaultKillAfter
	}
	if cfg.WaitDelay == 0 {
		cfg.WaitDelay = DefaultWaitDelay
	}
	path, err := lookPath(cfg.Command)
	if err != nil {
		return Result{ExitCode: exitCodeFor(err)}, err
	}
	if cfg.Dir != "" {
		// exec reports a missing directory as the command's ENOENT once
		// SysProcAttr is set: check it first, so it is not "not found".
		if _, err := os.Stat(cfg.Dir); err != nil {
			return Result{ExitCode: ExitCannotRun}, fmt.Errorf("start %s: working directory: %w", cfg.Command, err)
		}
	}
	cmd := exec.Command(path, cfg.Args...)
	cmd.Args[0] = cfg.Command
	cmd.Env = cfg.Env
	cmd.Dir = cfg.Dir

	tail := newTail(cfg.TailBytes)
	var streams childStreams
	if cfg.Mode == ModeTerminal {
		streams, err = newTerminal(cfg, tail)
	} else {
		streams, err = newPipes(cfg, tail)
	}
	if err != nil {
		return Result{ExitCode: ExitCannotRun}, err
	}
	// Restores our terminal on every way out of Run, a panic included.
	defer streams.Close()
	streams.Attach(cmd)

	// Signals are caught before the child starts, so that none sent in
	// between kills us and leaves the child behind.
	sup := newSupervisor(cfg.KillAfter, cfg.Mode)
	defer sup.stop()

	dieWithUs(cmd.SysProcAttr)
	// From the start until the child is reaped: its death signal is tied
	// to this thread.
	unlock := lockStartThread()
	defer unlock()
	if err := cmd.Start(); err != nil {
		err = classifyStartError(cfg.Command, err)
		return Result{ExitCode: exitCodeFor(err)}, err
	}
	pid := cmd.Process.Pid
	target, keyboard := streams.Target(pid)
	exited := false
	defer func() {
		// Only a panic leaves Run with the child still running: it must
		// not outlive us.
		if !exited {
			_ = syscall.Kill(target, syscall.SIGKILL)
		}
	}()
	streams.Started(target)
	if cfg.OnStart != nil {
		cfg.OnStart(pid)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	sup.keyboardSignals = keyboard
	sup.supervise(ctx, cmd.Process, target, streams, done, cfg.Stop)
	exited = true

	streams.Finish(cfg.WaitDelay)
	res := resultOf(pid, cmd.ProcessState)
	res.Killed = sup.killed
	res.Tail = tail.Bytes()
	if err := streams.OutputError(); err != nil {
		res.OutputError = err.Error()
	}
	return res, nil
}

// childStreams connects the child's standard streams to ours in one of the
// two modes.
type childStreams interface {
	// Attach sets the child's streams and process attributes on cmd.
	Attach(cmd *exec.Cmd)
	// Started closes our copies of the child's ends and starts copying;
	// target is the child's Target.
	Started(target int)
	// Target is what signals are sent to: the child's process group
	// (-pid) when it has its own, else its pid. keyboard is set when the
	// child shares our process group in the foreground of a terminal, so
	// the terminal's own SIGINT and SIGQUIT already reached it.
	Target(pid int) (target int, keyboard bool)
	// Resize passes our window size on to the child (terminal mode).
	Resize()
	// Finish waits up to delay for the child's output to end, then stops
	// copying.
	Finish(delay time.Duration)
	// Close releases everything and restores our terminal; safe to call
	// more than once.
	Close()
	// OutputError is the first failure to write the child's output to our
	// streams, other than our reader going away; nil when none.
	OutputError() error
}

func resultOf(pid int, ps *os.ProcessState) Result {
	r := Result{PID: pid}
	if ps == nil {
		r.ExitCode = 1
		return r
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		r.Signal = ws.Signal()
		r.ExitCode = 128 + int(ws.Signal())
		return r
	}
	r.ExitCode = ps.ExitCode()
	return r
}

func lookPath(command string) (string, error) {
	if command == "" {
		return "", fmt.Errorf("no command given: %w", ErrNotFound)
	}
	path, err := exec.LookPath(command)
	if err != nil {
		return "", classifyStartError(command, err)
	}
	return path, nil
}

func classifyStartError(command string, err error) error {
	switch {
	case errors.Is(err, exec.ErrNotFound), errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%s: %w (check the spelling, or that it is installed and on PATH)", command, ErrNotFound)
	case errors.Is(err, os.ErrPermission), errors.Is(err, syscall.EACCES),
		errors.Is(err, syscall.ENOEXEC), errors.Is(err, syscall.EISDIR):
		return fmt.Errorf("%s: %w (make it executable with chmod +x, or run it through its interpreter)", command, ErrNotExecutable)
	}
	return fmt.Errorf("start %s: %w", command, err)
}

func exitCodeFor(err error) int {
	switch {
	case errors.Is(err, ErrNotExecutable):
		return ExitNotExecutable
	case errors.Is(err, ErrNotFound):
		return ExitNotFound
	}
	return ExitCannotRun
}
