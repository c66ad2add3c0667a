package e2e

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/agentops-dev/agentops/record"
)

// hostileBound is how long one hostile run may take, child included,
// before the test fails: the summary must be printed within it. It is a
// bound against hangs (the cases took minutes or never ended before), not
// a measure of speed.
const hostileBound = 90 * time.Second

// hostileRSS bounds the peak resident memory of agentops itself (its
// VmHWM, read from /proc while it runs: getrusage of the waited process
// also counted the child, and the high-water mark of the test process,
// which Linux hands on to every child it starts). The largest cases are a
// 49 MB request, which agentops reads whole (1.3 GB before agentops
// crashed on it), and eight concurrent 24 MB ones.
const hostileRSS = 600 << 20

// hostileRun is what one agentops run around the hostile child produced.
type hostileRun struct {
	exitCode       int
	stdout, stderr string
	maxRSS         int64
	session        *record.Session
	statuses       map[string]int
}

// runHostile runs `agentops run --json FILE --store DIR flags -- hostile
// args`, failing the test when it does not end within hostileBound.
func runHostile(t *testing.T, store string, flags []string, args ...string) hostileRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hostileBound)
	defer cancel()
	jsonPath := filepath.Join(t.TempDir(), "session.json")
	argv := append([]string{"run", "--json", jsonPath, "--store", store}, flags...)
	argv = append(append(argv, "--", hostileBin), args...)
	cmd := exec.CommandContext(ctx, agentopsBin, argv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	hwm := watchHWM(cmd.Process.Pid)
	err := cmd.Wait()
	maxRSS := hwm()
	if ctx.Err() != nil {
		t.Fatalf("agentops %v did not end within %s (killed)\nstderr:\n%.2000s", args, hostileBound, stderr.String())
	}
	res := hostileRun{stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		res.exitCode = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("run agentops: %v", err)
	}
	res.maxRSS = maxRSS
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatalf("session JSON not written: %v\nstderr:\n%.2000s", err, res.stderr)
	}
	res.session = &record.Session{}
	if err := json.Unmarshal(b, res.session); err != nil {
		t.Fatalf("decode session JSON: %v", err)
	}
	if line, _, _ := strings.Cut(res.stdout, "\n"); line != "" {
		_ = json.Unmarshal([]byte(line), &res.statuses)
	}
	return res
}

// watchHWM reads the peak resident memory (VmHWM) of process pid every
// few milliseconds until the returned function is called, after the
// process has exited, and that returns the last value read: a high-water
// mark, so missing is only what grew in its last milliseconds.
func watchHWM(pid int) func() int64 {
	stop, done := make(chan struct{}), make(chan int64, 1)
	path := filepath.Join("/proc", strconv.Itoa(pid), "status")
	go func() {
		var last int64
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			if b, err := os.ReadFile(path); err == nil {
				for _, line := range strings.Split(string(b), "\n") {
					if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
						kib, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
						last = max(last, kib<<10)
					}
				}
			}
			select {
			case <-stop:
				done <- last
				return
			case <-tick.C:
			}
		}
	}()
	return func() int64 {
		close(stop)
		return <-done
	}
}

// checkGone fails t when the process pid still exists (not even a zombie:
// agentops must have reaped its child).
func checkGone(t *testing.T, pid int) {
	t.Helper()
	if pid <= 0 {
		t.Error("no child pid in the record")
		return
	}
	if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); err == nil {
		t.Errorf("child %d survives agentops", pid)
	}
}

// checkReadCommands runs show, show --json, report and export on the stored
// session: each must succeed on what was stored.
func checkReadCommands(t *testing.T, store, id string) {
	t.Helper()
	dir := t.TempDir()
	for _, args := range [][]string{
		{"show", id, "--store", store},
		{"show", id, "--store", store, "--json"},
		{"report", id, "--store", store, "-o", filepath.Join(dir, "report.html")},
		{"export", id, "--store", store, "-e", "file=" + filepath.Join(dir, "spans.jsonl")},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), hostileBound)
		cmd := exec.CommandContext(ctx, agentopsBin, args...)
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = nil, &stderr
		err := cmd.Run()
		timedOut := ctx.Err() != nil
		cancel()
		switch {
		case timedOut:
			t.Errorf("agentops %s did not end within %s", strings.Join(args[:2], " "), hostileBound)
		case err != nil:
			t.Errorf("agentops %s: %v\n%.2000s", strings.Join(args, " "), err, stderr.String())
		}
	}
}

