package exporter

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestUpstreamFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		ok      bool
		spec    Spec
		source  string
		headers map[string]string
		comp    string
		timeout time.Duration
	}{
		{name: "nothing set", env: []string{"PATH=/bin"}},
		{
			name: "base endpoint gets /v1/traces, headers decoded",
			env:  []string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318/", "OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20abc,x-team=ai"},
			ok:   true, spec: Spec{"otlp", "http://127.0.0.1:4318/v1/traces"}, source: "OTEL_EXPORTER_OTLP_ENDPOINT",
			headers: map[string]string{"Authorization": "Bearer abc", "x-team": "ai"}, comp: "none",
		},
		{
			name: "traces endpoint wins and is used as is",
			env:  []string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://a:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://b:4318/custom", "OTEL_EXPORTER_OTLP_TRACES_HEADERS=k=v", "OTEL_EXPORTER_OTLP_HEADERS=k=other"},
			ok:   true, spec: Spec{"otlp", "http://b:4318/custom"}, source: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_ENDPOINT",
			headers: map[string]string{"k": "v"}, comp: "none",
		},
		{
			name: "grpc, compression and timeout",
			env:  []string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4317", "OTEL_EXPORTER_OTLP_PROTOCOL=grpc", "OTEL_EXPORTER_OTLP_COMPRESSION=gzip", "OTEL_EXPORTER_OTLP_TIMEOUT=2500"},
			ok:   true, spec: Spec{"otlpgrpc", "http://collector:4317"}, source: "OTEL_EXPORTER_OTLP_ENDPOINT",
			headers: map[string]string{}, comp: "gzip", timeout: 2500 * time.Millisecond,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, ok := UpstreamFromEnv(tt.env)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if u.Spec != tt.spec || u.Source != tt.source {
				t.Errorf("spec %v from %s, want %v from %s", u.Spec, u.Source, tt.spec, tt.source)
			}
			e := u.Endpoints[Traces]
			if !reflect.DeepEqual(e.Headers, tt.headers) {
				t.Errorf("headers = %v, want %v", e.Headers, tt.headers)
			}
			if e.Compression != tt.comp || e.Timeout != tt.timeout {
				t.Errorf("compression %q timeout %v, want %q %v", e.Compression, e.Timeout, tt.comp, tt.timeout)
			}
		})
	}
}

func TestParseSpec(t *testing.T) {
	tests := []struct {
		in   string
		want Spec
		str  string
		err  bool
	}{
		{in: "console", want: Spec{Name: "console"}, str: "console"},
		{in: "otlp=http://u:secret@h:4318", want: Spec{"otlp", "http://u:secret@h:4318"}, str: "otlp=http://u:xxxxx@h:4318"},
		{in: "file=a=b.jsonl", want: Spec{"file", "a=b.jsonl"}, str: "file=a=b.jsonl"},
		{in: "=x", err: true},
	}
	for _, tt := range tests {
		got, err := ParseSpec(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseSpec(%q) = %v, %v; want %v, err %v", tt.in, got, err, tt.want, tt.err)
		}
		if err == nil && got.String() != tt.str {
			t.Errorf("String() = %q, want %q", got.String(), tt.str)
		}
	}
}

func TestHeaderFlags(t *testing.T) {
	got, err := HeaderFlags([]string{"Authorization=Bearer a=b", " X-Team = evals "})
	if err != nil || got["Authorization"] != "Bearer a=b" || got["X-Team"] != "evals" || len(got) != 2 {
		t.Errorf("HeaderFlags = %v, %v", got, err)
	}
	for _, bad := range []string{"nope", "=value", " =v"} {
		if _, err := HeaderFlags([]string{bad}); err == nil || !strings.Contains(err.Error(), "Name=value") {
			t.Errorf("HeaderFlags(%q) error = %v, want a hint", bad, err)
		}
	}
	for c, ok := range map[string]bool{"gzip": true, "none": true, "": false, "zstd": false} {
		if err := CheckCompression(c); (err == nil) != ok {
			t.Errorf("CheckCompression(%q) = %v", c, err)
		}
	}
}

// A URL exporters cannot send to is refused when the exporter is built, with
// a hint, rather than failing every export at the end of the session.
func TestOTLPTargetMustBeHTTP(t *testing.T) {
	for _, spec := range []Spec{{"otlp", "ftp://collector:4318"}, {"otlpgrpc", "ftp://collector:4317"}, {"otlp", "http://"}} {
		_, err := New(context.Background(), spec, Settings{})
		if err == nil || !strings.Contains(err.Error(), "use http://host:port") {
			t.Errorf("New(%s) error = %v, want a bad-URL hint", spec, err)
		}
	}
	for _, spec := range []Spec{{"otlp", "collector:4318"}, {"otlp", "https://collector/v1/traces"}, {"otlpgrpc", "http://127.0.0.1:4317"}} {
		exp, err := New(context.Background(), spec, Settings{})
		if err != nil {
			t.Errorf("New(%s): %v", spec, err)
			continue
		}
		_ = exp.Shutdown(context.Background())
	}
}
