package e2e

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// sh is a child running script with sh -c.
func sh(script string, args ...string) []string {
	return append([]string{"sh", "-c", script, "sh"}, args...)
}

func TestExitCodeMatrix(t *testing.T) {
	dir := t.TempDir()
	notExecutable := filepath.Join(dir, "not-executable")
	if err := os.WriteFile(notExecutable, []byte("#!/bin/sh\necho hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		child   []string
		want    int
		message string
	}{
		{name: "exit 0", child: sh("exit 0"), want: 0},
		{name: "exit 1", child: sh("exit 1"), want: 1},
		{name: "exit 2", child: sh("exit 2"), want: 2},
		{name: "exit 42", child: sh("exit 42"), want: 42},
		{name: "exit 255", child: sh("exit 255"), want: 255},
		{name: "SIGTERM", child: sh("kill -TERM $$"), want: 128 + 15},
		{name: "SIGKILL", child: sh("kill -KILL $$"), want: 128 + 9},
		// No core file: ulimit -c 0.
		{name: "SIGSEGV", child: sh("ulimit -c 0; kill -SEGV $$"), want: 128 + 11},
		{name: "SIGABRT", child: sh("ulimit -c 0; kill -ABRT $$"), want: 128 + 6},
		{name: "missing command", child: []string{"agentops-no-such-command"}, want: 127, message: "command not found"},
		{name: "not executable", child: []string{notExecutable}, want: 126, message: "chmod +x"},
		{name: "directory", child: []string{dir}, want: 126, message: "not executable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runAgentops(t, nil, nil, tt.child...)
			t.Logf("measured: %-16s agentops exit %d (record %d, signal %q)", tt.name, res.exitCode, res.session.ExitCode, res.session.Signal)
			if res.exitCode != tt.want || res.session.ExitCode != tt.want {
				t.Errorf("exit code = %d (record %d), want %d\nstderr:\n%s", res.exitCode, res.session.ExitCode, tt.want, res.stderr)
			}
			if !strings.Contains(res.stderr, tt.message) {
				t.Errorf("stderr does not say %q:\n%s", tt.message, res.stderr)
			}
			if tt.want != 0 && !hasChildFailure(res) {
				t.Errorf("no error event for the failed child: %+v", res.session.Events)
			}
		})
	}
}

func hasChildFailure(res runResult) bool {
	for _, e := range res.session.Events {
		if e.Kind == "error" && e.SpanID == res.session.RootSpanID {
			return true
		}
	}
	return false
}

func TestFailedChildOutputTail(t *testing.T) {
	const printed = "first line\nwhy it failed\n"
	res := runAgentops(t, nil, []string{"--tail-bytes", "16"}, sh(`printf 'first line\nwhy it failed\n' >&2; exit 3`)...)
	if res.exitCode != 3 {
		t.Fatalf("exit code %d, want 3", res.exitCode)
	}
	if !strings.HasPrefix(res.stderr, printed) {
		t.Errorf("stderr = %q: the tail must not change what reaches us", res.stderr)
	}
	if got, want := res.session.OutputTail, printed[len(printed)-16:]; got != want {
		t.Errorf("output tail = %q, want the last 16 bytes %q", got, want)
	}
	for _, e := range res.session.Events {
		if e.Kind == "error" && e.Error != nil && e.Error.Output == res.session.OutputTail {
			return
		}
	}
	t.Errorf("no error event carries the output tail: %+v", res.session.Events)
}

// randomFile writes n pseudo-random bytes to a new file and returns its
// path and sha256.
func randomFile(t *testing.T, seed uint64, n int) (string, [32]byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "random-"+strconv.FormatUint(seed, 10))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	src := rand.NewChaCha8([32]byte{byte(seed)})
	if _, err := io.CopyN(io.MultiWriter(f, h), src, int64(n)); err != nil {
		t.Fatal(err)
	}
	return path, [32]byte(h.Sum(nil))
}

func TestPipeModeBinaryStreams(t *testing.T) {
	const outSize, errSize = 50 << 20, 8 << 20
	outPath, outSum := randomFile(t, 1, outSize)
	errPath, errSum := randomFile(t, 2, errSize)

	args := append([]string{"run", "--no-pty", "--"}, sh(`cat "$1" & cat "$2" >&2; wait`, outPath, errPath)...)
	cmd := exec.Command(agentopsBin, args...)
	stdout := sha256.New()
	counted := &countWriter{w: stdout}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = counted, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("agentops: %v\nstderr tail:\n%s", err, tailOf(stderr.Bytes()))
	}
	if counted.n != outSize || [32]byte(stdout.Sum(nil)) != outSum {
		t.Errorf("stdout: %d bytes with a different sha256, want the child's %d bytes exactly", counted.n, outSize)
	}
	if stderr.Len() < errSize || sha256.Sum256(stderr.Bytes()[:errSize]) != errSum {
		t.Errorf("stderr: the child's %d bytes did not arrive exactly (got %d bytes in all)", errSize, stderr.Len())
	}
	if rest := stderr.String()[min(errSize, stderr.Len()):]; !strings.HasPrefix(strings.TrimSpace(rest), "agentops session: ") {
		t.Errorf("after the child's stderr: %q, want only the summary", tailOf([]byte(rest)))
	}
}

