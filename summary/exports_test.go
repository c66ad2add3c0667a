package summary

import "testing"

func TestShortError(t *testing.T) {
	tests := map[string]string{
		`traces export: Post "http://127.0.0.1:1/v1/traces": dial tcp 127.0.0.1:1: connect: connection refused`: "dial tcp 127.0.0.1:1: connect: connection refused",
		`cut off at the export timeout: traces export: Post "http://h/v1/traces": context canceled`:             "cut off at the export timeout (raise --export-timeout, or check the backend)",
		`traces export: failed to send to http://h/v1/traces: 400 Bad Request (body: bad)`:                      "failed to send to http://h/v1/traces: 400 Bad Request (body: bad)",
		`AgentOps token exchange: 401 Unauthorized: invalid api key [REDACTED] (check AGENTOPS_API_KEY)`:        `AgentOps token exchange: 401 Unauthorized: invalid api key [REDACTED] (check AGENTOPS_API_KEY)`,
	}
	for in, want := range tests {
		if got := shortError(in); got != want {
			t.Errorf("shortError(%q) = %q, want %q", in, got, want)
		}
	}
}
