package capture

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// TestUpstreamHonoursProxyVariables: HTTP_PROXY from the environment the
// session passes (not our process's) carries the upstream request, and
// NO_PROXY exempts a host.
func TestUpstreamHonoursProxyVariables(t *testing.T) {
	var viaProxy atomic.Int32
	forward := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A forward proxy receives the absolute URL.
		if r.URL.Host != "llm.invalid" {
			http.Error(w, "not a proxied request: "+r.URL.String(), 400)
			return
		}
		viaProxy.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"p","usage":{"prompt_tokens":1,"completion_tokens":1}}`)
	}))
	defer forward.Close()
	for _, tt := range []struct {
		name    string
		env     []string
		proxied bool
	}{
		{"HTTP_PROXY", []string{"HTTP_PROXY=" + forward.URL}, true},
		{"lower case", []string{"http_proxy=" + forward.URL}, true},
		{"NO_PROXY exempts the host", []string{"HTTP_PROXY=" + forward.URL, "NO_PROXY=llm.invalid"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			viaProxy.Store(0)
			r := (&rig{rec: tracetest.NewSpanRecorder()}).start(t, "http://llm.invalid", func(c *Config) {
				c.Transport = NewTransport(tt.env)
			})
			req, _ := http.NewRequest("POST", r.proxy.URL("openai")+"/chat/completions", strings.NewReader(`{"model":"m"}`))
			res, err := http.DefaultClient.Do(req)
			if err == nil {
				res.Body.Close()
			}
			if got := viaProxy.Load() == 1; got != tt.proxied {
				t.Errorf("went through the forward proxy: %v, want %v (err %v)", got, tt.proxied, err)
			}
		})
	}
}

// TestUpstreamTLSIsVerified: an upstream whose certificate the system
// does not trust is not talked to; the client's connection is closed as
// a failed TLS handshake would have failed it, and the span says why.
func TestUpstreamTLSIsVerified(t *testing.T) {
	var reached atomic.Int32
	up := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1) }))
	defer up.Close()
	r := (&rig{rec: tracetest.NewSpanRecorder()}).start(t, up.URL)
	req, _ := http.NewRequest("POST", r.proxy.URL("openai")+"/chat/completions", strings.NewReader(`{"model":"m"}`))
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("the client got HTTP %d from an upstream with an untrusted certificate", res.StatusCode)
	}
	if reached.Load() != 0 {
		t.Error("the request reached the upstream")
	}
	s := r.spans(t)[0]
	if !strings.Contains(s.Status().Description, "certificate") {
		t.Errorf("status %q", s.Status().Description)
	}
}
