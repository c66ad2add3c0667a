package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// agentops runs the agentops binary with args and returns stdout, stderr
// and the exit code.
func agentops(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(agentopsBin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		return stdout.String(), stderr.String(), exitErr.ExitCode()
	case err != nil:
		t.Fatalf("agentops %v: %v", args, err)
	}
	return stdout.String(), stderr.String(), 0
}

// listed is one row of `agentops sessions --json`.
type listed struct {
	ID       string
	State    string
	LLMCalls int `json:"llm_calls"`
	Spans    int64
	Problems []string
}

func listSessions(t *testing.T, storeDir string) []listed {
	t.Helper()
	out, errOut, code := agentops(t, "sessions", "--store", storeDir, "--limit", "0", "--json")
	if code != 0 {
		t.Fatalf("agentops sessions: exit %d\n%s", code, errOut)
	}
	var rows []listed
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("decode sessions --json: %v\n%s", err, out)
	}
	return rows
}

// storedSpans counts the spans `agentops show --json` returns.
func storedSpans(t *testing.T, storeDir, ref string) int {
	t.Helper()
	out, errOut, code := agentops(t, "show", ref, "--store", storeDir, "--json")
	if code != 0 {
		t.Fatalf("agentops show --json: exit %d\n%s", code, errOut)
	}
	var doc struct {
		Spans struct {
			ResourceSpans []struct {
				ScopeSpans []struct{ Spans []json.RawMessage }
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, rs := range doc.Spans.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			n += len(ss.Spans)
		}
	}
	return n
}

// TestStoreListShow: a session run through the real binary is listed and
// shown, waterfall included, from the store.
func TestStoreListShow(t *testing.T) {
	dir := t.TempDir()
	_, errOut, code := agentops(t, "run", "--store", dir, "--", testagentBin, "-llm", "3", "-tools", "2", "-fail-tool", "-latency", "5ms")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, errOut)
	}
	rows := listSessions(t, dir)
	if len(rows) != 1 || rows[0].State != "ok" || rows[0].LLMCalls != 3 || rows[0].Spans != 6 {
		t.Fatalf("sessions = %+v", rows)
	}
	table, _, _ := agentops(t, "ls", "--store", dir)
	if !strings.Contains(table, rows[0].ID[:8]) || !strings.Contains(table, "testagent") {
		t.Errorf("ls table:\n%s", table)
	}
	out, errOut, code := agentops(t, "show", rows[0].ID[:6], "--store", dir)
	if code != 0 {
		t.Fatalf("show: exit %d\n%s", code, errOut)
	}
	for _, want := range []string{"Waterfall: 7 spans", "agentops.session", "  invoke_agent testagent", "    chat gpt-4o-mini", "✗", "Events (", "LLM calls"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	// The session's own span and the child's 6, all stored.
	if n := storedSpans(t, dir, "last"); n != 7 {
		t.Errorf("stored spans = %d, want 7", n)
	}
}

// TestStoreConcurrentSessions: several agentops run at once into one store
// all complete, each in its own directory with all its spans.
func TestStoreConcurrentSessions(t *testing.T) {
	dir := t.TempDir()
	const n = 4
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(agentopsBin, "run", "--store", dir, "--", testagentBin, "-llm", strconv.Itoa(i+1), "-tools", "1", "-spans", "20")
			if err := cmd.Run(); err != nil {
				codes[i] = -1
			}
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != 0 {
			t.Fatalf("session %d failed", i)
		}
	}
	rows := listSessions(t, dir)
	if len(rows) != n {
		t.Fatalf("listed %d sessions, want %d", len(rows), n)
	}
	seen := map[int]bool{}
	for _, r := range rows {
		// agent + LLM calls + 1 tool + 20 steps.
		if r.State != "ok" || r.Spans != int64(1+r.LLMCalls+1+20) || len(r.Problems) > 0 {
			t.Errorf("session %+v", r)
		}
		seen[r.LLMCalls] = true
	}
	if len(seen) != n {
		t.Errorf("sessions mixed up: LLM calls seen %v", seen)
	}
}