// TestHostileChild runs our hostile child under agentops for each case of
// issue 18, over both OTLP/HTTP encodings where the case is telemetry: the
// exit code is the child's, the child is gone, the summary comes within
// hostileBound, memory stays under hostileRSS, and show, report and export
// work on what was stored.
func TestHostileChild(t *testing.T) {
	long := "prompt:" + strings.Repeat("all work and no play ", 5000) // 100 KB
	term := []string{"--summary", "terminal"}
	tests := []struct {
		name   string
		flags  []string
		args   []string
		status int    // the HTTP status the child's request got; 0: none sent
		stderr string // what the summary or warnings must say
		not    string // what stderr must not hold
		rss    int64  // the peak RSS bound, when not hostileRSS
	}{
		{name: "attribute nested 1M levels, JSON", args: []string{"-case", "deep-attr", "-encoding", "json"}, status: 400, stderr: "too deeply nested"},
		{name: "attribute nested 1M levels, protobuf", args: []string{"-case", "deep-attr", "-encoding", "proto"}, status: 400, stderr: "too deeply nested"},
		{name: "log body nested 1M levels, JSON", args: []string{"-case", "deep-log", "-encoding", "json"}, status: 400, stderr: "too deeply nested"},
		{name: "log body nested 1M levels, protobuf", args: []string{"-case", "deep-log", "-encoding", "proto"}, status: 400, stderr: "too deeply nested"},
		{name: "attribute at the nesting limit, JSON", args: []string{"-case", "deep-attr", "-depth", "29", "-encoding", "json"}, status: 200},
		{name: "attribute at the nesting limit, protobuf", args: []string{"-case", "deep-attr", "-depth", "29", "-encoding", "proto"}, status: 200},
		{name: "command line of 100 KB, terminal panel", flags: term, args: []string{"-case", "ready", long}, stderr: "hostile -exit 3 -case ready"},
		{name: "command line of 100 KB, plain", flags: []string{"--summary", "plain"}, args: []string{"-case", "ready", long}, stderr: "KiB more)"},
		{name: "command line with a newline and quotes", flags: []string{"--summary", "plain"}, args: []string{"-case", "ready", "a \"b c\"", "line1\nline2"}, stderr: `'a "b c"' $'line1\nline2'`},
		{name: "error message of 2 MB, JSON", flags: term, args: []string{"-case", "long-error", "-encoding", "json"}, status: 200, stderr: "Errors (1)"},
		{name: "error message of 2 MB, protobuf", flags: term, args: []string{"-case", "long-error", "-encoding", "proto"}, status: 200, stderr: "Errors (1)"},
		{name: "ERROR log body of 2 MB, JSON", flags: term, args: []string{"-case", "long-log", "-encoding", "json"}, status: 200, stderr: "Errors (1)"},
		{name: "ERROR log body of 2 MB, protobuf", flags: term, args: []string{"-case", "long-log", "-encoding", "proto"}, status: 200, stderr: "Errors (1)"},
		{name: "terminal escapes in a tool name and an error", flags: term, args: []string{"-case", "ctrl", "-encoding", "json"}, status: 200, stderr: "[2J[31mred", not: "\x1b[2J"},
		{name: "20,000 distinct tools", flags: term, args: []string{"-case", "many-tools", "-encoding", "proto"}, status: 200, stderr: "and 19,980 more tools"},
		// Past the receiver's 128 MiB in flight the rest are refused with
		// 503 / UNAVAILABLE and retried: all are taken in the end. The
		// budget counts the bodies; decoding them and the store's JSON
		// lines take some four times as much again (measured: ~1.0 GiB
		// both ways, where gRPC took 1.8 GiB before its messages counted).
		{name: "8 concurrent 24 MB requests, HTTP", args: []string{"-case", "big", "-parallel", "8", "-size", "24000000", "-protocol", "http"}, status: 200, stderr: "174,544 spans received", rss: 1400 << 20},
		{name: "8 concurrent 24 MB requests, gRPC", args: []string{"-case", "big", "-parallel", "8", "-size", "24000000", "-protocol", "grpc"}, status: 200, stderr: "174,544 spans received", rss: 1400 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := t.TempDir()
			res := runHostile(t, store, tt.flags, append([]string{"-exit", "3"}, tt.args...)...)
			t.Logf("measured: exit %d, peak RSS %d MiB, request answered %v", res.exitCode, res.maxRSS>>20, res.statuses)
			if res.exitCode != 3 || res.session.ExitCode != 3 {
				t.Errorf("exit code = %d (record %d), want the child's 3\nstderr:\n%.3000s", res.exitCode, res.session.ExitCode, res.stderr)
			}
			checkGone(t, res.session.PID)
			bound := cmp.Or(tt.rss, hostileRSS)
			if res.maxRSS > bound {
				t.Errorf("peak RSS %d MiB, want under %d MiB", res.maxRSS>>20, bound>>20)
			}
			if tt.status != 0 {
				for name, got := range res.statuses {
					if got != tt.status {
						t.Errorf("request %s answered %d, want %d", name, got, tt.status)
					}
				}
				if len(res.statuses) == 0 {
					t.Errorf("the child reported no request: stdout %q", res.stdout)
				}
			}
			if !strings.Contains(res.stderr, tt.stderr) {
				t.Errorf("stderr does not say %q:\n%.3000s", tt.stderr, res.stderr)
			}
			if tt.not != "" && strings.Contains(res.stderr, tt.not) {
				t.Errorf("stderr holds %q:\n%.3000s", tt.not, res.stderr)
			}
			checkReadCommands(t, store, res.session.ID)
		})
	}
}

