package envinject

import (
	"reflect"
	"strings"
	"testing"
)

func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := m[k]; dup {
			m[k+"#dup"] = v
		}
		m[k] = v
	}
	return m
}

func TestChildEnv(t *testing.T) {
	base := Facts{
		Endpoint:           "http://127.0.0.1:4318",
		TraceParent:        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		SessionID:          "sess-1",
		ResourceAttributes: map[string]string{"agentops.session.id": "sess-1"},
	}
	tests := []struct {
		name   string
		parent []string
		facts  func(Facts) Facts
		want   map[string]string // "" value means: must be absent
	}{
		{
			name:   "empty parent gets every injected variable",
			parent: nil,
			want: map[string]string{
				"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
				"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
				"OTEL_TRACES_EXPORTER":        "otlp",
				"TRACEPARENT":                 "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
				"OTEL_RESOURCE_ATTRIBUTES":    "agentops.session.id=sess-1",
				"AGENTOPS_SESSION_ID":         "sess-1",
				"TRACESTATE":                  "",
			},
		},
		{
			name: "inherited endpoints and traces endpoint are replaced or dropped; the user's OTEL_SDK_DISABLED is kept",
			parent: []string{
				"PATH=/bin",
				"OTEL_EXPORTER_OTLP_ENDPOINT=https://collector.example:4318",
				"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=https://collector.example:4318/v1/traces",
				"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc",
				"OTEL_SDK_DISABLED=true",
				"OTEL_TRACES_EXPORTER=none",
				"TRACEPARENT=00-11111111111111111111111111111111-2222222222222222-00",
			},
			want: map[string]string{
				"PATH":                               "/bin",
				"OTEL_EXPORTER_OTLP_ENDPOINT":        "http://127.0.0.1:4318",
				"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "",
				"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "",
				"OTEL_EXPORTER_OTLP_PROTOCOL":        "grpc",
				"OTEL_SDK_DISABLED":                  "true",
				"OTEL_TRACES_EXPORTER":               "otlp",
				"TRACEPARENT":                        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
			},
		},
		{
			name:   "explicit protocol wins over inherited one",
			parent: []string{"OTEL_EXPORTER_OTLP_PROTOCOL=grpc"},
			facts:  func(f Facts) Facts { f.Protocol = "http/json"; return f },
			want:   map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"},
		},
		{
			name:   "user resource attributes are kept, ours appended, clash resolved to ours",
			parent: []string{"OTEL_RESOURCE_ATTRIBUTES=service.name=my-agent,deployment.environment=ci,agentops.session.id=old"},
			want: map[string]string{
				"OTEL_RESOURCE_ATTRIBUTES": "service.name=my-agent,deployment.environment=ci,agentops.session.id=sess-1",
			},
		},
		{
			name:   "tracestate passed when set",
			parent: []string{"TRACESTATE=vendor=old"},
			facts:  func(f Facts) Facts { f.TraceState = "rojo=00f067aa0ba902b7"; return f },
			want:   map[string]string{"TRACESTATE": "rojo=00f067aa0ba902b7"},
		},
		{
			name:   "headers replace inherited ones, values percent-encoded",
			parent: []string{"OTEL_EXPORTER_OTLP_HEADERS=x-api-key=secret", "OTEL_EXPORTER_OTLP_TRACES_HEADERS=a=b"},
			facts: func(f Facts) Facts {
				f.Headers = map[string]string{"Authorization": "Bearer abc,def"}
				return f
			},
			want: map[string]string{
				"OTEL_EXPORTER_OTLP_HEADERS":        "Authorization=Bearer%20abc%2Cdef",
				"OTEL_EXPORTER_OTLP_TRACES_HEADERS": "",
			},
		},
		{
			name:   "inherited headers kept when we inject none",
			parent: []string{"OTEL_EXPORTER_OTLP_HEADERS=x-api-key=secret"},
			want:   map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "x-api-key=secret"},
		},
		{
			name:   "the AgentOps SDK is pointed at the session, replacing inherited endpoints; the key is the user's",
			parent: []string{"AGENTOPS_API_KEY=k", "AGENTOPS_API_ENDPOINT=https://agentops.internal", "AGENTOPS_EXPORTER_ENDPOINT=https://otlp.internal/v1/traces"},
			facts:  func(f Facts) Facts { f.AgentOpsEndpoint = "http://127.0.0.1:4318/"; return f },
			want: map[string]string{
				"AGENTOPS_API_KEY":           "k",
				"AGENTOPS_API_ENDPOINT":      "http://127.0.0.1:4318",
				"AGENTOPS_EXPORTER_ENDPOINT": "http://127.0.0.1:4318/v1/traces",
			},
		},
		{
			name:   "AgentOps endpoints untouched when the session does not stand in",
			parent: []string{"AGENTOPS_API_ENDPOINT=https://agentops.internal"},
			want:   map[string]string{"AGENTOPS_API_ENDPOINT": "https://agentops.internal", "AGENTOPS_EXPORTER_ENDPOINT": ""},
		},
		{
			name:   "defaults apply only when unset",
			parent: []string{"OTEL_BSP_SCHEDULE_DELAY=5000"},
			facts: func(f Facts) Facts {
				f.Defaults = map[string]string{"OTEL_BSP_SCHEDULE_DELAY": "1000", "OTEL_BLRP_SCHEDULE_DELAY": "1000"}
				return f
			},
			want: map[string]string{"OTEL_BSP_SCHEDULE_DELAY": "5000", "OTEL_BLRP_SCHEDULE_DELAY": "1000"},
		},
		{
			name:   "base URLs replace the user's, which the capture proxy forwards to",
			parent: []string{"OPENAI_BASE_URL=https://gateway.example/v1", "ANTHROPIC_API_KEY=k"},
			facts: func(f Facts) Facts {
				f.BaseURLs = map[string]string{"OPENAI_BASE_URL": "http://127.0.0.1:9/x/openai", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9/x/anthropic"}
				return f
			},
			want: map[string]string{"OPENAI_BASE_URL": "http://127.0.0.1:9/x/openai", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9/x/anthropic", "ANTHROPIC_API_KEY": "k"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base
			if tt.facts != nil {
				f = tt.facts(f)
			}
			got := envMap(ChildEnv(tt.parent, f))
			for k, want := range tt.want {
				v, ok := got[k]
				if want == "" {
					if ok {
						t.Errorf("%s = %q, want it absent", k, v)
					}
					continue
				}
				if v != want {
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

func TestChildEnvKeepsParentOrder(t *testing.T) {
	got := ChildEnv([]string{"B=2", "A=1", "OTEL_EXPORTER_OTLP_ENDPOINT=http://x", "C=3"}, Facts{Endpoint: "http://127.0.0.1:1"})
	if want := []string{"B=2", "A=1", "C=3"}; !reflect.DeepEqual(got[:3], want) {
		t.Fatalf("parent variables = %v, want %v first", got[:3], want)
	}
}

func TestMergeResourceAttributes(t *testing.T) {
	tests := []struct {
		user string
		ours map[string]string
		want string
	}{
		{"", nil, ""},
		{"a=1", nil, "a=1"},
		{"", map[string]string{"k": "v w"}, "k=v%20w"},
		{" a=1 , ,b=2", map[string]string{"b": "3"}, "a=1,b=3"},
	}
	for _, tt := range tests {
		if got := MergeResourceAttributes(tt.user, tt.ours); got != tt.want {
			t.Errorf("MergeResourceAttributes(%q, %v) = %q, want %q", tt.user, tt.ours, got, tt.want)
		}
	}
}
