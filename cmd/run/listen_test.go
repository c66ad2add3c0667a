package run

import (
	"bytes"
	"strings"
	"testing"
)

func TestWarnListen(t *testing.T) {
	tests := []struct {
		addr   string
		noAuth bool
		want   string // substring of the warning; empty means no warning
	}{
		{"127.0.0.1:0", false, ""},
		{"127.0.0.2:4318", true, ""},
		{"[::1]:4318", false, ""},
		{"localhost:4318", false, ""},
		{"0.0.0.0:4318", false, "bearer token"},
		{":4318", false, "not a loopback address"},
		{"[::]:0", true, "--no-auth"},
		{"myhost:4318", false, "not a loopback address"},
		{"bogus", false, ""}, // the listen error says what is wrong
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			var buf bytes.Buffer
			warnListen(&buf, tt.addr, tt.noAuth)
			got := buf.String()
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("warning = %q, want it to contain %q", got, tt.want)
			}
		})
	}
}

func TestWarnRefused(t *testing.T) {
	var buf bytes.Buffer
	warnRefused(&buf, nil)
	if buf.Len() != 0 {
		t.Fatalf("warning with nothing refused: %q", buf.String())
	}
	warnRefused(&buf, map[string]int{"HTTP 401": 2, "gRPC Internal": 1})
	got := buf.String()
	for _, want := range []string{"2 × HTTP 401, 1 × gRPC Internal", "OTEL_EXPORTER_OTLP_HEADERS", "--no-auth"} {
		if !strings.Contains(got, want) {
			t.Errorf("warning %q lacks %q", got, want)
		}
	}
}