// TestPostRunEndsOnSecondSignal: after the child has exited, agentops
// finishes the session (here stuck flushing to a backend that accepts
// connections and never answers, with ten minutes to do so); a SIGTERM says
// how to stop, and the next one ends agentops at once, with the child's
// exit code.
func TestPostRunEndsOnSecondSignal(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	var held []net.Conn
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	}()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // never answered
			mu.Unlock()
		}
	}()
	ready := filepath.Join(t.TempDir(), "ready")
	ctx, cancel := context.WithTimeout(context.Background(), hostileBound)
	defer cancel()
	cmd := exec.CommandContext(ctx, agentopsBin, "run", "--store", t.TempDir(), "--summary", "plain",
		"-e", "otlp=http://"+ln.Addr().String(), "--export-timeout", "10m", "--otlp-timeout", "10m",
		"--", hostileBin, "-case", "ready", "-ready", ready, "-exit", "4")
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	childPID := waitForPID(t, ctx, ready)
	waitGone(t, ctx, childPID)
	// The child is gone; agentops may still be draining its receiver, when
	// a signal still counts as one for the child. Signal until it ends.
	ticker := time.NewTicker(100 * time.Millisecond)
	defer ticker.Stop()
	for {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			var exitErr *exec.ExitError
			if !errors.As(err, &exitErr) || exitErr.ExitCode() != 4 {
				t.Fatalf("agentops ended with %v, want the child's exit code 4\nstderr:\n%s", err, stderr.String())
			}
			if ctx.Err() != nil {
				t.Fatalf("agentops did not stop on SIGTERM within %s", hostileBound)
			}
			// The first SIGTERM may have come while agentops still drained
			// (then it counts as the one for the child, and the next stops
			// it at once) or after ("interrupt again"): either way it ends
			// saying so.
			if want := "stopping without finishing the session"; !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr does not say %q:\n%s", want, stderr.String())
			}
			return
		case <-ticker.C:
		}
	}
}

// waitForPID waits for the hostile child's ready file and returns the pid
// it holds.
func waitForPID(t *testing.T, ctx context.Context, path string) int {
	t.Helper()
	for {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			pid, err := strconv.Atoi(string(b))
			if err != nil {
				t.Fatal(err)
			}
			return pid
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the child never wrote %s", path)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// waitGone polls /proc until pid is gone (reaped), failing t at ctx's end.
func waitGone(t *testing.T, ctx context.Context, pid int) {
	t.Helper()
	for {
		if !alive(pid) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("process %d still runs", pid)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	// pid (comm) state ...: the state follows the last ')'.
	rest := string(b[strings.LastIndexByte(string(b), ')')+1:])
	return !strings.HasPrefix(strings.TrimSpace(rest), "Z")
}
