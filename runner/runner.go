// Package runner starts and supervises the wrapped child process: its
// standard streams, the signals sent to us, and its exit status, reported the
// way a shell reports it.
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
)

// Exit codes for failures to start the child, as POSIX shells use them.
const (
	ExitNotExecutable = 126
	ExitNotFound      = 127
)

// Sentinel errors for children that cannot be started.
var (
	ErrNotFound      = errors.New("command not found")
	ErrNotExecutable = errors.New("permission denied: not executable")
)

// Config describes the child to run.
type Config struct {
	// Command is the program (looked up in PATH when it has no slash) and Args its arguments.
	Command string
	Args    []string
	// Env is the child's complete environment ("KEY=value").
	Env []string
	// Dir is the working directory; empty means ours.
	Dir string
	// Stdin, Stdout and Stderr are the child's streams. *os.File values are
	// handed to the child as they are, so its output reaches them unchanged
	// and unbuffered.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// OnStart, when set, is called with the child's pid once it runs.
	OnStart func(pid int)
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
}

// Run starts the child, forwards the usual terminating signals to it, waits
// for it and reports how it ended. A non-nil error means the child could not
// be started; the Result then still carries the shell's exit code for it.
func Run(ctx context.Context, cfg Config) (Result, error) {
	path, err := lookPath(cfg.Command)
	if err != nil {
		return Result{ExitCode: exitCodeFor(err)}, err
	}
	cmd := exec.Command(path, cfg.Args...)
	cmd.Args[0] = cfg.Command
	cmd.Env = cfg.Env
	cmd.Dir = cfg.Dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = cfg.Stdin, cfg.Stdout, cfg.Stderr

	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)

	if err := cmd.Start(); err != nil {
		err = classifyStartError(cfg.Command, err)
		return Result{ExitCode: exitCodeFor(err)}, err
	}
	if cfg.OnStart != nil {
		cfg.OnStart(cmd.Process.Pid)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case sig := <-sigs:
			_ = cmd.Process.Signal(sig)
		case <-ctx.Done():
			_ = cmd.Process.Kill()
		case err := <-done:
			return resultOf(cmd.Process.Pid, cmd.ProcessState, err), nil
		}
	}
}

// forwarded are the signals passed on to the child instead of ending us.
var forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2}

func resultOf(pid int, ps *os.ProcessState, waitErr error) Result {
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
		return fmt.Errorf("%s: %w", command, ErrNotFound)
	case errors.Is(err, os.ErrPermission), errors.Is(err, syscall.EACCES), errors.Is(err, syscall.ENOEXEC):
		return fmt.Errorf("%s: %w", command, ErrNotExecutable)
	}
	return fmt.Errorf("start %s: %w", command, err)
}

func exitCodeFor(err error) int {
	if errors.Is(err, ErrNotExecutable) {
		return ExitNotExecutable
	}
	return ExitNotFound
}
