package session

import (
	"context"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/agentops-dev/agentops/exporter"
	"github.com/agentops-dev/agentops/internal/agentopsstandin"
)

const testAOKey = "3d6f0a8e-51c2-4b9e-a7d4-0c8e2f1b6a93"

// The session's answers to the child's AgentOps SDK, with the real
// exporter and the AgentOps stand-in behind them.
func TestAgentOpsStandInAnswers(t *testing.T) {
	backend := &agentopsstandin.Server{Key: testAOKey}
	bsrv := httptest.NewServer(backend)
	defer bsrv.Close()
	exp, err := exporter.NewAgentOps(context.Background(), "", exporter.Settings{Env: []string{
		"AGENTOPS_API_KEY=" + testAOKey, "AGENTOPS_API_ENDPOINT=" + bsrv.URL, "AGENTOPS_EXPORTER_ENDPOINT=" + bsrv.URL + "/v1/traces"}})
	if err != nil {
		t.Fatal(err)
	}
	a := &agentOpsStandIn{relay: exp, token: "receiver-token"}
	trace := pcommon.TraceID{0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd, 0x43, 0xdd, 0x84, 0x48, 0xeb, 0x21, 0x1c, 0x80, 0x31, 0x9c}
	a.setTrace(trace)
	mux := http.NewServeMux()
	for p, h := range a.routes() {
		mux.Handle(p, h)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()

	post := func(path, body string, headers ...string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	var answers []string
	for _, c := range []struct {
		name, path, body string
		headers          []string
		status           int
		has              string
	}{
		{"the session's key", "/v3/auth/token", `{"api_key":"` + testAOKey + `"}`, nil, 200, `"token":"receiver-token"`},
		{"another key", "/v3/auth/token", `{"api_key":"00000000-0000-4000-8000-000000000000"}`, nil, 403, "Invalid API key"},
		{"not JSON", "/v3/auth/token", `api_key=x`, nil, 400, "Invalid request"},
		{"log upload without the token", "/v4/logs/upload/", `{"body":"hello"}`, nil, 401, "Unauthorized"},
		{"log upload with a JWT of AgentOps'", "/v4/logs/upload/", `{"body":"hello"}`, []string{"Authorization", "Bearer eyJx"}, 401, "Unauthorized"},
		{"log upload", "/v4/logs/upload/", `{"body":"the weather is fine\n"}`, []string{"Authorization", "Bearer receiver-token", "Trace-Id", "42"}, 200, "Upload successful"},
	} {
		status, body := post(c.path, c.body, c.headers...)
		answers = append(answers, body)
		if status != c.status || !strings.Contains(body, c.has) {
			t.Errorf("%s: %d %q, want %d with %q", c.name, status, body, c.status, c.has)
		}
	}
	var dec big.Int
	dec.SetBytes(trace[:])
	if logs := backend.Logs(); len(logs) != 1 || logs[dec.String()] != "the weather is fine\n" {
		t.Errorf("AgentOps got log uploads %q, want one for the session's trace %s", logs, dec.String())
	}
	jwts := backend.JWTs()
	if len(jwts) != 1 {
		t.Fatalf("%d key exchanges at AgentOps, want ours", len(jwts))
	}
	for _, r := range backend.Requests() {
		if r.Path == "/v4/logs/upload/" && r.Authorization != "Bearer "+jwts[0] {
			t.Errorf("log upload forwarded with %q, want the JWT", r.Authorization)
		}
	}
	for _, a := range answers {
		if strings.Contains(a, testAOKey) || strings.Contains(a, jwts[0]) {
			t.Errorf("an answer to the child carries a secret: %q", a)
		}
	}
}
