package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

func sh(script string) Config {
	return Config{Command: "sh", Args: []string{"-c", script}, Env: os.Environ()}
}

func TestRunExitCodes(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("echo hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cfg     Config
		want    int
		signal  syscall.Signal
		wantErr error
	}{
		{name: "success", cfg: sh("exit 0"), want: 0},
		{name: "exit 42", cfg: sh("exit 42"), want: 42},
		{name: "killed by SIGTERM", cfg: sh("kill -TERM $$"), want: 143, signal: syscall.SIGTERM},
		{name: "not found", cfg: Config{Command: "runner-no-such-command"}, want: ExitNotFound, wantErr: ErrNotFound},
		{name: "no command", cfg: Config{}, want: ExitNotFound, wantErr: ErrNotFound},
		{name: "not executable", cfg: Config{Command: plain}, want: ExitNotExecutable, wantErr: ErrNotExecutable},
		{name: "directory", cfg: Config{Command: dir}, want: ExitNotExecutable, wantErr: ErrNotExecutable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Run(context.Background(), tt.cfg)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if res.ExitCode != tt.want || res.Signal != tt.signal {
				t.Errorf("exit code %d signal %v, want %d %v", res.ExitCode, res.Signal, tt.want, tt.signal)
			}
		})
	}
}

func TestRunPipeModeSeparatesStreamsAndKeepsTail(t *testing.T) {
	cfg := sh(`printf out1; printf err1 >&2; printf out2`)
	var stdout, stderr bytes.Buffer
	cfg.Stdout, cfg.Stderr = &stdout, &stderr
	cfg.TailBytes = 64
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if stdout.String() != "out1out2" || stderr.String() != "err1" {
		t.Errorf("stdout %q stderr %q", stdout.String(), stderr.String())
	}
	// The two streams are read concurrently: the tail has all of both,
	// each in its own order.
	tail := string(res.Tail)
	if len(tail) != 12 || !strings.Contains(tail, "err1") || strings.Index(tail, "out1") > strings.Index(tail, "out2") {
		t.Errorf("tail = %q, want out1, out2 and err1", tail)
	}
}

func TestRunStdinReaderReachesEOF(t *testing.T) {
	cfg := Config{Command: "cat", Stdin: strings.NewReader("from a reader")}
	var stdout bytes.Buffer
	cfg.Stdout = &stdout
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if stdout.String() != "from a reader" {
		t.Errorf("stdout = %q", stdout.String())
	}
}

// TestRunBrokenStdout is `agentops run -- yes | head -c 5`: when our
// stdout closes, the child must get SIGPIPE, as it would without us.
func TestRunBrokenStdout(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		b := make([]byte, 5)
		_, _ = io.ReadFull(r, b)
		_ = r.Close()
		got <- string(b)
	}()
	cfg := Config{Command: "yes", Stdout: w, TailBytes: 16}
	res, err := Run(context.Background(), cfg)
	_ = w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 128+int(syscall.SIGPIPE) {
		t.Errorf("exit code %d, want 141 (SIGPIPE)", res.ExitCode)
	}
	if s := <-got; s != "y\ny\ny" {
		t.Errorf("read %q", s)
	}
}

// TestRunTerminalModeWithoutTerminal forces terminal mode with buffers as
// our streams: the child still gets a terminal, and our stdin's end reaches
// it as end-of-file.
func TestRunTerminalModeWithoutTerminal(t *testing.T) {
	cfg := sh(`test -t 0 && test -t 1 && echo tty; stty size; cat; echo done`)
	cfg.Mode = ModeTerminal
	cfg.Stdin = strings.NewReader("typed\n")
	var stdout, stderr bytes.Buffer
	cfg.Stdout, cfg.Stderr = &stdout, &stderr
	cfg.TailBytes = 1024
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := strings.ReplaceAll(stdout.String(), "\r\n", "\n")
	// The terminal echoes what is typed, then cat prints it again.
	// The echo may come anywhere before cat's copy.
	if !strings.Contains(out, "tty\n") || !strings.Contains(out, "24 80\n") || strings.Count(out, "typed\n") != 2 || !strings.HasSuffix(out, "typed\ndone\n") {
		t.Errorf("stdout = %q", out)
	}
	if !bytes.Equal(res.Tail, stdout.Bytes()) {
		t.Errorf("tail %q differs from the output %q", res.Tail, stdout.Bytes())
	}
}

