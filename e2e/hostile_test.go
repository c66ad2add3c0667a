package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
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

// hostileRSS bounds the peak resident memory of agentops and its child
// together (getrusage of the waited process). The largest case is a 49 MB
// request, which the child builds and agentops reads whole: 1.3 GB before
// agentops crashed on it.
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
	err := cmd.Run()
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
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.maxRSS = ru.Maxrss << 10 // KiB on Linux
	}
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
	tests := []struct {
		name   string
		flags  []string
		args   []string
		status int    // the HTTP status the child's request got; 0: none sent
		stderr string // what the summary or warnings must say
	}{
		{name: "attribute nested 1M levels, JSON", args: []string{"-case", "deep-attr", "-encoding", "json"}, status: 400, stderr: "too deeply nested"},
		{name: "attribute nested 1M levels, protobuf", args: []string{"-case", "deep-attr", "-encoding", "proto"}, status: 400, stderr: "too deeply nested"},
		{name: "log body nested 1M levels, JSON", args: []string{"-case", "deep-log", "-encoding", "json"}, status: 400, stderr: "too deeply nested"},
		{name: "log body nested 1M levels, protobuf", args: []string{"-case", "deep-log", "-encoding", "proto"}, status: 400, stderr: "too deeply nested"},
		{name: "attribute at the nesting limit, JSON", args: []string{"-case", "deep-attr", "-depth", "29", "-encoding", "json"}, status: 200},
		{name: "attribute at the nesting limit, protobuf", args: []string{"-case", "deep-attr", "-depth", "29", "-encoding", "proto"}, status: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := t.TempDir()
			res := runHostile(t, store, tt.flags, append(tt.args, "-exit", "3")...)
			t.Logf("measured: exit %d, peak RSS %d MiB, request answered %v", res.exitCode, res.maxRSS>>20, res.statuses)
			if res.exitCode != 3 || res.session.ExitCode != 3 {
				t.Errorf("exit code = %d (record %d), want the child's 3\nstderr:\n%.3000s", res.exitCode, res.session.ExitCode, res.stderr)
			}
			checkGone(t, res.session.PID)
			if res.maxRSS > hostileRSS {
				t.Errorf("peak RSS %d MiB, want under %d MiB", res.maxRSS>>20, hostileRSS>>20)
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
			checkReadCommands(t, store, res.session.ID)
		})
	}
}
