package capture

import (
	"strings"
	"testing"
)

func TestPlan(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		extra   []string
		want    map[string]string // var → target
		skipped []string
		err     string
	}{
		{
			name:    "defaults: OpenAI and Anthropic to their public endpoints; Gemini left alone",
			env:     []string{"GEMINI_API_KEY=k"},
			want:    map[string]string{"OPENAI_BASE_URL": "https://api.openai.com/v1", "ANTHROPIC_BASE_URL": "https://api.anthropic.com"},
			skipped: []string{"GOOGLE_GEMINI_BASE_URL"},
		},
		{
			name: "the user's own values are the upstreams",
			env:  []string{"OPENAI_BASE_URL=http://localhost:8080/v1", "GOOGLE_GEMINI_BASE_URL=https://gw.example/gemini"},
			want: map[string]string{"OPENAI_BASE_URL": "http://localhost:8080/v1", "ANTHROPIC_BASE_URL": "https://api.anthropic.com",
				"GOOGLE_GEMINI_BASE_URL": "https://gw.example/gemini"},
		},
		{
			name:    "a value that is not a URL is left alone",
			env:     []string{"OPENAI_BASE_URL=localhost:8080", "ANTHROPIC_BASE_URL=https://user:pw@gw.example"},
			want:    map[string]string{},
			skipped: []string{"OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "GOOGLE_GEMINI_BASE_URL"},
		},
		{
			name:  "asked for by name, Gemini goes to its public endpoint",
			extra: []string{"GOOGLE_GEMINI_BASE_URL=gemini"},
			want: map[string]string{"OPENAI_BASE_URL": "https://api.openai.com/v1", "ANTHROPIC_BASE_URL": "https://api.anthropic.com",
				"GOOGLE_GEMINI_BASE_URL": "https://generativelanguage.googleapis.com"},
		},
		{
			name:  "another variable, OpenAI-shaped, to its own value or the upstream given",
			env:   []string{"DEEPSEEK_BASE_URL=https://api.deepseek.com/v1"},
			extra: []string{"DEEPSEEK_BASE_URL=openai", "GROQ_BASE_URL=openai:https://api.groq.com/openai/v1"},
			want: map[string]string{"OPENAI_BASE_URL": "https://api.openai.com/v1", "ANTHROPIC_BASE_URL": "https://api.anthropic.com",
				"DEEPSEEK_BASE_URL": "https://api.deepseek.com/v1", "GROQ_BASE_URL": "https://api.groq.com/openai/v1"},
			skipped: []string{"GOOGLE_GEMINI_BASE_URL"},
		},
		{
			name:  "another variable, unset, with no upstream",
			extra: []string{"MY_BASE_URL=openai"},
			err:   "MY_BASE_URL is not set",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var extra []Mapping
			for _, e := range tt.extra {
				m, err := ParseMapping(e)
				if err != nil {
					t.Fatal(err)
				}
				extra = append(extra, m)
			}
			routes, skips, err := Plan(tt.env, extra)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			routeNames := map[string]bool{}
			for _, r := range routes {
				got[r.Var] = r.Target.String()
				if routeNames[r.Route] {
					t.Errorf("route %q twice", r.Route)
				}
				routeNames[r.Route] = true
			}
			if len(got) != len(tt.want) {
				t.Errorf("routes %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s → %q, want %q", k, got[k], v)
				}
			}
			var sk []string
			for _, s := range skips {
				sk = append(sk, s.Var)
				if s.Reason == "" {
					t.Errorf("%s skipped without a reason", s.Var)
				}
			}
			if strings.Join(sk, ",") != strings.Join(tt.skipped, ",") {
				t.Errorf("skipped %v, want %v", sk, tt.skipped)
			}
		})
	}
}

func TestParseMappingErrors(t *testing.T) {
	for _, bad := range []string{"", "X", "X=", "=openai", "X=cohere", "X=openai:ftp://h", "X=openai:notaurl"} {
		if _, err := ParseMapping(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
