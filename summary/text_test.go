package summary

import (
	"strings"
	"testing"
)

func TestCommandLine(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"python", "agent.py", "--model=gpt-4o"}, "python agent.py --model=gpt-4o"},
		{[]string{"sh", "-c", "echo hi"}, "sh -c 'echo hi'"},
		{[]string{"a", `"b c"`}, `a '"b c"'`},
		{[]string{"it's"}, `'it'\''s'`},
		{[]string{""}, "''"},
		{[]string{"line1\nline2"}, `$'line1\nline2'`},
		{[]string{"\x1b[2J"}, `$'\x1b[2J'`},
		{[]string{"tab\there", `back\slash`}, `$'tab\there' 'back\slash'`},
	}
	for _, tt := range tests {
		if got := CommandLine(tt.args); got != tt.want {
			t.Errorf("CommandLine(%q) = %s, want %s", tt.args, got, tt.want)
		}
	}
	long := CommandLine([]string{"agent", strings.Repeat("a", 100_000), "last"})
	if len(long) > maxValueBytes+200 || !strings.HasSuffix(long, "KiB more)") {
		t.Errorf("a 100 KB command line is %d bytes, ending %q; want it cut with a marker", len(long), long[len(long)-20:])
	}
}

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"\x1b[2Jclear", "[2Jclear"},
		{"a\nb\tc\rd", "a b c d"},
		{"bell\x07 del\x7f c1\u0085", "bell del c1"},
		{"\u202eevil", "evil"},
		{"bad\xffbyte", "bad\uFFFDbyte"},
		{"日本語", "日本語"},
	}
	for _, tt := range tests {
		if got := clean(tt.in); got != tt.want {
			t.Errorf("clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	got := clean(strings.Repeat("x", 2<<20))
	if len(got) > maxValueBytes+64 || !strings.HasSuffix(got, "… (2,044 KiB more)") {
		t.Errorf("clean of 2 MiB: %d bytes ending %q", len(got), got[len(got)-30:])
	}
}

func TestTruncateIsLinear(t *testing.T) {
	// 2 MB took over ten minutes when truncate re-measured the string for
	// every rune it dropped; now only a prefix is measured.
	s := strings.Repeat("é", 1<<20)
	if got := truncate(s, 10); got != strings.Repeat("é", 9)+"…" {
		t.Errorf("truncate = %q", got)
	}
	if got := truncate("short", 10); got != "short" {
		t.Errorf("truncate(short) = %q", got)
	}
}
