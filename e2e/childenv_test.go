package e2e

import (
	"strings"
	"testing"
)

// TestChildEnvBeyondReceiver: behind a proxy the child's NO_PROXY and
// no_proxy get our loopback hosts after the user's list, and the user's
// OTEL_SDK_DISABLED=true is kept with a warning saying what is lost.
func TestChildEnvBeyondReceiver(t *testing.T) {
	env := []string{"HTTPS_PROXY=http://proxy.invalid:3128", "NO_PROXY=corp.example", "OTEL_SDK_DISABLED=true"}
	res := runAgentops(t, env, nil, "sh", "-c", `printf '%s|%s|%s' "$NO_PROXY" "$no_proxy" "$OTEL_SDK_DISABLED"`)
	if res.exitCode != 0 {
		t.Fatalf("exit %d\n%s", res.exitCode, res.stderr)
	}
	parts := strings.Split(res.stdout, "|")
	if len(parts) != 3 || parts[0] != parts[1] || !strings.HasPrefix(parts[0], "corp.example,127.0.0.1") || parts[2] != "true" {
		t.Errorf("child saw NO_PROXY|no_proxy|OTEL_SDK_DISABLED = %q; want corp.example,127.0.0.1… twice and true", res.stdout)
	}
	if !strings.Contains(res.stderr, "warning: OTEL_SDK_DISABLED=true is set and kept") {
		t.Errorf("no OTEL_SDK_DISABLED warning on stderr:\n%s", res.stderr)
	}
	res = runAgentops(t, nil, nil, "sh", "-c", `printf '%s' "$NO_PROXY$no_proxy"`)
	if res.stdout != "" || strings.Contains(res.stderr, "OTEL_SDK_DISABLED") {
		t.Errorf("without a proxy or OTEL_SDK_DISABLED: NO_PROXY %q, stderr:\n%s", res.stdout, res.stderr)
	}
}
