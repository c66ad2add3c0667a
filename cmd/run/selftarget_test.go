package run

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/agentops-dev/agentops/cmd/exitcode"
	"github.com/agentops-dev/agentops/iostreams"
)

func TestSelfTarget(t *testing.T) {
	tests := []struct {
		listen    string
		exporters []string
		want      bool
	}{
		{"127.0.0.1:4318", []string{"otlp=http://127.0.0.1:4318"}, true},
		{"127.0.0.1:4318", []string{"otlp"}, true},
		{"127.0.0.1:4317", []string{"otlpgrpc"}, true},
		{"0.0.0.0:4318", []string{"otlp=http://localhost:4318/v1/traces"}, true},
		{"localhost:9000", []string{"file=x.jsonl", "otlp=http://[::1]:9000"}, true},
		{"127.0.0.1:0", []string{"otlp=http://127.0.0.1:4318"}, false},
		{"127.0.0.1:4318", []string{"otlp=http://127.0.0.1:4319"}, false},
		{"127.0.0.1:4318", []string{"otlp=http://collector.internal:4318"}, false},
		{"127.0.0.1:4318", []string{"file=/tmp/spans.jsonl"}, false},
	}
	for _, tt := range tests {
		if _, got := selfTarget(tt.listen, tt.exporters); got != tt.want {
			t.Errorf("selfTarget(%s, %v) = %v, want %v", tt.listen, tt.exporters, got, tt.want)
		}
	}
}

// TestRunRefusesBeforeStarting: flags that cannot work are refused with a
// usage error before anything runs.
func TestRunRefusesBeforeStarting(t *testing.T) {
	dir := t.TempDir()
	tests := map[string]func(*Options){
		"exporter at the receiver's own port": func(o *Options) {
			o.Listen, o.NoAuth, o.Export.Exporters = "127.0.0.1:4318", true, []string{"otlp=http://localhost:4318"}
		},
		"tag with a comma":   func(o *Options) { o.Export.Tags = []string{"nightly,ci"} },
		"report a directory": func(o *Options) { o.ReportPath = dir },
	}
	for name, set := range tests {
		t.Run(name, func(t *testing.T) {
			ran := filepath.Join(t.TempDir(), "ran")
			o := &Options{
				IO:      &iostreams.IOStreams{In: &bytes.Buffer{}, Out: io.Discard, ErrOut: io.Discard},
				Command: []string{"touch", ran}, Listen: "127.0.0.1:0", Summary: "none", NoStore: true,
			}
			set(o)
			err := runRun(context.Background(), o)
			var ee *exitcode.Error
			if !errors.As(err, &ee) || ee.Code != exitcode.Usage {
				t.Fatalf("runRun = %v, want a usage error", err)
			}
			if _, err := os.Stat(ran); err == nil {
				t.Error("the command ran")
			}
		})
	}
}
