package receiver

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// TestTokenReadLiterally: the session injects
// OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20<token>. SDKs that
// percent-decode it (as the specification says) send "Bearer <token>";
// clients that read it literally (Claude Code) send "Bearer%20<token>".
// Both are the session's token; anything else is still refused.
func TestTokenReadLiterally(t *testing.T) {
	r, sink := startReceiver(t, Config{Token: testToken})
	good := must(t)(ptraceotlp.NewExportRequestFromTraces(testTraces(1, 0)).MarshalProto())
	tests := []struct {
		auth string
		want int
	}{
		{"Bearer " + testToken, 200},
		{"Bearer%20" + testToken, 200},
		{"Bearer%20nope", 401},
		{"Bearer%2520" + testToken, 401},
		{"Bearer%20" + testToken + "x", 401},
		{"bearer%20" + testToken, 401},
		{"Bearer+" + testToken, 401},
		{testToken, 401},
	}
	accepted := 0
	for _, tt := range tests {
		resp := post(t, "POST", r.Endpoint()+PathTraces, good, "Authorization: "+tt.auth, "Content-Type: "+contentTypeProto)
		if resp.status != tt.want {
			t.Errorf("Authorization %q: %d, want %d", tt.auth, resp.status, tt.want)
		}
		if tt.want == 200 {
			accepted++
		}
	}
	if got, _, _ := sink.counts(); got != accepted {
		t.Errorf("sink got %d spans, want %d (one per accepted request)", got, accepted)
	}
}
