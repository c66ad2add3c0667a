package envinject

import (
	"reflect"
	"strings"
	"testing"
)

func TestAgentSwitches(t *testing.T) {
	tests := []struct {
		name   string
		parent []string
		facts  Facts
		want   map[string]string // "" means absent
	}{
		{
			name:  "every switch is set for a child with none of its own",
			facts: Facts{Endpoint: "http://127.0.0.1:1"},
			want: map[string]string{
				"CLAUDE_CODE_ENABLE_TELEMETRY":        "1",
				"OTEL_LOGS_EXPORTER":                  "otlp",
				"OTEL_METRICS_EXPORTER":               "otlp",
				"CLAUDE_CODE_ENHANCED_TELEMETRY_BETA": "1",
				"OTEL_TRACES_EXPORTER":                "otlp",
				"OTEL_LOGS_EXPORT_INTERVAL":           "1000",
				"OTEL_TRACES_EXPORT_INTERVAL":         "1000",
				"GEMINI_TELEMETRY_ENABLED":            "true",
				"GEMINI_TELEMETRY_TRACES_ENABLED":     "true",
				"GEMINI_TELEMETRY_OTLP_PROTOCOL":      "http",
			},
		},
		{
			name:   "the user's values win",
			parent: []string{"CLAUDE_CODE_ENABLE_TELEMETRY=0", "OTEL_LOGS_EXPORTER=console", "OTEL_LOGS_EXPORT_INTERVAL=200", "GEMINI_TELEMETRY_OTLP_PROTOCOL=grpc", "GEMINI_TELEMETRY_TRACES_ENABLED="},
			facts:  Facts{Endpoint: "http://127.0.0.1:1"},
			want: map[string]string{
				"CLAUDE_CODE_ENABLE_TELEMETRY":    "0",
				"OTEL_LOGS_EXPORTER":              "console",
				"OTEL_LOGS_EXPORT_INTERVAL":       "200",
				"GEMINI_TELEMETRY_OTLP_PROTOCOL":  "grpc",
				"GEMINI_TELEMETRY_TRACES_ENABLED": "",
				"GEMINI_TELEMETRY_ENABLED":        "true",
			},
		},
		{
			name:  "Gemini CLI's protocol follows the receiver protocol asked for",
			facts: Facts{Endpoint: "http://127.0.0.1:1", Protocol: "grpc"},
			want:  map[string]string{"GEMINI_TELEMETRY_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
		},
		{
			name:   "Gemini CLI's protocol follows an inherited OTEL_EXPORTER_OTLP_PROTOCOL",
			parent: []string{"OTEL_EXPORTER_OTLP_PROTOCOL=http/json"},
			facts:  Facts{Endpoint: "http://127.0.0.1:1"},
			want:   map[string]string{"GEMINI_TELEMETRY_OTLP_PROTOCOL": "http"},
		},
		{
			name:  "--no-agent-telemetry sets none of them",
			facts: Facts{Endpoint: "http://127.0.0.1:1", NoAgentSwitches: true},
			want: map[string]string{
				"CLAUDE_CODE_ENABLE_TELEMETRY":   "",
				"OTEL_LOGS_EXPORTER":             "",
				"GEMINI_TELEMETRY_ENABLED":       "",
				"GEMINI_TELEMETRY_OTLP_PROTOCOL": "",
				"OTEL_TRACES_EXPORTER":           "otlp",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := envMap(ChildEnv(tt.parent, tt.facts))
			for k, want := range tt.want {
				v, ok := got[k]
				if want == "" && ok && v != "" {
					t.Errorf("%s = %q, want it absent or empty", k, v)
				}
				if want != "" && v != want {
					t.Errorf("%s = %q, want %q", k, v, want)
				}
			}
			for k := range got {
				if strings.HasSuffix(k, "#dup") {
					t.Errorf("variable %s set twice", strings.TrimSuffix(k, "#dup"))
				}
			}
		})
	}
}

func TestChildArgsCodex(t *testing.T) {
	f := Facts{Endpoint: "http://127.0.0.1:4318", Headers: map[string]string{"x-agentops-token": "abc123"}}
	want := []string{
		"-c", `otel.exporter={otlp-http={endpoint="http://127.0.0.1:4318/v1/logs",protocol="binary",headers={x-agentops-token="abc123"}}}`,
		"-c", `otel.trace_exporter={otlp-http={endpoint="http://127.0.0.1:4318/v1/traces",protocol="binary",headers={x-agentops-token="abc123"}}}`,
		"-c", `otel.metrics_exporter={otlp-http={endpoint="http://127.0.0.1:4318/v1/metrics",protocol="binary",headers={x-agentops-token="abc123"}}}`,
		"exec", "say hello",
	}
	for _, cmd := range []string{"codex", "/usr/local/bin/codex", "./node_modules/.bin/codex"} {
		if got := ChildArgs(cmd, []string{"exec", "say hello"}, f); !reflect.DeepEqual(got, want) {
			t.Errorf("ChildArgs(%q):\n got %q\nwant %q", cmd, got, want)
		}
	}
	for _, cmd := range []string{"claude", "codex-helper", "/opt/codex/bin/run", "python"} {
		args := []string{"exec", "x"}
		if got := ChildArgs(cmd, args, f); !reflect.DeepEqual(got, args) {
			t.Errorf("ChildArgs(%q) = %q: only codex gets -c overrides", cmd, got)
		}
	}
}

func TestChildArgsCodexUserOverridesWin(t *testing.T) {
	f := Facts{Endpoint: "http://127.0.0.1:4318"}
	for _, args := range [][]string{
		{"-c", "otel.trace_exporter=none", "exec", "hi"},
		{"-cotel.trace_exporter=none", "exec", "hi"},
		{"--config", "otel.trace_exporter.otlp-http.endpoint=\"http://x\"", "exec", "hi"},
		{"exec", "--config=otel.trace_exporter=none", "hi"},
	} {
		got := ChildArgs("codex", args, f)
		if n := len(got) - len(args); n != 4 {
			t.Errorf("ChildArgs(%q) added %d arguments, want 4 (logs and metrics only): %q", args, n, got)
		}
		if strings.Contains(strings.Join(got[:len(got)-len(args)], " "), "trace_exporter") {
			t.Errorf("ChildArgs(%q) overrode the user's trace exporter: %q", args, got)
		}
	}
	// After "--" the arguments are a prompt, not flags.
	if got := ChildArgs("codex", []string{"exec", "--", "-c otel.exporter=none"}, f); len(got) != 9 {
		t.Errorf("a prompt after -- was read as an override: %q", got)
	}
	if got := ChildArgs("codex", []string{"-c", "otel={}"}, f); len(got) != 2 {
		t.Errorf("a whole otel table of the user's was overridden: %q", got)
	}
}

func TestChildArgsCodexJSONAndQuoting(t *testing.T) {
	f := Facts{Endpoint: "http://127.0.0.1:4318/", Protocol: "http/json", Headers: map[string]string{"a b": `q"\`}}
	got := ChildArgs("codex", nil, f)
	if want := `otel.exporter={otlp-http={endpoint="http://127.0.0.1:4318/v1/logs",protocol="json",headers={"a b"="q\"\\"}}}`; got[1] != want {
		t.Errorf("got  %s\nwant %s", got[1], want)
	}
}

func TestNoProxy(t *testing.T) {
	f := Facts{Endpoint: "http://127.0.0.1:4318", BaseURLs: map[string]string{"OPENAI_BASE_URL": "http://127.0.0.2:9/openai/v1"}}
	tests := []struct {
		name   string
		parent []string
		want   map[string]string
	}{
		{"no proxy, no change", []string{"NO_PROXY=corp"}, map[string]string{"NO_PROXY": "corp", "no_proxy": ""}},
		{"both spellings get our hosts after the user's", []string{"HTTPS_PROXY=http://proxy:3128", "NO_PROXY=corp.example,.internal"},
			map[string]string{"NO_PROXY": "corp.example,.internal,127.0.0.1,127.0.0.2", "no_proxy": "corp.example,.internal,127.0.0.1,127.0.0.2"}},
		{"each spelling keeps its own value", []string{"http_proxy=http://proxy:3128", "NO_PROXY=a", "no_proxy=b"},
			map[string]string{"NO_PROXY": "a,127.0.0.1,127.0.0.2", "no_proxy": "b,127.0.0.1,127.0.0.2"}},
		{"a host already listed is not repeated", []string{"ALL_PROXY=socks5://p:1080", "no_proxy=127.0.0.1"},
			map[string]string{"NO_PROXY": "127.0.0.1,127.0.0.2", "no_proxy": "127.0.0.1,127.0.0.2"}},
		{"no list of the user's", []string{"HTTP_PROXY=http://proxy:3128"},
			map[string]string{"NO_PROXY": "127.0.0.1,127.0.0.2", "no_proxy": "127.0.0.1,127.0.0.2", "HTTP_PROXY": "http://proxy:3128"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := envMap(ChildEnv(tt.parent, f))
			for k, want := range tt.want {
				if got[k] != want {
					t.Errorf("%s = %q, want %q", k, got[k], want)
				}
				if _, dup := got[k+"#dup"]; dup {
					t.Errorf("%s set twice", k)
				}
			}
		})
	}
	if got := envMap(ChildEnv([]string{"HTTP_PROXY=http://p"}, Facts{Endpoint: "http://[::1]:4318"})); got["NO_PROXY"] != "::1" {
		t.Errorf("IPv6 receiver: NO_PROXY = %q, want ::1", got["NO_PROXY"])
	}
}

func TestWarnings(t *testing.T) {
	if w := Warnings([]string{"OTEL_SDK_DISABLED=TRUE"}); len(w) != 1 || !strings.Contains(w[0], "OTEL_SDK_DISABLED") || !strings.Contains(w[0], "unset it") {
		t.Errorf("Warnings = %q, want one saying what is lost and what to do", w)
	}
	for _, parent := range [][]string{nil, {"OTEL_SDK_DISABLED=false"}, {"OTEL_SDK_DISABLED="}} {
		if w := Warnings(parent); len(w) != 0 {
			t.Errorf("Warnings(%q) = %q, want none", parent, w)
		}
	}
}
