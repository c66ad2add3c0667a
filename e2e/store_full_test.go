package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// runFileLimited runs agentops with args with its files limited to kib
// KiB (ulimit -f, RLIMIT_FSIZE: a write past it fails with EFBIG, as one
// fails with ENOSPC on a full disk, for root too). Its stdout and stderr
// are pipes, which the limit does not touch.
func runFileLimited(t *testing.T, kib int, args ...string) (stderr string, code int) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{"-c", `ulimit -f "$1"; shift; exec "$@"`, "bash", strconv.Itoa(kib), agentopsBin}, args...)...)
	var errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = nil, &errOut
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("agentops %v: %v", args, err)
	}
	return errOut.String(), code
}

var notWritten = regexp.MustCompile(`incomplete, ([0-9,]+) spans not written`)

// TestStoreFullMidSession: the store's files stop growing at 1 MiB while
// 50,000 spans arrive. The child's exit code is kept; the summary says
// the stored session is incomplete and how many spans it lacks; one line
// at the end says why, once; the session lists as ended (not killed), its
// problem said; and the spans stored plus those said lost are every span
// of the session.
func TestStoreFullMidSession(t *testing.T) {
	dir := t.TempDir()
	stderr, code := runFileLimited(t, 1024, "run", "--store", dir, "--summary", "plain", "--", loadgenBin, "-spans", "50000", "-clients", "2")
	if code != 0 {
		t.Fatalf("exit %d, want the child's 0\n%.3000s", code, stderr)
	}
	m := notWritten.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("the summary does not say how many spans were not stored:\n%.5000s", stderr)
	}
	lost, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
	if n := strings.Count(stderr, "the store could not keep all of this session"); n != 1 {
		t.Errorf("the store's failure said %d times, want once:\n%.5000s", n, stderr)
	}
	if n := strings.Count(stderr, "file too large"); n > 2 {
		t.Errorf("the write error repeated %d times:\n%.5000s", n, stderr)
	}
	rows := listSessions(t, dir)
	if len(rows) != 1 || rows[0].State != "ok" {
		t.Fatalf("sessions = %+v, want one ok session", rows)
	}
	if p := strings.Join(rows[0].Problems, "; "); !strings.Contains(p, "spans not written") || strings.Contains(p, "killed") {
		t.Errorf("problems %q: want the loss said, not a kill", p)
	}
	stored := storedSpans(t, dir, "last")
	// The child's spans and the session's own.
	if want := int(rows[0].Spans) + 1; stored+lost != want || stored == 0 || lost == 0 {
		t.Errorf("%d spans stored + %d said lost, want %d (received and the session's own), some of each", stored, lost, want)
	}
}

// TestStoreFullFinalRecord: with 4 KiB, not even the final record fits.
// The session then lists as incomplete because the store could not write
// it, with what was lost, not as a killed agentops.
func TestStoreFullFinalRecord(t *testing.T) {
	dir := t.TempDir()
	stderr, code := runFileLimited(t, 4, "run", "--store", dir, "--summary", "plain", "--", loadgenBin, "-spans", "5000", "-clients", "1")
	if code != 0 {
		t.Fatalf("exit %d, want the child's 0\n%.3000s", code, stderr)
	}
	if !strings.Contains(stderr, "its final record could not be written") {
		t.Errorf("stderr does not say the final record is missing:\n%.5000s", stderr)
	}
	rows := listSessions(t, dir)
	if len(rows) != 1 || rows[0].State != "incomplete" {
		t.Fatalf("sessions = %+v, want one incomplete session", rows)
	}
	if p := strings.Join(rows[0].Problems, "; "); !strings.Contains(p, "the store could not write it") || !strings.Contains(p, "spans not written") || strings.Contains(p, "killed") {
		t.Errorf("problems %q: want the store's failure and the loss, not a kill", p)
	}
	if out, errOut, code := agentops(t, "show", "last", "--store", dir); code != 0 || !strings.Contains(out, "could not write") {
		t.Errorf("show last: exit %d\n%s%s", code, out, errOut)
	}
}

// TestStoreFullAtStart: a start record that cannot be written (no room
// for meta.json) leaves no directory: the session before stays `last`,
// and the run goes on unstored, with the child's exit code.
func TestStoreFullAtStart(t *testing.T) {
	dir := t.TempDir()
	if _, errOut, code := agentops(t, "run", "--store", dir, "-q", "--", "true"); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, errOut)
	}
	before := listSessions(t, dir)
	entries, _ := os.ReadDir(dir)
	stderr, code := runFileLimited(t, 0, "run", "--store", dir, "--", "sh", "-c", "exit 3")
	if code != 3 {
		t.Fatalf("exit %d, want the child's 3\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "this session will not be stored") {
		t.Errorf("stderr does not say the session is not stored:\n%s", stderr)
	}
	after, _ := os.ReadDir(dir)
	if len(after) != len(entries) {
		t.Errorf("the store held %d entries, now %d: the failed start left something", len(entries), len(after))
	}
	out, errOut, code := agentops(t, "show", "last", "--store", dir, "--json")
	var doc struct{ Meta struct{ ID string } }
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || doc.Meta.ID != before[0].ID {
		t.Errorf("show last (exit %d) is %q, want the session before, %s\n%s", code, doc.Meta.ID, before[0].ID, errOut)
	}
}