type countWriter struct {
	w io.Writer
	n int
}

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += len(p)
	return c.w.Write(p)
}

func tailOf(b []byte) string { return string(b[max(0, len(b)-2000):]) }

func TestPipeModeStdin(t *testing.T) {
	cmd := exec.Command(agentopsBin, "run", "--", "cat")
	cmd.Stdin = strings.NewReader("hi")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("printf hi | agentops run -- cat: %v\n%s", err, stderr.String())
	}
	if stdout.String() != "hi" {
		t.Errorf("stdout = %q, want %q", stdout.String(), "hi")
	}
}

// TestPipeModePromptUnbuffered answers a prompt that has no newline: it
// can only be seen if every write of the child reaches us at once.
func TestPipeModePromptUnbuffered(t *testing.T) {
	cmd := exec.Command(agentopsBin, append([]string{"run", "--"}, sh(`printf 'name? '; read n; echo "hello $n"`)...)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, out, "name? ")
	_, _ = io.WriteString(stdin, "bob\n")
	_ = stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if out.String() != "name? hello bob\n" {
		t.Errorf("stdout = %q", out.String())
	}
}

func TestSignalsReachChild(t *testing.T) {
	script := `trap 'echo got INT; exit 7' INT; trap 'echo got TERM; exit 8' TERM; echo "ready $$"; while :; do sleep 0.05; done`
	for _, tt := range []struct {
		sig  syscall.Signal
		want int
	}{{syscall.SIGINT, 7}, {syscall.SIGTERM, 8}} {
		t.Run(tt.sig.String(), func(t *testing.T) {
			a := startAgentops(t, nil, sh(script)...)
			pgid := a.childPID(t)
			_ = a.cmd.Process.Signal(tt.sig)
			code := a.wait(t)
			if code != tt.want {
				t.Errorf("exit code = %d, want the child's %d\nstderr:\n%s", code, tt.want, a.stderr.String())
			}
			if want := "got " + strings.TrimPrefix(unix.SignalName(tt.sig), "SIG"); !strings.Contains(a.stdout.String(), want) {
				t.Errorf("stdout = %q, want %q", a.stdout.String(), want)
			}
			if !strings.Contains(a.stderr.String(), "agentops session: ") {
				t.Errorf("no summary after %s:\n%s", tt.sig, a.stderr.String())
			}
			waitGroupGone(t, pgid)
		})
	}
}

func TestKillAfter(t *testing.T) {
	// The child and its background grandchild ignore SIGTERM.
	script := `trap '' TERM; sleep 1000 & echo "ready $$"; while :; do sleep 0.05; done`
	jsonPath := filepath.Join(t.TempDir(), "session.json")
	a := startAgentops(t, []string{"--kill-after", "300ms", "--json", jsonPath}, sh(script)...)
	pgid := a.childPID(t)
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	code := a.wait(t)
	if code != 128+9 {
		t.Errorf("exit code = %d, want 137 (killed)\nstderr:\n%s", code, a.stderr.String())
	}
	if !strings.Contains(a.stderr.String(), "agentops session: ") {
		t.Errorf("no summary:\n%s", a.stderr.String())
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "did not exit within --kill-after") {
		t.Errorf("the session record does not say the child was killed after --kill-after:\n%s", b)
	}
	waitGroupGone(t, pgid)
}

// agentopsRun is an `agentops run` started in the background of the test.
type agentopsRun struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
}

func startAgentops(t *testing.T, flags []string, child ...string) *agentopsRun {
	t.Helper()
	args := append(append([]string{"run"}, flags...), "--")
	a := &agentopsRun{cmd: exec.Command(agentopsBin, append(args, child...)...), stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	a.cmd.Stdout, a.cmd.Stderr = a.stdout, a.stderr
	// Out of the foreground of any terminal the test runs in, as in CI.
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if a.cmd.ProcessState == nil {
			_ = a.cmd.Process.Kill()
			_ = a.cmd.Wait()
		}
	})
	return a
}

// childPID waits for the child's "ready PID" line.
func (a *agentopsRun) childPID(t *testing.T) int {
	t.Helper()
	waitFor(t, a.stdout, "\n")
	line := strings.TrimSpace(a.stdout.String())
	pid, err := strconv.Atoi(strings.TrimPrefix(line, "ready "))
	if err != nil {
		t.Fatalf("child said %q, want ready PID", line)
	}
	return pid
}

