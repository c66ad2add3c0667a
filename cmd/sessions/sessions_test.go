package sessions

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/agentops-dev/agentops/events"
	"github.com/agentops-dev/agentops/iostreams"
	"github.com/agentops-dev/agentops/record"
	"github.com/agentops-dev/agentops/store"
)

func TestParseAge(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{"30d", 30 * 24 * time.Hour, false},
		{"24h", 24 * time.Hour, false},
		{"1d12h", 36 * time.Hour, false},
		{"90m", 90 * time.Minute, false},
		{"0d", 0, true},
		{"xd", 0, true},
		{"soon", 0, true},
		{"-1h", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseAge(tt.in)
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("ParseAge(%q) = %v, %v", tt.in, got, err)
		}
	}
}

var now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// fillStore stores an ok session an hour ago, a failed one two days ago,
// and a killed agentops (meta only) three days ago.
func fillStore(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	st := store.Open(dir)
	add := func(id string, age time.Duration, rec *record.Session) {
		w := st.NewWriter()
		start := now.Add(-age)
		if err := w.Begin(store.Meta{ID: id, Command: []string{"agent", id}, Start: start, PID: 1 << 30}); err != nil {
			t.Fatal(err)
		}
		if rec == nil {
			w.Abandon() // killed
			return
		}
		rec.ID, rec.Command, rec.Start, rec.End = id, []string{"agent", id}, start, start.Add(1500*time.Millisecond)
		if err := w.Finish(rec); err != nil {
			t.Fatal(err)
		}
	}
	add("aaaa1111-ok", time.Hour, &record.Session{Totals: events.Totals{LLMCalls: 2, InputTokens: 100, OutputTokens: 10, CostUSD: 0.25}})
	add("bbbb2222-failed", 48*time.Hour, &record.Session{ExitCode: 3})
	add("cccc3333-killed", 72*time.Hour, nil)
	return dir
}

func list(t *testing.T, o Options) (string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	o.IO = &iostreams.IOStreams{Out: &out, ErrOut: &errOut}
	o.Now = func() time.Time { return now }
	o.Getenv = func(string) string { return "" }
	if err := ListRun(&o); err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String()
}

func TestList(t *testing.T) {
	dir := fillStore(t)
	out, _ := list(t, Options{StoreDir: dir, Limit: 20})
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "ID") {
		t.Fatalf("table:\n%s", out)
	}
	for i, want := range []string{"aaaa1111  ", "bbbb2222  ", "cccc3333  "} {
		if !strings.HasPrefix(lines[i+1], want) {
			t.Errorf("row %d = %q, want it to start with %q", i+1, lines[i+1], want)
		}
	}
	for i, want := range []string{"ok", "failed", "incomplete"} {
		if !strings.Contains(lines[i+1], " "+want+" ") {
			t.Errorf("row %d = %q, want state %s", i+1, lines[i+1], want)
		}
	}
	if !strings.Contains(lines[1], "$0.25") || !strings.Contains(lines[1], "100/10") || !strings.Contains(lines[1], "1.5s") {
		t.Errorf("ok row = %q", lines[1])
	}

	out, _ = list(t, Options{StoreDir: dir, Failed: true})
	if strings.Contains(out, "aaaa1111") || !strings.Contains(out, "bbbb2222") || !strings.Contains(out, "cccc3333") {
		t.Errorf("--failed:\n%s", out)
	}
	out, _ = list(t, Options{StoreDir: dir, Since: 50 * time.Hour})
	if !strings.Contains(out, "bbbb2222") || strings.Contains(out, "cccc3333") {
		t.Errorf("--since 50h:\n%s", out)
	}
	out, _ = list(t, Options{StoreDir: dir, Limit: 1})
	if strings.Count(out, "\n") != 2 {
		t.Errorf("--limit 1:\n%s", out)
	}
	_, errOut := list(t, Options{StoreDir: t.TempDir()})
	if !strings.Contains(errOut, "No sessions stored") {
		t.Errorf("empty store says %q", errOut)
	}
}

func TestListJSON(t *testing.T) {
	out, _ := list(t, Options{StoreDir: fillStore(t), JSON: true})
	var rows []Row
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0].LLMCalls != 2 || rows[1].ExitCode == nil || *rows[1].ExitCode != 3 || rows[2].State != store.StateIncomplete || rows[2].ExitCode != nil {
		t.Errorf("rows = %+v", rows)
	}
}

func TestPrune(t *testing.T) {
	dir := fillStore(t)
	var out, errOut bytes.Buffer
	io := &iostreams.IOStreams{Out: &out, ErrOut: &errOut}
	err := PruneRun(&PruneOptions{IO: io, StoreDir: dir, OlderThan: 24 * time.Hour, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "Deleted 2 session(s)") {
		t.Errorf("stderr = %q", errOut.String())
	}
	left, _ := os.ReadDir(dir)
	if len(left) != 1 || !strings.HasSuffix(left[0].Name(), "aaaa1111-ok") {
		t.Errorf("left: %v", left)
	}
}

// TestFlags parses the command lines people type.
func TestFlags(t *testing.T) {
	io := &iostreams.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
	var got *Options
	c := NewCmdSessions(io, func(o *Options) error { got = o; return nil })
	c.SetArgs([]string{"--since", "7d", "--failed", "-n", "5", "--store", "/s"})
	if err := c.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Since != 7*24*time.Hour || !got.Failed || got.Limit != 5 || got.StoreDir != "/s" {
		t.Errorf("options = %+v", got)
	}
	c = NewCmdSessions(io, func(*Options) error { return nil })
	c.SetArgs([]string{"--since", "later"})
	if err := c.Execute(); err == nil {
		t.Error("--since later accepted")
	}
	c = NewCmdSessions(io, func(*Options) error { return nil })
	c.SetArgs([]string{"--limit", "-1"})
	if err := c.Execute(); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("--limit -1: %v, want a usage error", err)
	}
}