// TestStoreKilledSession: agentops killed half-way (SIGKILL, no chance to
// finish) leaves a record that is listed as incomplete and shown with the
// spans that arrived.
func TestStoreKilledSession(t *testing.T) {
	dir := t.TempDir()
	// The child sends its spans, then hangs; its exporter flushed them.
	script := fmt.Sprintf("%s -llm 2 -tools 1 && exec sleep 60", testagentBin)
	cmd := exec.Command(agentopsBin, "run", "--store", dir, "--", "sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }()
	spans := waitForFile(t, dir, "spans.jsonl")
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Wait()
	// Cut the last line short, as a kill in the middle of a write would.
	b, err := os.ReadFile(spans)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(spans, append(b, []byte(`{"resourceSpans":[{"scopeSp`)...), 0o600); err != nil {
		t.Fatal(err)
	}

	rows := listSessions(t, dir)
	if len(rows) != 1 || rows[0].State != "incomplete" || rows[0].LLMCalls != 2 || rows[0].Spans != 4 {
		t.Fatalf("sessions = %+v", rows)
	}
	out, errOut, code := agentops(t, "show", "last", "--store", dir)
	if code != 0 {
		t.Fatalf("show: exit %d\n%s", code, errOut)
	}
	for _, want := range []string{"(incomplete)", "cut short", "Waterfall: 4 spans", "invoke_agent testagent", "chat gpt-4o-mini"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
}

// TestStoreKilledRightAfterStart: the store's start record is written in
// the background while the session starts, and the child is started only
// once it is on disk. agentops killed (SIGKILL) the moment its child has
// started, before anything arrived, leaves one session that lists as
// incomplete with its command, and that show can read.
func TestStoreKilledRightAfterStart(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(t.TempDir(), "started")
	cmd := exec.Command(agentopsBin, "run", "--store", dir, "--", "sh", "-c", "echo > "+marker+"; exec sleep 60")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }()
	waitForPath(t, marker)
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Wait()

	rows := listSessions(t, dir)
	if len(rows) != 1 || rows[0].State != "incomplete" || rows[0].Spans != 0 {
		t.Fatalf("sessions = %+v, want one incomplete session", rows)
	}
	out, errOut, code := agentops(t, "sessions", "--store", dir, "--limit", "0", "--json")
	if code != 0 || !strings.Contains(out, "exec sleep 60") {
		t.Errorf("sessions --json (exit %d) does not name the command:\n%s%s", code, out, errOut)
	}
	out, errOut, code = agentops(t, "show", "last", "--store", dir)
	if code != 0 || !strings.Contains(out, "(incomplete)") {
		t.Errorf("show last: exit %d, want the incomplete session shown:\n%s%s", code, out, errOut)
	}
}

// waitForPath polls until path exists.
func waitForPath(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s did not appear", path)
}

// waitForFile polls dir's session directories until one has a non-empty
// file named name, and returns its path.
func waitForFile(t *testing.T, dir, name string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		matches, _ := filepath.Glob(filepath.Join(dir, "*", name))
		for _, m := range matches {
			if fi, err := os.Stat(m); err == nil && fi.Size() > 0 {
				return m
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %s appeared in %s", name, dir)
	return ""
}

// chromium finds the browser; in CI it must be there (.ci/run installs it).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed: .ci/run should have installed it (apt-get install chromium)")
	}
	t.Skip("chromium not installed (apt-get install chromium)")
	return ""
}

// headless runs chromium headless on url with extra flags, offline and
// isolated, and returns stdout and stderr.
func headless(t *testing.T, browser, url string, flags ...string) (string, string) {
	t.Helper()
	args := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
		"--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0",
	}
	args = append(append(args, flags...), url)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", flags, err, stderr.String())
	}
	return stdout.String(), stderr.String()
}

// TestReportInChromium: `agentops run --report` writes one HTML file that a
// real headless Chromium renders with its script run and no errors, one
// waterfall row per stored span, and screenshots.
func TestReportInChromium(t *testing.T) {
	browser := chromium(t)
	dir, tmp := t.TempDir(), t.TempDir()
	report := filepath.Join(tmp, "report.html")
	_, errOut, code := agentops(t, "run", "--store", dir, "--report", report, "--",
		testagentBin, "-llm", "4", "-tools", "3", "-fail-tool", "-latency", "10ms", "-content", "-model", "gpt-4o")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, errOut)
	}
	html, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("no report: %v\n%s", err, errOut)
	}
	// Self-contained: nothing loaded from elsewhere.
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*"(https?:|//)[^"]*"|@import|url\(\s*['"]?https?:`).Find(html); m != nil {
		t.Errorf("report loads an external resource: %s", m)
	}
	spans := storedSpans(t, dir, "last")

	dom, logs := headless(t, browser, "file://"+report, "--dump-dom")
	if !strings.Contains(dom, `data-rendered="ok"`) {
		t.Errorf("the report's script did not run to the end:\n%.2000s", dom)
	}
	if m := regexp.MustCompile(`data-js-errors="\d+"`).FindString(dom); m != "" {
		t.Errorf("script errors in the page: %s", m)
	}
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "CONSOLE") && (strings.Contains(line, "Uncaught") || strings.Contains(line, "Error")) {
			t.Errorf("console error: %s", line)
		}
	}
	rows := regexp.MustCompile(`data-rows="(\d+)"`).FindStringSubmatch(dom)
	if rows == nil || rows[1] != strconv.Itoa(spans) || spans != 9 {
		t.Errorf("waterfall rows = %v, want one per stored span (%d)", rows, spans)
	}
	// Prompts are text, never markup.
	if strings.Contains(dom, "<b>not bold</b>") || !strings.Contains(dom, "&lt;b&gt;not bold&lt;/b&gt;") {
		t.Error("captured content was not HTML-escaped")
	}
	for _, want := range []string{"<details>", "prompt", "completion", "arguments", "search backend timed out"} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered report lacks %q", want)
		}
	}

	png := filepath.Join(tmp, "report.png")
	headless(t, browser, "file://"+report, "--screenshot="+png, "--window-size=1280,2000", "--hide-scrollbars")
	fi, err := os.Stat(png)
	if err != nil || fi.Size() < 10_000 {
		t.Fatalf("screenshot: %v (size %v)", err, fi)
	}
	t.Logf("screenshot: %s (%d bytes)", png, fi.Size())
	if dst := os.Getenv("AGENTOPS_KEEP_REPORT"); dst != "" {
		_ = os.WriteFile(filepath.Join(dst, "report.html"), html, 0o644)
		if b, err := os.ReadFile(png); err == nil {
			_ = os.WriteFile(filepath.Join(dst, "report.png"), b, 0o644)
		}
	}
}