func (a *agentopsRun) wait(t *testing.T) int {
	t.Helper()
	err := a.cmd.Wait()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatal(err)
	}
	return a.cmd.ProcessState.ExitCode()
}

// waitGroupGone fails unless every process of group pgid ends (zombies
// waiting for init count as ended).
func waitGroupGone(t *testing.T, pgid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		alive := liveMembers(pgid)
		if len(alive) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes of the child's group %d survive: %v", pgid, alive)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func liveMembers(pgid int) []string {
	entries, _ := os.ReadDir("/proc")
	var alive []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 2 && fields[2] == strconv.Itoa(pgid) && fields[0] != "Z" {
			alive = append(alive, e.Name()+" "+s[:strings.LastIndexByte(s, ')')+1])
		}
	}
	return alive
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
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

// waitFor polls b until it contains s.
func waitFor(t *testing.T, b *syncBuffer, s string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(b.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %q in output:\n%s", s, b.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// onTerminal is an `agentops run` on a pseudo-terminal the test opened, as
// if typed in a terminal emulator.
type onTerminal struct {
	cmd  *exec.Cmd
	ptmx *os.File // the emulator's side
	tty  *os.File // agentops's terminal
	out  *syncBuffer
	// before is the terminal's settings before agentops started.
	before unix.Termios
}

func startOnTerminal(t *testing.T, size pty.Winsize, args ...string) *onTerminal {
	t.Helper()
	return startOnTerminalStderr(t, size, nil, args...)
}

// startOnTerminalStderr is startOnTerminal with agentops's stderr sent to
// stderr instead, when not nil.
func startOnTerminalStderr(t *testing.T, size pty.Winsize, stderr io.Writer, args ...string) *onTerminal {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal on this system: %v", err)
	}
	if err := pty.Setsize(ptmx, &size); err != nil {
		t.Fatal(err)
	}
	o := &onTerminal{cmd: exec.Command(agentopsBin, args...), ptmx: ptmx, tty: tty, out: &syncBuffer{}}
	// The settings agentops finds, read before it starts: once started it
	// may already have made the terminal raw.
	o.before = o.termios(t)
	o.cmd.Stdin, o.cmd.Stdout, o.cmd.Stderr = tty, tty, tty
	if stderr != nil {
		o.cmd.Stderr = stderr
	}
	// agentops leads a new session with tty as its controlling terminal,
	// in its foreground: what a shell in a terminal emulator gives it.
	o.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := o.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		_, _ = io.Copy(o.out, ptmx)
	}()
	t.Cleanup(func() {
		if o.cmd.ProcessState == nil {
			_ = o.cmd.Process.Kill()
			_ = o.cmd.Wait()
		}
		_ = tty.Close()
		_ = ptmx.Close()
		<-copied
	})
	return o
}

func (o *onTerminal) termios(t *testing.T) unix.Termios {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(o.tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return *tio
}

func (o *onTerminal) wait(t *testing.T) int {
	t.Helper()
	err := o.cmd.Wait()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatal(err)
	}
	return o.cmd.ProcessState.ExitCode()
}

