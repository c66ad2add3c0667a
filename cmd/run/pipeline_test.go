package run

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/agentops-dev/agentops/cmd/exitcode"
	"github.com/agentops-dev/agentops/iostreams"
)

func testIO() *iostreams.IOStreams {
	return &iostreams.IOStreams{In: &bytes.Buffer{}, Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
}

func TestExportFlagsParse(t *testing.T) {
	var got *Options
	c := NewCmdRun(testIO(), func(o *Options) error { got = o; return nil })
	c.SetArgs([]string{
		"-e", "otlp=http://a:4318", "--exporter", "file=s.jsonl", "-e", "console",
		"--tag", "nightly", "--tag", "ci", "--resource", "deployment.environment=ci",
		"--sample-ratio", "0.25", "--batch-size", "100", "--batch-timeout", "200ms", "--queue-size", "4096",
		"--export-timeout", "3s", "--otlp-header", "x-team=ai", "--otlp-compression", "none",
		"--no-upstream", "--pushgateway", "http://pg:9091", "--service-name", "my-agent",
		"--", "./agent", "-e", "child-flag",
	})
	if err := c.Execute(); err != nil {
		t.Fatal(err)
	}
	x := got.Export
	if !reflect.DeepEqual(x.Exporters, []string{"otlp=http://a:4318", "file=s.jsonl", "console"}) ||
		!reflect.DeepEqual(x.Tags, []string{"nightly", "ci"}) ||
		x.SampleRatio != 0.25 || !x.sampleRatioSet || x.BatchSize != 100 || x.BatchTimeout != 200*time.Millisecond ||
		x.QueueSize != 4096 || x.ExportTimeout != 3*time.Second || x.OTLPCompression != "none" || !x.NoUpstream ||
		x.Pushgateway != "http://pg:9091" || !x.serviceNameSet {
		t.Errorf("export options = %+v", x)
	}
	if !reflect.DeepEqual(got.Command, []string{"./agent", "-e", "child-flag"}) {
		t.Errorf("command = %q: flags after the command belong to it", got.Command)
	}
	if res := x.resource(got); !reflect.DeepEqual(res, map[string]string{"deployment.environment": "ci", "service.name": "my-agent"}) {
		t.Errorf("resource = %v", res)
	}
}

func TestExportFlagsUsageErrors(t *testing.T) {
	tests := map[string][]string{
		"unknown exporter":  {"-e", "nosuch"},
		"ratio above 1":     {"--sample-ratio", "2"},
		"bad resource":      {"--resource", "novalue"},
		"bad header":        {"--otlp-header", "=x"},
		"bad compression":   {"--otlp-compression", "zstd"},
		"file without path": {"-e", "file"},
		"zero timeout":      {"--export-timeout", "0s"},
		"negative kill":     {"--kill-after", "-1s"},
		"negative tail":     {"--tail-bytes", "-5"},
		"negative drain":    {"--drain", "-1ms"},
	}
	for name, flags := range tests {
		t.Run(name, func(t *testing.T) {
			c := NewCmdRun(testIO(), nil)
			c.SetArgs(append(flags, "--", "true"))
			c.SetContext(context.Background())
			c.SilenceUsage, c.SilenceErrors = true, true
			err := c.Execute()
			var ec *exitcode.Error
			if !errors.As(err, &ec) || ec.Code != exitcode.Usage {
				t.Errorf("err = %v, want a usage error", err)
			}
		})
	}
}
