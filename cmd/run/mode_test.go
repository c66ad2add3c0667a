package run

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/agentops-dev/agentops/iostreams"
	"github.com/agentops-dev/agentops/runner"
)

func TestChildModeFlags(t *testing.T) {
	tests := []struct {
		name           string
		args           []string
		stdinTTY, tty  bool
		want           runner.Mode
		wantKillAfter  time.Duration
		wantTailBytes  int
		wantParseError bool
	}{
		{name: "terminal", args: []string{"--", "x"}, stdinTTY: true, tty: true, want: runner.ModeTerminal},
		{name: "stdout redirected", args: []string{"--", "x"}, stdinTTY: true, want: runner.ModePipe},
		{name: "stdin redirected", args: []string{"--", "x"}, tty: true, want: runner.ModePipe},
		{name: "--pty without terminal", args: []string{"--pty", "--", "x"}, want: runner.ModeTerminal},
		{name: "--no-pty on a terminal", args: []string{"--no-pty", "--", "x"}, stdinTTY: true, tty: true, want: runner.ModePipe},
		{name: "both", args: []string{"--pty", "--no-pty", "--", "x"}, wantParseError: true},
		{name: "kill-after and tail", args: []string{"--kill-after", "3s", "--tail-bytes", "10", "--", "x"}, wantKillAfter: 3 * time.Second, wantTailBytes: 10},
		{name: "child flags stay the child's", args: []string{"x", "--pty"}, want: runner.ModePipe},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios := &iostreams.IOStreams{In: &bytes.Buffer{}, Out: io.Discard, ErrOut: io.Discard, StdinTTY: tt.stdinTTY, StdoutTTY: tt.tty}
			var got *Options
			c := NewCmdRun(ios, func(o *Options) error { got = o; return nil })
			c.SetArgs(tt.args)
			c.SetOut(io.Discard)
			c.SetErr(io.Discard)
			err := c.Execute()
			if tt.wantParseError {
				if err == nil {
					t.Fatal("no error for conflicting flags")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m := childMode(got); m != tt.want {
				t.Errorf("mode = %v, want %v", m, tt.want)
			}
			if tt.wantKillAfter != 0 && got.KillAfter != tt.wantKillAfter {
				t.Errorf("kill-after = %v, want %v", got.KillAfter, tt.wantKillAfter)
			}
			if tt.wantTailBytes != 0 && got.TailBytes != tt.wantTailBytes {
				t.Errorf("tail-bytes = %d, want %d", got.TailBytes, tt.wantTailBytes)
			}
		})
	}
}

func TestChildModeDefaults(t *testing.T) {
	var got *Options
	c := NewCmdRun(&iostreams.IOStreams{}, func(o *Options) error { got = o; return nil })
	c.SetArgs([]string{"--", "x"})
	if err := c.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.KillAfter != runner.DefaultKillAfter || got.TailBytes != runner.DefaultTailBytes {
		t.Errorf("defaults: kill-after %v tail-bytes %d", got.KillAfter, got.TailBytes)
	}
	if killAfter(0) >= 0 {
		t.Error("--kill-after 0 must mean never")
	}
}