// TestTerminalMode runs agentops on a real pseudo-terminal: the child must
// see a terminal of the same size, get resizes, and after it is killed the
// terminal must be as agentops found it.
func TestTerminalMode(t *testing.T) {
	script := `test -t 0 && test -t 1 && test -t 2 && echo "child-tty:yes"
echo "child-size:$(stty size)"
trap 'echo "child-resized:$(stty size)"; kill -9 $$' WINCH
echo child-ready
while :; do sleep 0.05; done`
	o := startOnTerminal(t, pty.Winsize{Rows: 31, Cols: 97}, append([]string{"run", "--"}, sh(script)...)...)
	before := o.before
	waitFor(t, o.out, "child-ready")

	if raw := o.termios(t); raw.Lflag&(unix.ICANON|unix.ECHO|unix.ISIG) != 0 {
		t.Errorf("terminal not in raw mode while the child runs: lflag %#x", raw.Lflag)
	}
	for _, want := range []string{"child-tty:yes", "child-size:31 97"} {
		if !strings.Contains(o.out.String(), want) {
			t.Errorf("child output lacks %q:\n%s", want, o.out.String())
		}
	}
	if err := pty.Setsize(o.ptmx, &pty.Winsize{Rows: 40, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, o.out, "child-resized:40 120")
	if code := o.wait(t); code != 128+9 {
		t.Errorf("exit code = %d, want 137", code)
	}
	if after := o.termios(t); after != before {
		t.Errorf("terminal settings not restored after the child was killed:\nbefore %+v\nafter  %+v", before, after)
	}
	waitFor(t, o.out, "agentops session")
}

func TestTerminalModeRestoresAfterOurSIGTERM(t *testing.T) {
	o := startOnTerminal(t, pty.Winsize{Rows: 24, Cols: 80}, append([]string{"run", "--"}, sh(`echo child-ready; while :; do sleep 0.05; done`)...)...)
	before := o.before
	waitFor(t, o.out, "child-ready")
	_ = o.cmd.Process.Signal(syscall.SIGTERM)
	if code := o.wait(t); code != 128+15 {
		t.Errorf("exit code = %d, want 143 (the child's death by the forwarded SIGTERM)", code)
	}
	if after := o.termios(t); after != before {
		t.Errorf("terminal settings not restored after SIGTERM:\nbefore %+v\nafter  %+v", before, after)
	}
}

// TestTerminalModeInput types a line for the child; agentops must then exit
// with the child although it was still reading our terminal.
func TestTerminalModeInput(t *testing.T) {
	o := startOnTerminal(t, pty.Winsize{Rows: 24, Cols: 80}, append([]string{"run", "--"}, sh(`echo child-ready; read line; echo "child-got:$line"`)...)...)
	waitFor(t, o.out, "child-ready")
	if _, err := o.ptmx.Write([]byte("hello\r")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, o.out, "child-got:hello")
	if code := o.wait(t); code != 0 {
		t.Errorf("exit code = %d, want 0", code)
	}
}

// TestNoPTYOnTerminal is pipe mode in the foreground of a terminal: the
// child keeps the terminal as stdin, its stdout is a pipe, and a Ctrl-C
// typed on the terminal reaches it directly.
func TestNoPTYOnTerminal(t *testing.T) {
	script := `test -t 0 && echo stdin-tty; test -t 1 || echo stdout-pipe
trap 'echo got-ctrl-c; exit 5' INT
echo child-ready
while :; do sleep 0.05; done`
	o := startOnTerminal(t, pty.Winsize{Rows: 24, Cols: 80}, append([]string{"run", "--no-pty", "--"}, sh(script)...)...)
	waitFor(t, o.out, "child-ready")
	for _, want := range []string{"stdin-tty", "stdout-pipe"} {
		if !strings.Contains(o.out.String(), want) {
			t.Errorf("child output lacks %q:\n%s", want, o.out.String())
		}
	}
	if _, err := o.ptmx.Write([]byte{3}); err != nil { // Ctrl-C
		t.Fatal(err)
	}
	if code := o.wait(t); code != 5 {
		t.Errorf("exit code = %d, want the child's 5", code)
	}
	waitFor(t, o.out, "got-ctrl-c")
	waitFor(t, o.out, "agentops session")
}

// TestTerminalModeStderrRedirected is `agentops run -- cmd 2>log` on a
// terminal: the child gets a terminal for stdin and stdout, and its stderr
// stays a separate stream that reaches our stderr only.
func TestTerminalModeStderrRedirected(t *testing.T) {
	stderr := &syncBuffer{}
	script := `test -t 1 && echo stdout-tty; test -t 2 || echo stderr-not-tty; echo to-stderr >&2`
	o := startOnTerminalStderr(t, pty.Winsize{Rows: 24, Cols: 80}, stderr, append([]string{"run", "--"}, sh(script)...)...)
	if code := o.wait(t); code != 0 {
		t.Fatalf("exit code = %d\nstderr:\n%s", code, stderr.String())
	}
	waitFor(t, o.out, "stderr-not-tty")
	if !strings.Contains(o.out.String(), "stdout-tty") || strings.Contains(o.out.String(), "to-stderr") {
		t.Errorf("terminal output = %q, want stdout on the terminal and not stderr", o.out.String())
	}
	if !strings.HasPrefix(stderr.String(), "to-stderr\n") {
		t.Errorf("stderr = %q, want the child's stderr first", stderr.String())
	}
}

// TestTerminalModeREPL drives an interactive Python through agentops: the
// prompt shows (Python saw a terminal), a typed line is evaluated, Ctrl-C
// interrupts it without ending it, and exit() ends it.
func TestTerminalModeREPL(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	o := startOnTerminal(t, pty.Winsize{Rows: 24, Cols: 80}, "run", "--", python, "-q")
	waitFor(t, o.out, ">>> ")
	type line struct{ send, want string }
	for _, l := range []line{
		{"print(6*7)\r", "42"},
		{"while True: pass\r\r", "..."},
		{"\x03", "KeyboardInterrupt"},
		{"print('still', 'here')\r", "still here"},
	} {
		if _, err := o.ptmx.Write([]byte(l.send)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, o.out, l.want)
	}
	if _, err := o.ptmx.Write([]byte("exit()\r")); err != nil {
		t.Fatal(err)
	}
	if code := o.wait(t); code != 0 {
		t.Errorf("exit code = %d, want 0\n%s", code, o.out.String())
	}
}
