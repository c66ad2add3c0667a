package export

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/agentops-dev/agentops/iostreams"
)

func TestFlags(t *testing.T) {
	io := &iostreams.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
	var got *Options
	c := NewCmdExport(io, func(o *Options) error { got = o; return nil })
	c.SetArgs([]string{"3f2a", "-e", "otlp=http://127.0.0.1:4318", "-e", "file=x.jsonl", "--otlp-header", "A=b", "--store", "/s"})
	if err := c.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Ref != "3f2a" || len(got.Exporters) != 2 || got.Headers[0] != "A=b" || got.StoreDir != "/s" || got.BatchSize != 512 {
		t.Errorf("options = %+v", got)
	}
	c = NewCmdExport(io, func(*Options) error { return nil })
	c.SetArgs([]string{"last"})
	if err := c.Execute(); err == nil || !strings.Contains(err.Error(), "-e NAME") {
		t.Errorf("no -e: %v", err)
	}
}

func TestExportRunErrors(t *testing.T) {
	var errOut bytes.Buffer
	io := &iostreams.IOStreams{Out: &bytes.Buffer{}, ErrOut: &errOut}
	base := Options{IO: io, Ref: "last", StoreDir: t.TempDir(), Compression: "gzip", BatchSize: 512, Getenv: func(string) string { return "" }}
	tests := map[string]struct {
		mod  func(*Options)
		want string
	}{
		"unknown exporter": {func(o *Options) { o.Exporters = []string{"carrier-pigeon"} }, "unknown exporter \"carrier-pigeon\""},
		"bad header":       {func(o *Options) { o.Exporters = []string{"console"}; o.Headers = []string{"nope"} }, "--otlp-header: bad header \"nope\""},
		"bad compression":  {func(o *Options) { o.Exporters = []string{"console"}; o.Compression = "zip" }, "gzip or none"},
		"empty store":      {func(o *Options) { o.Exporters = []string{"console"} }, "no sessions stored"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			o := base
			tt.mod(&o)
			err := ExportRun(context.Background(), &o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