func TestRunTerminalModeStdinFile(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in")
	if err := os.WriteFile(in, []byte("no newline"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// wc reports all 10 bytes only if the partial line was flushed and
	// then ended.
	cfg := sh(`wc -c`)
	cfg.Mode, cfg.Stdin = ModeTerminal, f
	var stdout bytes.Buffer
	cfg.Stdout = &stdout
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if got := strings.ReplaceAll(stdout.String(), "\r\n", "\n"); !strings.HasSuffix(got, "10\n") {
		t.Errorf("stdout = %q", got)
	}
}

func TestRunContextKillsChild(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cfg := sh(`echo started; exec sleep 1000`)
	started := &signalWriter{c: make(chan struct{})}
	cfg.Stdout = started
	go func() {
		<-started.c
		cancel()
	}()
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Signal != syscall.SIGKILL {
		t.Errorf("signal = %v, want killed", res.Signal)
	}
}

// TestRunWaitDelay: a background process that keeps the child's stdout
// open must not keep Run waiting beyond WaitDelay.
func TestRunWaitDelay(t *testing.T) {
	cfg := sh(`sleep 1000 & echo $!`)
	var stdout syncBuffer
	cfg.Stdout, cfg.WaitDelay = &stdout, 50*time.Millisecond
	res, err := Run(context.Background(), cfg)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("exit %d err %v", res.ExitCode, err)
	}
	var pid int
	if _, err := fmt.Sscan(stdout.String(), &pid); err == nil && pid > 0 {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

type signalWriter struct {
	once sync.Once
	c    chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.c) })
	return len(p), nil
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRunMissingDirIsOurFailure(t *testing.T) {
	cfg := sh("exit 0")
	cfg.Dir = filepath.Join(t.TempDir(), "missing")
	res, err := Run(context.Background(), cfg)
	if err == nil || errors.Is(err, ErrNotFound) || res.ExitCode != ExitCannotRun {
		t.Errorf("exit %d err %v, want %d and a working-directory error", res.ExitCode, err, ExitCannotRun)
	}
}

// TestRunTerminalRestoredOnPanic panics inside Run while our terminal (a
// pseudo-terminal opened here) is in raw mode: the deferred restore must
// still run, and the child must not outlive Run.
func TestRunTerminalRestoredOnPanic(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	go func() { _, _ = io.Copy(io.Discard, ptmx) }()
	before, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Command: "sleep", Args: []string{"1000"}, Mode: ModeTerminal, Stdin: tty, Stdout: tty, Stderr: tty}
	var pid int
	cfg.OnStart = func(p int) {
		pid = p
		raw, _ := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
		if raw.Lflag&unix.ICANON != 0 {
			t.Error("terminal not in raw mode while the child runs")
		}
		panic("boom")
	}
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v, want the panic", r)
			}
		}()
		_, _ = Run(context.Background(), cfg)
	}()
	after, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if *after != *before {
		t.Errorf("terminal not restored after a panic:\nbefore %+v\nafter  %+v", *before, *after)
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil || ws.Signal() != syscall.SIGKILL {
		t.Errorf("child after the panic: wait %v, status %v; want killed", err, ws)
	}
}

// TestRunStop: closing Stop sends the child SIGTERM, and SIGKILL once it
// outlives KillAfter (a child that traps TERM and keeps going).
func TestRunStop(t *testing.T) {
	for _, tt := range []struct {
		name   string
		script string
		want   syscall.Signal
		killed bool
	}{
		{"terminated", `echo started; exec sleep 1000`, syscall.SIGTERM, false},
		{"killed after", `trap '' TERM; echo started; while :; do sleep 0.05; done`, syscall.SIGKILL, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := sh(tt.script)
			cfg.KillAfter = 200 * time.Millisecond
			started := &signalWriter{c: make(chan struct{})}
			cfg.Stdout = started
			stop := make(chan struct{})
			cfg.Stop = stop
			go func() {
				<-started.c
				close(stop)
			}()
			res, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res.Signal != tt.want || res.Killed != tt.killed {
				t.Errorf("signal %v killed %v, want %v %v", res.Signal, res.Killed, tt.want, tt.killed)
			}
		})
	}
}

// brokenStdout is a pipe whose reader takes n bytes and hangs up, as
// `| head -c n` does; got returns what it read.
func brokenStdout(t *testing.T, n int) (w *os.File, got func() string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	read := make(chan string, 1)
	go func() {
		b := make([]byte, n)
		k, _ := io.ReadFull(r, b)
		_ = r.Close()
		read <- string(b[:k])
	}()
	t.Cleanup(func() { _ = w.Close() })
	return w, func() string { return <-read }
}

// TestRunTerminalBrokenStdout is `agentops run --pty -- yes | head -c 5`:
// the child, on a real pseudo-terminal, gets SIGPIPE as the writer of a
// pipeline would (exit 141), not the hangup of its terminal (129).
func TestRunTerminalBrokenStdout(t *testing.T) {
	w, got := brokenStdout(t, 5)
	cfg := Config{Command: "yes", Mode: ModeTerminal, Stdin: strings.NewReader(""), Stdout: w, Stderr: io.Discard, TailBytes: 16}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 128+int(syscall.SIGPIPE) {
		t.Errorf("exit code %d, want 141 (SIGPIPE)", res.ExitCode)
	}
	if s := got(); !strings.HasPrefix(s, "y") {
		t.Errorf("read %q", s)
	}
	if res.OutputError != "" {
		t.Errorf("a reader gone away reported as an output error: %s", res.OutputError)
	}
}

// TestRunTerminalBrokenStdoutSIGPIPEIgnored: a child that ignores SIGPIPE
// is not left writing for ever into a terminal nobody reads: its terminal
// then hangs up, and it ends.
func TestRunTerminalBrokenStdoutSIGPIPEIgnored(t *testing.T) {
	w, _ := brokenStdout(t, 5)
	cfg := sh(`trap '' PIPE; exec yes`)
	cfg.Mode, cfg.Stdin, cfg.Stdout, cfg.Stderr = ModeTerminal, strings.NewReader(""), w, io.Discard
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode == 0 || res.ExitCode == 128+int(syscall.SIGPIPE) {
		t.Errorf("exit code %d, want the hangup's (SIGHUP, or yes failing on EIO)", res.ExitCode)
	}
}
